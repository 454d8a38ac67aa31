//! Group keys: the group-by values of an event, lowercased (host and user names are
//! case-insensitive on Windows, and shippers disagree on their case), packed into one
//! allocation so that a tracked group costs one small buffer.

use std::hash::{Hash, Hasher};

/// Values packed as `len (u32 LE) bytes` each; also used for the condition's `field`
/// values of the value_* types.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct GroupKey(Box<[u8]>);

impl GroupKey {
    /// The key of these values; `None` when one is missing or empty.
    pub fn try_from_values<'v>(
        values: impl Iterator<Item = Option<&'v [u8]>> + Clone,
    ) -> Option<GroupKey> {
        let mut len = 0;
        for value in values.clone() {
            match value {
                Some(v) if !v.is_empty() => len += 4 + v.len(),
                _ => return None,
            }
        }
        let mut packed = Vec::with_capacity(len);
        for value in values.flatten() {
            packed.extend_from_slice(&(value.len() as u32).to_le_bytes());
            packed.extend(value.iter().map(u8::to_ascii_lowercase));
        }
        Some(GroupKey(packed.into_boxed_slice()))
    }

    /// The key of no values (the whole state of a chain of correlations).
    pub fn empty() -> GroupKey {
        GroupKey(Box::default())
    }

    pub fn values(&self) -> impl Iterator<Item = &[u8]> {
        let mut rest = &self.0[..];
        std::iter::from_fn(move || {
            let (len, tail) = rest.split_first_chunk::<4>()?;
            let len = u32::from_le_bytes(*len) as usize;
            let (value, tail) = tail.split_at(len.min(tail.len()));
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

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.0.len()
    }

    /// A hash that is the same in every run (shards are chosen by it).
    pub fn stable_hash(&self, seed: u64) -> u64 {
        let mut hasher = Fnv(0xcbf2_9ce4_8422_2325 ^ seed);
        self.0.hash(&mut hasher);
        hasher.finish()
    }
}

/// FNV-1a: stable across runs and platforms, good enough to spread keys over shards.
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        // Mix the high bits down: shards are chosen by the low ones.
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
