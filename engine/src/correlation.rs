//! Correlation state for `temporal_ordered` rules: per group key (the group-by values),
//! the time-sorted events of every step but the last, and the group's watermark (the
//! latest event time the group has seen). An event of the last step waits until its
//! group's watermark has passed it by the lateness bound, so that every earlier event
//! that may still arrive has arrived; then the sequence ending at it is looked up. The
//! answer does not depend on arrival order as long as each event arrives no later than
//! the lateness bound behind its group's latest event.
//!
//! Watermarks are per group, not global, so that replaying many hosts' files in any
//! order does not make one host's events look late because of another host's clock.
//! An embedder can push time forward for every group with [`CorrelationState::advance_all`]
//! (a punctuation, e.g. from wall-clock time), and end of input completes everything.
//!
//! Group values compare ASCII-case-insensitively (host and user names are
//! case-insensitive on Windows, and shippers disagree on their case).

use std::collections::VecDeque;
use std::sync::Arc;

use hashbrown::HashMap;
use tripline_ingest::{Event, Timestamp};

use crate::alert::{Alert, EventRecord};
use crate::ruleset::{Feed, RuleSet};
use crate::stats::CorrelationStats;

/// Limits of the correlation state.
#[derive(Clone, Copy, Debug)]
pub struct CorrelationLimits {
    /// How far behind the latest event time an event may arrive and still be correlated
    /// exactly, in nanoseconds.
    pub max_lateness: i64,
    /// Most events kept per group and step; the oldest are evicted first (and counted).
    pub max_events_per_group: usize,
}

impl Default for CorrelationLimits {
    fn default() -> Self {
        CorrelationLimits {
            max_lateness: 3_600 * 1_000_000_000,
            max_events_per_group: 1024,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct GroupKey {
    correlation: u32,
    values: Box<[Box<[u8]>]>,
}

#[derive(Debug)]
struct Entry {
    time: i64,
    seq: u64,
    record: Arc<EventRecord>,
}

/// An event of a correlation's last step, waiting for the watermark.
#[derive(Debug)]
struct Final {
    time: i64,
    seq: u64,
    key: GroupKey,
    record: Arc<EventRecord>,
}

/// An event that matched a correlation step's rule, owned (it may cross threads): its
/// time and group-by values are read once, by the worker that parsed it.
#[derive(Clone, Debug)]
pub(crate) struct Observation {
    pub feed: Feed,
    pub time: Option<i64>,
    /// The group-by values (lowercased); `None` when the event lacks one.
    pub group: Option<Box<[Box<[u8]>]>>,
    pub record: Arc<EventRecord>,
}

impl Observation {
    pub fn new(
        rules: &RuleSet,
        feed: Feed,
        event: &Event<'_>,
        record: Arc<EventRecord>,
    ) -> Observation {
        let step = &rules.correlations[feed.correlation as usize].steps[feed.step as usize];
        let group = step
            .group_by
            .iter()
            .map(|field| match event.bytes(*field) {
                Some(v) if !v.is_empty() => Some(v.to_ascii_lowercase().into_boxed_slice()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(Vec::into_boxed_slice);
        Observation {
            feed,
            time: event.timestamp().map(Timestamp::as_unix_nanos),
            group,
            record,
        }
    }
}

/// One group's state: the events of every step but the last, the last step's events
/// waiting for the watermark, and the watermark.
#[derive(Debug)]
struct Group {
    /// Index of the correlation, for its timespan.
    correlation: u32,
    watermark: i64,
    steps: Vec<VecDeque<Entry>>,
    /// Sorted by (time, seq).
    waiting: Vec<Final>,
}

impl Group {
    fn is_empty(&self) -> bool {
        self.waiting.is_empty() && self.steps.iter().all(VecDeque::is_empty)
    }

    /// Evaluates the waiting events the watermark has passed by `lateness`, then frees
    /// the events no sequence still to be completed can use.
    fn complete(&mut self, rules: &RuleSet, lateness: i64, emit: &mut impl FnMut(Alert)) {
        let watermark = self.watermark;
        let ready = self
            .waiting
            .partition_point(|f| f.time.saturating_add(lateness) <= watermark);
        for last in self.waiting.drain(..ready).collect::<Vec<_>>() {
            if let Some(alert) = sequence_ending_at(rules, &self.steps, last) {
                emit(alert);
            }
        }
        // A sequence still to come ends at an event no earlier than the oldest waiting
        // one, or than the watermark less the lateness; it reaches back one timespan.
        let timespan = rules.correlations[self.correlation as usize].timespan;
        let mut horizon = watermark.saturating_sub(lateness);
        if let Some(oldest) = self.waiting.first() {
            horizon = horizon.min(oldest.time);
        }
        let horizon = horizon.saturating_sub(timespan);
        for entries in &mut self.steps {
            while entries.front().is_some_and(|e| e.time < horizon) {
                entries.pop_front();
            }
        }
    }
}

/// The state of every correlation of a rule set, owned by one thread.
#[derive(Debug)]
pub(crate) struct CorrelationState {
    limits: CorrelationLimits,
    groups: HashMap<GroupKey, Group>,
    seq: u64,
    until_sweep: u32,
}

/// Observations between two sweeps that drop groups holding nothing.
const SWEEP_EVERY: u32 = 4096;

impl CorrelationState {
    pub fn new(limits: CorrelationLimits) -> CorrelationState {
        CorrelationState {
            limits,
            groups: HashMap::new(),
            seq: 0,
            until_sweep: SWEEP_EVERY,
        }
    }

    /// Records an observation, and emits the sequences of its group that are now
    /// complete.
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
            record,
        } = observation;
        let correlation = &rules.correlations[feed.correlation as usize];
        let step = feed.step as usize;
        let Some(time) = time else {
            stats.untimed_events += 1;
            return;
        };
        let Some(values) = group else {
            stats.ungrouped_events += 1;
            return;
        };
        self.seq += 1;
        let seq = self.seq;
        let key = GroupKey {
            correlation: feed.correlation,
            values,
        };
        let last = correlation.steps.len() - 1;
        let lateness = self.limits.max_lateness;
        let group = self.groups.entry(key.clone()).or_insert_with(|| Group {
            correlation: feed.correlation,
            watermark: time,
            steps: (0..last).map(|_| VecDeque::new()).collect(),
            waiting: Vec::new(),
        });
        if time < group.watermark.saturating_sub(lateness) {
            stats.late_events += 1;
        }
        group.watermark = group.watermark.max(time);
        if step == last {
            let at = group
                .waiting
                .partition_point(|f| (f.time, f.seq) <= (time, seq));
            group.waiting.insert(
                at,
                Final {
                    time,
                    seq,
                    key,
                    record,
                },
            );
        } else {
            let entries = &mut group.steps[step];
            let at = entries.partition_point(|e| (e.time, e.seq) <= (time, seq));
            entries.insert(at, Entry { time, seq, record });
            while entries.len() > self.limits.max_events_per_group {
                entries.pop_front();
                stats.evicted_events += 1;
            }
        }
        group.complete(rules, lateness, emit);
        self.until_sweep -= 1;
        if self.until_sweep == 0 {
            self.until_sweep = SWEEP_EVERY;
            self.groups.retain(|_, g| !g.is_empty());
        }
    }

    /// Moves every group's watermark to at least `time` and emits what is complete.
    pub fn advance_all(&mut self, time: Timestamp, rules: &RuleSet, emit: &mut impl FnMut(Alert)) {
        let lateness = self.limits.max_lateness;
        let mut ready = Vec::new();
        for group in self.groups.values_mut() {
            group.watermark = group.watermark.max(time.as_unix_nanos());
            group.complete(rules, lateness, &mut |a| ready.push(a));
        }
        self.groups.retain(|_, g| !g.is_empty());
        sort_for_output(&mut ready);
        ready.into_iter().for_each(emit);
    }

    /// Ends the input: every waiting event is evaluated now, and the state is cleared.
    pub fn finish(&mut self, rules: &RuleSet, emit: &mut impl FnMut(Alert)) {
        let mut ready = Vec::new();
        for group in self.groups.values_mut() {
            group.watermark = i64::MAX;
            group.complete(rules, 0, &mut |a| ready.push(a));
        }
        self.groups.clear();
        sort_for_output(&mut ready);
        ready.into_iter().for_each(emit);
    }
}

/// Alerts completed together go out in event-time order, ties by rule and first source.
fn sort_for_output(alerts: &mut [Alert]) {
    alerts.sort_by(|a, b| {
        let key = |x: &Alert| {
            (
                x.timestamp,
                x.rule_id,
                x.events
                    .first()
                    .map(|e| (e.source.file.clone(), e.source.line)),
            )
        };
        key(a).cmp(&key(b))
    });
}

/// The alert for the sequence that ends at `last`, if there is one: going backwards
/// from it, each earlier step takes its latest event no later than the next step's,
/// and the first step's event must be within the timespan of `last`.
fn sequence_ending_at(rules: &RuleSet, steps: &[VecDeque<Entry>], last: Final) -> Option<Alert> {
    let correlation = &rules.correlations[last.key.correlation as usize];
    let earliest = last.time.saturating_sub(correlation.timespan);
    let mut chain = vec![last.record.clone()];
    let mut bound = last.time;
    for entries in steps.iter().rev() {
        let at = entries.partition_point(|e| e.time <= bound);
        let entry = entries.get(at.checked_sub(1)?)?;
        if entry.time < earliest {
            return None;
        }
        chain.push(entry.record.clone());
        bound = entry.time;
    }
    chain.reverse();
    let group_by = correlation
        .group_names
        .iter()
        .zip(last.key.values.iter())
        .map(|(name, value)| (name.clone(), String::from_utf8_lossy(value).into_owned()))
        .collect();
    Some(Alert {
        rule_id: correlation.id,
        rule: rules.rule(correlation.id).clone(),
        timestamp: Some(Timestamp::from_unix_nanos(last.time)),
        host: last.record.event.host.clone(),
        evidence: None,
        group_by,
        events: chain,
    })
}
