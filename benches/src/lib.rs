//! Inputs for the benchmarks, built outside the timers: a generated fleet corpus (the
//! corpus crate's mixed fleet, every schema), web access logs ([`access`]), a web-shell
//! fleet for correlation ([`correlation`]) and the rule sets.

pub mod access;
pub mod correlation;

use std::path::Path;
use std::sync::Arc;

use tripline_corpus::{Amount, Fleet, FleetConfig, SchemaChoice};
use tripline_engine::{Alert, RuleSet, RuleSetBuilder, ScanConfig, Scanner};

/// The input of the profiling examples, from `FILE [MAX_BYTES] [RUNS]` on the command
/// line of example `name`: the file's first MAX_BYTES (all of it by default), cut after
/// the last whole line, and RUNS (5 by default).
pub fn example_input(name: &str) -> (Vec<u8>, usize) {
    let usage = || -> ! { panic!("usage: {name} FILE [MAX_BYTES] [RUNS]") };
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| usage());
    let max: u64 = args
        .next()
        .map_or(u64::MAX, |a| a.parse().unwrap_or_else(|_| usage()));
    let runs: usize = args
        .next()
        .map_or(5, |a| a.parse().unwrap_or_else(|_| usage()));
    let mut bytes = Vec::new();
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    std::io::Read::read_to_end(&mut std::io::Read::take(file, max), &mut bytes)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    if bytes.len() as u64 >= max {
        let cut = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(cut);
    }
    (bytes, runs)
}

/// A generated input.
pub struct Input {
    pub bytes: Vec<u8>,
    pub lines: u64,
}

/// `events` events of a mixed fleet of 200 hosts (every endpoint schema), seeded.
pub fn fleet(events: u64) -> Input {
    let config = FleetConfig {
        hosts: 200,
        amount: Amount::Events(events),
        schema: SchemaChoice::Mix,
        seed: 7,
        ..FleetConfig::default()
    };
    let (bytes, _) = Fleet::new(config).generate_vec("bench.ndjson");
    let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64;
    Input { bytes, lines }
}

/// SigmaHQ's `rules/windows` (from `../shared/data`, beside the repository).
pub fn sigma_windows() -> Arc<RuleSet> {
    let mut builder = RuleSetBuilder::new();
    builder.add_path(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/sigma/rules/windows"),
    );
    let (rules, errors) = builder.build();
    assert!(errors.is_empty(), "{} rules failed", errors.len());
    Arc::new(rules)
}

/// Scans `bytes` in 4 MiB pieces; returns the number of alerts.
pub fn scan(rules: &Arc<RuleSet>, bytes: &[u8], config: ScanConfig) -> u64 {
    let mut scanner = Scanner::new(rules.clone(), config);
    let mut alerts: Vec<Alert> = Vec::new();
    scanner.begin_source("bench", &mut alerts);
    for chunk in bytes.chunks(4 << 20) {
        scanner.feed(chunk, &mut alerts);
    }
    scanner.finish(&mut alerts);
    alerts.len() as u64
}

/// The alerts of the plainest scan (one thread, every line parsed): what every other
/// configuration must find too.
pub fn reference_alerts(rules: &Arc<RuleSet>, bytes: &[u8]) -> u64 {
    let config = ScanConfig {
        prefilter: false,
        ..ScanConfig::default()
    };
    scan(rules, bytes, config)
}
