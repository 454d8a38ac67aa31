//! Alerts: the rule that fired and every contributing event with its source file and
//! line, owned so they can cross threads and outlive the input buffers.

use std::sync::Arc;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use tripline_ingest::{EventSummary, Timestamp};

use crate::rule::{RuleId, RuleMeta};

/// Where an event came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceRef {
    /// The input's name as given (file path, or `-` for stdin).
    pub file: Arc<str>,
    /// 1-based line number.
    pub line: u64,
}

/// One event that contributed to an alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventRecord {
    pub source: SourceRef,
    #[serde(flatten)]
    pub event: EventSummary,
}

/// A rule match. `events` holds one event for a detection rule, and the whole sequence,
/// oldest first, for a correlation.
#[derive(Clone, Debug)]
pub struct Alert {
    /// The rule's index in the rule set that raised the alert.
    pub rule_id: RuleId,
    pub rule: Arc<RuleMeta>,
    /// Time of the event that completed the match.
    pub timestamp: Option<Timestamp>,
    pub host: Option<String>,
    /// The rule's label for what it saw (`tripline.evidence`).
    pub evidence: Option<Arc<str>>,
    /// For correlations: the group-by fields and their values.
    pub group_by: Vec<(String, String)>,
    pub events: Vec<Arc<EventRecord>>,
}

impl Alert {
    /// The alert as one JSON object, in the documented NDJSON alert format.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("alerts serialise to JSON")
    }
}

impl Serialize for Alert {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("rule", &*self.rule)?;
        if let Some(t) = self.timestamp {
            map.serialize_entry("@timestamp", &t.to_string())?;
        }
        if let Some(host) = &self.host {
            map.serialize_entry("host", host)?;
        }
        if let Some(evidence) = &self.evidence {
            map.serialize_entry("evidence", &**evidence)?;
        }
        if !self.group_by.is_empty() {
            let group: serde_json::Map<String, serde_json::Value> = self
                .group_by
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            map.serialize_entry("group_by", &group)?;
        }
        let events: Vec<&EventRecord> = self.events.iter().map(|e| &**e).collect();
        map.serialize_entry("events", &events)?;
        map.end()
    }
}
