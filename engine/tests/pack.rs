//! The built-in pack: every rule compiles, has a stable name, and passes its own examples,
//! with positive examples in every event schema (every access-log format for web rules).

use std::collections::BTreeSet;

use tripline_engine::examples::{check_examples, example_line};
use tripline_engine::{RuleSet, builtin_files};
use tripline_ingest::{AccessFormat, Event, FieldPlan, Parsed, Parser, Schema};

#[test]
fn the_pack_compiles_with_stable_names() {
    let rules = RuleSet::builtin();
    let names: BTreeSet<&str> = rules
        .rules()
        .iter()
        .filter_map(|r| r.name.as_deref())
        .collect();
    for name in [
        "web_server_suspicious_child",
        "exchange_worker_suspicious_child",
        "web_root_file_then_shell",
        "web_root_script_file_created",
        "web_server_shell_spawned",
        "access_log_jndi_lookup",
        "access_log_sql_injection",
    ] {
        assert!(names.contains(name), "missing {name} in {names:?}");
    }
    assert_eq!(
        names.len(),
        rules.rules().len(),
        "every rule has a unique name"
    );
    // The correlation's base rules feed it and raise nothing themselves.
    for base in ["web_root_script_file_created", "web_server_shell_spawned"] {
        assert!(!rules.generates(rules.find(base).unwrap()));
    }
}

#[test]
fn every_example_of_every_rule_passes() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (file, text) in builtin_files() {
        for outcome in check_examples(file, text) {
            total += 1;
            if !outcome.passed() {
                failures.push(format!("{file}: {outcome:?}"));
            }
        }
    }
    assert!(total >= 30, "only {total} examples");
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Rules that raise alerts show a positive example in every event schema they can meet:
/// every endpoint schema for process and file rules, every access-log format for
/// `webserver` rules; the base rules of a correlation, which only feed it, need one.
#[test]
fn each_rule_has_positives_in_every_schema_and_negatives() {
    let rules = RuleSet::builtin();
    let plan = FieldPlan::standard();
    let mut parser = Parser::new();
    for (file, text) in builtin_files() {
        for doc in yaml_documents(text) {
            let Some(examples) = doc.get("tripline.examples").and_then(|e| e.as_sequence()) else {
                continue;
            };
            let name = doc["name"].as_str().unwrap_or("?").to_owned();
            let web = doc["logsource"]["category"].as_str() == Some("webserver");
            let mut positive_shapes = BTreeSet::new();
            let (mut positives, mut negatives) = (0, 0);
            for example in examples {
                let expect_match = example["expect"].as_str() == Some("match");
                positives += usize::from(expect_match);
                negatives += usize::from(!expect_match);
                let mut lines: Vec<&yaml_serde::Value> = match example.get("header") {
                    Some(yaml_serde::Value::Sequence(h)) => h.iter().collect(),
                    Some(h) => vec![h],
                    None => Vec::new(),
                };
                match example.get("events") {
                    Some(list) => lines.extend(list.as_sequence().unwrap()),
                    None => lines.push(&example["event"]),
                }
                parser.begin_source();
                for line in lines {
                    let line = example_line(line).unwrap();
                    let parsed = parser.parse(&plan, line.as_bytes());
                    let Ok(Parsed::Event(event)) = parsed else {
                        assert!(parsed.is_ok(), "{file}: {name}: {line}: {parsed:?}");
                        continue;
                    };
                    if expect_match {
                        positive_shapes.insert(shape(&event));
                    }
                }
            }
            if rules.generates(rules.find(&name).unwrap()) {
                let wanted: BTreeSet<String> = if web {
                    AccessFormat::ALL
                        .iter()
                        .map(|f| f.key().to_owned())
                        .collect()
                } else {
                    Schema::ALL
                        .iter()
                        .filter(|s| **s != Schema::AccessLog)
                        .map(|s| s.key().to_owned())
                        .collect()
                };
                assert!(
                    wanted.is_subset(&positive_shapes),
                    "{file}: {name}: positives in {positive_shapes:?}, want {wanted:?}"
                );
            } else {
                assert!(
                    !positive_shapes.is_empty(),
                    "{file}: {name}: no positive example"
                );
            }
            // Web rules meet far more benign traffic: ten of each at least.
            let (min_positives, min_negatives) = if web { (10, 10) } else { (1, 2) };
            assert!(
                positives >= min_positives && negatives >= min_negatives,
                "{file}: {name}: {positives} positive and {negatives} negative examples"
            );
        }
    }
}

/// An event's schema, or its access-log format.
fn shape(event: &Event<'_>) -> String {
    match event.access_format() {
        Some(format) => format.key().to_owned(),
        None => event.schema().key().to_owned(),
    }
}

fn yaml_documents(text: &str) -> Vec<yaml_serde::Value> {
    use serde::Deserialize;
    yaml_serde::Deserializer::from_str(text)
        .map(|d| yaml_serde::Value::deserialize(d).unwrap())
        .collect()
}
