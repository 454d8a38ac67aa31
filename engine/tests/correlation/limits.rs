//! The state's limits and runtime: the same alerts for any number of worker and shard
//! threads and any chunking; per-group and global caps that evict (and count) instead of
//! growing; suppression; events without a time.

use serde_json::json;
use tripline_engine::{CorrelationLimits, ScanConfig, StateBudget};

use super::{BASE_RULES, Rng, compile, lines_of, scan, security};

const CORRELATIONS: &str = r#"
title: count
name: count
correlation: {type: event_count, rules: [a], group-by: [Computer], timespan: 10m, condition: {gte: 3}}
---
title: ordered
name: ordered
correlation: {type: temporal_ordered, rules: [a, b], group-by: [Computer], timespan: 10m, generate: true}
"#;

fn rule_text() -> String {
    format!("{BASE_RULES}{CORRELATIONS}")
}

fn config(threads: usize, shards: usize) -> ScanConfig {
    ScanConfig {
        threads,
        correlation: CorrelationLimits {
            shards,
            ..CorrelationLimits::default()
        },
        ..ScanConfig::default()
    }
}

/// Scans `input` fed in pieces of `chunk` bytes.
fn scan_chunked(config: ScanConfig, input: &str, chunk: usize) -> Vec<String> {
    let rules = compile(&rule_text());
    let mut scanner = tripline_engine::Scanner::new(rules, config);
    let mut alerts = Vec::new();
    scanner.begin_source("fleet.ndjson", &mut alerts);
    for piece in input.as_bytes().chunks(chunk) {
        scanner.feed(piece, &mut alerts);
    }
    scanner.finish(&mut alerts);
    alerts.iter().map(|a| a.to_json()).collect()
}

#[test]
fn threads_shards_and_chunks_do_not_change_the_alerts() {
    // 5,000 events of 200 hosts, roughly in time order (jitter within the lateness bound).
    let mut rng = Rng(11);
    let mut input = String::new();
    for i in 0..5000i64 {
        let host = format!("host{:03}", rng.below(200));
        let time = i * 2 + rng.below(600) as i64;
        input.push_str(&security(
            time,
            1 + rng.below(2) as u32,
            json!({"Hostname": host}),
        ));
        input.push('\n');
        if i % 97 == 0 {
            input.push_str("{not json\n");
        }
    }
    let reference = scan_chunked(config(1, 0), &input, usize::MAX);
    assert!(reference.len() > 1000, "{}", reference.len());
    for threads in [1, 2, 4, 8] {
        for shards in [0, 1, 2, 4] {
            for chunk in [usize::MAX, 4096, 333] {
                let other = scan_chunked(config(threads, shards), &input, chunk);
                assert!(
                    other == reference,
                    "threads {threads}, shards {shards}, chunk {chunk}: output differs"
                );
            }
        }
    }
}

#[test]
fn a_full_group_evicts_its_oldest_events_and_counts_them() {
    let rules = compile(&rule_text().replace("gte: 3", "gte: 10"));
    let mut config = ScanConfig::default();
    config.correlation.max_events_per_group = 5;
    config.correlation.max_lateness = 0;
    let lines: Vec<String> = (0..12)
        .map(|i| security(i, 1, json!({"Hostname": "h"})))
        .collect();
    let (alerts, stats) = scan(&rules, &lines, config);
    assert!(
        lines_of(&alerts, "count").is_empty(),
        "never 10 held at once"
    );
    // 7 from each of the two correlations `a` feeds.
    assert_eq!(stats.correlation.evicted_events, 14);
}

#[test]
fn the_global_cap_completes_and_evicts_the_oldest_groups() {
    let rules = compile(&rule_text());
    // 100 hosts, each with 3 events of `a` (one alert each), one host after another.
    let lines: Vec<String> = (0..300)
        .map(|i| security(i, 1, json!({"Hostname": format!("h{}", i / 3)})))
        .collect();
    for shards in [0, 2] {
        let mut config = config(1, shards);
        config.correlation.max_state = StateBudget::Keys(10);
        let (alerts, stats) = scan(&rules, &lines, config);
        // Evicted groups are completed first: their events are evaluated, not lost.
        assert_eq!(lines_of(&alerts, "count").len(), 100, "shards {shards}");
        assert!(
            stats.correlation.evicted_groups >= 80,
            "{:?}",
            stats.correlation
        );
        assert!(
            stats.correlation.peak_groups <= 11,
            "{:?}",
            stats.correlation
        );
    }
}

#[test]
fn suppression_throttles_per_group_and_counts() {
    // 9 events of `a` on h1 within 9 minutes: 3 matches of `count`; with a 1-hour
    // suppression only the first goes out. h2's match is not suppressed by h1's.
    let yaml = rule_text().replace("name: count\n", "name: count\ntripline.suppress: 1h\n");
    let rules = compile(&yaml);
    let mut lines: Vec<String> = (0..9)
        .map(|i| security(i * 60, 1, json!({"Hostname": "h1"})))
        .collect();
    lines.extend((0..3).map(|i| security(i * 60, 1, json!({"Hostname": "h2"}))));
    let (alerts, stats) = scan(&rules, &lines, ScanConfig::default());
    assert_eq!(
        lines_of(&alerts, "count"),
        [vec![1, 2, 3], vec![10, 11, 12]]
    );
    assert_eq!(stats.correlation.suppressed_alerts, 2);
    // Without the attribute, all three h1 matches go out.
    let (alerts, _) = scan(&compile(&rule_text()), &lines, ScanConfig::default());
    assert_eq!(lines_of(&alerts, "count").len(), 4);
}

#[test]
fn suppression_of_detection_alerts_by_host() {
    let rules = compile(
        "title: whoami\nname: whoami\nlogsource: {product: windows, service: security}\n\
         detection: {selection: {EventID: 4688}, condition: selection}\n",
    );
    let lines: Vec<String> = [("h1", 0), ("h1", 60), ("h2", 90), ("h1", 7200)]
        .iter()
        .map(|(h, s)| security(*s, 4688, json!({"Hostname": h})))
        .collect();
    let mut config = ScanConfig::default();
    config.correlation.suppress = Some(3600 * 1_000_000_000);
    let (alerts, stats) = scan(&rules, &lines, config);
    assert_eq!(lines_of(&alerts, "whoami"), [vec![1], vec![3], vec![4]]);
    assert_eq!(stats.correlation.suppressed_alerts, 1);
    assert_eq!(stats.alerts(), 3);
}

#[test]
fn events_without_a_time_are_counted_and_not_correlated() {
    let rules = compile(
        &rule_text()
            .replace("name: a\n", "name: a\nlevel: low\n")
            .replace(
                "correlation: {type: event_count",
                "correlation: {type: event_count, generate: true",
            ),
    );
    // `generate: true` on count: the base rule `a` alerts on its own, time or not.
    let untimed =
        serde_json::json!({"Channel": "Security", "EventID": 1, "Hostname": "h"}).to_string();
    let lines = vec![untimed.clone(), untimed.clone(), untimed];
    let (alerts, stats) = scan(&rules, &lines, ScanConfig::default());
    assert_eq!(lines_of(&alerts, "a").len(), 3);
    assert!(lines_of(&alerts, "count").is_empty());
    // Counted per correlation fed: `a` feeds two.
    assert_eq!(stats.correlation.untimed_events, 6);
}
