//! Rule examples: the true-positive and true-negative events a rule carries under
//! `tripline.examples`, run through the real ingest and engine.
//!
//! ```yaml
//! tripline.examples:
//!   - name: w3wp starts cmd
//!     expect: match            # or no-match
//!     event: {...}             # one raw event document (detection rules)
//!   - name: file, then shell
//!     expect: match
//!     events: [{...}, {...}]   # raw documents in arrival order (correlation rules)
//!   - name: UNION SELECT in an Apache log
//!     expect: match
//!     event: '203.0.113.9 - - [20/Nov/2026:10:00:00 +0000] "GET /?id=1+UNION+SELECT+1 HTTP/1.1" 200 5 "-" "-"'
//!   - name: the same in IIS
//!     expect: match
//!     header: '#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status'
//!     event: '2026-11-20 10:00:00 203.0.113.9 GET / id=1+UNION+SELECT+1 200'
//! ```
//!
//! A string is a raw line (an access-log line, a W3C directive), anything else a JSON
//! document; `header` lines go first. Detection rules may give `events` too.
//!
//! A detection rule's examples run against that rule alone; a correlation's against the
//! whole file it is in (its base rules with it).

use std::sync::Arc;

use rsigma_parser::{SigmaCollection, parse_sigma_yaml};

use crate::alert::Alert;
use crate::ruleset::{RuleSet, RuleSetBuilder};
use crate::scanner::{ScanConfig, Scanner};
use crate::sigma::{self, EXAMPLES_KEY};

/// The result of one example.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExampleOutcome {
    /// The rule's name, id or title.
    pub rule: String,
    /// The example's name (or its position).
    pub example: String,
    pub expect_match: bool,
    pub matched: bool,
    /// Why the example could not be run, if it could not.
    pub error: Option<String>,
}

impl ExampleOutcome {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.expect_match == self.matched
    }
}

/// Runs every example of every rule in a Sigma YAML text.
pub fn check_examples(source: &str, text: &str) -> Vec<ExampleOutcome> {
    let collection = match parse_sigma_yaml(text) {
        Ok(c) => c,
        Err(e) => {
            return vec![failure(source, "document", format!("does not parse: {e}"))];
        }
    };
    let mut outcomes = Vec::new();
    for rule in &collection.rules {
        let label = rule
            .name
            .clone()
            .or(rule.id.clone())
            .unwrap_or(rule.title.clone());
        let Some(examples) = rule.custom_attributes.get(EXAMPLES_KEY) else {
            continue;
        };
        let alone = SigmaCollection {
            rules: vec![rule.clone()],
            ..SigmaCollection::new()
        };
        outcomes.extend(run(source, &label, alone, examples, "event"));
    }
    for correlation in &collection.correlations {
        let label = correlation
            .name
            .clone()
            .or(correlation.id.clone())
            .unwrap_or(correlation.title.clone());
        let Some(examples) = correlation.custom_attributes.get(EXAMPLES_KEY) else {
            continue;
        };
        outcomes.extend(run(source, &label, collection.clone(), examples, "events"));
    }
    outcomes
}

fn failure(rule: &str, example: &str, error: String) -> ExampleOutcome {
    ExampleOutcome {
        rule: rule.into(),
        example: example.into(),
        expect_match: true,
        matched: false,
        error: Some(error),
    }
}

fn run(
    source: &str,
    label: &str,
    collection: SigmaCollection,
    examples: &yaml_serde::Value,
    payload_key: &str,
) -> Vec<ExampleOutcome> {
    let mut builder = RuleSetBuilder::new();
    sigma::add_collection(&mut builder, source, collection);
    let (rules, errors) = builder.build();
    if !errors.is_empty() {
        let reasons: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        return vec![failure(label, "compile", reasons.join("; "))];
    }
    let rules = Arc::new(rules);
    let Some(entries) = examples.as_sequence() else {
        return vec![failure(label, EXAMPLES_KEY, "must be a list".into())];
    };
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| run_one(&rules, label, i, entry, payload_key))
        .collect()
}

/// One input line of an example: a string is the raw line (an access-log line, a W3C
/// directive), anything else a JSON document.
pub fn example_line(doc: &yaml_serde::Value) -> Result<String, String> {
    match doc {
        yaml_serde::Value::String(raw) => Ok(raw.clone()),
        doc => serde_json::to_string(doc)
            .map_err(|e| format!("event is not representable as JSON: {e}")),
    }
}

fn run_one(
    rules: &Arc<RuleSet>,
    label: &str,
    index: usize,
    entry: &yaml_serde::Value,
    payload_key: &str,
) -> ExampleOutcome {
    let name = entry
        .get("name")
        .and_then(|n| n.as_str())
        .map_or_else(|| index.to_string(), str::to_owned);
    let mut outcome = ExampleOutcome {
        rule: label.into(),
        example: name,
        expect_match: true,
        matched: false,
        error: None,
    };
    outcome.expect_match = match entry.get("expect").and_then(|e| e.as_str()) {
        Some("match") => true,
        Some("no-match") => false,
        other => {
            outcome.error = Some(format!("`expect` must be match or no-match, not {other:?}"));
            return outcome;
        }
    };
    // Detection rules take `event` or `events`; correlations need `events`.
    let documents: Vec<&yaml_serde::Value> = match (entry.get("event"), entry.get("events")) {
        (Some(doc), None) if payload_key == "event" => vec![doc],
        (None, Some(docs)) => match docs.as_sequence() {
            Some(docs) => docs.iter().collect(),
            None => {
                outcome.error = Some("`events` must be a list".into());
                return outcome;
            }
        },
        _ => {
            outcome.error = Some(format!("needs `{payload_key}`"));
            return outcome;
        }
    };
    let header: Vec<&yaml_serde::Value> = match entry.get("header") {
        None => Vec::new(),
        Some(yaml_serde::Value::Sequence(lines)) => lines.iter().collect(),
        Some(line) => vec![line],
    };
    let mut input = Vec::new();
    for doc in header.into_iter().chain(documents) {
        match example_line(doc) {
            Ok(line) => {
                input.extend_from_slice(line.as_bytes());
                input.push(b'\n');
            }
            Err(e) => {
                outcome.error = Some(e);
                return outcome;
            }
        }
    }
    let mut scanner = Scanner::new(rules.clone(), ScanConfig::default());
    let mut alerts: Vec<Alert> = Vec::new();
    scanner.begin_source(format!("example:{}", outcome.example), &mut alerts);
    scanner.feed(&input, &mut alerts);
    scanner.finish(&mut alerts);
    if scanner.stats().lines_rejected > 0 {
        outcome.error = Some("an example event was rejected by ingest".into());
        return outcome;
    }
    outcome.matched = alerts.iter().any(|a| a.rule.label() == label);
    outcome
}
