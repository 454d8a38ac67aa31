//! Property test: for random events arriving in random orders within the lateness bound,
//! the engine's correlation alerts equal those of a naive reference — all events sorted by
//! time and every window recomputed from scratch — with the same contributing events.

use std::sync::Arc;

use serde_json::json;
use tripline_engine::{Alert, CorrelationLimits, RuleSet, ScanConfig, Scanner};

use super::{BASE_RULES, Rng, compile, security};

const CORRELATIONS: &str = r#"
title: count
name: count
correlation: {type: event_count, rules: [a], group-by: [Computer], timespan: 10m, condition: {gte: 3}}
---
title: distinct
name: distinct
correlation: {type: value_count, rules: [a, b], group-by: [Computer], timespan: 10m, condition: {field: User, gte: 2}}
---
title: together
name: together
correlation: {type: temporal, rules: [a, b, c], group-by: [Computer], timespan: 10m}
---
title: ordered
name: ordered
correlation: {type: temporal_ordered, rules: [a, b, c], group-by: [Computer], timespan: 10m}
---
title: sum
name: sum
correlation: {type: value_sum, rules: [c], group-by: [Computer], timespan: 10m, condition: {field: Bytes, gt: 10}}
---
title: chain
name: chain
correlation: {type: temporal_ordered, rules: [count, c], group-by: [Computer], timespan: 10m, generate: true}
"#;

fn rule_text() -> String {
    format!("{BASE_RULES}{CORRELATIONS}")
}

const TIMESPAN: i64 = 600;
const LATENESS: i64 = 600;

/// A generated event; it is the only line of the input named `file`.
#[derive(Clone, Debug)]
struct Event {
    time: i64,
    file: String,
    rule: usize,
    host: &'static str,
    user: &'static str,
    bytes: u64,
}

impl Event {
    fn line(&self) -> String {
        security(
            self.time,
            self.rule as u32 + 1,
            json!({"Hostname": self.host, "User": self.user, "Bytes": self.bytes}),
        )
    }
}

fn events(rng: &mut Rng) -> Vec<Event> {
    let n = 20 + rng.below(100) as usize;
    let hosts = ["h1", "h2", "h3"];
    let users = ["u1", "u2", "u3"];
    (0..n)
        .map(|i| Event {
            // Multiples of 30 s: many events share a time.
            time: rng.below(120) as i64 * 30,
            file: format!("e{i:03}"),
            rule: rng.below(3) as usize,
            host: hosts[rng.below(3) as usize],
            user: users[rng.below(3) as usize],
            bytes: rng.below(7),
        })
        .collect()
}

/// One item a correlation sees: an event, or (for `chain`) an alert of `count`.
#[derive(Clone, Debug)]
struct Item {
    time: i64,
    /// The file of the event that places it among items of the same time.
    file: String,
    step: usize,
    /// Files of the contributing events.
    files: Vec<String>,
    user: &'static str,
    bytes: u64,
}

/// (correlation, files of the contributing events) of every alert, sorted.
type Alerts = Vec<(String, Vec<String>)>;

/// Items of one group in evaluation order, evaluated naively: each window recomputed
/// from all items. Returns the alerts as (time, firing file, files).
fn naive(name: &str, items: &[Item], steps: usize) -> Vec<(i64, String, Vec<String>)> {
    let mut items = items.to_vec();
    items.sort_by(|x, y| (x.time, &x.file, x.step).cmp(&(y.time, &y.file, y.step)));
    let mut alerts = Vec::new();
    let mut consumed = 0; // items before this index were consumed by a match
    for (i, e) in items.iter().enumerate() {
        let window: Vec<&Item> = items[consumed..=i]
            .iter()
            .filter(|f| f.time >= e.time - TIMESPAN)
            .collect();
        let files = |w: &[&Item]| w.iter().flat_map(|f| f.files.clone()).collect::<Vec<_>>();
        let matched = match name {
            "ordered" | "chain" => {
                if e.step != steps - 1 {
                    continue;
                }
                // Going back, each earlier step's latest item strictly before the next.
                let mut chain = vec![e];
                for step in (0..steps - 1).rev() {
                    let next = chain[chain.len() - 1];
                    let found = items[..i].iter().rev().find(|f| {
                        f.step == step
                            && f.time >= e.time - TIMESPAN
                            && (f.time, &f.file) < (next.time, &next.file)
                    });
                    match found {
                        Some(f) => chain.push(f),
                        None => break,
                    }
                }
                if chain.len() == steps {
                    chain.reverse();
                    alerts.push((e.time, e.file.clone(), files(&chain)));
                }
                continue; // never consumed
            }
            "count" => (window.len() >= 3).then(|| files(&window)),
            "distinct" => {
                let mut users: Vec<_> = window.iter().map(|f| f.user).collect();
                users.sort();
                users.dedup();
                (users.len() >= 2).then(|| files(&window))
            }
            "together" => {
                let latest: Vec<&Item> = (0..steps)
                    .filter_map(|s| window.iter().rev().find(|f| f.step == s).copied())
                    .collect();
                (latest.len() == steps).then(|| {
                    let mut latest = latest;
                    latest.sort_by(|x, y| (x.time, &x.file).cmp(&(y.time, &y.file)));
                    files(&latest)
                })
            }
            "sum" => (window.iter().map(|f| f.bytes).sum::<u64>() > 10).then(|| files(&window)),
            _ => unreachable!(),
        };
        if let Some(files) = matched {
            alerts.push((e.time, e.file.clone(), files));
            consumed = i + 1;
        }
    }
    alerts
}

/// The reference answer for `events`.
fn reference(events: &[Event]) -> Alerts {
    let mut out = Vec::new();
    for host in ["h1", "h2", "h3"] {
        let of = |e: &&Event| e.host == host;
        let item = |e: &Event, step| Item {
            time: e.time,
            file: e.file.clone(),
            step,
            files: vec![e.file.clone()],
            user: e.user,
            bytes: e.bytes,
        };
        let fed = |rules: &[usize]| -> Vec<Item> {
            events
                .iter()
                .filter(of)
                .flat_map(|e| {
                    rules
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| **r == e.rule)
                        .map(|(step, _)| item(e, step))
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let mut add = |name: &str, alerts: &[(i64, String, Vec<String>)]| {
            for (_, _, files) in alerts {
                out.push((name.to_owned(), files.clone()));
            }
        };
        let count = naive("count", &fed(&[0]), 1);
        add("count", &count);
        add("distinct", &naive("distinct", &fed(&[0, 1]), 2));
        add("together", &naive("together", &fed(&[0, 1, 2]), 3));
        add("ordered", &naive("ordered", &fed(&[0, 1, 2]), 3));
        add("sum", &naive("sum", &fed(&[2]), 1));
        // `chain`: count's alerts (placed by their last event), then events of c.
        let mut chain: Vec<Item> = count
            .iter()
            .map(|(time, file, files)| Item {
                time: *time,
                file: file.clone(),
                step: 0,
                files: files.clone(),
                user: "",
                bytes: 0,
            })
            .collect();
        chain.extend(fed(&[2]).into_iter().map(|i| Item { step: 1, ..i }));
        add("chain", &naive("chain", &chain, 2));
    }
    out.sort();
    out
}

/// Scans `events` in this arrival order, each as its own one-line input.
fn engine(rules: &Arc<RuleSet>, events: &[Event], config: ScanConfig) -> (Alerts, u64) {
    let mut scanner = Scanner::new(rules.clone(), config);
    let mut alerts: Vec<Alert> = Vec::new();
    for e in events {
        scanner.begin_source(e.file.as_str(), &mut alerts);
        scanner.feed(e.line().as_bytes(), &mut alerts);
    }
    scanner.finish(&mut alerts);
    let mut out: Alerts = alerts
        .iter()
        .map(|a| {
            (
                a.rule.label().to_owned(),
                a.events.iter().map(|e| e.source.file.to_string()).collect(),
            )
        })
        .collect();
    out.sort();
    (out, scanner.stats().correlation.late_events)
}

/// An arrival order in which no event comes `LATENESS` or more after a later one.
fn arrival(rng: &mut Rng, events: &[Event]) -> Vec<Event> {
    let mut keyed: Vec<(i64, u64, Event)> = events
        .iter()
        .map(|e| {
            (
                e.time + rng.below(LATENESS as u64) as i64,
                rng.next_u64(),
                e.clone(),
            )
        })
        .collect();
    keyed.sort_by_key(|(k, tie, _)| (*k, *tie));
    keyed.into_iter().map(|(_, _, e)| e).collect()
}

fn config(shards: usize, threads: usize) -> ScanConfig {
    ScanConfig {
        threads,
        correlation: CorrelationLimits {
            max_lateness: LATENESS * 1_000_000_000,
            shards,
            ..CorrelationLimits::default()
        },
        ..ScanConfig::default()
    }
}

#[test]
fn random_arrival_within_lateness_matches_the_naive_reference() {
    let rules = compile(&rule_text());
    let mut matched = 0;
    for seed in 0..150u64 {
        let mut rng = Rng(seed);
        let events = events(&mut rng);
        let expected = reference(&events);
        matched += expected.len();
        for round in 0..4 {
            let order = arrival(&mut rng, &events);
            // Most rounds inline; some with shard and worker threads.
            let config = match (seed % 5, round) {
                (0, 1) => config(3, 1),
                (0, 2) => config(2, 2),
                _ => config(0, 1),
            };
            let (got, late) = engine(&rules, &order, config);
            assert_eq!(late, 0, "seed {seed} round {round}");
            assert_eq!(got, expected, "seed {seed} round {round}: {events:#?}");
        }
    }
    assert!(matched > 500, "the generator makes matches ({matched})");
}

#[test]
fn late_events_are_counted_and_still_evaluated() {
    let rules = compile(&rule_text());
    // Three events of `a` on one host, the first arriving an hour after the others.
    let event = |time, file: &str| Event {
        time,
        file: file.into(),
        rule: 0,
        host: "h1",
        user: "u1",
        bytes: 0,
    };
    let order = [
        event(3600, "e1"),
        event(3610, "e2"),
        event(3620, "e3"),
        event(3605, "e0"),
    ];
    let (alerts, late) = engine(&rules, &order, config(0, 1));
    assert_eq!(late, 0, "5 s behind is within the bound");
    assert!(
        alerts
            .iter()
            .any(|(r, f)| r == "count" && f == &["e1", "e0", "e2"])
    );
    // 3010 is 600 s behind 3610: late. It is evaluated at once (alone: e1 and e2 are not
    // final yet), then stays in the window, where e1 and e2 (10 minutes later, just
    // within the timespan) find it: a count of 3.
    let order = [event(3600, "e1"), event(3610, "e2"), event(3010, "e0")];
    let (alerts, late) = engine(&rules, &order, config(0, 1));
    assert_eq!(late, 4, "counted once per correlation `a` feeds");
    assert_eq!(
        alerts,
        [(
            "count".to_owned(),
            vec!["e0".to_owned(), "e1".into(), "e2".into()]
        )]
    );
    // Much later than the window: counted, evaluated, and no match can use it.
    let order = [event(3600, "e1"), event(3610, "e2"), event(0, "e0")];
    let (alerts, late) = engine(&rules, &order, config(0, 1));
    assert_eq!(late, 4);
    assert!(alerts.is_empty());
}
