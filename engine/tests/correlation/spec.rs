//! The correlation examples of the Sigma specification (`examples/correlation/*.yml`, read
//! as they are from ../shared/data), each with base rules and events written for it: one
//! set that must match and one that must not. Then the specification's own worked
//! examples: field aliases, and a correlation over a correlation.

use std::path::Path;

use serde_json::json;
use tripline_engine::ScanConfig;

use super::{compile, lines_of, scan, security};

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/sigma/spec/examples/correlation")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A base rule on Security events with this id or name and EventID.
fn base(label: &str, event_id: u32, extra: &str) -> String {
    let id_or_name = if label.len() == 36 && label.matches('-').count() == 4 {
        format!("id: {label}")
    } else {
        format!("name: {label}")
    };
    format!(
        "title: base {label}\n{id_or_name}\nlogsource: {{product: windows, service: security}}\n\
         detection:\n  selection:\n    EventID: {event_id}\n{extra}  condition: selection\n---\n"
    )
}

/// Alerts of the correlation titled in `yaml`: the lines of each.
fn run(yaml: &str, lines: &[String], rule: &str) -> Vec<Vec<u64>> {
    let rules = compile(yaml);
    let (alerts, stats) = scan(&rules, lines, ScanConfig::default());
    assert!(stats.balanced());
    lines_of(&alerts, rule)
}

const FAILED: &str = "5638f7c0-ac70-491d-8465-2a65075e0d86";

#[test]
fn event_count() {
    let yaml = base(FAILED, 4625, "") + &example("event_count.yml");
    let rule = "0e95725d-7320-415d-80f7-004da920fc11";
    // 100 failures on one computer within 50 minutes: one alert with all 100.
    let hits: Vec<String> = (0..100)
        .map(|i| security(i * 30, 4625, json!({"ComputerName": "dc1"})))
        .collect();
    let alerts = run(&yaml, &hits, rule);
    assert_eq!(alerts, [(1..=100).collect::<Vec<u64>>()]);
    // 99 on one computer, and 100 on another spread over 3 hours: none.
    let mut misses: Vec<String> = (0..99)
        .map(|i| security(i * 30, 4625, json!({"ComputerName": "dc1"})))
        .collect();
    misses.extend((0..100).map(|i| security(i * 108, 4625, json!({"ComputerName": "dc2"}))));
    assert!(run(&yaml, &misses, rule).is_empty());
}

#[test]
fn event_count_ecs() {
    let yaml = base(FAILED, 4625, "") + &example("event_count_ecs.yml");
    let rule = "0e95725d-7320-415d-80f7-004da920fc11";
    let event =
        |i: i64, name: &str| security(i * 30, 4625, json!({"dns": {"question": {"name": name}}}));
    let hits: Vec<String> = (0..100).map(|i| event(i, "evil.example")).collect();
    assert_eq!(run(&yaml, &hits, rule).len(), 1);
    // 150 lookups over 2 names, neither reaching 100.
    let misses: Vec<String> = (0..150)
        .map(|i| event(i, if i % 2 == 0 { "a.example" } else { "b.example" }))
        .collect();
    assert!(run(&yaml, &misses, rule).is_empty());
}

#[test]
fn value_count() {
    let yaml = base(FAILED, 4625, "") + &example("value_count.yml");
    let rule = "0e95725d-7320-415d-80f7-004da920fc12";
    let event = |i: i64, user: String| {
        security(
            i * 60,
            4625,
            json!({"ComputerName": "dc1", "WorkstationName": "ws7", "User": user}),
        )
    };
    // 100 distinct users from one workstation within a day (the 100th completes it).
    let hits: Vec<String> = (0..100).map(|i| event(i, format!("user{i}"))).collect();
    let alerts = run(&yaml, &hits, rule);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].len(), 100);
    // 99 users, three times each: 297 failures but 99 distinct users.
    let misses: Vec<String> = (0..297)
        .map(|i| event(i, format!("user{}", i % 99)))
        .collect();
    assert!(run(&yaml, &misses, rule).is_empty());
}

fn recon_rules() -> String {
    ["a", "b", "c"]
        .iter()
        .map(|x| {
            base(
                &format!("recon_cmd_{x}"),
                800,
                &format!("    CommandLine|contains: 'recon-{x}'\n"),
            )
        })
        .collect()
}

fn recon(seconds: i64, x: &str, user: &str) -> String {
    security(
        seconds,
        800,
        json!({"ComputerName": "ws1", "User": user, "CommandLine": format!("tool recon-{x}")}),
    )
}

#[test]
fn temporal() {
    let yaml = recon_rules() + &example("temporal.yml");
    // Any order within 5 minutes, same computer and user.
    let hits = [
        recon(0, "c", "bob"),
        recon(60, "a", "bob"),
        recon(200, "b", "bob"),
    ];
    assert_eq!(run(&yaml, &hits, "Recon"), [vec![1, 2, 3]]);
    // Spread over 6 minutes, or with another user: none.
    let misses = [
        recon(0, "a", "bob"),
        recon(180, "b", "bob"),
        recon(360, "c", "bob"),
        recon(370, "a", "alice"),
        recon(380, "b", "alice"),
        recon(390, "c", "eve"),
    ];
    assert!(run(&yaml, &misses, "Recon").is_empty());
}

#[test]
fn temporal_ordered() {
    let yaml = recon_rules() + &example("temporal_ordered.yml");
    let rule = "Recon ordered";
    let hits = [
        recon(0, "a", "bob"),
        recon(60, "b", "bob"),
        recon(200, "c", "bob"),
    ];
    assert_eq!(run(&yaml, &hits, rule), [vec![1, 2, 3]]);
    // The same lines arriving in reverse: event time decides, not arrival.
    let reversed: Vec<String> = hits.iter().rev().cloned().collect();
    assert_eq!(run(&yaml, &reversed, rule), [vec![3, 2, 1]]);
    // Out of order in event time: none.
    let misses = [
        recon(0, "c", "bob"),
        recon(60, "b", "bob"),
        recon(200, "a", "bob"),
    ];
    assert!(run(&yaml, &misses, rule).is_empty());
}

/// A connection of bob from 10.0.0.5 with `bytes` in `field`.
fn traffic(seconds: i64, field: &str, bytes: u64) -> String {
    let mut fields = json!({"SourceIP": "10.0.0.5", "User": "bob"});
    fields[field] = bytes.into();
    security(seconds, 5156, fields)
}

#[test]
fn value_sum() {
    let yaml = base("website_access", 5156, "") + &example("value_sum.yml");
    let rule = "Possible Exfiltration to Website";
    let event = |s, bytes| traffic(s, "bytes_sent", bytes);
    // 3 × 400 kB within the hour: over 1 MB at the third.
    let hits = [event(0, 400_000), event(600, 400_000), event(1200, 400_000)];
    assert_eq!(run(&yaml, &hits, rule), [vec![1, 2, 3]]);
    // The same spread over three hours: none.
    let misses = [
        event(0, 400_000),
        event(3700, 400_000),
        event(7400, 400_000),
    ];
    assert!(run(&yaml, &misses, rule).is_empty());
}

#[test]
fn value_avg() {
    let yaml = base("rule_a_id", 5156, "") + &example("value_avg.yml");
    let rule = "Suspicious average network traffic";
    let event = |s, bytes| traffic(s, "BytesOut", bytes);
    // 100 then 1000: the average 550 is over 500 at the second.
    assert_eq!(
        run(&yaml, &[event(0, 100), event(60, 1000)], rule),
        [vec![1, 2]]
    );
    // 100 then 900: 500 is not over 500.
    assert!(run(&yaml, &[event(0, 100), event(60, 900)], rule).is_empty());
}

#[test]
fn value_percentile() {
    // The example aggregates `Image`, a text field: no event has a number there, so
    // nothing can match, and every event is counted as without a value.
    let yaml = base("process_creation", 800, "") + &example("value_percentile.yml");
    let rules = super::compile(&yaml);
    let lines: Vec<String> = (0..5)
        .map(|i| security(i, 800, json!({"ComputerName": "ws1", "Image": "C:\\x.exe"})))
        .collect();
    let (alerts, stats) = scan(&rules, &lines, ScanConfig::default());
    assert!(alerts.is_empty());
    assert_eq!(stats.correlation.valueless_events, 5);
    // The same rule over a numeric field: the median (the default percentile) of the
    // values in the window must be at most 1.
    let numeric = yaml.replace("field: Image", "field: Size");
    let event = |s: i64, size: u64| security(s, 800, json!({"ComputerName": "ws1", "Size": size}));
    let rule = "A computer spawned a processes name in the last 24h than 1% of all the processes.";
    // 5, 3, 1, 0: the median (nearest rank) reaches 1 at the fourth.
    let hits = [event(0, 5), event(1, 3), event(2, 1), event(3, 0)];
    assert_eq!(run(&numeric, &hits, rule), [vec![1, 2, 3, 4]]);
    let misses = [event(0, 5), event(1, 3), event(2, 1), event(3, 7)];
    assert!(run(&numeric, &misses, rule).is_empty());
}

#[test]
fn aliases_group_different_fields() {
    // The specification's aliases example: the same address as destination.ip of an
    // internal error and source.ip of a new connection, within 10 seconds.
    let yaml = r#"
title: Internal error
name: internal_error
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 500}
  condition: selection
---
title: New connection
name: new_network_connection
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 5156}
  condition: selection
---
title: Error then connection
correlation:
  type: temporal
  rules: [internal_error, new_network_connection]
  group-by: [internal_ip, remote_ip]
  timespan: 10s
  aliases:
    internal_ip:
      internal_error: destination.ip
      new_network_connection: source.ip
    remote_ip:
      internal_error: source.ip
      new_network_connection: destination.ip
"#;
    let error = |s, src: &str, dst: &str| {
        security(
            s,
            500,
            json!({"source": {"ip": src}, "destination": {"ip": dst}}),
        )
    };
    let connection = |s, src: &str, dst: &str| {
        security(
            s,
            5156,
            json!({"source": {"ip": src}, "destination": {"ip": dst}}),
        )
    };
    let hits = [
        error(0, "203.0.113.9", "10.0.0.1"),
        connection(5, "10.0.0.1", "203.0.113.9"),
    ];
    let rules = compile(yaml);
    let (alerts, _) = scan(&rules, &hits, ScanConfig::default());
    assert_eq!(lines_of(&alerts, "Error then connection"), [vec![1, 2]]);
    assert_eq!(
        alerts[0].group_by,
        [
            ("internal_ip".to_owned(), "10.0.0.1".to_owned()),
            ("remote_ip".to_owned(), "203.0.113.9".to_owned())
        ]
    );
    // The same fields (not swapped) do not correlate.
    let misses = [
        error(0, "203.0.113.9", "10.0.0.1"),
        connection(5, "203.0.113.9", "10.0.0.1"),
    ];
    assert!(run(yaml, &misses, "Error then connection").is_empty());
}

/// The specification's complete example: many failed logins, then a success, by one
/// user: a temporal_ordered correlation over an event_count one.
const FAILED_THEN_SUCCESS: &str = r#"
title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 529
            - 4625
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 528
            - 4624
    condition: selection
"#;

#[test]
fn correlation_over_a_correlation() {
    let rule = "b180ead8-d58f-40b2-ae54-c8940995b9b6";
    let logon = |s, id, user: &str| security(s, id, json!({"User": user}));
    // 10 failures in 5 minutes, then a success: one alert listing all 11 events, and
    // none of the inner correlation (it does not `generate`).
    let mut hits: Vec<String> = (0..10).map(|i| logon(i * 30, 4625, "bob")).collect();
    hits.push(logon(400, 4624, "bob"));
    let rules = compile(FAILED_THEN_SUCCESS);
    let (alerts, _) = scan(&rules, &hits, ScanConfig::default());
    assert_eq!(
        super::summary(&alerts),
        [(rule.to_owned(), (1..=11).collect())]
    );
    assert_eq!(alerts[0].group_by, [("User".to_owned(), "bob".to_owned())]);
    // Arrival order does not matter: the success first.
    let mut reordered = hits.clone();
    reordered.rotate_right(1);
    let (alerts, _) = scan(&rules, &reordered, ScanConfig::default());
    assert_eq!(
        lines_of(&alerts, rule),
        [(2..=11).chain([1]).collect::<Vec<u64>>()]
    );
    // 9 failures, or the success before the 10th failure, or another user: none.
    let nine: Vec<String> = (0..9)
        .map(|i| logon(i * 30, 4625, "bob"))
        .chain([logon(400, 4624, "bob")])
        .collect();
    assert!(run(FAILED_THEN_SUCCESS, &nine, rule).is_empty());
    let early: Vec<String> = (0..10)
        .map(|i| logon(i * 30, 4625, "bob"))
        .chain([logon(200, 4624, "bob")])
        .collect();
    assert!(run(FAILED_THEN_SUCCESS, &early, rule).is_empty());
    let other: Vec<String> = (0..10)
        .map(|i| logon(i * 30, 4625, "bob"))
        .chain([logon(400, 4624, "alice")])
        .collect();
    assert!(run(FAILED_THEN_SUCCESS, &other, rule).is_empty());
}

#[test]
fn unusable_correlations_are_refused_with_the_reason() {
    let mut builder = tripline_engine::RuleSetBuilder::new();
    builder.add_sigma_yaml(
        "bad.yml",
        &(base("a", 1, "")
            + "title: no field\ncorrelation:\n  type: value_count\n  rules: [a]\n  group-by: [x]\n  timespan: 1h\n  condition: {gte: 2}\n---\n"
            + "title: unknown rule\ncorrelation:\n  type: event_count\n  rules: [nope]\n  group-by: [x]\n  timespan: 1h\n  condition: {gte: 2}\n---\n"
            + "title: loop a\nname: la\ncorrelation:\n  type: temporal\n  rules: [lb, a]\n  group-by: [x]\n  timespan: 1h\n---\n"
            + "title: loop b\nname: lb\ncorrelation:\n  type: temporal\n  rules: [la, a]\n  group-by: [x]\n  timespan: 1h\n"),
    );
    let (_, errors) = builder.build();
    let reasons: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 4, "{reasons:#?}");
    assert!(reasons[0].contains("needs a `field`"), "{reasons:#?}");
    assert!(
        reasons[1].contains("`nope` is not the name or id"),
        "{reasons:#?}"
    );
    assert!(reasons.iter().any(|r| r.contains("cycle")), "{reasons:#?}");
}
