//! Scan statistics: every line accounted for (read = skipped by the prefilter +
//! evaluated + rejected + headers), events by schema and kind, rejects by reason, alerts
//! by rule, and the correlation state's counters.

use serde_json::{Map, Value, json};
use tripline_ingest::{EventKind, Reject, Schema};

use crate::ruleset::RuleSet;

/// Counters of one scan. Merge the stats of several scanners with [`ScanStats::merge`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanStats {
    pub inputs: u64,
    pub bytes_read: u64,
    pub lines_read: u64,
    pub lines_skipped_by_prefilter: u64,
    pub lines_evaluated: u64,
    pub lines_rejected: u64,
    /// W3C access-log directives (`#Fields:`, `#Software:`, ...): neither events nor errors.
    pub lines_header: u64,
    /// Evaluated lines that are not valid UTF-8 (their bytes were matched as they are).
    pub lines_with_invalid_utf8: u64,
    /// Events by schema, then kind (indexed by `Schema as usize`, `EventKind as usize`).
    pub events: [[u64; EventKind::ALL.len()]; Schema::ALL.len()],
    /// Rejected lines by reason (indexed by [`Reject::index`]).
    pub rejected: [u64; Reject::ALL.len()],
    /// Alerts raised, by rule id.
    pub alerts_by_rule: Vec<u64>,
    pub correlation: CorrelationStats,
}

/// What the correlation state saw that is worth knowing. With several shards, each
/// counter is the sum over the shards (so the peaks are an upper bound).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CorrelationStats {
    /// Events that fed a correlation at least the lateness bound behind the latest event
    /// of their group: evaluated at once against the window as it was (not dropped).
    pub late_events: u64,
    /// Events that matched a correlation's rule but had no usable time (not correlated).
    pub untimed_events: u64,
    /// Events that matched a correlation's rule but lacked a group-by field (not correlated).
    pub ungrouped_events: u64,
    /// Events of a value_* correlation without a usable `field` value (not counted).
    pub valueless_events: u64,
    /// Events evaluated before they were final because their group's buffer was full.
    pub early_evaluations: u64,
    /// Events dropped from full windows or with evicted groups, oldest first.
    pub evicted_events: u64,
    /// Groups evicted (completed early, then dropped) to keep the state under its cap.
    pub evicted_groups: u64,
    /// Alerts not emitted because one of the same rule and group key was emitted within
    /// the suppression window.
    pub suppressed_alerts: u64,
    /// Most groups tracked at once.
    pub peak_groups: u64,
    /// Most bytes of state held at once (estimated).
    pub peak_state_bytes: u64,
}

impl CorrelationStats {
    pub fn merge(&mut self, o: &CorrelationStats) {
        self.late_events += o.late_events;
        self.untimed_events += o.untimed_events;
        self.ungrouped_events += o.ungrouped_events;
        self.valueless_events += o.valueless_events;
        self.early_evaluations += o.early_evaluations;
        self.evicted_events += o.evicted_events;
        self.evicted_groups += o.evicted_groups;
        self.suppressed_alerts += o.suppressed_alerts;
        self.peak_groups += o.peak_groups;
        self.peak_state_bytes += o.peak_state_bytes;
    }

    fn to_json(&self) -> Value {
        json!({
            "late_events": self.late_events,
            "untimed_events": self.untimed_events,
            "ungrouped_events": self.ungrouped_events,
            "valueless_events": self.valueless_events,
            "early_evaluations": self.early_evaluations,
            "evicted_events": self.evicted_events,
            "evicted_groups": self.evicted_groups,
            "suppressed_alerts": self.suppressed_alerts,
            "peak_groups": self.peak_groups,
            "peak_state_bytes": self.peak_state_bytes,
        })
    }
}

impl ScanStats {
    pub fn alerts(&self) -> u64 {
        self.alerts_by_rule.iter().sum()
    }

    /// Whether every line read is accounted for: read = skipped by the prefilter +
    /// evaluated + rejected + headers.
    pub fn balanced(&self) -> bool {
        self.lines_read
            == self.lines_skipped_by_prefilter
                + self.lines_evaluated
                + self.lines_rejected
                + self.lines_header
    }

    pub(crate) fn count_alert(&mut self, rule: u32) {
        let i = rule as usize;
        if self.alerts_by_rule.len() <= i {
            self.alerts_by_rule.resize(i + 1, 0);
        }
        self.alerts_by_rule[i] += 1;
    }

    pub fn merge(&mut self, other: &ScanStats) {
        self.inputs += other.inputs;
        self.bytes_read += other.bytes_read;
        self.lines_read += other.lines_read;
        self.lines_skipped_by_prefilter += other.lines_skipped_by_prefilter;
        self.lines_evaluated += other.lines_evaluated;
        self.lines_rejected += other.lines_rejected;
        self.lines_header += other.lines_header;
        self.lines_with_invalid_utf8 += other.lines_with_invalid_utf8;
        for (mine, theirs) in self.events.iter_mut().zip(&other.events) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
        for (a, b) in self.rejected.iter_mut().zip(&other.rejected) {
            *a += b;
        }
        for (rule, n) in other.alerts_by_rule.iter().enumerate() {
            if *n > 0 {
                if self.alerts_by_rule.len() <= rule {
                    self.alerts_by_rule.resize(rule + 1, 0);
                }
                self.alerts_by_rule[rule] += n;
            }
        }
        self.correlation.merge(&other.correlation);
    }

    /// The statistics as JSON (the `--stats-json` format); zero counters are left out
    /// of the per-schema, per-reason and per-rule maps.
    pub fn to_json(&self, rules: &RuleSet) -> Value {
        let mut events = Map::new();
        for schema in Schema::ALL {
            let mut kinds = Map::new();
            for kind in EventKind::ALL {
                let n = self.events[schema as usize][kind as usize];
                if n > 0 {
                    kinds.insert(kind.key().into(), n.into());
                }
            }
            if !kinds.is_empty() {
                events.insert(schema.key().into(), kinds.into());
            }
        }
        let rejected: Map<String, Value> = Reject::ALL
            .iter()
            .filter(|r| self.rejected[r.index()] > 0)
            .map(|r| (r.key().into(), self.rejected[r.index()].into()))
            .collect();
        let by_rule: Map<String, Value> = self
            .alerts_by_rule
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (rules.rules()[i].label().to_owned(), (*n).into()))
            .collect();
        json!({
            "inputs": self.inputs,
            "bytes_read": self.bytes_read,
            "lines": {
                "read": self.lines_read,
                "skipped_by_prefilter": self.lines_skipped_by_prefilter,
                "evaluated": self.lines_evaluated,
                "rejected": self.lines_rejected,
                "headers": self.lines_header,
                "evaluated_with_invalid_utf8": self.lines_with_invalid_utf8,
            },
            "events": events,
            "rejected": rejected,
            "alerts": { "total": self.alerts(), "by_rule": by_rule },
            "correlation": self.correlation.to_json(),
        })
    }
}
