//! Correlation in event time: what an event that matched a correlation's rule carries
//! ([`Observation`]), the limits of the state ([`CorrelationLimits`]), and the parts:
//! group keys ([`key`]), compact held events ([`held`]), thresholds ([`condition`]),
//! per-type evaluation of a window ([`window`]), the per-thread state with its reorder
//! buffers and caps ([`state`]), its matches ([`matched`]), the shard threads that own
//! it ([`shards`]) and alert suppression ([`suppress`]).
//!
//! The semantics, shared by every path (see the README, "Correlation"): each group's
//! events are evaluated in event-time order (ties by source line, then file, then step)
//! once no earlier event can still arrive within the lateness bound; a correlation fires
//! when its condition holds for the window ending at an event, and its events are then
//! consumed.

pub(crate) mod condition;
pub(crate) mod held;
pub(crate) mod key;
pub(crate) mod matched;
pub(crate) mod prefetch;
pub(crate) mod shards;
pub(crate) mod state;
pub(crate) mod stream;
pub(crate) mod suppress;
pub(crate) mod window;

use std::sync::Arc;

use tripline_ingest::{Event, FieldId, Timestamp};

pub(crate) use condition::Threshold;
pub(crate) use key::GroupKey;
pub(crate) use shards::Correlator;

use crate::alert::EventRecord;
use crate::ruleset::{Feed, RuleSet};
use held::HeldEvent;

/// Limits of the correlation state.
#[derive(Clone, Copy, Debug)]
pub struct CorrelationLimits {
    /// How far behind the latest event of its group an event may arrive and still be
    /// correlated exactly, in nanoseconds: an event is on time when it is less than this
    /// behind (0: only strictly later events are on time).
    pub max_lateness: i64,
    /// Most events kept per group (waiting and in the window); past it the oldest are
    /// evaluated early or evicted (and counted).
    pub max_events_per_group: usize,
    /// Bound on the whole state of one shard; past it the least recently fed groups are
    /// completed and evicted (and counted).
    pub max_state: StateBudget,
    /// Shard threads owning the correlation state: 0 keeps it on the scanner's thread.
    pub shards: usize,
    /// Throttle every rule: an alert of the same rule and group key (the host for a
    /// detection) within this long of an emitted one is suppressed and counted, in
    /// nanoseconds.
    pub suppress: Option<i64>,
}

/// A bound on correlation state: a number of group keys, or of bytes (as estimated from
/// the sizes documented in the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateBudget {
    Unbounded,
    Keys(u64),
    Bytes(u64),
}

impl Default for CorrelationLimits {
    fn default() -> Self {
        CorrelationLimits {
            max_lateness: 3_600 * 1_000_000_000,
            max_events_per_group: 4096,
            max_state: StateBudget::Bytes(1 << 30),
            shards: 0,
            suppress: None,
        }
    }
}

/// What an event contributes to an alert: itself, or (for a correlation over
/// correlations) the events of the alert that fed it.
#[derive(Clone, Debug)]
pub(crate) enum Contribution {
    Event(HeldEvent),
    Alert(Arc<[HeldEvent]>),
}

impl Contribution {
    /// The event that decides the contribution's place among events of the same time.
    pub fn last(&self) -> &HeldEvent {
        match self {
            Contribution::Event(e) => e,
            Contribution::Alert(events) => events.last().expect("alerts have events"),
        }
    }

    pub fn extend_into(&self, out: &mut Vec<HeldEvent>) {
        match self {
            Contribution::Event(e) => out.push(e.clone()),
            Contribution::Alert(events) => out.extend(events.iter().cloned()),
        }
    }

    /// [`extend_into`](Self::extend_into), without copying an event of its own.
    pub fn move_into(self, out: &mut Vec<HeldEvent>) {
        match self {
            Contribution::Event(e) => out.push(e),
            Contribution::Alert(events) => out.extend(events.iter().cloned()),
        }
    }

    /// Heap bytes held (shared events counted in full).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Contribution::Event(e) => e.heap_bytes(),
            Contribution::Alert(events) => {
                2 * std::mem::size_of::<usize>()
                    + events
                        .iter()
                        .map(|e| std::mem::size_of::<HeldEvent>() + e.heap_bytes())
                        .sum::<usize>()
            }
        }
    }
}

/// An event that matched a correlation step's rule, owned (it may cross threads): its
/// time, group-by values and aggregated value are read once, by the worker that parsed it.
#[derive(Clone, Debug)]
pub(crate) struct Observation {
    pub feed: Feed,
    pub time: Option<i64>,
    /// The group-by values (lowercased); `None` when the event lacks one.
    pub group: Option<GroupKey>,
    /// The condition's field values (value_* types); `None` when absent.
    pub value: Option<Box<GroupKey>>,
    pub contribution: Contribution,
}

impl Observation {
    pub fn new(
        rules: &RuleSet,
        feed: Feed,
        event: &Event<'_>,
        record: &EventRecord,
    ) -> Observation {
        let step = &rules.correlations[feed.correlation as usize].steps[feed.step as usize];
        let values =
            |fields: &[FieldId]| GroupKey::try_from_values(fields.iter().map(|f| event.bytes(*f)));
        Observation {
            feed,
            time: event.timestamp().map(Timestamp::as_unix_nanos),
            group: values(&step.group_by),
            value: if step.value.is_empty() {
                None
            } else {
                values(&step.value).map(Box::new)
            },
            contribution: Contribution::Event(HeldEvent::new(record)),
        }
    }
}

/// Parses `90s`, `15m`, `1h`, `2d` (or a bare number of seconds) into nanoseconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 90s, 15m, 1h or 2d"))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}` (use s, m, h or d)"
            ));
        }
    };
    number
        .checked_mul(seconds)
        .and_then(|s| s.checked_mul(1_000_000_000))
        .ok_or_else(|| format!("`{text}` is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90_000_000_000));
        assert_eq!(parse_duration("15m"), Ok(900_000_000_000));
        assert_eq!(parse_duration("1h"), Ok(3_600_000_000_000));
        assert_eq!(parse_duration("2"), Ok(2_000_000_000));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("99999999999999d").is_err());
    }
}
