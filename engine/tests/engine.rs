//! The engine end to end on inline rules and events: Sigma semantics across schemas,
//! log-source routing, correlation in event time, chunking independence, and line
//! accounting on bad input; web access logs on sample logs (`access/`).

mod access;

use std::sync::Arc;

use tripline_engine::{Alert, RuleSet, RuleSetBuilder, ScanConfig, ScanStats, Scanner};
use tripline_ingest::Reject;

fn compile(yaml: &str) -> Arc<RuleSet> {
    let mut builder = RuleSetBuilder::new();
    builder.add_sigma_yaml("test.yml", yaml);
    let (rules, errors) = builder.build();
    assert!(errors.is_empty(), "{errors:#?}");
    Arc::new(rules)
}

fn scan_chunked(rules: &Arc<RuleSet>, input: &str, chunk: usize) -> (Vec<Alert>, ScanStats) {
    scan_with(rules, input, chunk, ScanConfig::default(), false)
}

/// Scans `input` fed in pieces of `chunk` bytes, through `feed` or `feed_owned`.
fn scan_with(
    rules: &Arc<RuleSet>,
    input: &str,
    chunk: usize,
    config: ScanConfig,
    owned: bool,
) -> (Vec<Alert>, ScanStats) {
    let mut scanner = Scanner::new(rules.clone(), config);
    let mut alerts = Vec::new();
    scanner.begin_source("input.ndjson", &mut alerts);
    for piece in input.as_bytes().chunks(chunk.max(1)) {
        if owned {
            let _spare = scanner.feed_owned(piece.to_vec(), &mut alerts);
        } else {
            scanner.feed(piece, &mut alerts);
        }
    }
    scanner.finish(&mut alerts);
    (alerts, scanner.stats().clone())
}

/// The scanner configurations whose results must all be the same: one thread or
/// several, prefilter on or off, borrowed or owned buffers.
fn every_path() -> Vec<(String, ScanConfig, bool)> {
    let mut paths = Vec::new();
    for threads in [1, 2, 4, 8] {
        for prefilter in [true, false] {
            for owned in [false, true] {
                let config = ScanConfig {
                    threads,
                    prefilter,
                    ..ScanConfig::default()
                };
                paths.push((
                    format!("threads {threads}, prefilter {prefilter}, owned {owned}"),
                    config,
                    owned,
                ));
            }
        }
    }
    paths
}

/// The same alerts (in the same order, with the same contributing lines) and the same
/// statistics but for the prefilter's own counter.
fn assert_same_scan(a: &(Vec<Alert>, ScanStats), b: &(Vec<Alert>, ScanStats), what: &str) {
    assert_eq!(summary(&a.0), summary(&b.0), "{what}");
    let json = |x: &[Alert]| x.iter().map(Alert::to_json).collect::<Vec<_>>();
    assert_eq!(json(&a.0), json(&b.0), "{what}");
    let mut sa = a.1.clone();
    let mut sb = b.1.clone();
    sa.lines_evaluated += sa.lines_skipped_by_prefilter;
    sb.lines_evaluated += sb.lines_skipped_by_prefilter;
    sa.lines_skipped_by_prefilter = 0;
    sb.lines_skipped_by_prefilter = 0;
    sa.events = Default::default();
    sb.events = Default::default();
    assert_eq!(sa, sb, "{what}");
}

fn scan(rules: &Arc<RuleSet>, input: &str) -> (Vec<Alert>, ScanStats) {
    scan_chunked(rules, input, usize::MAX)
}

/// (rule label, lines of the contributing events) for each alert, in output order.
fn summary(alerts: &[Alert]) -> Vec<(String, Vec<u64>)> {
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

fn lines_matching(rules: &Arc<RuleSet>, input: &str) -> Vec<u64> {
    scan(rules, input)
        .0
        .iter()
        .map(|a| a.events[0].source.line)
        .collect()
}

/// A Sysmon process creation in flat form.
fn proc_flat(parent: &str, image: &str, command_line: &str) -> String {
    serde_json::json!({
        "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Hostname": "web01", "@timestamp": "2026-11-20T10:00:00Z",
        "ParentImage": parent, "ParentCommandLine": parent, "Image": image,
        "CommandLine": command_line,
    })
    .to_string()
}

const CHILD_OF_W3WP: &str = r#"
title: Test
name: t
logsource: {product: windows, category: process_creation}
detection:
  parent: {ParentImage|endswith: '\w3wp.exe'}
  condition: parent
level: high
"#;

#[test]
fn one_rule_reads_every_schema() {
    let rules = compile(CHILD_OF_W3WP);
    let w3wp = r"C:\\Windows\\System32\\inetsrv\\w3wp.exe";
    let input = [
        // evtx_dump, EventID as an object
        format!(r##"{{"Event":{{"System":{{"EventID":{{"#attributes":{{"Qualifiers":0}},"#text":1}},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"a","TimeCreated":{{"#attributes":{{"SystemTime":"2026-11-20T10:00:00.1234567Z"}}}}}},"EventData":{{"ParentImage":"{w3wp}","Image":"x"}}}}}}"##),
        // winlogbeat, event id as a string
        format!(r#"{{"@timestamp":"2026-11-20T10:00:00Z","winlog":{{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":"1","computer_name":"b","event_data":{{"ParentImage":"{w3wp}"}}}}}}"#),
        // flat
        proc_flat(r"C:\Windows\System32\inetsrv\w3wp.exe", "x", ""),
        // Security 4688 in flat form: ParentImage is ParentProcessName
        format!(r#"{{"EventID":4688,"Channel":"Security","Hostname":"c","@timestamp":"2026-11-20T10:00:00Z","ParentProcessName":"{w3wp}","NewProcessName":"x"}}"#),
        // Azure Sentinel WindowsEvent: event data as a JSON string
        r#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"d","TimeGenerated":"2026-11-20T10:00:00Z","EventData":"{\"ParentImage\":\"C:\\\\\\\\x\\\\\\\\W3WP.EXE\"}"}"#.to_string(),
        // ECS
        format!(r#"{{"@timestamp":"2026-11-20T10:00:00Z","event":{{"category":["process"],"type":["start"]}},"host":{{"name":"e"}},"process":{{"parent":{{"executable":"{w3wp}"}}}}}}"#),
        // Defender row and streaming envelope
        format!(r#"{{"Timestamp":"2026-11-20T10:00:00Z","DeviceName":"f","ActionType":"ProcessCreated","InitiatingProcessFolderPath":"{w3wp}"}}"#),
        format!(r#"{{"time":"2026-11-20T10:00:00Z","category":"AdvancedHunting-DeviceProcessEvents","properties":{{"Timestamp":"2026-11-20T10:00:00Z","DeviceName":"g","ActionType":"ProcessCreated","InitiatingProcessFolderPath":"{w3wp}"}}}}"#),
    ]
    .join("\n");
    let (alerts, stats) = scan(&rules, &input);
    assert_eq!(stats.lines_rejected, 0, "{stats:?}");
    let hosts: Vec<_> = alerts
        .iter()
        .map(|a| a.host.clone().unwrap_or_default())
        .collect();
    assert_eq!(hosts, ["a", "b", "web01", "c", "d", "e", "f", "g"]);
}

#[test]
fn process_end_and_other_kinds_are_not_process_creation() {
    let rules = compile(CHILD_OF_W3WP);
    let input = [
        r#"{"EventID":5,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"h","ParentImage":"C:\\w3wp.exe"}"#,
        r#"{"EventID":4689,"Channel":"Security","Hostname":"h","ParentProcessName":"C:\\w3wp.exe"}"#,
        r#"{"@timestamp":"2026-11-20T10:00:00Z","event":{"category":"process","type":"end"},"process":{"parent":{"executable":"C:\\w3wp.exe"}}}"#,
        r#"{"Timestamp":"2026-11-20T10:00:00Z","DeviceName":"f","ActionType":"FileCreated","InitiatingProcessFolderPath":"C:\\w3wp.exe"}"#,
        r#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"h","ParentImage":"C:\\w3wp.exe"}"#,
    ]
    .join("\n");
    assert_eq!(lines_matching(&rules, &input), [5]);
}

#[test]
fn modifiers_wildcards_and_conditions() {
    let rules = compile(
        r#"
title: Modifiers
name: m
logsource: {product: windows, category: process_creation}
detection:
  sel_contains_all: {CommandLine|contains|all: [' -nop ', ' -enc ']}
  sel_glob: {ParentCommandLine|contains: 'MSExchange*AppPool'}
  sel_re: {CommandLine|re: '(?i)^cmd(\.exe)? /c'}
  sel_cased: {CommandLine|contains|cased: 'CaSe'}
  sel_single: {Image: 'C:\x\a?c.exe'}
  sel_list_of_maps:
    - Image|endswith: '\one.exe'
    - OriginalFileName: 'two.exe'
  filter: {User|startswith: 'NT AUTHORITY\'}
  condition: 1 of sel_* and not filter
level: low
"#,
    );
    let events = [
        proc_flat("p", "x", "powershell -NOP -w hidden -ENC abc "),              // 1 all
        proc_flat("p", "x", "powershell -nop -w hidden"),                        // 2 all: one missing
        proc_flat(r#"w3wp.exe -ap "MSExchangeOWAAppPool""#, "x", ""),          // 3 glob
        proc_flat(r#"w3wp.exe -ap "DefaultAppPool""#, "x", ""),                // 4 no
        proc_flat("p", "x", "CMD.exe /c whoami"),                                // 5 re, i flag
        proc_flat("p", "x", "xx cmd /c"),                                        // 6 re anchored: no
        proc_flat("p", "x", "has CaSe"),                                         // 7 cased
        proc_flat("p", "x", "has case"),                                         // 8 cased: no
        proc_flat("p", r"C:\x\abc.exe", ""),                                     // 9 ?
        proc_flat("p", r"C:\x\ac.exe", ""),                                      // 10 ? needs one char
        proc_flat("p", r"D:\ONE.EXE", ""),                                       // 11 list of maps
        r#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"h","OriginalFileName":"TWO.exe"}"#.to_owned(), // 12
        r#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"h","Image":"D:\\one.exe","User":"NT AUTHORITY\\SYSTEM"}"#.to_owned(), // 13 filtered
    ]
    .join("\n");
    assert_eq!(lines_matching(&rules, &events), [1, 3, 5, 7, 9, 11, 12]);
}

#[test]
fn numbers_nulls_and_exists() {
    let rules = compile(
        r#"
title: Typed
name: typed
logsource: {product: windows, service: security}
detection:
  logon: {EventID: 4624, LogonType: [3, 10]}
  no_ip: {IpAddress: null}
  has_name: {TargetUserName|exists: true}
  condition: logon and (no_ip or not has_name)
level: low
"#,
    );
    let input = [
        r#"{"EventID":"4624","Channel":"Security","Hostname":"h","LogonType":"3","TargetUserName":"a"}"#, // 1 no ip
        r#"{"EventID":4624,"Channel":"Security","Hostname":"h","LogonType":10,"IpAddress":"1.2.3.4"}"#, // 2 no name
        r#"{"EventID":4624,"Channel":"Security","Hostname":"h","LogonType":3,"IpAddress":"1.2.3.4","TargetUserName":"a"}"#, // 3 no
        r#"{"EventID":4624,"Channel":"Security","Hostname":"h","LogonType":"2","TargetUserName":"a"}"#, // 4 wrong type
        r#"{"EventID":4625,"Channel":"Security","Hostname":"h","LogonType":3,"IpAddress":null}"#, // 5 wrong id
        r#"{"EventID":4624,"Channel":"System","Hostname":"h","LogonType":3}"#, // 6 wrong channel
        r#"{"EventID":4624,"Channel":"Security","Hostname":"h","LogonType":3,"IpAddress":null,"TargetUserName":"a"}"#, // 7 null
    ]
    .join("\n");
    assert_eq!(lines_matching(&rules, &input), [1, 2, 7]);
}

#[test]
fn webserver_rules_read_ecs_web_access_events() {
    let rules = compile(
        r#"
title: SQL injection
name: sqli
logsource: {category: webserver}
detection:
  sel:
    cs-uri-query|contains: 'union select'
    sc-status: 200
  condition: sel
level: high
"#,
    );
    let access = |query: &str, status: u16| {
        serde_json::json!({"@timestamp": "2026-11-20T10:00:00Z",
            "event": {"category": ["web"], "type": ["access"], "dataset": "nginx.access"},
            "host": {"name": "web01"}, "source": {"ip": "203.0.113.9"},
            "url": {"path": "/item", "query": query},
            "http": {"request": {"method": "GET"}, "response": {"status_code": status}}})
        .to_string()
    };
    let input = [
        access("id=1 UNION SELECT password FROM users", 200),
        access("id=1 UNION SELECT password FROM users", 404),
        access("id=1", 200),
        proc_flat("p", "x", "union select"),
    ]
    .join("\n");
    assert_eq!(lines_matching(&rules, &input), [1]);
}

#[test]
fn unsupported_constructs_are_reported_not_dropped() {
    let mut builder = RuleSetBuilder::new();
    builder.add_sigma_yaml(
        "bad.yml",
        r#"
title: Unknown placeholder
id: 11111111-1111-1111-1111-111111111111
logsource: {product: windows, category: process_creation}
detection:
  sel: {User|expand: '%Admins%'}
  condition: sel
---
title: Regex with contains
logsource: {product: windows, category: process_creation}
detection:
  sel: {CommandLine|re|contains: 'http'}
  condition: sel
---
title: Unknown category
logsource: {product: windows, category: no_such_thing}
detection:
  sel: {Image: x}
  condition: sel
---
title: Bad regex
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|re: '('}
  condition: sel
---
title: Bad condition
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image: x}
  condition: sel and missing
---
title: Cloud product
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: x}
  condition: sel
---
title: Fine
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image: x}
  condition: sel
"#,
    );
    let (rules, errors) = builder.build();
    assert_eq!(rules.rules().len(), 1, "only the good rule compiles");
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 6, "{text:#?}");
    assert!(
        text[0].contains("11111111-1111-1111-1111-111111111111") && text[0].contains("%Admins%")
    );
    assert!(text[1].contains("CommandLine|re|contains"));
    assert!(text[2].contains("no_such_thing"));
    assert!(text[3].contains("regular expression"));
    assert!(text[4].contains("`missing`"));
    assert!(text[5].contains("product `aws`"));
}

const FILE_THEN_SHELL: &str = r#"
title: Script in web root
name: drop
logsource: {product: windows, category: file_event}
detection:
  sel: {TargetFilename|contains: '\inetpub\wwwroot\'}
  condition: sel
---
title: Shell from IIS
name: shell
logsource: {product: windows, category: process_creation}
detection:
  sel: {ParentImage|endswith: '\w3wp.exe', Image|endswith: '\cmd.exe'}
  condition: sel
---
title: Drop then shell
name: drop_then_shell
correlation:
  type: temporal_ordered
  rules: [drop, shell]
  group-by: [Computer]
  timespan: 1h
level: critical
"#;

fn drop_event(host: &str, time: &str) -> String {
    serde_json::json!({"EventID": 11, "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Hostname": host, "@timestamp": time, "Image": "System",
        "TargetFilename": r"C:\inetpub\wwwroot\s.aspx"})
    .to_string()
}

fn shell_event(host: &str, time: &str) -> String {
    serde_json::json!({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Hostname": host, "@timestamp": time,
        "ParentImage": r"C:\Windows\System32\inetsrv\w3wp.exe", "Image": r"C:\Windows\System32\cmd.exe"})
    .to_string()
}

#[test]
fn temporal_ordered_correlation_in_event_time() {
    let rules = compile(FILE_THEN_SHELL);
    /// Events in arrival order, and the expected (rule, lines) of each alert.
    type Case<'a> = (&'a [String], &'a [(&'a str, &'a [u64])]);
    let cases: &[Case] = &[
        // Drop, then shell 20 minutes later, same host (case differs): one alert.
        (
            &[
                drop_event("WEB01", "2026-11-20T10:00:00Z"),
                shell_event("web01", "2026-11-20T10:20:00Z"),
            ],
            &[("drop_then_shell", &[1, 2])],
        ),
        // Two hours apart: none.
        (
            &[
                drop_event("web01", "2026-11-20T08:00:00Z"),
                shell_event("web01", "2026-11-20T10:20:00Z"),
            ],
            &[],
        ),
        // Shell before drop: none.
        (
            &[
                shell_event("web01", "2026-11-20T10:00:00Z"),
                drop_event("web01", "2026-11-20T10:20:00Z"),
            ],
            &[],
        ),
        // Different hosts: none.
        (
            &[
                drop_event("web01", "2026-11-20T10:00:00Z"),
                shell_event("web02", "2026-11-20T10:20:00Z"),
            ],
            &[],
        ),
        // Arrival out of order (shell line first) but drop earlier in event time: alert.
        (
            &[
                shell_event("web01", "2026-11-20T10:20:00Z"),
                drop_event("web01", "2026-11-20T10:00:00Z"),
            ],
            &[("drop_then_shell", &[2, 1])],
        ),
        // Two drops: the sequence takes the latest drop before the shell.
        (
            &[
                drop_event("web01", "2026-11-20T10:00:00Z"),
                drop_event("web01", "2026-11-20T10:10:00Z"),
                shell_event("web01", "2026-11-20T10:20:00Z"),
            ],
            &[("drop_then_shell", &[2, 3])],
        ),
    ];
    for (events, expected) in cases {
        let (alerts, stats) = scan(&rules, &events.join("\n"));
        let expected: Vec<(String, Vec<u64>)> = expected
            .iter()
            .map(|(r, l)| (r.to_string(), l.to_vec()))
            .collect();
        assert_eq!(summary(&alerts), expected, "{events:#?}");
        assert!(stats.balanced());
    }
    // The base rules raise no alerts of their own, and the alert says its group.
    let (alerts, _) = scan(
        &rules,
        &[
            drop_event("web01", "2026-11-20T10:00:00Z"),
            shell_event("web01", "2026-11-20T10:20:00Z"),
        ]
        .join("\n"),
    );
    assert_eq!(
        alerts[0].group_by,
        vec![("Computer".to_owned(), "web01".to_owned())]
    );
}

#[test]
fn correlation_answer_does_not_depend_on_arrival_order_within_lateness() {
    let rules = compile(FILE_THEN_SHELL);
    // 3 hosts, drops and shells at minute offsets; events shuffled deterministically.
    let mut events = Vec::new();
    for (h, host) in ["a", "b", "c"].iter().enumerate() {
        for m in [0u32, 30, 75, 90] {
            let time =
                |minute: u32| format!("2026-11-20T{:02}:{:02}:00Z", 10 + minute / 60, minute % 60);
            if (m / 15 + h as u32).is_multiple_of(2) {
                events.push(drop_event(host, &time(m)));
            } else {
                events.push(shell_event(host, &time(m + 5)));
            }
        }
    }
    let key = |alerts: &[Alert]| {
        let mut k: Vec<(String, Vec<String>)> = alerts
            .iter()
            .map(|a| {
                (
                    a.host.clone().unwrap_or_default(),
                    a.events
                        .iter()
                        .map(|e| e.event.timestamp.unwrap().to_string())
                        .collect(),
                )
            })
            .collect();
        k.sort();
        k
    };
    let (reference, _) = scan(&rules, &events.join("\n"));
    assert!(!reference.is_empty());
    let mut state = 7u64;
    for _ in 0..50 {
        let mut shuffled = events.clone();
        for i in (1..shuffled.len()).rev() {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            shuffled.swap(i, (state >> 33) as usize % (i + 1));
        }
        let (alerts, _) = scan(&rules, &shuffled.join("\n"));
        assert_eq!(key(&alerts), key(&reference));
    }
}

#[test]
fn one_hosts_clock_does_not_make_another_hosts_events_late() {
    let rules = compile(FILE_THEN_SHELL);
    // A file of host x from 2024, then a file of host y from 2021 (as when replaying
    // many hosts' files in name order): y's sequence is still found.
    let input = [
        shell_event("x", "2024-01-01T00:00:00Z"),
        drop_event("y", "2021-03-14T01:40:13Z"),
        shell_event("y", "2021-03-14T01:40:15Z"),
    ]
    .join("\n");
    let (alerts, stats) = scan(&rules, &input);
    assert_eq!(
        summary(&alerts),
        [("drop_then_shell".to_owned(), vec![2, 3])]
    );
    assert_eq!(stats.correlation.late_events, 0);
}

#[test]
fn a_punctuation_completes_waiting_sequences_before_the_end() {
    let rules = compile(FILE_THEN_SHELL);
    let mut scanner = Scanner::new(rules, ScanConfig::default());
    let mut alerts = Vec::new();
    scanner.begin_source("live", &mut alerts);
    let input = format!(
        "{}\n{}\n",
        drop_event("web01", "2026-11-20T10:00:00Z"),
        shell_event("web01", "2026-11-20T10:20:00Z")
    );
    scanner.feed(input.as_bytes(), &mut alerts);
    // Within the lateness bound (1 hour by default) an earlier drop could still arrive.
    assert!(alerts.is_empty());
    let time = |t: &str| tripline_ingest::Timestamp::parse(t.as_bytes()).unwrap();
    scanner.advance_watermark(time("2026-11-20T11:00:00Z"), &mut alerts);
    assert!(alerts.is_empty(), "10:20 + 1h has not passed yet");
    scanner.advance_watermark(time("2026-11-20T11:20:00Z"), &mut alerts);
    assert_eq!(
        summary(&alerts),
        [("drop_then_shell".to_owned(), vec![1, 2])]
    );
    scanner.finish(&mut alerts);
    assert_eq!(alerts.len(), 1, "nothing is emitted twice");
}

#[test]
fn zero_lateness_completes_on_arrival() {
    let rules = compile(FILE_THEN_SHELL);
    let mut config = ScanConfig::default();
    config.correlation.max_lateness = 0;
    let mut scanner = Scanner::new(rules, config);
    let mut alerts = Vec::new();
    scanner.begin_source("live", &mut alerts);
    let input = format!(
        "{}\n{}\n",
        drop_event("web01", "2026-11-20T10:00:00Z"),
        shell_event("web01", "2026-11-20T10:20:00Z")
    );
    scanner.feed(input.as_bytes(), &mut alerts);
    assert_eq!(alerts.len(), 1);
}

#[test]
fn threads_prefilter_and_buffers_do_not_change_the_results() {
    // Correlations, bad lines, CRLF and a last line without a terminator, over every path.
    let rules = compile(FILE_THEN_SHELL);
    let mut input = String::new();
    for i in 0..300 {
        let host = format!("web{:02}", i % 7);
        input.push_str(&drop_event(
            &host,
            &format!("2026-11-20T{:02}:{:02}:00Z", 8 + i / 60, i % 60),
        ));
        input.push_str(if i % 3 == 0 { "\r\n" } else { "\n" });
        if i % 11 == 0 {
            input.push_str("{broken\n\n[]\n");
        }
        input.push_str(&proc_flat("C:\\explorer.exe", "C:\\x.exe", "benign"));
        input.push('\n');
        input.push_str(&shell_event(
            &host,
            &format!("2026-11-20T{:02}:{:02}:30Z", 8 + i / 60, i % 60),
        ));
        input.push('\n');
    }
    input.push_str(&shell_event("web01", "2026-11-20T13:00:00Z"));
    let reference = scan_chunked(&rules, &input, usize::MAX);
    assert!(reference.0.len() > 250);
    assert!(
        reference.1.lines_skipped_by_prefilter > 250,
        "the prefilter skips the benign lines"
    );
    for (what, config, owned) in every_path() {
        for chunk in [usize::MAX, 4096, 333, 1] {
            if chunk == 1 && config.threads > 2 {
                continue; // one job per byte: slow, and nothing a 2-thread run does not show
            }
            let other = scan_with(&rules, &input, chunk, config, owned);
            assert_same_scan(&reference, &other, &format!("{what}, chunk {chunk}"));
        }
    }
}

#[test]
fn alerts_do_not_depend_on_chunking() {
    let rules = compile(FILE_THEN_SHELL);
    let mut input = String::new();
    for i in 0..20 {
        input.push_str(&drop_event("web01", &format!("2026-11-20T10:{i:02}:00Z")));
        input.push_str("\r\n");
        input.push_str("{not json\n\n");
        input.push_str(&shell_event("web01", &format!("2026-11-20T10:{i:02}:30Z")));
        input.push('\n');
    }
    let (reference, reference_stats) = scan(&rules, &input);
    assert_eq!(reference.len(), 20);
    for chunk in [1, 2, 3, 7, 64, 1000] {
        let (alerts, stats) = scan_chunked(&rules, &input, chunk);
        assert_eq!(summary(&alerts), summary(&reference), "chunk {chunk}");
        assert_eq!(stats, reference_stats, "chunk {chunk}");
    }
}

#[test]
fn bad_lines_are_counted_and_never_stop_the_scan() {
    let rules = compile(CHILD_OF_W3WP);
    let good = proc_flat(r"C:\w3wp.exe", "x", "");
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let input = [
        good.as_str(),
        "",
        "   ",
        "{\"EventID\":1,",
        "[1,2,3]",
        "\"just a string\"",
        "{\"unknown\":\"schema\"}",
        "\u{0}\u{0}\u{0}",
        "{\"a\":\"\\x\"}",
        deep.as_str(),
        good.as_str(),
    ]
    .join("\n")
    .into_bytes();
    let mut with_invalid_utf8 = input.clone();
    with_invalid_utf8.extend_from_slice(b"\n{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Hostname\":\"h\xff\",\"ParentImage\":\"C:\\\\w3wp.exe\"}\n");
    // With the prefilter on, lines shaped like an object but holding no rule literal are
    // skipped unparsed (and so not rejected): parse every line to see every reason.
    let parse_all = ScanConfig {
        prefilter: false,
        ..ScanConfig::default()
    };
    let mut scanner = Scanner::new(rules.clone(), parse_all);
    let mut alerts = Vec::new();
    scanner.begin_source("bad.ndjson", &mut alerts);
    scanner.feed(&with_invalid_utf8, &mut alerts);
    scanner.finish(&mut alerts);
    let stats = scanner.stats();
    let text = String::from_utf8_lossy(&with_invalid_utf8).into_owned();
    let prefiltered = scan_chunked(&rules, &text, usize::MAX);
    assert_eq!(summary(&prefiltered.0), summary(&alerts));
    assert!(prefiltered.1.balanced());
    assert_eq!(prefiltered.1.lines_read, 12);
    assert_eq!(
        prefiltered.1.rejected[Reject::EmptyLine.index()],
        2,
        "non-objects are always parsed"
    );
    assert_eq!(
        alerts
            .iter()
            .map(|a| a.events[0].source.line)
            .collect::<Vec<_>>(),
        [1, 11, 12]
    );
    assert_eq!(stats.lines_read, 12);
    assert_eq!(stats.lines_evaluated, 3);
    assert_eq!(stats.lines_rejected, 9);
    assert_eq!(stats.lines_with_invalid_utf8, 1);
    assert!(stats.balanced());
    let json = stats.to_json(&rules);
    assert_eq!(json["rejected"]["empty_line"], 2);
    assert_eq!(json["rejected"]["not_an_object"], 2);
    assert_eq!(json["rejected"]["unknown_schema"], 2, "{json}");
    assert_eq!(json["rejected"]["json_truncated"], 1);
    // Not JSON (no `{`), and no access-log line either.
    assert_eq!(json["rejected"]["unknown_line_format"], 1);
    assert_eq!(json["rejected"]["json_bad_escape"], 1);
}

#[test]
fn an_unterminated_last_line_stays_with_its_own_source() {
    let rules = compile(CHILD_OF_W3WP);
    let good = proc_flat(r"C:\w3wp.exe", "x", "");
    let mut scanner = Scanner::new(rules, ScanConfig::default());
    let mut alerts = Vec::new();
    scanner.begin_source("a.ndjson", &mut alerts);
    scanner.feed(format!("{good}\n{good}").as_bytes(), &mut alerts);
    scanner.begin_source("b.ndjson", &mut alerts);
    scanner.feed(format!("{good}\n").as_bytes(), &mut alerts);
    scanner.finish(&mut alerts);
    let sources: Vec<String> = alerts
        .iter()
        .map(|a| format!("{}:{}", a.events[0].source.file, a.events[0].source.line))
        .collect();
    assert_eq!(sources, ["a.ndjson:1", "a.ndjson:2", "b.ndjson:1"]);
    assert_eq!(scanner.stats().lines_rejected, 0);
}

#[test]
fn over_long_lines_are_rejected_without_losing_the_next() {
    let rules = compile(CHILD_OF_W3WP);
    let good = proc_flat(r"C:\w3wp.exe", "x", "");
    let long = format!("{{\"pad\":\"{}\"}}", "x".repeat(5000));
    let input = format!("{good}\n{long}\n{good}\n");
    let config = ScanConfig {
        max_line: 1000,
        ..ScanConfig::default()
    };
    let mut scanner = Scanner::new(rules, config);
    let mut alerts = Vec::new();
    scanner.begin_source("long.ndjson", &mut alerts);
    for piece in input.as_bytes().chunks(100) {
        scanner.feed(piece, &mut alerts);
    }
    scanner.finish(&mut alerts);
    assert_eq!(
        alerts
            .iter()
            .map(|a| a.events[0].source.line)
            .collect::<Vec<_>>(),
        [1, 3]
    );
    assert_eq!(
        scanner.stats().to_json(scanner.rules())["rejected"]["line_too_long"],
        1
    );
}

#[test]
fn alert_json_has_the_documented_shape() {
    let rules = compile(FILE_THEN_SHELL);
    let (alerts, _) = scan(
        &rules,
        &[
            drop_event("web01", "2026-11-20T10:00:00Z"),
            shell_event("web01", "2026-11-20T10:20:00Z"),
        ]
        .join("\n"),
    );
    let json: serde_json::Value = serde_json::from_str(&alerts[0].to_json()).unwrap();
    assert_eq!(json["rule"]["name"], "drop_then_shell");
    assert_eq!(json["rule"]["level"], "critical");
    assert_eq!(json["host"], "web01");
    assert_eq!(json["@timestamp"], "2026-11-20T10:20:00Z");
    assert_eq!(json["group_by"]["Computer"], "web01");
    let events = json["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["source"]["file"], "input.ndjson");
    assert_eq!(events[0]["source"]["line"], 1);
    assert_eq!(events[0]["file_path"], r"C:\inetpub\wwwroot\s.aspx");
    assert_eq!(events[1]["process"]["name"], "cmd.exe");
    assert_eq!(
        events[1]["parent"]["path"],
        r"C:\Windows\System32\inetsrv\w3wp.exe"
    );
    assert_eq!(events[1]["event_id"], 1);
    assert_eq!(events[1]["schema"], "flat");
    assert_eq!(events[1]["kind"], "process_start");
}

/// Runs the Sigma test vectors in `tests/vectors/sigma.yml` (see the file's header),
/// each with several chunkings of the input.
#[test]
fn sigma_semantics_vectors() {
    use serde::Deserialize;
    use yaml_serde::Value as Yaml;
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/sigma.yml"
    ))
    .unwrap();
    let vectors = Vec::<Yaml>::deserialize(yaml_serde::Deserializer::from_str(&text)).unwrap();
    assert!(vectors.len() >= 19);
    let default_base: Yaml = yaml_serde::from_str(
        "{EventID: 1, Channel: Microsoft-Windows-Sysmon/Operational, Hostname: h, '@timestamp': '2026-11-20T10:00:00Z'}",
    )
    .unwrap();
    let mut failures = Vec::new();
    for vector in &vectors {
        let name = vector["name"].as_str().unwrap();
        let mut builder = RuleSetBuilder::new();
        if let Some(placeholders) = vector.get("placeholders") {
            let map: std::collections::HashMap<String, Vec<String>> =
                yaml_serde::from_value(placeholders.clone()).unwrap();
            builder.placeholders(map.into_iter().collect());
        }
        builder.add_sigma_yaml(name, vector["rule"].as_str().unwrap());
        let (rules, errors) = builder.build();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let target = match vector.get("rule_name").and_then(|n| n.as_str()) {
            Some(label) => rules
                .find(label)
                .unwrap_or_else(|| panic!("{name}: no rule {label}")),
            None => {
                assert_eq!(rules.rules().len(), 1, "{name}: name the rule to check");
                tripline_engine::RuleId(0)
            }
        };
        let base = vector
            .get("base")
            .cloned()
            .unwrap_or_else(|| default_base.clone());
        let mut input = String::new();
        for event in vector["events"].as_sequence().unwrap() {
            let mut doc = match &base {
                Yaml::Mapping(m) => m.clone(),
                _ => yaml_serde::Mapping::new(),
            };
            for (k, v) in event.as_mapping().unwrap() {
                doc.insert(k.clone(), v.clone());
            }
            input.push_str(&serde_json::to_string(&doc).unwrap());
            input.push('\n');
        }
        let expected: Vec<u64> = vector["match"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .collect();
        let rules = Arc::new(rules);
        let reference = scan_chunked(&rules, &input, usize::MAX);
        for (what, config, owned) in every_path() {
            for chunk in [usize::MAX, 7] {
                let other = scan_with(&rules, &input, chunk, config, owned);
                assert_same_scan(
                    &reference,
                    &other,
                    &format!("{name}: {what}, chunk {chunk}"),
                );
            }
        }
        for chunk in [usize::MAX, 7, 1] {
            let (alerts, stats) = scan_chunked(&rules, &input, chunk);
            assert_eq!(stats.lines_rejected, 0, "{name}: an event was rejected");
            let got: Vec<u64> = alerts
                .iter()
                .filter(|a| a.rule_id == target)
                .map(|a| a.events[0].source.line)
                .collect();
            if got != expected {
                failures.push(format!(
                    "{name} (chunk {chunk}): expected {expected:?}, got {got:?}"
                ));
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

const COMMAND_LINE_LITERALS: &str = r#"
title: Test
name: t
logsource: {product: windows, category: process_creation}
detection:
  tool: {CommandLine|contains: ['-enc ', 'whoami']}
  start: {CommandLine|startswith: 'cmd.exe /c'}
  end: {CommandLine|endswith: '.ps1'}
  condition: tool or start or end
level: high
"#;

/// A value searched before is decided from what its first search found (a per-thread
/// memo): the same value decides the same, a value one byte or one case away is
/// searched afresh. Every line is scanned twice, in a different order the second time.
#[test]
fn a_repeated_value_is_decided_as_on_first_sight() {
    let rules = compile(COMMAND_LINE_LITERALS);
    let values = [
        "cmd.exe /c whoami",
        "CMD.EXE /C dir",
        "cmd.exe /b dir",
        "powershell -enc AAAA",
        "powershell -enc",
        "run.ps1",
        "run.ps1 ",
        "notepad",
    ];
    let expected = [true, true, false, true, false, true, false, false];
    let mut command_lines = values.to_vec();
    command_lines.extend(values.iter().rev());
    let matched = lines_matched(&rules, &command_lines);
    let n = values.len() as u64;
    let mut want: Vec<u64> = (1..=n).filter(|&l| expected[l as usize - 1]).collect();
    want.extend((n + 1..=2 * n).filter(|&l| expected[(2 * n - l) as usize]));
    assert_eq!(matched, want);
}

const PLAIN_KEYWORDS: &str = r#"
title: Test
name: t
logsource: {product: windows}
detection:
  keywords: ['sekurlsa::', 'lsadump::', '\mimilib.dll']
  condition: keywords
level: high
"#;

/// Keyword literals are looked for in the raw line (by their plain text) before the
/// strings of event data embedded as a string (escaped twice) are searched: found as
/// written, and when a character of theirs is a `\u` escape in the embedded document.
#[test]
fn plain_keywords_are_found_in_event_data_embedded_as_a_string() {
    let rules = compile(PLAIN_KEYWORDS);
    let embedded = |data: &str| {
        serde_json::json!({
            "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Computer": "web01", "TimeGenerated": "2026-11-20T10:00:00Z",
            "EventData": data,
        })
        .to_string()
    };
    let input = [
        embedded(r#"{"CommandLine":"mimikatz sekurlsa::logonpasswords"}"#),
        embedded(r#"{"CommandLine":"notepad"}"#),
        // `lsadump\u003a:` in the embedded document: `\\u003a` in the line.
        embedded(r#"{"CommandLine":"m lsadump\u003a:sam"}"#),
        embedded(r#"{"CommandLine":"lsadump:"}"#),
        // Not plain: looked for by its plain part, `mimilib.dll`.
        embedded(r#"{"ImageLoaded":"C:\x\MimiLib.dll"}"#),
        embedded(r#"{"ImageLoaded":"C:\x\mimilib.dll.bak"}"#),
        embedded(r#"{"ImageLoaded":"C:\x/mimilib.dll"}"#),
    ]
    .join("\n");
    for prefilter in [true, false] {
        let config = ScanConfig {
            prefilter,
            ..ScanConfig::default()
        };
        let (alerts, stats) = scan_with(&rules, &input, usize::MAX, config, false);
        assert_eq!(stats.lines_rejected, 0, "{stats:?}");
        let lines: Vec<u64> = alerts.iter().map(|a| a.events[0].source.line).collect();
        assert_eq!(lines, [1, 3, 5, 6], "prefilter {prefilter}");
    }
}

/// The lines (numbered from 1) of process creations with these command lines that
/// raised an alert.
/// Scans one process creation per `(command line, should match)` and checks that the
/// lines that matched are those expected to.
fn assert_matches_where_expected(rules: &Arc<RuleSet>, values: &[(&str, bool)]) {
    let command_lines: Vec<&str> = values.iter().map(|(v, _)| *v).collect();
    let matched = lines_matched(rules, &command_lines);
    let want: Vec<u64> = (1..=values.len() as u64)
        .filter(|&l| values[l as usize - 1].1)
        .collect();
    assert_eq!(matched, want);
}

fn lines_matched(rules: &Arc<RuleSet>, command_lines: &[&str]) -> Vec<u64> {
    let lines: Vec<String> = command_lines
        .iter()
        .map(|v| proc_flat("C:\\explorer.exe", "C:\\x.exe", v))
        .collect();
    let (alerts, _) = scan(rules, &lines.join("\n"));
    alerts.iter().map(|a| a.events[0].source.line).collect()
}

const GLOBS_AND_CASED: &str = r#"
title: Test
name: t
logsource: {category: process_creation, product: windows}
detection:
  glob: {CommandLine|contains: 'cmd*/c*Whoami'}
  cased: {CommandLine|cased|contains: 'EncodedCommand'}
  short: {CommandLine: 'a?c'}
  every: {CommandLine|contains|all: ['net*user', '/add']}
  condition: 1 of them
level: high
"#;

/// Predicates that are not all case-insensitive literals (globs, `cased` literals) run
/// only when the value holds one of their literals in any case, which must decide as
/// evaluating them on every event would: a literal found in another case still leaves
/// a `cased` pattern false, and a glob without a usable literal is evaluated anyway.
#[test]
fn globs_and_cased_literals_decide_as_when_evaluated_on_every_event() {
    let rules = compile(GLOBS_AND_CASED);
    let values = [
        ("CMD.exe /C WHOAMI /all", true),
        ("cmd /c who", false),
        ("x -EncodedCommand AAAA", true),
        ("x -encodedcommand AAAA", false),
        ("abc", true),
        ("ABC", true),
        ("abcd", false),
        ("NET  USER bob pw /ADD", true),
        ("net user bob", false),
        ("notepad", false),
    ];
    assert_matches_where_expected(&rules, &values);
}

const REGEXES: &str = r#"
title: Test
name: t
logsource: {category: process_creation, product: windows}
detection:
  folded: {CommandLine|re: '(?i)invoke-(expression|webrequest)'}
  cased: {CommandLine|re: '\\(cmd|powershell)\.exe\s+/c'}
  kelvin: {CommandLine|re|i: 'mimi[k]atz'}
  none: {CommandLine|re: '^[a-z]{3}$'}
  condition: 1 of them
level: high
"#;

/// Regular expressions run only when the value holds one of the literals every match
/// of theirs holds, which must decide as evaluating them on every event would: a
/// literal found in another case leaves a case-sensitive expression false, `(?i)k`
/// matches the Kelvin sign too, and an expression without literals runs anyway.
#[test]
fn regular_expressions_decide_as_when_evaluated_on_every_event() {
    let rules = compile(REGEXES);
    let values = [
        ("powershell INVOKE-Expression $x", true),
        ("invoke-expr", false),
        ("C:\\cmd.exe  /c dir", true),
        ("C:\\CMD.EXE /c dir", false),
        ("mimi katz", false),
        ("run MIMIKATZ now", true),
        ("run MIMI\u{212a}ATZ now", true),
        ("abc", true),
        ("abcd", false),
    ];
    assert_matches_where_expected(&rules, &values);
}
