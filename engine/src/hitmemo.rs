//! A per-thread memo of literal searches: which literals of a field's automaton a value
//! holds, and where (the flags of [`fieldindex`](crate::fieldindex)), keyed by the
//! value's exact bytes. A fleet repeats its values: the same `Image`, `Hashes`,
//! `ParentImage`, `Description` on every host, the same command lines hour after hour.
//! Hashing a value and comparing it with the one remembered costs a fraction of a byte's
//! worth of automaton steps, so a repeated value is searched once.
//!
//! The memo only saves work: a hit replays exactly the hits the search found, in the
//! same order, so the alerts cannot depend on it. It is direct-mapped (a value replaces
//! whatever held its slot) and bounded: [`SLOTS`] per field, values of at most
//! [`MAX_VALUE`] bytes with at most [`MAX_HITS`] hits; others are searched every time.
//! A slot answers for a value only once its search has recorded every hit.
//! A slot's buffers grow to the largest value they held and are then reused, so the
//! steady state allocates nothing.

use std::hash::BuildHasher;

use hashbrown::DefaultHashBuilder;

/// Slots per field (a power of two).
pub(crate) const SLOTS: usize = 1024;
/// Longer values are not remembered.
pub(crate) const MAX_VALUE: usize = 4096;
/// Values with more hits than this are not remembered.
pub(crate) const MAX_HITS: usize = 512;

/// A literal found in a value: its id in the field's automaton and its flags there.
pub(crate) type Hit = (u32, u8);

#[derive(Debug, Default)]
struct Slot {
    /// The value's hash; 0 for an empty slot (a value hashing to 0 is not remembered).
    hash: u64,
    value: Vec<u8>,
    hits: Vec<Hit>,
}

/// The memo of one thread, by field.
#[derive(Debug, Default)]
pub(crate) struct HitMemo {
    hasher: DefaultHashBuilder,
    /// By field id: its slots, allocated on the field's first search.
    fields: Vec<Vec<Slot>>,
}

/// Where a search's hits go: replayed from the memo, or recorded into it.
pub(crate) enum Lookup<'m> {
    /// The value was searched before: its hits, in the order found.
    Known(&'m [Hit]),
    /// Search the value, recording its hits (`None`: the value is not remembered).
    Unknown(Option<Recording<'m>>),
}

/// The hits of a value being searched, going into its slot. The slot holds the value
/// only once [`finish`](Recording::finish) is called: a search cut short leaves it empty.
pub(crate) struct Recording<'m> {
    slot: &'m mut Slot,
    hash: u64,
}

impl Recording<'_> {
    pub fn push(&mut self, hit: Hit) {
        self.slot.hits.push(hit);
    }

    /// Every hit was pushed: the slot now answers for the value (unless it had too many).
    pub fn finish(self) {
        if self.slot.hits.len() <= MAX_HITS {
            self.slot.hash = self.hash;
        }
    }
}

impl HitMemo {
    /// Forgets everything (the automata changed).
    pub fn clear(&mut self) {
        self.fields.clear();
    }

    /// Looks `value` of `field` up; an unknown value takes its slot, to record into.
    pub fn lookup(&mut self, field: usize, value: &[u8]) -> Lookup<'_> {
        if value.len() > MAX_VALUE {
            return Lookup::Unknown(None);
        }
        let hash = self.hasher.hash_one(value);
        if hash == 0 {
            return Lookup::Unknown(None);
        }
        if self.fields.len() <= field {
            self.fields.resize_with(field + 1, Vec::new);
        }
        let slots = &mut self.fields[field];
        if slots.is_empty() {
            slots.resize_with(SLOTS, Slot::default);
        }
        let slot = &mut slots[hash as usize & (SLOTS - 1)];
        if slot.hash == hash && slot.value == value {
            return Lookup::Known(&slot.hits);
        }
        slot.hash = 0;
        slot.value.clear();
        slot.value.extend_from_slice(value);
        slot.hits.clear();
        Lookup::Unknown(Some(Recording { slot, hash }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(memo: &mut HitMemo, field: usize, value: &[u8], hits: &[Hit]) {
        match memo.lookup(field, value) {
            Lookup::Unknown(Some(mut recording)) => {
                for hit in hits {
                    recording.push(*hit);
                }
                recording.finish();
            }
            Lookup::Unknown(None) => {}
            Lookup::Known(_) => panic!("{value:?} was not searched yet"),
        }
    }

    fn known(memo: &mut HitMemo, field: usize, value: &[u8]) -> Option<Vec<Hit>> {
        match memo.lookup(field, value) {
            Lookup::Known(hits) => Some(hits.to_vec()),
            Lookup::Unknown(_) => None,
        }
    }

    #[test]
    fn a_value_searched_once_is_known_by_its_exact_bytes_and_field() {
        let mut memo = HitMemo::default();
        record(&mut memo, 3, b"C:\\Windows\\cmd.exe", &[(7, 1), (2, 5)]);
        assert_eq!(
            known(&mut memo, 3, b"C:\\Windows\\cmd.exe"),
            Some(vec![(7, 1), (2, 5)])
        );
        // Another field's value with the same bytes was never searched.
        assert_eq!(known(&mut memo, 4, b"C:\\Windows\\cmd.exe"), None);
        // A value with no hits is remembered too.
        record(&mut memo, 3, b"benign", &[]);
        assert_eq!(known(&mut memo, 3, b"benign"), Some(vec![]));
        assert_eq!(known(&mut memo, 3, b"Benign"), None);
        // A recording not finished leaves nothing behind.
        let Lookup::Unknown(Some(mut recording)) = memo.lookup(3, b"cut short") else {
            panic!("not searched yet");
        };
        recording.push((1, 1));
        assert_eq!(known(&mut memo, 3, b"cut short"), None);
    }

    #[test]
    fn a_value_that_takes_a_slot_replaces_the_one_before() {
        let mut memo = HitMemo::default();
        // Values until two share a slot.
        let values: Vec<Vec<u8>> = (0..SLOTS * 4)
            .map(|i| format!("v{i}").into_bytes())
            .collect();
        for (i, v) in values.iter().enumerate() {
            record(&mut memo, 0, v, &[(i as u32, 1)]);
        }
        let last = values.last().unwrap();
        assert_eq!(
            known(&mut memo, 0, last),
            Some(vec![(values.len() as u32 - 1, 1)])
        );
        let remembered = values
            .iter()
            .filter(|v| known(&mut memo, 0, v).is_some())
            .count();
        assert!(
            remembered <= SLOTS,
            "{remembered} remembered in {SLOTS} slots"
        );
    }

    #[test]
    fn long_values_and_values_with_many_hits_are_not_remembered() {
        let mut memo = HitMemo::default();
        let long = vec![b'a'; MAX_VALUE + 1];
        record(&mut memo, 0, &long, &[(1, 1)]);
        assert_eq!(known(&mut memo, 0, &long), None);
        let many: Vec<Hit> = (0..=MAX_HITS as u32).map(|i| (i, 1)).collect();
        record(&mut memo, 0, b"many", &many);
        assert_eq!(known(&mut memo, 0, b"many"), None);
        memo.clear();
        assert_eq!(known(&mut memo, 0, b"many"), None);
    }
}
