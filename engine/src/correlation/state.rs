//! The correlation state one thread owns: per group, a reorder buffer of events not yet
//! final and the correlation's window. A group's events become final — and are evaluated,
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
use std::sync::Arc;

use hashbrown::{HashMap, HashTable, hash_table};
use tripline_ingest::Timestamp;

use super::held::HeldEvent;
use super::matched::{Match, sort_for_output};
use super::window::{Entry, Window};
use super::{Contribution, CorrelationLimits, GroupKey, Observation, StateBudget};
use crate::ruleset::{RuleSet, StepSource};
use crate::stats::CorrelationStats;

/// An event waiting in a reorder buffer; in a chain's buffer, with the correlation and
/// group it is for.
#[derive(Debug)]
struct Pending {
    target: Option<Box<(u32, GroupKey)>>,
    entry: Entry,
}

impl Pending {
    fn heap_bytes(&self) -> usize {
        self.entry.heap_bytes()
            + self.target.as_ref().map_or(0, |t| {
                std::mem::size_of::<(u32, GroupKey)>() + t.1.heap_bytes()
            })
    }
}

#[derive(Debug)]
enum Windows {
    One(Window),
    Chain(HashMap<(u32, GroupKey), Window>),
}

/// A reorder buffer and its windows: a correlation's group, or a whole chain. Stored
/// in the map's slot with its key, so that finding a group reads one slot.
#[derive(Debug)]
struct Stream {
    /// The correlation's index; for a chain, the number of correlations + the chain's.
    id: u32,
    key: GroupKey,
    watermark: i64,
    /// When the stream was last fed (an observation count), for evicting the oldest.
    touched: u64,
    /// Sorted in evaluation order.
    pending: VecDeque<Pending>,
    /// Heap bytes held by the waiting events.
    pending_bytes: usize,
    windows: Windows,
}

/// Bytes a tracked group costs besides its events: its map slot (the table keeps at
/// least 1/8 of its slots free) and, for keys over 30 bytes, the key.
pub(crate) const GROUP_BYTES: usize = (std::mem::size_of::<Stream>() + 1) * 8 / 7;

/// Bytes a waiting event takes in a reorder buffer (besides what it holds).
const PENDING_BYTES: usize = std::mem::size_of::<Pending>();

/// The hash of a stream in the map: its key's, computed once when the key was made.
fn stream_hash(id: u32, key: &GroupKey) -> u64 {
    key.hash() ^ u64::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl Stream {
    /// Heap bytes held by the buffers and windows, and the events in them.
    fn held_bytes(&self) -> usize {
        self.pending.capacity() * PENDING_BYTES
            + self.pending_bytes
            + match &self.windows {
                Windows::One(w) => w.held_bytes(),
                Windows::Chain(map) => {
                    map.capacity() * (std::mem::size_of::<((u32, GroupKey), Window)>() + 1)
                        + map
                            .iter()
                            .map(|((_, k), w)| k.heap_bytes() + w.held_bytes())
                            .sum::<usize>()
                }
            }
    }

    fn is_empty(&self) -> bool {
        self.pending.is_empty()
            && match &self.windows {
                Windows::One(w) => w.is_empty(),
                Windows::Chain(map) => map.is_empty(),
            }
    }

    /// Inserts an on-time event (not before the watermark by the lateness bound).
    fn insert_pending(&mut self, p: Pending) {
        self.pending_bytes += p.heap_bytes();
        // Most groups hold one or two events: room for one first, not the usual four.
        if self.pending.capacity() == 0 {
            self.pending.reserve_exact(1);
        }
        // Later than every waiting event: the back, without reading it.
        if p.entry.time > self.watermark {
            self.pending.push_back(p);
            return;
        }
        let after = |q: &Pending| q.entry.order(&p.entry) != std::cmp::Ordering::Greater;
        let at = if self.pending.back().is_none_or(after) {
            self.pending.len()
        } else {
            self.pending.partition_point(after)
        };
        self.pending.insert(at, p);
    }

    fn pop_pending(&mut self) -> Option<Pending> {
        let p = self.pending.pop_front()?;
        self.pending_bytes -= p.heap_bytes();
        Some(p)
    }
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

/// Observations between two sweeps that free what can no longer complete (at least; more
/// when there are more groups).
const SWEEP_EVERY: u32 = 4096;

/// What evaluating an event needs besides the stream.
struct Context<'a, E> {
    rules: &'a RuleSet,
    limits: &'a CorrelationLimits,
    stats: &'a mut CorrelationStats,
    emit: &'a mut E,
}

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
    /// observation that completed them. The groups of the next few observations are
    /// looked up ahead, so that their memory is on its way while one is evaluated: a large
    /// state lives out of cache, and its misses then overlap instead of adding up.
    pub fn observe_batch<T>(
        &mut self,
        rules: &RuleSet,
        batch: &mut Vec<(T, Observation)>,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(&T, Match),
    ) {
        let mut items = batch.drain(..);
        loop {
            let ahead = &items.as_slice()[..items.len().min(LOOKAHEAD)];
            if ahead.is_empty() {
                break;
            }
            let mut sum = 0;
            for (_, o) in ahead {
                sum ^= self.touch(rules, o);
            }
            std::hint::black_box(sum);
            for _ in 0..ahead.len() {
                let (item, observation) = items.next().expect("looked ahead");
                self.observe(rules, observation, stats, &mut |m| emit(&item, m));
            }
        }
    }

    /// Reads what observing `o` will read first (its group's slot, the ends of its
    /// buffers): a load now, whose result is not needed yet, is a prefetch.
    fn touch(&self, rules: &RuleSet, o: &Observation) -> i64 {
        let (Some(group), Some(_)) = (&o.group, o.time) else {
            return 0;
        };
        if rules.correlations[o.feed.correlation as usize]
            .chain
            .is_some()
        {
            return 0;
        }
        let id = o.feed.correlation;
        let Some(s) = self
            .streams
            .find(stream_hash(id, group), |s| s.id == id && s.key == *group)
        else {
            return 0;
        };
        let ends = |first: Option<i64>, last: Option<i64>| first.unwrap_or(0) ^ last.unwrap_or(0);
        let mut sum = ends(
            s.pending.front().map(|p| p.entry.time),
            s.pending.back().map(|p| p.entry.time),
        );
        if let Windows::One(w) = &s.windows {
            sum ^= w.ends();
        }
        sum
    }

    /// Records an observation, and emits the matches that are now final.
    pub fn observe(
        &mut self,
        rules: &RuleSet,
        observation: Observation,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(Match),
    ) {
        let Observation {
            feed,
            time,
            group,
            value,
            contribution,
        } = observation;
        let Some(time) = time else {
            stats.untimed_events += 1;
            return;
        };
        let Some(group) = group else {
            stats.ungrouped_events += 1;
            return;
        };
        let correlation = &rules.correlations[feed.correlation as usize];
        let (id, key, target) = match correlation.chain {
            None => (feed.correlation, group, None),
            Some(chain) => (
                rules.correlations.len() as u32 + chain,
                GroupKey::empty(),
                Some(Box::new((feed.correlation, group))),
            ),
        };
        self.touches += 1;
        let stream = match self.streams.entry(
            stream_hash(id, &key),
            |s| s.id == id && s.key == key,
            |s| stream_hash(s.id, &s.key),
        ) {
            hash_table::Entry::Occupied(slot) => slot.into_mut(),
            hash_table::Entry::Vacant(slot) => {
                self.key_bytes += key.heap_bytes();
                slot.insert(Stream {
                    id,
                    key,
                    watermark: i64::MIN,
                    touched: 0,
                    pending: VecDeque::new(),
                    pending_bytes: 0,
                    windows: match correlation.chain {
                        None => Windows::One(Window::new(correlation.kind)),
                        Some(_) => Windows::Chain(HashMap::new()),
                    },
                })
                .into_mut()
            }
        };
        stream.touched = self.touches;
        let held = stream.held_bytes();
        let entry = Entry {
            time,
            step: feed.step,
            value,
            contribution,
        };
        let lateness = self.limits.max_lateness;
        let mut cx = Context {
            rules,
            limits: &self.limits,
            stats,
            emit,
        };
        let pending = Pending { target, entry };
        if time.saturating_add(lateness) <= stream.watermark {
            // Late: evaluated now against the window as it is.
            cx.stats.late_events += 1;
            dispatch(
                &mut cx,
                stream.id,
                &stream.key,
                &mut stream.windows,
                pending,
            );
        } else {
            stream.insert_pending(pending);
            stream.watermark = stream.watermark.max(time);
            // The per-group cap: the oldest waiting events are evaluated early.
            while stream.pending.len() > self.limits.max_events_per_group {
                let oldest = stream.pop_pending().expect("over the cap");
                cx.stats.early_evaluations += 1;
                dispatch(&mut cx, stream.id, &stream.key, &mut stream.windows, oldest);
            }
            complete(&mut cx, stream, lateness);
        }
        self.held_bytes = self.held_bytes + stream.held_bytes() - held;
        self.until_sweep -= 1;
        if self.until_sweep == 0 {
            self.sweep(rules);
            // A sweep visits every group: a few times as many observations between sweeps
            // as there are groups keep its cost per observation small and constant.
            let groups = self.streams.len().saturating_mul(4);
            self.until_sweep = SWEEP_EVERY.max(groups.try_into().unwrap_or(u32::MAX));
        }
        if self.over_budget() {
            self.evict_oldest(rules, stats, emit);
        }
        stats.peak_groups = stats.peak_groups.max(self.streams.len() as u64);
        stats.peak_state_bytes = stats.peak_state_bytes.max(self.estimated_bytes() as u64);
    }

    fn over_budget(&self) -> bool {
        match self.limits.max_state {
            StateBudget::Unbounded => false,
            StateBudget::Keys(n) => self.streams.len() as u64 > n,
            StateBudget::Bytes(n) => self.estimated_bytes() as u64 > n,
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
            complete(&mut cx, &mut stream, i64::MIN);
            stats.evicted_groups += 1;
            stats.evicted_events += held_events(&stream) as u64;
            self.key_bytes -= stream.key.heap_bytes();
        }
        // The table keeps its size (the groups come back); trimmed when mostly empty.
        if self.streams.capacity() > 4 * self.streams.len().max(1024) {
            self.streams.shrink_to_fit(|s| stream_hash(s.id, &s.key));
        }
        sort_for_output(&mut completed);
        completed.into_iter().for_each(emit);
    }

    /// Frees what can no longer be part of a match, and groups left with nothing.
    fn sweep(&mut self, rules: &RuleSet) {
        let lateness = self.limits.max_lateness;
        let mut held_bytes = 0;
        let mut key_bytes = 0;
        self.streams.retain(|stream| {
            let horizon = stream.watermark.saturating_sub(lateness);
            let earliest = stream
                .pending
                .front()
                .map_or(horizon, |p| p.entry.time.min(horizon));
            let prune = |id: u32, w: &mut Window| {
                let timespan = rules.correlations[id as usize].timespan;
                w.prune(earliest.saturating_sub(timespan));
                w.expire_suppression(horizon);
                w.shrink();
            };
            if stream.pending.is_empty() {
                stream.pending = VecDeque::new();
            }
            match &mut stream.windows {
                Windows::One(w) => prune(stream.id, w),
                Windows::Chain(map) => {
                    map.iter_mut().for_each(|((id, _), w)| prune(*id, w));
                    map.retain(|_, w| !w.is_empty());
                }
            }
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
                complete(cx, stream, lateness);
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
                complete(cx, &mut stream, i64::MIN);
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

/// Events a stream holds.
fn held_events(stream: &Stream) -> usize {
    stream.pending.len()
        + match &stream.windows {
            Windows::One(w) => w.len(),
            Windows::Chain(map) => map.values().map(Window::len).sum(),
        }
}

/// Evaluates, in order, the waiting events the watermark has passed by `lateness`
/// (`i64::MIN`: all of them).
fn complete<E: FnMut(Match)>(cx: &mut Context<'_, E>, stream: &mut Stream, lateness: i64) {
    let final_until = if lateness == i64::MIN {
        i64::MAX
    } else {
        stream.watermark.saturating_sub(lateness)
    };
    while stream
        .pending
        .front()
        .is_some_and(|p| p.entry.time <= final_until)
    {
        let p = stream.pop_pending().expect("checked");
        dispatch(cx, stream.id, &stream.key, &mut stream.windows, p);
    }
}

/// Evaluates one event in its correlation's window; a match is emitted (unless the rule
/// only feeds others, or is suppressed) and feeds the correlations over it at once.
fn dispatch<E: FnMut(Match)>(
    cx: &mut Context<'_, E>,
    stream_id: u32,
    stream_key: &GroupKey,
    windows: &mut Windows,
    first: Pending,
) {
    // Alerts of correlations that feed others make more work (no allocation otherwise).
    let mut work = Vec::new();
    let mut next = Some(first);
    while let Some(Pending { target, entry }) = next.take().or_else(|| work.pop()) {
        let target = target.map(|t| *t);
        let (id, group, window) = match (&mut *windows, &target) {
            (Windows::One(w), None) => (stream_id, stream_key, w),
            (Windows::Chain(map), Some((id, group))) => {
                let kind = cx.rules.correlations[*id as usize].kind;
                let w = map
                    .entry((*id, group.clone()))
                    .or_insert_with(|| Window::new(kind));
                (*id, group, w)
            }
            _ => unreachable!("chains have targets, single groups do not"),
        };
        let rule = &cx.rules.correlations[id as usize];
        let time = entry.time;
        let matched = window.evaluate(rule, entry, cx.stats);
        while window.len() > cx.limits.max_events_per_group {
            window.pop_front();
            cx.stats.evicted_events += 1;
        }
        let Some(events) = matched else { continue };
        let mut emit = rule.generates;
        if let Some(span) = rule.suppress.or(cx.limits.suppress)
            && emit
        {
            if time < window.suppressed_until {
                cx.stats.suppressed_alerts += 1;
                emit = false;
            } else {
                window.suppressed_until = time.saturating_add(span);
            }
        }
        let shared: Option<Arc<[HeldEvent]>> =
            (!rule.feeds.is_empty()).then(|| Arc::from(&events[..]));
        if emit {
            (cx.emit)(Match {
                correlation: id,
                rule_id: rule.id,
                time,
                group: group.clone(),
                events,
            });
        }
        let Some(events) = shared else { continue };
        for feed in &rule.feeds {
            let parent = &cx.rules.correlations[feed.correlation as usize];
            let StepSource::Correlation { group_index } = &parent.steps[feed.step as usize].source
            else {
                continue;
            };
            if let Some(parent_group) = group.select(group_index) {
                work.push(Pending {
                    target: Some(Box::new((feed.correlation, parent_group))),
                    entry: Entry {
                        time,
                        step: feed.step,
                        value: None,
                        contribution: Contribution::Alert(events.clone()),
                    },
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes the README documents (memory cost per group and per held event).
    #[test]
    fn documented_sizes() {
        const { assert!(super::super::window::ENTRY_BYTES == 48) };
        const { assert!(PENDING_BYTES == 56) };
        const { assert!(GROUP_BYTES <= 200) };
    }
}
