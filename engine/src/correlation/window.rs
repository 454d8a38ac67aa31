//! One correlation's window over one group — the events of the last `timespan`, in
//! evaluation order — and, in the same ring behind a cursor, the group's events still
//! waiting to become final; the test of the correlation's condition at each event that
//! becomes final: count, distinct values, sum, average, percentile, or the rules seen (in
//! order, for `temporal_ordered`). A match consumes the window's events (but for
//! `temporal_ordered`, whose every last event stands for itself).

use hashbrown::HashMap;
use std::cmp::Ordering;
use std::collections::VecDeque;

use super::held::HeldEvent;
use super::prefetch::prefetch_address;
use super::{Contribution, GroupKey};
use crate::ruleset::{CorrelationKind, CorrelationRule};
use crate::stats::CorrelationStats;

/// An event of a group: waiting to become final, or in a window.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub time: i64,
    pub step: u32,
    /// The condition's field values (value_* types).
    pub value: Option<Box<GroupKey>>,
    pub contribution: Contribution,
}

/// Bytes an [`Entry`] takes in a buffer (besides what it holds, [`Entry::heap_bytes`]).
pub(crate) const ENTRY_BYTES: usize = std::mem::size_of::<Entry>();

/// Prefetches both cache lines an entry at `entry` may span.
fn prefetch_entry(entry: *const Entry) {
    let start: *const u8 = entry.cast();
    prefetch_address(start);
    prefetch_address(start.wrapping_add(ENTRY_BYTES - 1));
}

impl Entry {
    /// Heap bytes the entry holds: its events (counted in full by every entry holding
    /// them: an upper bound when an event feeds several correlations) and value.
    pub fn heap_bytes(&self) -> usize {
        self.contribution.heap_bytes()
            + self
                .value
                .as_ref()
                .map_or(0, |v| std::mem::size_of::<GroupKey>() + v.heap_bytes())
    }

    /// The order in which a group's events are evaluated: event time, then source line,
    /// then source file, then step. It does not depend on arrival order.
    pub fn order(&self, other: &Entry) -> Ordering {
        self.place(other).then(self.step.cmp(&other.step))
    }

    /// The order of the events themselves (without the step they feed).
    fn place(&self, other: &Entry) -> Ordering {
        self.time.cmp(&other.time).then_with(|| {
            let (a, b) = (self.contribution.last(), other.contribution.last());
            a.line().cmp(&b.line()).then_with(|| a.file().cmp(b.file()))
        })
    }
}

/// A window and the events waiting behind it, in one ring: an event becoming final is the
/// cursor moving over it (no move, no second buffer).
#[derive(Debug)]
pub(crate) struct Window {
    /// The window's events (`..cursor`), then the waiting ones, each part in evaluation
    /// order. Waiting events come after the window's but when the per-group cap had an
    /// event evaluated early.
    entries: VecDeque<Entry>,
    cursor: usize,
    /// value_count: how many of the window's events hold each distinct value.
    distinct: Option<Box<HashMap<GroupKey, u32>>>,
    /// Heap bytes held by the entries, window and waiting ([`Entry::heap_bytes`]).
    entry_bytes: usize,
    /// Alerts of this group before this time are suppressed.
    pub suppressed_until: i64,
}

impl Window {
    pub fn new(kind: CorrelationKind) -> Window {
        Window {
            entries: VecDeque::new(),
            cursor: 0,
            distinct: (kind == CorrelationKind::ValueCount).then(Box::default),
            entry_bytes: 0,
            suppressed_until: i64::MIN,
        }
    }

    /// Events in the window.
    pub fn len(&self) -> usize {
        self.cursor
    }

    /// Events waiting to become final.
    pub fn waiting(&self) -> usize {
        self.entries.len() - self.cursor
    }

    /// Events held, in the window or waiting.
    pub fn held(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.suppressed_until == i64::MIN
    }

    /// Bytes held: the entries, what they hold, and the distinct-value counts.
    pub fn held_bytes(&self) -> usize {
        self.entries.capacity() * ENTRY_BYTES
            + self.entry_bytes
            + self.distinct.as_ref().map_or(0, |d| {
                std::mem::size_of::<HashMap<GroupKey, u32>>()
                    + d.capacity() * (std::mem::size_of::<(GroupKey, u32)>() + 1)
            })
    }

    /// Prefetches what evaluating the next event reads first: the front two (pruned, or
    /// compared with the horizon), the window's last and the next (admitted), the one
    /// after (whose time says whether it is final too), the back and the room after it
    /// (where the event goes). An entry is not a divisor of a cache line: both its ends
    /// are asked for, or a quarter of them would miss on their time.
    pub fn prefetch(&self) {
        let (n, c) = (self.entries.len(), self.cursor);
        for i in [0, 1, c.wrapping_sub(1), c, c + 1, n.wrapping_sub(1)] {
            self.entries.get(i).inspect(|e| prefetch_entry(*e));
        }
        // The room after the back: a guess (wrong, and harmless, when the ring wraps).
        if let Some(back) = self.entries.back() {
            prefetch_entry(std::ptr::from_ref(back).wrapping_add(1));
        }
    }

    /// The time of the next event to become final.
    pub fn next_time(&self) -> Option<i64> {
        self.entries.get(self.cursor).map(|e| e.time)
    }

    /// Queues an on-time event (one that is not before `watermark` by the lateness bound),
    /// in evaluation order among the waiting ones (after equal ones: the same line of the
    /// same input fed twice keeps its arrival order).
    pub fn wait(&mut self, entry: Entry, watermark: i64) {
        self.entry_bytes += entry.heap_bytes();
        // Most groups hold one or two events: room for one first, not the usual four.
        if self.entries.capacity() == 0 {
            self.entries.reserve_exact(1);
        }
        // Later than every waiting event: the back, without reading it.
        if entry.time > watermark
            || self.waiting() == 0
            || self
                .entries
                .back()
                .is_none_or(|last| last.order(&entry) != Ordering::Greater)
        {
            self.entries.push_back(entry);
            return;
        }
        let at = self.partition(self.cursor, self.entries.len(), |e| {
            e.order(&entry) != Ordering::Greater
        });
        self.entries.insert(at, entry);
    }

    /// The first index in `from..to` whose entry is not `before` (which holds for a
    /// prefix of that range).
    fn partition(&self, mut from: usize, mut to: usize, before: impl Fn(&Entry) -> bool) -> usize {
        while from < to {
            let mid = from + (to - from) / 2;
            if before(&self.entries[mid]) {
                from = mid + 1;
            } else {
                to = mid;
            }
        }
        from
    }

    /// Drops the window's events older than `horizon` (they can no longer be in a match).
    pub fn prune(&mut self, horizon: i64) {
        while self.cursor > 0 && self.entries.front().is_some_and(|e| e.time < horizon) {
            self.pop_front();
        }
    }

    /// Frees spare room (quiet groups keep only what they hold).
    pub fn shrink(&mut self) {
        if self.entries.capacity() > 2 * self.entries.len().max(2) {
            self.entries.shrink_to_fit();
        }
    }

    /// Evicts the window's oldest event (the per-group cap).
    pub fn pop_front(&mut self) {
        if self.cursor == 0 {
            return;
        }
        if let Some(e) = self.entries.pop_front() {
            self.cursor -= 1;
            self.entry_bytes -= e.heap_bytes();
            self.forget(&e);
        }
    }

    /// Forgets suppression that has run out by `time`.
    pub fn expire_suppression(&mut self, time: i64) {
        if self.suppressed_until <= time {
            self.suppressed_until = i64::MIN;
        }
    }

    /// A window event's value no longer counts.
    fn forget(&mut self, e: &Entry) {
        if let (Some(distinct), Some(v)) = (&mut self.distinct, &e.value)
            && let Some(n) = distinct.get_mut(&**v)
        {
            *n -= 1;
            if *n == 0 {
                distinct.remove(&**v);
            }
        }
    }

    /// The next event joins the window: the cursor moves over it (or, in the rare case
    /// that it is before the window's last event, it moves into its place first).
    fn admit(&mut self) {
        let entry = &self.entries[self.cursor];
        if let (Some(distinct), Some(v)) = (&mut self.distinct, &entry.value) {
            *distinct.entry((**v).clone()).or_insert(0) += 1;
        }
        let in_order =
            self.cursor == 0 || self.entries[self.cursor - 1].order(entry) != Ordering::Greater;
        if !in_order {
            let entry = self.entries.remove(self.cursor).expect("the next event");
            let at = self.partition(0, self.cursor, |e| e.order(&entry) != Ordering::Greater);
            self.entries.insert(at, entry);
        }
        self.cursor += 1;
    }

    /// Takes the next event out (it does not join the window).
    fn take_next(&mut self) -> Entry {
        let entry = self.entries.remove(self.cursor).expect("the next event");
        self.entry_bytes -= entry.heap_bytes();
        entry
    }

    /// Evaluates `entry` now, against the window as it is (a late event, or an alert fed
    /// to a correlation of a chain, whose window has no waiting events).
    pub fn evaluate_now(
        &mut self,
        rule: &CorrelationRule,
        entry: Entry,
        stats: &mut CorrelationStats,
    ) -> Option<Vec<HeldEvent>> {
        self.entry_bytes += entry.heap_bytes();
        if self.entries.capacity() == 0 {
            self.entries.reserve_exact(1);
        }
        self.entries.insert(self.cursor, entry);
        self.evaluate_next(rule, stats)
    }

    /// Evaluates the next waiting event, the group's next in evaluation order (which
    /// there must be). Returns the contributing events, oldest first, when the
    /// correlation matches; the window's events are then consumed.
    pub fn evaluate_next(
        &mut self,
        rule: &CorrelationRule,
        stats: &mut CorrelationStats,
    ) -> Option<Vec<HeldEvent>> {
        let next = &self.entries[self.cursor];
        let horizon = next.time.saturating_sub(rule.timespan);
        self.prune(horizon);
        let aggregate = match rule.kind {
            CorrelationKind::TemporalOrdered => return self.sequence(rule, horizon),
            CorrelationKind::EventCount => {
                self.admit();
                self.cursor as f64
            }
            CorrelationKind::Temporal => {
                self.admit();
                let mut seen = vec![false; rule.steps.len()];
                for e in self.entries.range(..self.cursor) {
                    seen[e.step as usize] = true;
                }
                seen.iter().filter(|s| **s).count() as f64
            }
            CorrelationKind::ValueCount => {
                if self.entries[self.cursor].value.is_none() {
                    stats.valueless_events += 1;
                    self.take_next();
                    return None;
                }
                self.admit();
                self.distinct.as_ref().map_or(0, |d| d.len()) as f64
            }
            CorrelationKind::ValueSum
            | CorrelationKind::ValueAvg
            | CorrelationKind::ValuePercentile(_) => {
                let next = &self.entries[self.cursor];
                if next.value.as_ref().and_then(|v| v.number()).is_none() {
                    stats.valueless_events += 1;
                    self.take_next();
                    return None;
                }
                self.admit();
                let numbers = self
                    .entries
                    .range(..self.cursor)
                    .filter_map(|e| e.value.as_ref()?.number());
                match rule.kind {
                    CorrelationKind::ValueSum => numbers.sum(),
                    CorrelationKind::ValueAvg => numbers.sum::<f64>() / self.cursor as f64,
                    CorrelationKind::ValuePercentile(p) => {
                        let mut all: Vec<f64> = numbers.collect();
                        all.sort_by(f64::total_cmp);
                        let rank = (usize::from(p) * all.len()).div_ceil(100).max(1);
                        all[rank - 1]
                    }
                    _ => unreachable!("matched above"),
                }
            }
        };
        if !rule.condition.holds(aggregate) {
            return None;
        }
        let mut events = Vec::new();
        if rule.kind == CorrelationKind::Temporal {
            // The latest event of each rule.
            let mut taken = vec![false; rule.steps.len()];
            let mut chosen: Vec<&Entry> = Vec::new();
            for e in self.entries.range(..self.cursor).rev() {
                if !std::mem::replace(&mut taken[e.step as usize], true) {
                    chosen.push(e);
                }
            }
            for e in chosen.into_iter().rev() {
                e.contribution.extend_into(&mut events);
            }
            self.consume().for_each(drop);
        } else {
            // Consumed: the events move into the match.
            for e in self.consume() {
                e.contribution.move_into(&mut events);
            }
        }
        Some(events)
    }

    /// Empties the window (its events are the caller's).
    fn consume(&mut self) -> impl Iterator<Item = Entry> + '_ {
        if let Some(d) = &mut self.distinct {
            d.clear();
        }
        let n = std::mem::take(&mut self.cursor);
        for e in self.entries.range(..n) {
            self.entry_bytes -= e.heap_bytes();
        }
        self.entries.drain(..n)
    }

    /// `temporal_ordered`: an event of the last rule completes a sequence when, going
    /// back from it, each earlier rule has an event strictly before the next one's and
    /// within the timespan; each rule takes its latest such event. Events of the other
    /// rules wait in the window and may serve several sequences (one web-shell drop, then
    /// three shells: three alerts), so the window is not consumed.
    fn sequence(&mut self, rule: &CorrelationRule, horizon: i64) -> Option<Vec<HeldEvent>> {
        let last = rule.steps.len() as u32 - 1;
        let next = &self.entries[self.cursor];
        if next.step != last {
            self.admit();
            return None;
        }
        // Usually every window event is before it: one comparison, no binary search.
        let newest = self.cursor.checked_sub(1).map(|i| &self.entries[i]);
        let before = if newest.is_none_or(|e| e.place(next) == Ordering::Less) {
            self.cursor
        } else {
            self.partition(0, self.cursor, |e| e.place(next) == Ordering::Less)
        };
        if !self.chain(before, horizon, last, |_| ()) {
            self.take_next();
            return None;
        }
        // Gathered newest first, each contribution's events reversed, then turned around.
        let mut events = Vec::with_capacity(rule.steps.len());
        self.chain(before, horizon, last, |e| {
            let from = events.len();
            e.contribution.extend_into(&mut events);
            events[from..].reverse();
        });
        events.reverse();
        // Not consumed: each event of the last rule is a sequence of its own.
        self.take_next().contribution.move_into(&mut events);
        Some(events)
    }

    /// Walks back from the window's events before `before`, passing `found` the latest
    /// event of each earlier rule (newest first) that precedes the one found after it
    /// within `horizon`; returns whether every rule before `last` has one.
    fn chain(&self, before: usize, horizon: i64, last: u32, mut found: impl FnMut(&Entry)) -> bool {
        let mut want = last;
        let mut after: Option<&Entry> = None;
        for e in self.entries.range(..before).rev() {
            if want == 0 || e.time < horizon {
                break;
            }
            if e.step + 1 == want && after.is_none_or(|a| e.place(a) == Ordering::Less) {
                found(e);
                after = Some(e);
                want -= 1;
            }
        }
        want == 0
    }
}
