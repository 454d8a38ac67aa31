//! The children of a path-trie node: a small open-addressing table keyed by a key's
//! length and its first and last eight bytes, built once per rule set.
//!
//! Every object key of every scanned line is looked up, and most are not wanted, so a
//! lookup costs two word loads, a multiply and usually one probe that ends at an empty
//! slot or on a length/prefix mismatch; the key bytes are compared only on a candidate
//! hit longer than 16 bytes. (A `HashMap<Box<[u8]>, _>` hashed every byte of every key.)

/// A key as the table compares it: its length, first 8 bytes and last 8 bytes (both
/// zero-padded when the key is shorter), computed once per key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyProbe {
    len: u32,
    head: u64,
    tail: u64,
}

impl KeyProbe {
    /// The probe for `key`.
    #[inline]
    pub fn new(key: &[u8]) -> KeyProbe {
        let len = key.len();
        let head = match key.first_chunk::<8>() {
            Some(word) => u64::from_le_bytes(*word),
            None => {
                let mut word = [0u8; 8];
                word[..len].copy_from_slice(key);
                u64::from_le_bytes(word)
            }
        };
        KeyProbe::with_head(key, head)
    }

    /// The probe for the key `text[start..end]`, reading its head as one word from the
    /// text when eight bytes follow `start` (they do for all but a document's last few
    /// bytes): a short key then costs no byte-by-byte copy.
    #[inline]
    pub fn in_text(text: &[u8], start: usize, end: usize) -> KeyProbe {
        let key = &text[start..end];
        let len = key.len();
        if len < 8
            && let Some(word) = text.get(start..).and_then(|rest| rest.first_chunk::<8>())
        {
            // Keep the key's `len` low bytes (little-endian: the first ones).
            let head = u64::from_le_bytes(*word) & ((1u64 << (8 * len)) - 1);
            return KeyProbe::with_head(key, head);
        }
        KeyProbe::new(key)
    }

    #[inline]
    fn with_head(key: &[u8], head: u64) -> KeyProbe {
        let tail = match key.last_chunk::<8>() {
            Some(word) if key.len() > 8 => u64::from_le_bytes(*word),
            _ => 0,
        };
        KeyProbe {
            // Keys longer than 4 GiB cannot be in the table (nor in a line); saturating
            // keeps them from aliasing a short key's length.
            len: u32::try_from(key.len()).unwrap_or(u32::MAX),
            head,
            tail,
        }
    }

    #[inline]
    fn hash(&self, shift: u32) -> usize {
        let mixed = (self.head ^ self.tail.rotate_left(23) ^ u64::from(self.len))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (mixed >> shift) as usize
    }
}

const EMPTY: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Entry {
    head: u64,
    len: u32,
    /// The value, or [`EMPTY`].
    value: u32,
}

const VACANT: Entry = Entry {
    head: 0,
    len: 0,
    value: EMPTY,
};

/// A map from object keys to `u32` values (trie node indexes).
#[derive(Clone, Debug)]
pub(crate) struct KeyMap {
    /// A power of two long (at least 2), at most a quarter full, so that misses end after
    /// a probe or two; a map with no keys has two vacant entries and needs no special case.
    entries: Box<[Entry]>,
    /// Per entry: the key's last 8 bytes, and the key itself for keys over 16 bytes.
    tails: Box<[u64]>,
    keys: Box<[Box<[u8]>]>,
    /// `64 - log2(entries.len())`: the hash's top bits index the table.
    shift: u32,
    len: usize,
}

impl Default for KeyMap {
    fn default() -> Self {
        KeyMap::with_capacity_for(0)
    }
}

impl KeyMap {
    fn with_capacity_for(count: usize) -> KeyMap {
        let size = (count * 4).next_power_of_two().max(2);
        KeyMap {
            entries: vec![VACANT; size].into_boxed_slice(),
            tails: vec![0; size].into_boxed_slice(),
            keys: vec![Box::default(); size].into_boxed_slice(),
            shift: 64 - size.trailing_zeros(),
            len: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value of `key`.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<u32> {
        self.probe(&KeyProbe::new(key), key)
    }

    /// The value of `key`, whose probe is `probe` (see [`KeyProbe`]). Inlined: it runs for
    /// every key of every line, and a call's register saves were a third of its cost.
    #[inline(always)]
    pub fn probe(&self, probe: &KeyProbe, key: &[u8]) -> Option<u32> {
        let mask = self.entries.len() - 1;
        let mut at = self.index(probe);
        loop {
            let entry = self.entries[at];
            if entry.value == EMPTY {
                return None;
            }
            if entry.len == probe.len
                && entry.head == probe.head
                && self.tails[at] == probe.tail
                && (probe.len <= 16 || *self.keys[at] == *key)
            {
                return Some(entry.value);
            }
            at = (at + 1) & mask;
        }
    }

    #[inline]
    fn index(&self, probe: &KeyProbe) -> usize {
        probe.hash(self.shift)
    }

    /// The value of `key`, inserted as `value()` if absent.
    pub fn get_or_insert_with(&mut self, key: &[u8], value: impl FnOnce() -> u32) -> u32 {
        if let Some(found) = self.get(key) {
            return found;
        }
        if (self.len + 1) * 4 > self.entries.len() {
            let mut bigger = KeyMap::with_capacity_for(self.len + 1);
            for (at, entry) in self.entries.iter().enumerate() {
                if entry.value != EMPTY {
                    bigger.insert_new(&self.keys[at], entry.value);
                }
            }
            *self = bigger;
        }
        let value = value();
        assert_ne!(value, EMPTY, "a key map value cannot be u32::MAX");
        self.insert_new(key, value);
        value
    }

    fn insert_new(&mut self, key: &[u8], value: u32) {
        let probe = KeyProbe::new(key);
        let mask = self.entries.len() - 1;
        let mut at = self.index(&probe);
        while self.entries[at].value != EMPTY {
            at = (at + 1) & mask;
        }
        self.entries[at] = Entry {
            head: probe.head,
            len: probe.len,
            value,
        };
        self.tails[at] = probe.tail;
        self.keys[at] = Box::from(key);
        self.len += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_key_and_only_those() {
        let keys: Vec<Vec<u8>> = (0..300)
            .map(|i| format!("{}{i}", "k".repeat(i % 23)).into_bytes())
            .chain([
                b"".to_vec(),
                b"ProcessGuid".to_vec(),
                b"ProcessName".to_vec(),
                b"winlog.event_data.CommandLine".to_vec(),
                b"winlog.event_data.Command Line".to_vec(),
                b"winlog.event_data.CommandLime".to_vec(),
                b"ab\0".to_vec(),
            ])
            .collect();
        let mut map = KeyMap::default();
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(map.get_or_insert_with(key, || i as u32), i as u32);
            assert_eq!(map.get_or_insert_with(key, || 9999), i as u32);
        }
        assert_eq!(map.len, keys.len());
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(map.get(key), Some(i as u32), "{key:?}");
        }
        for absent in [
            &b"ab"[..],
            b"ab\0\0",
            b"ProcessGuie",
            b"winlog.event_data.CommandLinf",
            b"xinlog.event_data.CommandLine",
            b"k",
        ] {
            assert_eq!(map.get(absent), None, "{absent:?}");
        }
    }

    #[test]
    fn an_empty_map_finds_nothing() {
        let map = KeyMap::default();
        assert!(map.is_empty());
        assert_eq!(map.get(b""), None);
        assert_eq!(map.get(b"anything at all, long"), None);
    }

    #[test]
    fn probes_read_in_text_agree_with_probes_of_the_key() {
        let text = b"{\"a\":1,\"Image\":\"x\",\"CommandLine\":2,\"b\"";
        for start in 0..text.len() {
            for end in start..=text.len() {
                assert_eq!(
                    KeyProbe::in_text(text, start, end),
                    KeyProbe::new(&text[start..end]),
                    "{start}..{end}"
                );
            }
        }
    }
}
