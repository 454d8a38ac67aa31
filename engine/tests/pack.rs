//! The built-in pack: every rule compiles, has a stable name, and passes its own examples,
//! with positive examples in every event schema.

use std::collections::BTreeSet;

use tripline_engine::examples::check_examples;
use tripline_engine::{RuleSet, builtin_files};
use tripline_ingest::{FieldPlan, Parser, Schema};

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
            let mut positive_schemas = BTreeSet::new();
            let mut negatives = 0;
            for example in examples {
                let expect_match = example["expect"].as_str() == Some("match");
                negatives += usize::from(!expect_match);
                let events: Vec<&yaml_serde::Value> = match example.get("events") {
                    Some(list) => list.as_sequence().unwrap().iter().collect(),
                    None => vec![&example["event"]],
                };
                for event in events {
                    let line = serde_json::to_string(event).unwrap();
                    let schema = parser.parse(&plan, line.as_bytes()).map(|e| e.schema());
                    if expect_match {
                        positive_schemas.insert(format!("{:?}", schema.unwrap()));
                    }
                }
            }
            // Rules that raise alerts show a positive in every schema; the base rules of
            // a correlation, which only feed it, need one positive.
            if rules.generates(rules.find(&name).unwrap()) {
                let all: BTreeSet<String> = Schema::ALL.iter().map(|s| format!("{s:?}")).collect();
                assert_eq!(
                    positive_schemas, all,
                    "{file}: {name}: schemas with a positive example"
                );
            } else {
                assert!(
                    !positive_schemas.is_empty(),
                    "{file}: {name}: no positive example"
                );
            }
            assert!(
                negatives >= 2,
                "{file}: {name}: only {negatives} negative examples"
            );
        }
    }
}

fn yaml_documents(text: &str) -> Vec<yaml_serde::Value> {
    use serde::Deserialize;
    yaml_serde::Deserializer::from_str(text)
        .map(|d| yaml_serde::Value::deserialize(d).unwrap())
        .collect()
}
