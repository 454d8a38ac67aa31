//! Inputs for the benchmarks, built outside the timers: a generated fleet corpus (the
//! corpus crate's mixed fleet, every schema), web access logs ([`access`]), a web-shell
//! fleet for correlation ([`correlation`]) and the rule sets.

pub mod access;
pub mod correlation;

use std::path::Path;
use std::sync::Arc;

use tripline_corpus::{Amount, Fleet, FleetConfig, SchemaChoice};
use tripline_engine::{Alert, RuleSet, RuleSetBuilder, ScanConfig, Scanner};

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
