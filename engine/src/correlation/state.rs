//! The correlation state one thread owns: a map of streams ([`Stream`]: per group, the
//! correlation's window and the events not yet final behind it, or a whole chain). A group's events become final — and are evaluated,
//! in evaluation order — once the group's watermark (its latest event time) has passed
//! them by the lateness bound; until then an earlier event may still arrive. The answer
//! thus does not depend on arrival order for events less than the bound late.
//!
//! Watermarks are per group, not global, so that replaying many hosts' files in any
//! order does not make one host's events look late because of another host's clock. A
//! chain of correlations (one feeding another) keeps one watermark and buffer for the
//! whole chain, so that an alert reaches the correlations it feeds in order.
//!
//! Memory is bounded per group (`max_events_per_group`) and in total (`max_state`):
//! past the total, the least recently fed groups are completed early and evicted.

use std::collections::VecDeque;

use hashbrown::{HashTable, hash_table};
use tripline_ingest::Timestamp;

use super::matched::{Match, sort_for_output};
use super::prefetch::prefetch_address;
use super::stream::{Context, Stream};
use super::window::Entry;
use super::{CorrelationLimits, GroupKey, Observation, StateBudget};
use crate::ruleset::RuleSet;
use crate::stats::CorrelationStats;

/// Bytes a tracked group costs besides its events: its map slot (the table keeps at
/// least 1/8 of its slots free) and, for keys over 23 bytes, the key.
pub(crate) const GROUP_BYTES: usize = (std::mem::size_of::<Stream>() + 1) * 8 / 7;

/// The hash of a stream in the map: its key's, computed once when the key was made.
fn stream_hash(id: u32, key: &GroupKey) -> u64 {
    key.hash() ^ u64::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// The state of every correlation of a rule set, owned by one thread.
#[derive(Debug)]
pub(crate) struct CorrelationState {
    limits: CorrelationLimits,
    streams: HashTable<Stream>,
    touches: u64,
    until_sweep: u32,
    /// Heap bytes held by the streams ([`Stream::held_bytes`]).
    held_bytes: usize,
    /// Heap bytes of the group keys.
    key_bytes: usize,
}

/// Observations whose groups [`CorrelationState::observe_batch`] looks up ahead.
const LOOKAHEAD: usize = 16;

/// Groups a sweep prefetches ahead of the one it sweeps.
const SWEEP_AHEAD: usize = 16;

/// Observations between two sweeps that free what can no longer complete (at least; more
/// when there are more groups).
const SWEEP_EVERY: u32 = 4096;

impl CorrelationState {
    pub fn new(limits: CorrelationLimits) -> CorrelationState {
        CorrelationState {
            limits,
            streams: HashTable::new(),
            touches: 0,
            until_sweep: SWEEP_EVERY,
            held_bytes: 0,
            key_bytes: 0,
        }
    }

    /// Bytes held: the map of groups (every slot, used or not), long keys, buffers,
    /// windows and the events they hold (see the README for the sizes).
    pub fn estimated_bytes(&self) -> usize {
        self.streams.capacity() * GROUP_BYTES + self.key_bytes + self.held_bytes
    }

    /// Records a batch of observations in order, as [`observe`](Self::observe) would
    /// one at a time, and emits the matches that become final with the item of the
    /// observation that completed them. A large state lives out of cache: so that its
    /// misses overlap instead of adding up, the memory of observations to come is asked
    /// for in three steps: while observing one, the map's control bytes for the group
    /// [`LOOKAHEAD`] × 3 observations on, the slot of the one [`LOOKAHEAD`] × 2 on
    /// (found by its tag alone, no load of a slot), the ring of the one [`LOOKAHEAD`] on
    /// (through its slot, in cache by then). One observation's prefetches at a time,
    /// not a chunk's in a burst (which measured slower: ~0.9×).
    pub fn observe_batch<T>(
        &mut self,
        rules: &RuleSet,
        batch: &mut Vec<(T, Observation)>,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(&T, Match),
    ) {
        let control = self.control_bytes();
        let prefetch_control = |o: &Observation| {
            if let (Some((start, mask)), Some((hash, _, _))) = (control, Self::stream_of(rules, o))
            {
                // The group of control bytes a probe reads first (16, on up to two lines).
                let at = start.wrapping_add(hash as usize & mask);
                prefetch_address(at);
                prefetch_address(at.wrapping_add(15));
            }
        };
        let mut items = batch.drain(..);
        let first = items.as_slice();
        first
            .iter()
            .take(3 * LOOKAHEAD)
            .for_each(|(_, o)| prefetch_control(o));
        for (_, o) in first.iter().take(2 * LOOKAHEAD) {
            self.prefetch_slot(rules, o);
        }
        for (_, o) in first.iter().take(LOOKAHEAD) {
            self.prefetch_ring(rules, o);
        }
        while let Some((item, observation)) = items.next() {
            // `rest[k]` comes k + 1 observations after this one.
            let rest = items.as_slice();
            if let Some((_, o)) = rest.get(3 * LOOKAHEAD - 1) {
                prefetch_control(o);
            }
            if let Some((_, o)) = rest.get(2 * LOOKAHEAD - 1) {
                self.prefetch_slot(rules, o);
            }
            if let Some((_, o)) = rest.get(LOOKAHEAD - 1) {
                self.prefetch_ring(rules, o);
            }
            self.observe(rules, observation, stats, &mut |m| emit(&item, m));
        }
    }

    /// Where the map's control bytes start, and the mask of its bucket indexes, found
    /// through any group: hashbrown keeps its slots just below its control bytes, slot
    /// `i` ending `i` slots below them. That is its layout, not its API: were it to
    /// change, the prefetches made from this would ask for useless lines, no more.
    fn control_bytes(&self) -> Option<(*const u8, usize)> {
        let index = self.streams.iter_buckets().next()?;
        let slot = self.streams.get_bucket(index)?;
        let start = std::ptr::from_ref(slot)
            .cast::<u8>()
            .wrapping_add((index + 1) * std::mem::size_of::<Stream>());
        Some((start, self.streams.num_buckets() - 1))
    }

    /// The hash and id of the stream of `o`, if it has one of its own.
    fn stream_of<'o>(rules: &RuleSet, o: &'o Observation) -> Option<(u64, u32, &'o GroupKey)> {
        let (Some(group), Some(_)) = (&o.group, o.time) else {
            return None;
        };
        let id = o.feed.correlation;
        if rules.correlations[id as usize].chain.is_some() {
            return None;
        }
        Some((stream_hash(id, group), id, group))
    }

    /// Prefetches the slot of the group of `o`: the first whose tag matches (a hint,
    /// which may be another group's slot), without reading a slot.
    fn prefetch_slot(&self, rules: &RuleSet, o: &Observation) {
        if let Some((hash, _, _)) = Self::stream_of(rules, o)
            && let Some(s) = self.streams.find(hash, |_| true)
        {
            s.prefetch_slot();
        }
    }

    /// Finds the group of `o` and prefetches the parts of its ring that observing `o`
    /// reads first.
    fn prefetch_ring(&self, rules: &RuleSet, o: &Observation) {
        if let Some((hash, id, group)) = Self::stream_of(rules, o)
            && let Some(s) = self.streams.find(hash, |s| s.id == id && s.key == *group)
        {
            s.prefetch();
        }
    }

    /// Records an observation, and emits the matches that are now final.
    pub fn observe(
        &mut self,
        rules: &RuleSet,
        observation: Observation,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(Match),
    ) {
        // The key is looked up where it lies and moved only into a new stream: copies of
        // a key, taken apart field by field, stalled on store forwarding.
        let mut observation = observation;
        let feed = observation.feed;
        let Some(time) = observation.time else {
            stats.untimed_events += 1;
            return;
        };
        let Some(group) = &observation.group else {
            stats.ungrouped_events += 1;
            return;
        };
        let correlation = &rules.correlations[feed.correlation as usize];
        let empty;
        let (id, key) = match correlation.chain {
            None => (feed.correlation, group),
            Some(chain) => {
                empty = GroupKey::empty();
                (rules.correlations.len() as u32 + chain, &empty)
            }
        };
        self.touches += 1;
        let stream = match self.streams.entry(
            stream_hash(id, key),
            |s| s.id == id && s.key == *key,
            |s| stream_hash(s.id, &s.key),
        ) {
            hash_table::Entry::Occupied(slot) => slot.into_mut(),
            hash_table::Entry::Vacant(slot) => {
                let key = match correlation.chain {
                    None => observation.group.take().expect("checked"),
                    Some(_) => GroupKey::empty(),
                };
                self.key_bytes += key.heap_bytes();
                slot.insert(Stream::new(id, key, correlation)).into_mut()
            }
        };
        // For a chain, the correlation and group the event is for.
        let target = correlation.chain.map(|_| {
            let group = observation.group.take().expect("checked");
            Box::new((feed.correlation, group))
        });
        stream.touched = self.touches;
        let held = stream.held_bytes();
        let entry = Entry {
            time,
            step: feed.step,
            value: observation.value,
            contribution: observation.contribution,
        };
        let mut cx = Context {
            rules,
            limits: &self.limits,
            stats,
            emit,
        };
        stream.observe(&mut cx, entry, target);
        self.held_bytes = self.held_bytes + stream.held_bytes() - held;
        self.until_sweep -= 1;
        if self.until_sweep == 0 {
            self.sweep(rules);
            // A sweep visits every group: a few times as many observations between sweeps
            // as there are groups keep its cost per observation small and constant.
            let groups = self.streams.len().saturating_mul(4);
            self.until_sweep = SWEEP_EVERY.max(groups.try_into().unwrap_or(u32::MAX));
        }
        let mut bytes = self.estimated_bytes() as u64;
        if self.over_budget(bytes) {
            self.evict_oldest(rules, stats, emit);
            bytes = self.estimated_bytes() as u64;
        }
        stats.peak_groups = stats.peak_groups.max(self.streams.len() as u64);
        stats.peak_state_bytes = stats.peak_state_bytes.max(bytes);
    }

    /// Whether the state, of `bytes` ([`estimated_bytes`](Self::estimated_bytes)), is
    /// over its budget.
    fn over_budget(&self, bytes: u64) -> bool {
        match self.limits.max_state {
            StateBudget::Unbounded => false,
            StateBudget::Keys(n) => self.streams.len() as u64 > n,
            StateBudget::Bytes(n) => bytes > n,
        }
    }

    /// Completes and drops the least recently fed eighth of the groups.
    fn evict_oldest(
        &mut self,
        rules: &RuleSet,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(Match),
    ) {
        let mut ages: Vec<(u64, u32, GroupKey)> = self
            .streams
            .iter()
            .map(|s| (s.touched, s.id, s.key.clone()))
            .collect();
        let n = (ages.len() / 8).max(1);
        if n < ages.len() {
            ages.select_nth_unstable(n);
        }
        ages.truncate(n);
        ages.sort_unstable();
        let mut completed = Vec::new();
        for (_, id, key) in ages {
            let Ok(slot) = self
                .streams
                .find_entry(stream_hash(id, &key), |s| s.id == id && s.key == key)
            else {
                continue;
            };
            let (mut stream, _) = slot.remove();
            let mut cx = Context {
                rules,
                limits: &self.limits,
                stats,
                emit: &mut |m| completed.push(m),
            };
            self.held_bytes -= stream.held_bytes();
            stream.complete(&mut cx, i64::MIN);
            stats.evicted_groups += 1;
            stats.evicted_events += stream.held_events() as u64;
            self.key_bytes -= stream.key.heap_bytes();
        }
        // The table keeps its size (the groups come back); trimmed when mostly empty.
        if self.streams.capacity() > 4 * self.streams.len().max(1024) {
            self.streams.shrink_to_fit(|s| stream_hash(s.id, &s.key));
        }
        sort_for_output(&mut completed);
        completed.into_iter().for_each(emit);
    }

    /// Frees what can no longer be part of a match, and groups left with nothing. The
    /// groups' rings are out of cache: each is prefetched [`SWEEP_AHEAD`] groups before
    /// it is swept, so that their misses overlap; then the empty ones are dropped (a
    /// pass over the slots alone).
    fn sweep(&mut self, rules: &RuleSet) {
        let lateness = self.limits.max_lateness;
        let mut ahead: VecDeque<&mut Stream> = VecDeque::with_capacity(SWEEP_AHEAD);
        for stream in self.streams.iter_mut() {
            stream.prefetch();
            if ahead.len() == SWEEP_AHEAD {
                ahead.pop_front().expect("full").sweep(rules, lateness);
            }
            ahead.push_back(stream);
        }
        ahead.into_iter().for_each(|s| s.sweep(rules, lateness));
        let mut held_bytes = 0;
        let mut key_bytes = 0;
        self.streams.retain(|stream| {
            let keep = !stream.is_empty();
            if keep {
                held_bytes += stream.held_bytes();
                key_bytes += stream.key.heap_bytes();
            }
            keep
        });
        self.held_bytes = held_bytes;
        self.key_bytes = key_bytes;
    }

    /// Moves every group's watermark to at least `time` and emits what is final.
    pub fn advance_all(
        &mut self,
        time: Timestamp,
        rules: &RuleSet,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(Match),
    ) {
        let time = time.as_unix_nanos();
        let lateness = self.limits.max_lateness;
        let streams = &mut self.streams;
        complete_in_order(rules, &self.limits, stats, emit, |cx| {
            for stream in streams.iter_mut() {
                stream.watermark = stream.watermark.max(time);
                stream.complete(cx, lateness);
            }
        });
        self.sweep(rules);
    }

    /// Ends the input: every waiting event is evaluated now, the state is freed as it
    /// goes, and the matches are emitted in event-time order.
    pub fn finish(
        &mut self,
        rules: &RuleSet,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(Match),
    ) {
        let streams = &mut self.streams;
        complete_in_order(rules, &self.limits, stats, emit, |cx| {
            for mut stream in streams.drain() {
                stream.complete(cx, i64::MIN);
            }
        });
        self.streams = HashTable::new();
        self.held_bytes = 0;
        self.key_bytes = 0;
    }
}

/// Runs `visit` with a context that collects the matches it completes, then emits them
/// in output order.
fn complete_in_order(
    rules: &RuleSet,
    limits: &CorrelationLimits,
    stats: &mut CorrelationStats,
    emit: &mut impl FnMut(Match),
    visit: impl for<'c> FnOnce(&mut Context<'c, &'c mut dyn FnMut(Match)>),
) {
    let mut ready = Vec::new();
    let mut push = |m| ready.push(m);
    let mut collect: &mut dyn FnMut(Match) = &mut push;
    visit(&mut Context {
        rules,
        limits,
        stats,
        emit: &mut collect,
    });
    sort_for_output(&mut ready);
    ready.into_iter().for_each(emit);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes the README documents (memory cost per group and per held event): an
    /// entry in a group's ring (window or waiting), in a chain's reorder buffer, a slot.
    #[test]
    fn documented_sizes() {
        const { assert!(super::super::window::ENTRY_BYTES == 48) };
        const { assert!(super::super::stream::PENDING_BYTES == 56) };
        const { assert!(GROUP_BYTES == 147) };
    }
}
