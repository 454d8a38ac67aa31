//! Scoring alerts against ground truth: per rule, the scenarios found and missed, the
//! alerts on benign lines, precision and recall.
//!
//! An alert belongs to a scenario when one of its events' sources (file name and line) is
//! one of the scenario's lines. A (scenario, expected rule) pair is a true positive when
//! such an alert of that rule exists, else a false negative. An alert all of whose events
//! are on benign lines is a false positive; an alert on a scenario's lines by a rule not
//! expected there is counted apart as "unexpected".

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use crate::truth::TruthRecord;

/// What scoring needs of an alert.
#[derive(Clone, Debug)]
pub struct AlertRef {
    /// The rule's `name`.
    pub rule: String,
    /// The (file, 1-based line) of every contributing event.
    pub sources: Vec<(String, u64)>,
    /// A one-line description, shown for false positives.
    pub summary: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleScore {
    /// (scenario, rule) pairs the truth expects.
    pub expected: u64,
    /// Expected pairs with an alert: true positives.
    pub detected: u64,
    /// Alerts of the rule.
    pub alerts: u64,
    /// Alerts on a scenario that expects the rule.
    pub on_scenario: u64,
    /// Alerts whose events are all benign: false positives.
    pub false_positives: u64,
    /// Alerts on scenario lines where the rule is not expected.
    pub unexpected: u64,
}

impl RuleScore {
    pub fn missed(&self) -> u64 {
        self.expected - self.detected
    }

    /// Alerts on scenarios expecting the rule, over those and the false positives.
    pub fn precision(&self) -> Option<f64> {
        let denominator = self.on_scenario + self.false_positives;
        (denominator > 0).then(|| self.on_scenario as f64 / denominator as f64)
    }

    pub fn recall(&self) -> Option<f64> {
        (self.expected > 0).then(|| self.detected as f64 / self.expected as f64)
    }
}

/// A scenario with expected rules that did not fire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missed {
    pub scenario: String,
    pub host: String,
    pub schema: String,
    pub rules: Vec<String>,
}

/// The result of scoring.
#[derive(Clone, Debug, Default)]
pub struct Score {
    pub rules: BTreeMap<String, RuleScore>,
    missed: Vec<Missed>,
    false_positives: Vec<String>,
    unexpected: Vec<String>,
    /// Expected rules left out because the pack does not have them.
    pub not_in_pack: BTreeSet<String>,
}

fn base_name(file: &str) -> &str {
    Path::new(file)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(file)
}

impl Score {
    /// Scores `alerts` against `truth`. With `pack`, expected rules that are not in it are
    /// not required (they are listed in [`Score::not_in_pack`]).
    pub fn compute(truth: &[TruthRecord], alerts: &[AlertRef], pack: Option<&[String]>) -> Score {
        let mut score = Score::default();
        let mut lines: HashMap<(&str, u64), usize> = HashMap::new();
        let mut expected: Vec<BTreeSet<&str>> = Vec::with_capacity(truth.len());
        for (i, record) in truth.iter().enumerate() {
            for &line in &record.lines {
                lines.insert((base_name(&record.file), line), i);
            }
            let mut rules = BTreeSet::new();
            for rule in &record.rules {
                if pack.is_some_and(|p| !p.iter().any(|r| r == rule)) {
                    score.not_in_pack.insert(rule.clone());
                    continue;
                }
                score.rules.entry(rule.clone()).or_default().expected += 1;
                rules.insert(rule.as_str());
            }
            expected.push(rules);
        }
        let mut detected: BTreeSet<(usize, &str)> = BTreeSet::new();
        for alert in alerts {
            let row = score.rules.entry(alert.rule.clone()).or_default();
            row.alerts += 1;
            let scenarios: BTreeSet<usize> = alert
                .sources
                .iter()
                .filter_map(|(file, line)| lines.get(&(base_name(file), *line)).copied())
                .collect();
            if scenarios.is_empty() {
                row.false_positives += 1;
                score.false_positives.push(alert.summary.clone());
                continue;
            }
            let mut on_expected = false;
            for &s in &scenarios {
                if expected[s].contains(alert.rule.as_str()) {
                    on_expected = true;
                    if let Some(rule) = expected[s].get(alert.rule.as_str()) {
                        detected.insert((s, *rule));
                    }
                }
            }
            if on_expected {
                row.on_scenario += 1;
            } else {
                row.unexpected += 1;
                let ids: Vec<&str> = scenarios
                    .iter()
                    .map(|&s| truth[s].scenario.as_str())
                    .collect();
                score
                    .unexpected
                    .push(format!("{} on {}", alert.rule, ids.join(", ")));
            }
        }
        for &(_, rule) in &detected {
            if let Some(row) = score.rules.get_mut(rule) {
                row.detected += 1;
            }
        }
        for (i, record) in truth.iter().enumerate() {
            let missing: Vec<String> = expected[i]
                .iter()
                .filter(|rule| !detected.contains(&(i, **rule)))
                .map(|rule| (*rule).to_owned())
                .collect();
            if !missing.is_empty() {
                score.missed.push(Missed {
                    scenario: record.scenario.clone(),
                    host: record.host.clone(),
                    schema: record.schema.clone(),
                    rules: missing,
                });
            }
        }
        score
    }

    /// Detected over expected pairs, over all rules (1.0 when nothing is expected).
    pub fn recall(&self) -> f64 {
        let expected: u64 = self.rules.values().map(|r| r.expected).sum();
        let detected: u64 = self.rules.values().map(|r| r.detected).sum();
        if expected == 0 {
            1.0
        } else {
            detected as f64 / expected as f64
        }
    }

    pub fn missed(&self) -> &[Missed] {
        &self.missed
    }

    pub fn false_positive_count(&self) -> u64 {
        self.rules.values().map(|r| r.false_positives).sum()
    }

    /// The false positives' summaries, in alert order.
    pub fn false_positives(&self) -> &[String] {
        &self.false_positives
    }

    /// The unexpected alerts on scenarios (`rule on scenario-ids`).
    pub fn unexpected(&self) -> &[String] {
        &self.unexpected
    }

    /// The per-rule table, a total row, and the missed scenarios.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<34} {:>8} {:>6} {:>6} {:>7} {:>6} {:>10} {:>9} {:>7}",
            "rule", "expected", "TP", "FN", "alerts", "FP", "unexpected", "precision", "recall"
        );
        let ratio = |r: Option<f64>| r.map_or("-".to_owned(), |v| format!("{v:.3}"));
        let mut total = RuleScore::default();
        for (name, r) in &self.rules {
            let _ = writeln!(
                out,
                "{:<34} {:>8} {:>6} {:>6} {:>7} {:>6} {:>10} {:>9} {:>7}",
                name,
                r.expected,
                r.detected,
                r.missed(),
                r.alerts,
                r.false_positives,
                r.unexpected,
                ratio(r.precision()),
                ratio(r.recall())
            );
            total.expected += r.expected;
            total.detected += r.detected;
            total.alerts += r.alerts;
            total.on_scenario += r.on_scenario;
            total.false_positives += r.false_positives;
            total.unexpected += r.unexpected;
        }
        let _ = writeln!(
            out,
            "{:<34} {:>8} {:>6} {:>6} {:>7} {:>6} {:>10} {:>9} {:>7}",
            "total",
            total.expected,
            total.detected,
            total.missed(),
            total.alerts,
            total.false_positives,
            total.unexpected,
            ratio(total.precision()),
            ratio(total.recall())
        );
        if !self.not_in_pack.is_empty() {
            let names: Vec<&str> = self.not_in_pack.iter().map(String::as_str).collect();
            let _ = writeln!(out, "not in the pack (not required): {}", names.join(", "));
        }
        if self.missed.is_empty() {
            let _ = writeln!(out, "missed scenarios: none");
        } else {
            let _ = writeln!(out, "missed scenarios:");
            for m in &self.missed {
                let _ = writeln!(
                    out,
                    "  {} ({}, {}): {}",
                    m.scenario,
                    m.host,
                    m.schema,
                    m.rules.join(", ")
                );
            }
        }
        out
    }
}

/// Rule names from a file: one per line, or the output of `tripline rules list` (the first
/// column; the header and the summary line are skipped).
pub fn pack_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|word| *word != "NAME" && *word != "-")
        .filter(|word| !word.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, lines: &[u64], rules: &[&str]) -> TruthRecord {
        TruthRecord {
            scenario: id.into(),
            kind: "web_recon".into(),
            host: "web01.corp.example".into(),
            schema: "evtx".into(),
            file: "out/fleet.ndjson".into(),
            lines: lines.to_vec(),
            rules: rules.iter().map(|r| (*r).to_owned()).collect(),
            note: String::new(),
        }
    }

    fn alert(rule: &str, lines: &[u64]) -> AlertRef {
        AlertRef {
            rule: rule.into(),
            sources: lines
                .iter()
                .map(|&l| ("/tmp/x/fleet.ndjson".to_owned(), l))
                .collect(),
            summary: format!("{rule} {lines:?}"),
        }
    }

    #[test]
    fn true_and_false_positives_misses_and_unexpected() {
        let truth = [
            record(
                "web_recon-0000",
                &[10, 12],
                &["web_server_suspicious_child"],
            ),
            record(
                "webshell_drop-0001",
                &[20, 40],
                &["web_server_suspicious_child", "web_root_file_then_shell"],
            ),
        ];
        let alerts = [
            alert("web_server_suspicious_child", &[12]),
            alert("web_server_suspicious_child", &[12]),
            alert("web_server_suspicious_child", &[40]),
            alert("web_server_suspicious_child", &[99]),
            alert("exchange_worker_suspicious_child", &[10]),
            // A correlation whose drop was benign and whose shell is the scenario's.
            alert("web_root_file_then_shell", &[5, 40]),
        ];
        let score = Score::compute(&truth, &alerts, None);
        let child = score.rules["web_server_suspicious_child"];
        assert_eq!(
            (
                child.expected,
                child.detected,
                child.alerts,
                child.false_positives,
                child.on_scenario
            ),
            (2, 2, 4, 1, 3)
        );
        assert_eq!(child.precision(), Some(0.75));
        assert_eq!(
            score.rules["exchange_worker_suspicious_child"].unexpected,
            1
        );
        assert_eq!(score.rules["web_root_file_then_shell"].detected, 1);
        assert_eq!(score.recall(), 1.0);
        assert_eq!(
            score.false_positives(),
            ["web_server_suspicious_child [99]"]
        );
        assert_eq!(
            score.unexpected(),
            ["exchange_worker_suspicious_child on web_recon-0000"]
        );
        let table = score.table();
        assert!(table.contains("missed scenarios: none"), "{table}");

        let score = Score::compute(&truth, &alerts[..1], None);
        assert_eq!(score.recall(), 1.0 / 3.0);
        assert_eq!(score.missed().len(), 1);
        assert_eq!(score.missed()[0].rules.len(), 2);
        assert!(score.table().contains("webshell_drop-0001"));
    }

    #[test]
    fn rules_outside_the_pack_are_not_required() {
        let truth = [record("log4shell-0000", &[3], &["access_log_jndi_lookup"])];
        let pack = pack_names(
            "NAME  KIND  LEVEL  ID  TITLE\nweb_server_suspicious_child  detection  critical  x  t\n5 rules (0 could not be compiled)\n",
        );
        assert_eq!(pack, ["web_server_suspicious_child"]);
        let score = Score::compute(&truth, &[], Some(&pack));
        assert_eq!(score.recall(), 1.0);
        assert!(score.not_in_pack.contains("access_log_jndi_lookup"));
        assert_eq!(Score::compute(&truth, &[], None).recall(), 0.0);
    }
}
