//! One correlation's window over one group: the events of the last `timespan`, fed in
//! evaluation order, and the test of the correlation's condition at each of them —
//! count, distinct values, sum, average, percentile, or the rules seen (in order, for
//! `temporal_ordered`). A match consumes the window's events (but for
//! `temporal_ordered`, whose every last event stands for itself).

use hashbrown::HashMap;
use std::cmp::Ordering;
use std::collections::VecDeque;

use super::held::HeldEvent;
use super::{Contribution, GroupKey};
use crate::ruleset::{CorrelationKind, CorrelationRule};
use crate::stats::CorrelationStats;

/// An event of a group: waiting in the reorder buffer, or in a window.
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

/// Inserts `entry` in evaluation order (after equal entries: the same line of the same
/// input fed twice keeps its arrival order).
pub(crate) fn insert_ordered(entries: &mut VecDeque<Entry>, entry: Entry) {
    // Most windows hold one or two events: room for one first, not the usual four.
    if entries.capacity() == 0 {
        entries.reserve_exact(1);
    }
    let at = if entries
        .back()
        .is_none_or(|last| last.order(&entry) != Ordering::Greater)
    {
        entries.len()
    } else {
        entries.partition_point(|e| e.order(&entry) != Ordering::Greater)
    };
    entries.insert(at, entry);
}

#[derive(Debug)]
pub(crate) struct Window {
    entries: VecDeque<Entry>,
    /// value_count: how many entries hold each distinct value.
    distinct: Option<Box<HashMap<GroupKey, u32>>>,
    /// Heap bytes held by the entries ([`Entry::heap_bytes`]).
    entry_bytes: usize,
    /// Alerts of this group before this time are suppressed.
    pub suppressed_until: i64,
}

impl Window {
    pub fn new(kind: CorrelationKind) -> Window {
        Window {
            entries: VecDeque::new(),
            distinct: (kind == CorrelationKind::ValueCount).then(Box::default),
            entry_bytes: 0,
            suppressed_until: i64::MIN,
        }
    }

    pub fn len(&self) -> usize {
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

    /// The times of the first and last events, combined (read ahead of use).
    pub fn ends(&self) -> i64 {
        self.entries.front().map_or(0, |e| e.time) ^ self.entries.back().map_or(0, |e| e.time)
    }

    /// Drops the events older than `horizon` (they can no longer be in a match); returns
    /// how many.
    pub fn prune(&mut self, horizon: i64) -> usize {
        let mut n = 0;
        while self.entries.front().is_some_and(|e| e.time < horizon) {
            self.pop_front();
            n += 1;
        }
        n
    }

    /// Frees spare room (quiet groups keep only what they hold).
    pub fn shrink(&mut self) {
        if self.entries.capacity() > 2 * self.entries.len().max(2) {
            self.entries.shrink_to_fit();
        }
    }

    /// Evicts the oldest event (the per-group cap).
    pub fn pop_front(&mut self) {
        if let Some(e) = self.entries.pop_front() {
            self.forget(&e);
        }
    }

    /// Forgets suppression that has run out by `time`.
    pub fn expire_suppression(&mut self, time: i64) {
        if self.suppressed_until <= time {
            self.suppressed_until = i64::MIN;
        }
    }

    fn forget(&mut self, e: &Entry) {
        self.entry_bytes -= e.heap_bytes();
        if let (Some(distinct), Some(v)) = (&mut self.distinct, &e.value)
            && let Some(n) = distinct.get_mut(&**v)
        {
            *n -= 1;
            if *n == 0 {
                distinct.remove(&**v);
            }
        }
    }

    fn push(&mut self, entry: Entry) {
        self.entry_bytes += entry.heap_bytes();
        if let (Some(distinct), Some(v)) = (&mut self.distinct, &entry.value) {
            *distinct.entry((**v).clone()).or_insert(0) += 1;
        }
        insert_ordered(&mut self.entries, entry);
    }

    /// Evaluates `entry`, the group's next event in evaluation order (or a late one,
    /// evaluated against the window as it is). Returns the contributing events, oldest
    /// first, when the correlation matches; the window's events are then consumed.
    pub fn evaluate(
        &mut self,
        rule: &CorrelationRule,
        entry: Entry,
        stats: &mut CorrelationStats,
    ) -> Option<Vec<HeldEvent>> {
        let horizon = entry.time.saturating_sub(rule.timespan);
        self.prune(horizon);
        let aggregate = match rule.kind {
            CorrelationKind::TemporalOrdered => return self.sequence(rule, entry, horizon),
            CorrelationKind::EventCount => {
                self.push(entry);
                self.entries.len() as f64
            }
            CorrelationKind::Temporal => {
                let step = entry.step;
                self.push(entry);
                let mut seen = vec![false; rule.steps.len()];
                for e in &self.entries {
                    seen[e.step as usize] = true;
                }
                debug_assert!(seen[step as usize]);
                seen.iter().filter(|s| **s).count() as f64
            }
            CorrelationKind::ValueCount => {
                if entry.value.is_none() {
                    stats.valueless_events += 1;
                    return None;
                }
                self.push(entry);
                self.distinct.as_ref().map_or(0, |d| d.len()) as f64
            }
            CorrelationKind::ValueSum
            | CorrelationKind::ValueAvg
            | CorrelationKind::ValuePercentile(_) => {
                if entry.value.as_ref().and_then(|v| v.number()).is_none() {
                    stats.valueless_events += 1;
                    return None;
                }
                self.push(entry);
                let numbers = self
                    .entries
                    .iter()
                    .filter_map(|e| e.value.as_ref()?.number());
                match rule.kind {
                    CorrelationKind::ValueSum => numbers.sum(),
                    CorrelationKind::ValueAvg => numbers.sum::<f64>() / self.entries.len() as f64,
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
            for e in self.entries.iter().rev() {
                if !std::mem::replace(&mut taken[e.step as usize], true) {
                    chosen.push(e);
                }
            }
            for e in chosen.into_iter().rev() {
                e.contribution.extend_into(&mut events);
            }
        } else {
            // Consumed: the events move into the match.
            for e in self.entries.drain(..) {
                e.contribution.move_into(&mut events);
            }
        }
        self.consume();
        Some(events)
    }

    fn consume(&mut self) {
        self.entries.clear();
        self.entry_bytes = 0;
        if let Some(d) = &mut self.distinct {
            d.clear();
        }
    }

    /// `temporal_ordered`: an event of the last rule completes a sequence when, going
    /// back from it, each earlier rule has an event strictly before the next one's and
    /// within the timespan; each rule takes its latest such event. Events of the other
    /// rules wait in the window and may serve several sequences (one web-shell drop, then
    /// three shells: three alerts), so the window is not consumed.
    fn sequence(
        &mut self,
        rule: &CorrelationRule,
        entry: Entry,
        horizon: i64,
    ) -> Option<Vec<HeldEvent>> {
        let last = rule.steps.len() as u32 - 1;
        if entry.step != last {
            self.push(entry);
            return None;
        }
        let before = self
            .entries
            .partition_point(|e| e.place(&entry) == Ordering::Less);
        let mut chain: Vec<&Entry> = Vec::with_capacity(last as usize);
        let mut want = last;
        for e in self.entries.range(..before).rev() {
            if e.time < horizon {
                break;
            }
            if e.step + 1 == want && chain.last().is_none_or(|c| e.place(c) == Ordering::Less) {
                chain.push(e);
                want -= 1;
                if want == 0 {
                    break;
                }
            }
        }
        if want != 0 {
            return None;
        }
        let mut events = Vec::with_capacity(rule.steps.len());
        for e in chain.iter().rev() {
            e.contribution.extend_into(&mut events);
        }
        entry.contribution.move_into(&mut events);
        // Not consumed: each event of the last rule is a sequence of its own.
        Some(events)
    }
}
