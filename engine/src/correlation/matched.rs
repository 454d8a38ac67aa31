//! A correlation's match as the state emits it: compact (the group key and the held
//! events), made into an [`Alert`] — group-by strings, host, decoded event records —
//! only when it leaves the correlator, one at a time.

use std::sync::Arc;

use tripline_ingest::Timestamp;

use super::GroupKey;
use super::held::HeldEvent;
use crate::alert::Alert;
use crate::rule::RuleId;
use crate::ruleset::RuleSet;

#[derive(Clone, Debug)]
pub(crate) struct Match {
    /// The correlation's index among the rule set's correlations.
    pub correlation: u32,
    pub rule_id: RuleId,
    /// Time of the event that completed the match.
    pub time: i64,
    pub group: GroupKey,
    /// Every contributing event, oldest first.
    pub events: Vec<HeldEvent>,
}

impl Match {
    pub fn into_alert(self, rules: &RuleSet) -> Alert {
        let rule = &rules.correlations[self.correlation as usize];
        let events: Vec<_> = self.events.iter().map(|e| Arc::new(e.record())).collect();
        Alert {
            rule_id: rule.id,
            rule: rules.rule(rule.id).clone(),
            timestamp: Some(Timestamp::from_unix_nanos(self.time)),
            host: events.last().and_then(|e| e.event.host.clone()),
            evidence: None,
            group_by: rule
                .group_names
                .iter()
                .zip(self.group.values())
                .map(|(name, value)| (name.clone(), String::from_utf8_lossy(value).into_owned()))
                .collect(),
            events,
        }
    }
}

/// Matches completed together go out in event-time order, ties by rule, then by the
/// sources of their events, then by group: a total order, whatever order the groups
/// were visited in.
pub(crate) fn sort_for_output(matches: &mut [Match]) {
    matches.sort_unstable_by(|a, b| {
        a.time
            .cmp(&b.time)
            .then(a.rule_id.cmp(&b.rule_id))
            .then_with(|| sources(a).cmp(sources(b)))
            .then_with(|| a.group.cmp(&b.group))
    });
}

fn sources(m: &Match) -> impl Iterator<Item = (u64, &[u8])> {
    m.events.iter().map(|e| (e.line(), e.file()))
}
