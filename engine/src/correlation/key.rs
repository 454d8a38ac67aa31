//! Group keys: the group-by values of an event, lowercased (host and user names are
//! case-insensitive on Windows, and shippers disagree on their case), packed inline (or
//! in one allocation when long) with their hash.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

/// Values packed as `len (LEB128 varint) bytes` each, with their hash, computed once
/// where the key is made (on the worker that parsed the event): the shard and the state
/// look groups up by it without hashing again. Short keys (most host names) are stored
/// inline, so that comparing a key in a map slot reads no other memory. Also used for
/// the condition's `field` values of the value_* types.
#[derive(Clone)]
pub(crate) struct GroupKey {
    hash: u64,
    packed: Packed,
}

/// Packed keys up to this long are stored inline.
const INLINE: usize = 23;

/// The tag is a whole word and an inline key's bytes (its length in the last one) are
/// word-aligned, so that a key is copied and compared in words. With a byte tag, a byte
/// length and 30 bytes after them, copies were made of pieces of 1, 4, 8 and 16 bytes,
/// and a load spanning two pieces waited for both stores to reach the cache (a failed
/// store-to-load forward: the largest stall of the stage).
#[derive(Clone)]
#[repr(u64)]
enum Packed {
    Inline(Words),
    Heap(Box<[u8]>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(align(8))]
struct Words([u8; INLINE + 1]);

impl GroupKey {
    /// The key of these values; `None` when one is missing or empty.
    pub fn try_from_values<'v>(
        values: impl Iterator<Item = Option<&'v [u8]>> + Clone,
    ) -> Option<GroupKey> {
        let mut len = 0;
        for value in values.clone() {
            match value {
                Some(v) if !v.is_empty() => len += 5 + v.len(),
                _ => return None,
            }
        }
        let mut packed = Vec::with_capacity(len);
        for value in values.flatten() {
            put_len(&mut packed, value.len());
            packed.extend(value.iter().map(u8::to_ascii_lowercase));
        }
        Some(GroupKey::from_packed(packed))
    }

    fn from_packed(packed: Vec<u8>) -> GroupKey {
        let mut hasher = Fnv(0xcbf2_9ce4_8422_2325);
        hasher.write(&packed);
        let hash = hasher.finish();
        let packed = if packed.len() <= INLINE {
            let mut bytes = Words([0; INLINE + 1]);
            bytes.0[..packed.len()].copy_from_slice(&packed);
            bytes.0[INLINE] = packed.len() as u8;
            Packed::Inline(bytes)
        } else {
            Packed::Heap(packed.into_boxed_slice())
        };
        GroupKey { hash, packed }
    }

    /// The key of no values (the whole state of a chain of correlations).
    pub fn empty() -> GroupKey {
        GroupKey::from_packed(Vec::new())
    }

    fn packed(&self) -> &[u8] {
        match &self.packed {
            Packed::Inline(bytes) => &bytes.0[..usize::from(bytes.0[INLINE])],
            Packed::Heap(bytes) => bytes,
        }
    }

    pub fn values(&self) -> impl Iterator<Item = &[u8]> {
        let mut rest = self.packed();
        std::iter::from_fn(move || {
            let mut len = 0usize;
            let mut shift = 0;
            loop {
                let (b, tail) = rest.split_first()?;
                rest = tail;
                len |= usize::from(b & 0x7f) << shift;
                if *b < 0x80 {
                    break;
                }
                shift += 7;
            }
            let (value, tail) = rest.split_at(len.min(rest.len()));
            rest = tail;
            Some(value)
        })
    }

    /// The values at `indexes` (which must be in range), as a key.
    pub fn select(&self, indexes: &[usize]) -> Option<GroupKey> {
        let values: Vec<&[u8]> = self.values().collect();
        GroupKey::try_from_values(indexes.iter().map(|i| values.get(*i).copied()))
    }

    /// The single value as a number (value_sum, value_avg, value_percentile).
    pub fn number(&self) -> Option<f64> {
        let mut values = self.values();
        let value = values.next()?;
        let number = std::str::from_utf8(value)
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()?;
        (values.next().is_none() && number.is_finite()).then_some(number)
    }

    /// Heap bytes held besides the key itself (none when inline).
    pub fn heap_bytes(&self) -> usize {
        match &self.packed {
            Packed::Inline(_) => 0,
            Packed::Heap(bytes) => bytes.len().next_multiple_of(8),
        }
    }

    /// The key's hash, the same in every run: for maps of groups.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// Another hash, the same in every run, to choose a shard: independent of the bits
    /// a shard's maps use, so that one shard's keys still spread over its map.
    pub fn shard_hash(&self, seed: u64) -> u64 {
        let mut x = self.hash ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // splitmix64's finaliser.
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }
}

/// Appends `n` as a LEB128 varint.
pub(crate) fn put_len(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

impl PartialEq for GroupKey {
    fn eq(&self, other: &GroupKey) -> bool {
        self.hash == other.hash
            && match (&self.packed, &other.packed) {
                // Whole arrays (zero past the length, the length last): compared in
                // registers, where slices of a length known only at run time would call
                // `memcmp`.
                (Packed::Inline(a), Packed::Inline(b)) => a == b,
                _ => self.packed() == other.packed(),
            }
    }
}

impl Eq for GroupKey {}

impl Hash for GroupKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialOrd for GroupKey {
    fn partial_cmp(&self, other: &GroupKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// By values, as strings compare (what alerts of the same time are ordered by).
impl Ord for GroupKey {
    fn cmp(&self, other: &GroupKey) -> Ordering {
        self.values().cmp(other.values())
    }
}

impl std::fmt::Debug for GroupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.values().map(String::from_utf8_lossy))
            .finish()
    }
}

/// FNV-1a: stable across runs and platforms.
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        // Mix the high bits down: maps use the low ones.
        let x = self.0;
        (x ^ (x >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (x >> 32)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_lowercased() {
        let key =
            GroupKey::try_from_values([Some(&b"WEB01"[..]), Some(b"Admin")].into_iter()).unwrap();
        assert_eq!(key.values().collect::<Vec<_>>(), [&b"web01"[..], b"admin"]);
        assert_eq!(
            key.select(&[1]).unwrap().values().next(),
            Some(&b"admin"[..])
        );
        assert!(GroupKey::try_from_values([Some(&b"x"[..]), None].into_iter()).is_none());
        assert!(GroupKey::try_from_values([Some(&b""[..])].into_iter()).is_none());
        assert_eq!(GroupKey::empty().values().count(), 0);
        let long = vec![b'A'; 300];
        let key = GroupKey::try_from_values([Some(&long[..]), Some(b"b")].into_iter()).unwrap();
        assert_eq!(
            key.values().collect::<Vec<_>>(),
            [&vec![b'a'; 300][..], b"b"]
        );
        assert!(key.heap_bytes() > 300);
        let again = GroupKey::try_from_values([Some(&long[..]), Some(b"B")].into_iter());
        assert_eq!(again.as_ref(), Some(&key));
        assert_eq!(again.map(|k| k.hash()), Some(key.hash()));
        let short = GroupKey::try_from_values([Some(&b"web0000001.corp.local"[..])].into_iter());
        assert_eq!(short.map(|k| k.heap_bytes()), Some(0));
    }

    #[test]
    fn numbers() {
        let key = |v: &[u8]| GroupKey::try_from_values([Some(v)].into_iter()).unwrap();
        assert_eq!(key(b" 42 ").number(), Some(42.0));
        assert_eq!(key(b"1.5").number(), Some(1.5));
        assert_eq!(key(b"cmd.exe").number(), None);
        assert_eq!(key(b"inf").number(), None);
    }
}
