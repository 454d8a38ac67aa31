//! Correlation rules end to end: the specification's examples with events written for
//! them ([`spec`]), a naive reference implementation that the engine must agree with for
//! random events in random arrival orders ([`reference`]), the Hayabusa correlation
//! rules on real logon events ([`hayabusa`]), and the state's limits: lateness, caps,
//! suppression, shards ([`limits`]).

mod hayabusa;
mod limits;
mod reference;
mod spec;

use std::sync::Arc;

use tripline_engine::{Alert, RuleSet, RuleSetBuilder, ScanConfig, ScanStats, Scanner};

/// Compiles `yaml`, which must compile without errors.
pub fn compile(yaml: &str) -> Arc<RuleSet> {
    let mut builder = RuleSetBuilder::new();
    builder.add_sigma_yaml("test.yml", yaml);
    let (rules, errors) = builder.build();
    assert!(errors.is_empty(), "{errors:#?}");
    Arc::new(rules)
}

/// Detection rules `a`, `b`, `c`: Security events with EventID 1, 2, 3.
pub const BASE_RULES: &str = r#"
title: A
name: a
logsource: {product: windows, service: security}
detection: {selection: {EventID: 1}, condition: selection}
---
title: B
name: b
logsource: {product: windows, service: security}
detection: {selection: {EventID: 2}, condition: selection}
---
title: C
name: c
logsource: {product: windows, service: security}
detection: {selection: {EventID: 3}, condition: selection}
---
"#;

/// `2026-11-20T10:00:00Z` plus `seconds`.
pub fn time(seconds: i64) -> String {
    tripline_ingest::Timestamp::from_unix_nanos((1_795_168_800 + seconds) * 1_000_000_000)
        .to_string()
}

/// A flat Windows Security event (Winlogbeat-like) at `seconds` with `fields`.
pub fn security(seconds: i64, event_id: u32, fields: serde_json::Value) -> String {
    let mut event = serde_json::json!({
        "@timestamp": time(seconds),
        "Channel": "Security",
        "EventID": event_id,
    });
    if let (Some(e), Some(f)) = (event.as_object_mut(), fields.as_object()) {
        e.extend(f.clone());
    }
    event.to_string()
}

/// Scans `lines` as one input.
pub fn scan(rules: &Arc<RuleSet>, lines: &[String], config: ScanConfig) -> (Vec<Alert>, ScanStats) {
    let mut scanner = Scanner::new(rules.clone(), config);
    let mut alerts = Vec::new();
    scanner.begin_source("input.ndjson", &mut alerts);
    for line in lines {
        scanner.feed(line.as_bytes(), &mut alerts);
        scanner.feed(b"\n", &mut alerts);
    }
    scanner.finish(&mut alerts);
    (alerts, scanner.stats().clone())
}

/// (rule label, lines of the contributing events) of each alert, in output order.
pub fn summary(alerts: &[Alert]) -> Vec<(String, Vec<u64>)> {
    alerts
        .iter()
        .map(|a| {
            (
                a.rule.label().to_owned(),
                a.events.iter().map(|e| e.source.line).collect(),
            )
        })
        .collect()
}

/// The alerts of one rule: the lines of their events.
pub fn lines_of(alerts: &[Alert], rule: &str) -> Vec<Vec<u64>> {
    summary(alerts)
        .into_iter()
        .filter(|(r, _)| r == rule)
        .map(|(_, l)| l)
        .collect()
}

/// A small deterministic generator (SplitMix64) for the property tests.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

#[test]
fn time_formats_civil_dates() {
    assert_eq!(time(0), "2026-11-20T10:00:00Z");
    assert_eq!(time(14 * 3600 + 61), "2026-11-21T00:01:01Z");
}
