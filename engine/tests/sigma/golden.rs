//! The negative check: the whole SigmaHQ `rules/windows` tree (rules that do not compile
//! are counted and left out) over every file of `shared/data/events`, with the alerts of
//! each rule compared to `engine/tests/sigma-windows-golden.tsv`. A change in matching
//! behaviour shows as a diff of that file: new false positives, lost detections.
//!
//! `TRIPLINE_UPDATE_GOLDEN=1 cargo test -p tripline-engine --test sigma golden` rewrites
//! the file instead of comparing (after a deliberate change; review the diff).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tripline_engine::{Alert, RuleSetBuilder, ScanConfig, Scanner, Sink};
use tripline_ingest::source::{InputSpec, OpenOptions, expand, open};

use crate::{sigma_root, test_file};

const GOLDEN: &str = "sigma-windows-golden.tsv";

/// Alerts per rule, by the rule's index in the rule set.
struct Counts(Vec<u64>);

impl Sink for Counts {
    fn alert(&mut self, alert: Alert) {
        self.0[alert.rule_id.0 as usize] += 1;
    }
}

/// The golden file's text for the current engine, with how long compiling and scanning
/// took.
fn golden_text() -> (String, Duration, Duration) {
    let started = Instant::now();
    let mut builder = RuleSetBuilder::new();
    builder.add_path(&sigma_root().join("rules/windows"));
    let (rules, errors) = builder.build();
    let rules = Arc::new(rules);
    let compiled = started.elapsed();

    let started = Instant::now();
    let events = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/events");
    let (inputs, input_errors) = expand(&[InputSpec::Path(events)]);
    assert!(input_errors.is_empty(), "{input_errors:?}");
    assert!(inputs.len() > 590, "expected the ~600 event files");
    let mut counts = Counts(vec![0; rules.rules().len()]);
    let mut scanner = Scanner::new(rules.clone(), ScanConfig::default());
    let mut bytes = Vec::new();
    for input in &inputs {
        bytes.clear();
        let options = OpenOptions {
            max_decompressed_bytes: None,
        };
        let mut reader = open(input, options).unwrap_or_else(|e| panic!("{e}"));
        reader
            .read_to_end(&mut bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", input.name));
        scanner.begin_source(input.name.clone(), &mut counts);
        scanner.feed(&bytes, &mut counts);
    }
    scanner.finish(&mut counts);
    let scanned = started.elapsed();

    let stats = scanner.stats();
    let mut rows: Vec<(&str, &str, u64)> = rules
        .rules()
        .iter()
        .zip(&counts.0)
        .filter(|(_, n)| **n > 0)
        .map(|(meta, n)| (meta.id.as_deref().unwrap_or(meta.label()), &*meta.title, *n))
        .collect();
    rows.sort();
    let mut text = format!(
        "# SigmaHQ rules/windows: {} rules compiled, {} failed; events: {} files, {} lines, \
         {} evaluated, {} rejected; {} alerts of {} rules\n\
         # rule_id<TAB>title<TAB>alerts. Rewrite: TRIPLINE_UPDATE_GOLDEN=1 cargo test -p tripline-engine --test sigma golden\n",
        rules.rules().len(),
        errors.len(),
        inputs.len(),
        stats.lines_read,
        stats.lines_evaluated,
        stats.lines_rejected,
        rows.iter().map(|r| r.2).sum::<u64>(),
        rows.len(),
    );
    for (id, title, n) in rows {
        writeln!(text, "{id}\t{}\t{n}", title.replace(['\t', '\n'], " ")).unwrap();
    }
    (text, compiled, scanned)
}

/// `rule_id -> (title, alerts)`, and the header lines.
fn rows(text: &str) -> (Vec<&str>, BTreeMap<&str, (&str, &str)>) {
    let mut header = Vec::new();
    let mut rows = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') {
            header.push(line);
        } else if let [id, title, n] = line.split('\t').collect::<Vec<_>>()[..] {
            rows.insert(id, (title, n));
        }
    }
    (header, rows)
}

/// What changed from `old` to `new`, one line per rule.
fn describe_changes(old: &str, new: &str) -> String {
    let (old_header, old_rows) = rows(old);
    let (new_header, new_rows) = rows(new);
    let mut out = String::new();
    if old_header != new_header {
        writeln!(out, "header was: {}", old_header.join(" / ")).unwrap();
        writeln!(out, "header now: {}", new_header.join(" / ")).unwrap();
    }
    let ids: std::collections::BTreeSet<&str> =
        old_rows.keys().chain(new_rows.keys()).copied().collect();
    for id in ids {
        match (old_rows.get(id), new_rows.get(id)) {
            (Some((_, a)), Some((title, b))) if a != b => {
                writeln!(out, "  {id} {title}: {a} -> {b} alerts").unwrap()
            }
            (Some((title, a)), None) => writeln!(out, "  {id} {title}: {a} -> 0 alerts").unwrap(),
            (None, Some((title, b))) => writeln!(out, "  {id} {title}: 0 -> {b} alerts").unwrap(),
            _ => {}
        }
    }
    out
}

#[test]
fn sigma_windows_rules_over_the_public_event_logs_match_the_golden_counts() {
    let (text, compiled, scanned) = golden_text();
    let path = test_file(GOLDEN);
    println!(
        "{}\ncompiled in {compiled:.1?}, scanned in {scanned:.1?}",
        text.lines().next().unwrap_or_default()
    );
    if std::env::var_os("TRIPLINE_UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&path, &text).expect("rewriting the golden file");
        println!("rewrote {}", path.display());
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_default();
    if golden != text {
        panic!(
            "alert counts differ from {GOLDEN}:\n{}\nIf the change is intended, rewrite it with \
             TRIPLINE_UPDATE_GOLDEN=1 cargo test -p tripline-engine --test sigma golden",
            describe_changes(&golden, &text)
        );
    }
}
