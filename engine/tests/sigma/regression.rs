//! The SigmaHQ regression oracle: every test of `regression_data/INDEX.tsv` (a rule run
//! alone over its recorded events must raise at least `match_count` alerts) passes, or is
//! listed with its reason in `engine/tests/sigma-regression-skips.tsv`.
//!
//! The list only shrinks: a listed test that passes fails this test (remove the line), and
//! so does a listed test that fails for another reason than the one written (a listed
//! reason starts with the failure as the oracle reports it; a cause found by hand may
//! follow after `: `). After an engine change,
//! `TRIPLINE_UPDATE_SKIPS=1 cargo test -p tripline-engine --test sigma regression`
//! rewrites the list: passing tests leave it, new failures join it with the oracle's
//! reason, and reasons that still hold keep their annotations. Review the diff.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use tripline_engine::RuleSetBuilder;
use tripline_engine::regression::{RegressionTest, load_index, run};

use crate::{sigma_root, test_file};

const SKIPS: &str = "sigma-regression-skips.tsv";

const SKIPS_HEADER: &str = "\
# SigmaHQ regression tests (shared/data/sigma/regression_data/INDEX.tsv) that Tripline fails today.
# rule_id<TAB>reason. A reason starts with the failure as the oracle reports it (the compile
# error, or `matches N of M`); the cause, when known, follows after `: `.
# engine/tests/sigma/regression.rs fails when a listed test passes or fails for another reason.
# Rewrite: TRIPLINE_UPDATE_SKIPS=1 cargo test -p tripline-engine --test sigma regression
";

/// `rule_id -> reason`, from the skip list's text.
fn parse_skips(text: &str) -> BTreeMap<String, String> {
    let mut skips = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, reason) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("{SKIPS}:{}: expected rule_id<TAB>reason", i + 1));
        assert!(!reason.trim().is_empty(), "{SKIPS}:{}: empty reason", i + 1);
        let previous = skips.insert(id.to_owned(), reason.to_owned());
        assert!(previous.is_none(), "{SKIPS}:{}: {id} listed twice", i + 1);
    }
    skips
}

fn label(test: &RegressionTest) -> String {
    format!("{} ({})", test.rule_id, test.title)
}

#[test]
fn every_sigmahq_regression_test_passes_or_is_a_listed_gap() {
    let tests = load_index(&sigma_root()).expect("regression_data/INDEX.tsv beside the repository");
    assert_eq!(tests.len(), 202, "the index lists 202 tests");
    let skips_path = test_file(SKIPS);
    let skips = parse_skips(&std::fs::read_to_string(&skips_path).expect(SKIPS));

    let mut passed = 0;
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    // What the list would say now: the failures, with their reasons.
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    for test in &tests {
        let outcome = run(test, &RuleSetBuilder::new);
        let listed = skips.get(&test.rule_id);
        match (&outcome.error, listed) {
            (None, None) => passed += 1,
            (None, Some(_)) => problems.push(format!(
                "{} now passes ({}/{}): remove it from {SKIPS}",
                label(test),
                outcome.matches,
                test.min_matches
            )),
            (Some(error), Some(reason)) if reason.starts_with(error.as_str()) => {
                *skipped.entry(error.clone()).or_default() += 1;
                current.insert(test.rule_id.clone(), reason.clone());
            }
            (Some(error), listed) => {
                problems.push(match listed {
                    Some(reason) => format!(
                        "{} fails with `{error}`, but {SKIPS} says `{reason}`",
                        label(test)
                    ),
                    None => format!("{} fails: {error}", label(test)),
                });
                current.insert(test.rule_id.clone(), error.clone());
            }
        }
    }
    for id in skips.keys() {
        if !tests.iter().any(|t| &t.rule_id == id) {
            problems.push(format!("{id} is in {SKIPS} but not in the index"));
        }
    }

    let mut summary = format!(
        "SigmaHQ regression oracle: {} tests, {passed} passed, {} skipped (known gaps), {} problems\n",
        tests.len(),
        skipped.values().sum::<usize>(),
        problems.len()
    );
    for (error, count) in &skipped {
        writeln!(summary, "  skipped {count:>3}  {error}").unwrap();
    }
    for problem in &problems {
        writeln!(summary, "  PROBLEM  {problem}").unwrap();
    }
    println!("{summary}");

    if std::env::var_os("TRIPLINE_UPDATE_SKIPS").is_some_and(|v| v == "1") {
        let mut text = SKIPS_HEADER.to_owned();
        for (id, reason) in &current {
            writeln!(text, "{id}\t{reason}").unwrap();
        }
        std::fs::write(&skips_path, text).expect("rewriting the skip list");
        println!("rewrote {}", skips_path.display());
        return;
    }
    assert!(
        problems.is_empty(),
        "{summary}\nFix the engine, or edit {SKIPS} (see this test's doc comment)."
    );
}
