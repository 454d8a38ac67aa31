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

use std::sync::Arc;

use hashbrown::HashMap;
use tripline_ingest::Timestamp;

use super::window::{ENTRY_BYTES, Entry, Window};
use super::{Contribution, CorrelationLimits, GroupKey, Observation, StateBudget};
use crate::alert::Alert;
use crate::ruleset::{RuleSet, StepSource};
use crate::stats::CorrelationStats;

/// A reorder buffer's owner: a correlation's group, or a whole chain.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct StreamKey {
    /// The correlation's index; for a chain, the number of correlations + the chain's.
    id: u32,
    group: GroupKey,
}

impl From<&StreamKey> for StreamKey {
    fn from(key: &StreamKey) -> StreamKey {
        key.clone()
    }
}

/// An event waiting in a reorder buffer; in a chain's buffer, with the correlation and
/// group it is for.
#[derive(Debug)]
struct Pending {
    target: Option<Box<(u32, GroupKey)>>,
    entry: Entry,
}

#[derive(Debug)]
enum Windows {
    One(Window),
    Chain(HashMap<(u32, GroupKey), Window>),
}

#[derive(Debug)]
struct Stream {
    watermark: i64,
    /// When the stream was last fed (an observation count), for evicting the oldest.
    touched: u64,
    /// Sorted in evaluation order.
    pending: std::collections::VecDeque<Pending>,
    windows: Windows,
}

/// Bytes a tracked group costs besides its key and events: the map slot and the stream.
pub(crate) const GROUP_BYTES: usize =
    std::mem::size_of::<(StreamKey, Stream)>() + std::mem::size_of::<Window>();

impl Stream {
    fn held(&self) -> usize {
        self.pending.len()
            + match &self.windows {
                Windows::One(w) => w.len(),
                Windows::Chain(map) => map.values().map(Window::len).sum(),
            }
    }

    fn is_empty(&self) -> bool {
        self.pending.is_empty()
            && match &self.windows {
                Windows::One(w) => w.is_empty(),
                Windows::Chain(map) => map.is_empty(),
            }
    }
}

/// The state of every correlation of a rule set, owned by one thread.
#[derive(Debug)]
pub(crate) struct CorrelationState {
    limits: CorrelationLimits,
    streams: HashMap<StreamKey, Stream>,
    touches: u64,
    until_sweep: u32,
    /// Events held in buffers and windows.
    entries: usize,
    /// Heap bytes of the group keys.
    key_bytes: usize,
}

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
            streams: HashMap::new(),
            touches: 0,
            until_sweep: SWEEP_EVERY,
            entries: 0,
            key_bytes: 0,
        }
    }

    /// Estimated bytes held (see the README for the sizes).
    pub fn estimated_bytes(&self) -> usize {
        self.streams.len() * GROUP_BYTES + self.key_bytes + self.entries * ENTRY_BYTES
    }

    /// Records an observation, and emits the matches that are now final.
    pub fn observe(
        &mut self,
        rules: &RuleSet,
        observation: Observation,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(Alert),
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
        let (key, target) = match correlation.chain {
            None => (
                StreamKey {
                    id: feed.correlation,
                    group,
                },
                None,
            ),
            Some(chain) => (
                StreamKey {
                    id: rules.correlations.len() as u32 + chain,
                    group: GroupKey::empty(),
                },
                Some(Box::new((feed.correlation, group))),
            ),
        };
        self.touches += 1;
        let touches = self.touches;
        let key_bytes = &mut self.key_bytes;
        let stream = self.streams.entry_ref(&key).or_insert_with(|| {
            *key_bytes += key.group.heap_bytes();
            Stream {
                watermark: i64::MIN,
                touched: 0,
                pending: Default::default(),
                windows: match correlation.chain {
                    None => Windows::One(Window::new(correlation.kind)),
                    Some(_) => Windows::Chain(HashMap::new()),
                },
            }
        });
        stream.touched = touches;
        let held = stream.held();
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
            dispatch(&mut cx, &key, &mut stream.windows, pending);
        } else {
            stream.watermark = stream.watermark.max(time);
            insert_pending(&mut stream.pending, pending);
            // The per-group cap: the oldest waiting events are evaluated early.
            while stream.pending.len() > self.limits.max_events_per_group {
                let oldest = stream.pending.pop_front().expect("over the cap");
                cx.stats.early_evaluations += 1;
                dispatch(&mut cx, &key, &mut stream.windows, oldest);
            }
            complete(&mut cx, &key, stream, lateness);
        }
        self.entries = self.entries + stream.held() - held;
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
        emit: &mut impl FnMut(Alert),
    ) {
        let mut ages: Vec<(u64, StreamKey)> = self
            .streams
            .iter()
            .map(|(k, s)| (s.touched, k.clone()))
            .collect();
        let n = (ages.len() / 8).max(1);
        if n < ages.len() {
            ages.select_nth_unstable(n);
        }
        ages.truncate(n);
        ages.sort_unstable();
        let mut completed = Vec::new();
        for (_, key) in ages {
            if let Some(mut stream) = self.streams.remove(&key) {
                let mut cx = Context {
                    rules,
                    limits: &self.limits,
                    stats,
                    emit: &mut |a| completed.push(a),
                };
                let held = stream.held();
                complete(&mut cx, &key, &mut stream, i64::MIN);
                let dropped = stream.held();
                stats.evicted_groups += 1;
                stats.evicted_events += dropped as u64;
                self.entries -= held;
                self.key_bytes -= key.group.heap_bytes();
            }
        }
        sort_for_output(&mut completed);
        completed.into_iter().for_each(emit);
    }

    /// Frees what can no longer be part of a match, and groups left with nothing.
    fn sweep(&mut self, rules: &RuleSet) {
        let lateness = self.limits.max_lateness;
        let mut freed = 0;
        let mut key_bytes = 0;
        self.streams.retain(|key, stream| {
            let horizon = stream.watermark.saturating_sub(lateness);
            let earliest = stream
                .pending
                .front()
                .map_or(horizon, |p| p.entry.time.min(horizon));
            let mut prune = |id: u32, w: &mut Window| {
                let timespan = rules.correlations[id as usize].timespan;
                freed += w.prune(earliest.saturating_sub(timespan));
                w.expire_suppression(horizon);
                w.shrink();
            };
            if stream.pending.is_empty() {
                stream.pending = Default::default();
            }
            match &mut stream.windows {
                Windows::One(w) => prune(key.id, w),
                Windows::Chain(map) => {
                    map.iter_mut().for_each(|((id, _), w)| prune(*id, w));
                    map.retain(|_, w| !w.is_empty());
                }
            }
            let keep = !stream.is_empty();
            if !keep {
                key_bytes += key.group.heap_bytes();
            }
            keep
        });
        self.entries -= freed;
        self.key_bytes -= key_bytes;
    }

    /// Moves every group's watermark to at least `time` and emits what is final.
    pub fn advance_all(
        &mut self,
        time: Timestamp,
        rules: &RuleSet,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(Alert),
    ) {
        self.complete_all(Some(time.as_unix_nanos()), rules, stats, emit);
        self.entries = self.streams.values().map(Stream::held).sum();
        self.sweep(rules);
    }

    /// Ends the input: every waiting event is evaluated now, and the state is cleared.
    pub fn finish(
        &mut self,
        rules: &RuleSet,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(Alert),
    ) {
        self.complete_all(None, rules, stats, emit);
        self.streams.clear();
        self.entries = 0;
        self.key_bytes = 0;
    }

    /// Completes every group up to a watermark of `time` (`None`: everything), and emits
    /// the matches in event-time order.
    fn complete_all(
        &mut self,
        time: Option<i64>,
        rules: &RuleSet,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(Alert),
    ) {
        let mut ready = Vec::new();
        let mut cx = Context {
            rules,
            limits: &self.limits,
            stats,
            emit: &mut |a| ready.push(a),
        };
        let lateness = time.map_or(i64::MIN, |_| self.limits.max_lateness);
        for (key, stream) in self.streams.iter_mut() {
            if let Some(time) = time {
                stream.watermark = stream.watermark.max(time);
            }
            complete(&mut cx, key, stream, lateness);
        }
        sort_for_output(&mut ready);
        ready.into_iter().for_each(emit);
    }
}

fn insert_pending(pending: &mut std::collections::VecDeque<Pending>, p: Pending) {
    let after = |q: &Pending| q.entry.order(&p.entry) != std::cmp::Ordering::Greater;
    let at = if pending.back().is_none_or(after) {
        pending.len()
    } else {
        pending.partition_point(after)
    };
    pending.insert(at, p);
}

/// Evaluates, in order, the waiting events the watermark has passed by `lateness`
/// (`i64::MIN`: all of them).
fn complete<E: FnMut(Alert)>(
    cx: &mut Context<'_, E>,
    key: &StreamKey,
    stream: &mut Stream,
    lateness: i64,
) {
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
        let p = stream.pending.pop_front().expect("checked");
        dispatch(cx, key, &mut stream.windows, p);
    }
}

/// Evaluates one event in its correlation's window; a match is emitted (unless the rule
/// only feeds others, or is suppressed) and feeds the correlations over it at once.
fn dispatch<E: FnMut(Alert)>(
    cx: &mut Context<'_, E>,
    key: &StreamKey,
    windows: &mut Windows,
    first: Pending,
) {
    // Alerts of correlations that feed others make more work (no allocation otherwise).
    let mut work = Vec::new();
    let mut next = Some(first);
    while let Some(Pending { target, entry }) = next.take().or_else(|| work.pop()) {
        let target = target.map(|t| *t);
        let (id, group, window) = match (&mut *windows, &target) {
            (Windows::One(w), None) => (key.id, &key.group, w),
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
        let shared = (!rule.feeds.is_empty()).then(|| Arc::new(events.clone()));
        if emit {
            (cx.emit)(Alert {
                rule_id: rule.id,
                rule: cx.rules.rule(rule.id).clone(),
                timestamp: Some(Timestamp::from_unix_nanos(time)),
                host: events.last().and_then(|e| e.event.host.clone()),
                evidence: None,
                group_by: rule
                    .group_names
                    .iter()
                    .zip(group.values())
                    .map(|(name, value)| {
                        (name.clone(), String::from_utf8_lossy(value).into_owned())
                    })
                    .collect(),
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

/// Alerts completed together go out in event-time order, ties by rule, then by the
/// sources of their events, then by group: a total order, whatever order the groups
/// were visited in.
pub(crate) fn sort_for_output(alerts: &mut [Alert]) {
    alerts.sort_unstable_by(|a, b| {
        a.timestamp
            .cmp(&b.timestamp)
            .then(a.rule_id.cmp(&b.rule_id))
            .then_with(|| sources(a).cmp(sources(b)))
            .then_with(|| a.group_by.cmp(&b.group_by))
    });
}

fn sources(alert: &Alert) -> impl Iterator<Item = (u64, &str)> {
    alert
        .events
        .iter()
        .map(|e| (e.source.line, &*e.source.file))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes the README documents (memory cost per group and per held event).
    #[test]
    fn documented_sizes() {
        const { assert!(ENTRY_BYTES == 48) };
        const { assert!(GROUP_BYTES <= 200) };
    }
}
