//! The `tripline` binary end to end: the hand-written fixtures against their expected alerts, the real
//! public event logs, compressed and piped input, output formats, statistics, rejects,
//! exit codes and a closed stdout.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tripline_corpus::{ExpectedAlert, handwritten_dir, handwritten_expected_alerts};

fn tripline() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tripline"))
}

fn run(args: &[&str]) -> Output {
    tripline().args(args).output().expect("tripline runs")
}

fn alerts(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each output line is one JSON alert"))
        .collect()
}

/// (file name, line of the last event, rule name), sorted.
fn triggers(alerts: &[Value]) -> Vec<ExpectedAlert> {
    let mut rows: Vec<ExpectedAlert> = alerts
        .iter()
        .map(|a| {
            let last = a["events"].as_array().unwrap().last().unwrap();
            let file = last["source"]["file"].as_str().unwrap();
            ExpectedAlert {
                file: Path::new(file)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                line: last["source"]["line"].as_u64().unwrap(),
                rule: a["rule"]["name"].as_str().unwrap().to_owned(),
            }
        })
        .collect();
    rows.sort();
    rows
}

fn handwritten() -> String {
    handwritten_dir().display().to_string()
}

#[test]
fn handwritten_fixtures_raise_exactly_the_expected_alerts() {
    let out = run(&["scan", &handwritten(), "--format", "ndjson"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "no rejects, no warnings: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        triggers(&alerts(&out.stdout)),
        handwritten_expected_alerts().unwrap()
    );
}

#[test]
fn compressed_and_piped_inputs_give_the_same_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let mut plain = Vec::new();
    for name in ["sysmon-evtx.jsonl", "ecs-defend.ndjson"] {
        plain.push(std::fs::read(handwritten_dir().join(name)).unwrap());
    }
    // gzip under a misleading name, zstd under no extension: detected by content.
    let gz = dir.path().join("sysmon-evtx.jsonl");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&plain[0]).unwrap();
    std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
    let zst = dir.path().join("ecs-defend.ndjson");
    std::fs::write(&zst, zstd::encode_all(&plain[1][..], 3).unwrap()).unwrap();

    let direct = run(&[
        "scan",
        "--format",
        "ndjson",
        &handwritten_dir()
            .join("sysmon-evtx.jsonl")
            .display()
            .to_string(),
        &handwritten_dir()
            .join("ecs-defend.ndjson")
            .display()
            .to_string(),
    ]);
    let compressed = run(&[
        "scan",
        "--format",
        "ndjson",
        &gz.display().to_string(),
        &zst.display().to_string(),
    ]);
    assert_eq!(compressed.status.code(), Some(0));
    assert!(!alerts(&direct.stdout).is_empty());
    assert_eq!(
        triggers(&alerts(&compressed.stdout)),
        triggers(&alerts(&direct.stdout))
    );

    let mut child = tripline()
        .args(["scan", "--format", "ndjson", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&plain[0]).unwrap();
    let piped = child.wait_with_output().unwrap();
    let piped_alerts = alerts(&piped.stdout);
    assert_eq!(piped_alerts[0]["events"][0]["source"]["file"], "-");
    let expected_from_file = alerts(
        &run(&[
            "scan",
            "--format",
            "ndjson",
            &handwritten_dir()
                .join("sysmon-evtx.jsonl")
                .display()
                .to_string(),
        ])
        .stdout,
    );
    let lines = |a: &[Value]| {
        a.iter()
            .map(|x| x["events"][0]["source"]["line"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(lines(&piped_alerts), lines(&expected_from_file));
}

#[test]
fn unreadable_inputs_are_reported_and_the_others_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.gz");
    // A gzip header followed by garbage: opens, then fails to decompress.
    std::fs::write(&broken, [0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9]).unwrap();
    let out = run(&[
        "scan",
        "--format",
        "ndjson",
        "/no/such/file.json",
        &broken.display().to_string(),
        &handwritten_dir()
            .join("winlogbeat.ndjson")
            .display()
            .to_string(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "input errors give exit status 1"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/no/such/file.json"), "{stderr}");
    assert!(stderr.contains("broken.gz"), "{stderr}");
    assert!(
        !alerts(&out.stdout).is_empty(),
        "the good input was still scanned"
    );
}

#[test]
fn usage_errors_exit_with_2() {
    assert_eq!(run(&["scan", "--format", "yaml"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    let out = run(&["scan", "--rules", "/no/such/rules", &handwritten()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no usable rules"));
}

#[test]
fn user_rules_replace_the_pack_and_builtin_adds_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let rule = dir.path().join("whoami.yml");
    std::fs::write(&rule, "title: Whoami\nname: any_whoami\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel: {Image|endswith: '\\whoami.exe'}\n  condition: sel\nlevel: low\n").unwrap();
    let rule = rule.display().to_string();
    let mine = alerts(
        &run(&[
            "scan",
            "--format",
            "ndjson",
            "--rules",
            &rule,
            &handwritten(),
        ])
        .stdout,
    );
    assert!(!mine.is_empty());
    assert!(mine.iter().all(|a| a["rule"]["name"] == "any_whoami"));
    let both = alerts(
        &run(&[
            "scan",
            "--format",
            "ndjson",
            "--rules",
            &rule,
            "--builtin",
            &handwritten(),
        ])
        .stdout,
    );
    assert_eq!(
        both.len(),
        mine.len() + handwritten_expected_alerts().unwrap().len()
    );
    let listed = String::from_utf8_lossy(&run(&["rules", "list"]).stdout).into_owned();
    for name in [
        "web_server_suspicious_child",
        "exchange_worker_suspicious_child",
        "web_root_file_then_shell",
    ] {
        assert!(listed.contains(name), "{listed}");
    }
}

#[test]
fn stats_account_for_every_line_and_rejects_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mixed.ndjson");
    let good = std::fs::read_to_string(handwritten_dir().join("flat-windows.json")).unwrap();
    let mut text = String::from("{\"cut\":\n\n[1,2]\n\u{0}\u{0}\n");
    text.push_str(&good);
    text.push_str("{\"no\":\"schema\"}");
    std::fs::write(&input, &text).unwrap();
    let stats_path = dir.path().join("stats.json");
    let rejects_path = dir.path().join("rejects.txt");
    // --no-prefilter: with it, lines shaped like an object that hold no rule literal are
    // skipped unparsed, and this test wants every reject.
    let out = run(&[
        "scan",
        "--no-prefilter",
        "--format",
        "ndjson",
        "--stats",
        "--stats-json",
        &stats_path.display().to_string(),
        "--rejects",
        &rejects_path.display().to_string(),
        &input.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stats: Value =
        serde_json::from_str(&std::fs::read_to_string(&stats_path).unwrap()).unwrap();
    let lines = &stats["lines"];
    let read = lines["read"].as_u64().unwrap();
    assert_eq!(read, text.lines().count() as u64);
    assert_eq!(
        read,
        lines["skipped_by_prefilter"].as_u64().unwrap()
            + lines["evaluated"].as_u64().unwrap()
            + lines["rejected"].as_u64().unwrap()
            + lines["headers"].as_u64().unwrap()
    );
    assert_eq!(lines["rejected"], 5);
    assert_eq!(stats["rejected"]["json_truncated"], 1);
    assert_eq!(stats["rejected"]["unknown_schema"], 1);
    assert!(stats["elapsed_seconds"].as_f64().is_some());
    let rejects = std::fs::read_to_string(&rejects_path).unwrap();
    assert_eq!(rejects.lines().count(), 5);
    assert!(
        rejects.contains("mixed.ndjson:1: json_truncated: {\"cut\":"),
        "{rejects}"
    );
    assert!(
        rejects.contains("mixed.ndjson:4: unknown_line_format: \\x00\\x00"),
        "{rejects}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("mixed.ndjson:1: malformed JSON: truncated"),
        "{stderr}"
    );
    assert!(stderr.contains("= 0 skipped by prefilter +"), "{stderr}");
}

#[test]
fn table_and_csv_formats() {
    let table =
        String::from_utf8(run(&["scan", "--format", "table", &handwritten()]).stdout).unwrap();
    assert!(table.starts_with("TIME"));
    assert!(table.contains("Shell Spawned"));
    let csv = String::from_utf8(run(&["scan", "--format", "csv", &handwritten()]).stdout).unwrap();
    let mut rows = csv.lines();
    assert!(
        rows.next()
            .unwrap()
            .starts_with("timestamp,level,rule_name,rule_id,title")
    );
    assert_eq!(rows.count(), handwritten_expected_alerts().unwrap().len());
}

#[test]
fn a_closed_stdout_ends_the_scan_quietly() {
    let mut child = tripline()
        .args([
            "scan",
            "--format",
            "ndjson",
            &handwritten(),
            &handwritten(),
            &handwritten(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A pipe whose reader is already gone: every write to it fails with a broken pipe.
fn broken_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

#[test]
fn a_broken_stderr_does_not_stop_the_scan_and_a_broken_stdout_ends_a_report() {
    // Diagnostics (50 missing inputs) into a broken stderr; the alerts still come.
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = vec![
        "scan".into(),
        "-q".into(),
        "--format".into(),
        "ndjson".into(),
    ];
    args.extend((0..50).map(|i| dir.path().join(format!("missing{i}")).display().to_string()));
    args.push(handwritten());
    let output = tripline()
        .args(&args)
        .stderr(broken_pipe())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "input errors, no panic");
    assert_eq!(
        alerts(&output.stdout).len(),
        handwritten_expected_alerts().unwrap().len()
    );
    // A long report into a broken stdout (`... | head`): status 0, nothing on stderr.
    let output = tripline()
        .args([
            "rules",
            "check",
            "--explain-prefilter",
            "../engine/rules/builtin",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(broken_pipe())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn shared_events() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/events")
}

/// Scanning all the public event logs: no panic, balanced statistics, and the known
/// web-server exploitation cases raise the expected alerts.
#[test]
fn real_event_logs_raise_the_known_web_server_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let stats_path = dir.path().join("stats.json");
    let out = run(&[
        "scan",
        "--format",
        "ndjson",
        "--quiet",
        "--stats-json",
        &stats_path.display().to_string(),
        &shared_events().display().to_string(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: Value =
        serde_json::from_str(&std::fs::read_to_string(&stats_path).unwrap()).unwrap();
    let lines = &stats["lines"];
    let evaluated = lines["evaluated"].as_u64().unwrap();
    let skipped = lines["skipped_by_prefilter"].as_u64().unwrap();
    // 36,098 events, and two lines of the GPL text in that tree shaped like an object
    // (`{one line to give the program's name ...}`): skipped unparsed when they hold no
    // rule literal, rejected otherwise.
    assert_eq!(evaluated + skipped, 36_100);
    assert!(
        skipped > 30_000,
        "the prefilter skips most lines: {skipped}"
    );
    assert_eq!(
        lines["read"].as_u64().unwrap(),
        evaluated + skipped + lines["rejected"].as_u64().unwrap()
    );

    let alerts = alerts(&out.stdout);
    let mut by_rule: BTreeMap<String, Vec<(String, Vec<u64>)>> = BTreeMap::new();
    for a in &alerts {
        let events = a["events"].as_array().unwrap();
        let file = events[0]["source"]["file"].as_str().unwrap();
        let file = Path::new(file)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let lines = events
            .iter()
            .map(|e| e["source"]["line"].as_u64().unwrap())
            .collect();
        by_rule
            .entry(a["rule"]["name"].as_str().unwrap().to_owned())
            .or_default()
            .push((file, lines));
    }
    let has = |rule: &str, file: &str, lines: &[u64]| {
        by_rule
            .get(rule)
            .is_some_and(|v| v.iter().any(|(f, l)| f.starts_with(file) && l == lines))
    };
    let proxylogon = "proxylogon_ssrf_rce_poc";
    // ProxyLogon: w3wp -> cmd /c whoami, twice, in Sysmon 1 (4050, 4062) and 4688 (4966, 4967).
    for line in [4050, 4062, 4966, 4967] {
        assert!(
            has("web_server_suspicious_child", proxylogon, &[line]),
            "{by_rule:#?}"
        );
        // The drop of ohyeah.aspx under FrontEnd\HttpProxy\owa\auth (3733) precedes each.
        assert!(
            has("web_root_file_then_shell", proxylogon, &[3733, line]),
            "{by_rule:#?}"
        );
    }
    // The OWA app pool is visible in Sysmon's ParentCommandLine only (4688 has none).
    assert!(has("exchange_worker_suspicious_child", proxylogon, &[4050]));
    assert!(has("exchange_worker_suspicious_child", proxylogon, &[4062]));
    // IIS web shells in EVTX-ATTACK-SAMPLES.
    assert!(has(
        "web_server_suspicious_child",
        "LM_typical_IIS_webshell_sysmon_1_10_traces",
        &[1]
    ));
    assert!(has(
        "web_server_suspicious_child",
        "discovery_sysmon_1_iis_pwd_and_config_discovery_appcmd",
        &[1]
    ));
    // Log4Shell on Tomcat: tomcat9 -> powershell in 4688 (flat) and Sysmon 1 (Sentinel).
    assert!(has(
        "web_server_suspicious_child",
        "securityauditing_log4shell",
        &[17]
    ));
    assert!(has(
        "web_server_suspicious_child",
        "sysmon_log4shell",
        &[28]
    ));
    // The whole picture, pinned: a change in matching shows up here.
    let counts: BTreeMap<&str, usize> =
        by_rule.iter().map(|(r, v)| (r.as_str(), v.len())).collect();
    assert_eq!(
        counts,
        BTreeMap::from([
            ("exchange_worker_suspicious_child", 2),
            ("web_root_file_then_shell", 4),
            ("web_server_suspicious_child", 14),
        ])
    );
}

#[test]
fn rules_test_runs_the_packs_examples() {
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/rules/builtin");
    let out = run(&["rules", "test", &pack.display().to_string()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines.contains(
            &"PASS 78245277-f011-470f-9de3-f8236d1bcf76 Suspicious Child Process of a Web Server: examples 47/47"
        ),
        "{stdout}"
    );
    assert_eq!(
        lines.last(),
        Some(&"7 rules with tests in 5 files: 7 passed, 0 failed, 0 skipped")
    );
}

/// A SigmaHQ-shaped tree: a rule that passes its regression test, and one whose log
/// source cannot be routed.
#[test]
fn rules_test_runs_regression_data_and_exits_1_on_failure() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("regression_data/rules/whoami");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(root.path().join("rules")).unwrap();
    let id = "11111111-2222-3333-4444-555555555555";
    std::fs::write(
        data.join("info.yml"),
        format!(
            "regression_tests_info:\n  - name: Positive Detection Test\n    type: evtx\n    \
             match_count: 1\n    path: regression_data/rules/whoami/{id}.evtx\n"
        ),
    )
    .unwrap();
    std::fs::write(
        data.join(format!("{id}.jsonl")),
        r#"{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"ws1"},"EventData":{"Image":"C:\\Windows\\System32\\whoami.exe"}}}"#,
    )
    .unwrap();
    let rule = |id: &str, category: &str| {
        format!(
            "title: Whoami {category}\nid: {id}\nlogsource: {{product: windows, category: {category}}}\n\
             detection:\n  selection: {{Image|endswith: '\\whoami.exe'}}\n  condition: selection\n\
             regression_tests_path: regression_data/rules/whoami/info.yml\n"
        )
    };
    std::fs::write(
        root.path().join("rules/a.yml"),
        rule(id, "process_creation"),
    )
    .unwrap();
    std::fs::write(
        root.path().join("rules/b.yml"),
        rule(id, "no_such_category"),
    )
    .unwrap();
    std::fs::write(root.path().join("rules/c.yml"), "title: no tests\n").unwrap();

    let out = run(&[
        "rules",
        "test",
        &root.path().join("rules").display().to_string(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            format!("PASS {id} Whoami process_creation: 1/1"),
            format!(
                "FAIL {id} Whoami no_such_category: 0/1 [logsource: category `no_such_category` is not in the log-source table]"
            ),
            "2 rules with tests in 3 files: 1 passed, 1 failed, 0 skipped".into(),
        ]
    );

    // Regression data that is not where --sigma-root says: skipped, not failed.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = run(&[
        "rules",
        "test",
        "--sigma-root",
        &elsewhere.path().display().to_string(),
        &root.path().join("rules/a.yml").display().to_string(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with(&format!("SKIP {id} Whoami process_creation: - [")),
        "{stdout}"
    );
}

/// The output does not depend on threads, the prefilter or how files are read (mapped or
/// read): the same bytes, in the same order, over all the real event logs, both kinds of
/// fixtures and the sample access logs.
#[test]
fn threads_the_prefilter_and_mapping_do_not_change_the_output() {
    let events = shared_events().display().to_string();
    let generated = tripline_corpus::fixtures::fixtures_dir()
        .display()
        .to_string();
    let fixtures = handwritten();
    let access = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/access/logs")
        .display()
        .to_string();
    let reference = run(&[
        "scan", "--format", "ndjson", "-q", "-j", "1", &events, &fixtures, &generated, &access,
    ]);
    assert_eq!(reference.status.code(), Some(0));
    assert!(alerts(&reference.stdout).len() > 20);
    for args in [
        vec!["-j", "2"],
        vec!["-j", "4"],
        vec!["-j", "1", "--no-prefilter"],
        vec!["-j", "3", "--no-prefilter"],
        vec!["-j", "1", "--mmap"],
        vec!["-j", "2", "--mmap"],
        vec!["-j", "2", "--mmap", "--no-mmap"],
    ] {
        let mut command = vec!["scan", "--format", "ndjson", "-q"];
        command.extend(&args);
        command.extend([
            events.as_str(),
            fixtures.as_str(),
            generated.as_str(),
            access.as_str(),
        ]);
        let other = run(&command);
        assert_eq!(other.status.code(), Some(0), "{args:?}");
        assert!(other.stdout == reference.stdout, "{args:?}: output differs");
    }
}

/// The sample access logs of the engine's tests, compressed (gzip, zstd) and mixed with
/// JSON telemetry in one directory scan: the labelled alerts, with hosts from the paths.
#[test]
fn compressed_access_logs_mixed_with_telemetry() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/access");
    let dir = tempfile::tempdir().unwrap();
    let mut renamed = BTreeMap::new();
    for host in ["iis01", "nginx01", "web01", "web02"] {
        std::fs::create_dir(dir.path().join(host)).unwrap();
        for entry in std::fs::read_dir(samples.join("logs").join(host)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap();
            let (stored, data) = match name.as_str() {
                "access.log" => {
                    let mut gz =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    gz.write_all(&bytes).unwrap();
                    (format!("{name}.gz"), gz.finish().unwrap())
                }
                "u_ex261120.log" => (
                    format!("{name}.zst"),
                    zstd::encode_all(&bytes[..], 3).unwrap(),
                ),
                _ => (name.clone(), bytes),
            };
            std::fs::write(dir.path().join(host).join(&stored), data).unwrap();
            renamed.insert(format!("{host}/{name}"), format!("{host}/{stored}"));
        }
    }
    let out = run(&[
        "scan",
        "--format",
        "ndjson",
        "--host-from",
        "path",
        &dir.path().display().to_string(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<(String, u64, String, String)> = {
        let mut rows: Vec<_> = alerts(&out.stdout)
            .iter()
            .map(|a| {
                let source = &a["events"][0]["source"];
                let file = Path::new(source["file"].as_str().unwrap())
                    .strip_prefix(dir.path())
                    .unwrap()
                    .display()
                    .to_string();
                (
                    file,
                    source["line"].as_u64().unwrap(),
                    a["rule"]["name"].as_str().unwrap().to_owned(),
                    a["host"].as_str().unwrap_or("-").to_owned(),
                )
            })
            .collect();
        rows.sort();
        rows
    };
    let expected = std::fs::read_to_string(samples.join("expected-alerts.tsv")).unwrap();
    let want: Vec<(String, u64, String)> = expected
        .lines()
        .skip(1)
        .map(|row| {
            let cols: Vec<&str> = row.split('\t').collect();
            (
                renamed[cols[0]].clone(),
                cols[1].parse().unwrap(),
                cols[2].to_owned(),
            )
        })
        .collect();
    let got_rows: Vec<(String, u64, String)> = got
        .iter()
        .map(|(f, l, r, _)| (f.clone(), *l, r.clone()))
        .collect();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(got_rows, want_sorted);
    // Hosts: the log's own server name where it has one, else the directory's name.
    let host_of = |file: &str, line: u64| {
        got.iter()
            .find(|(f, l, _, _)| f == file && *l == line)
            .map(|(_, _, _, h)| h.clone())
            .unwrap()
    };
    assert_eq!(host_of("web01/access.log.gz", 14), "web01");
    assert_eq!(host_of("iis01/u_ex261120.log.zst", 10), "iis01");
    assert_eq!(host_of("iis01/u_ex261120.log.zst", 19), "IIS01");
    assert_eq!(host_of("nginx01/access.json", 5), "nginx-01");
    assert_eq!(host_of("iis01/sysmon.ndjson", 2), "IIS01");

    // A fixed name, and the table shows the request.
    let out = run(&[
        "scan",
        "--format",
        "table",
        "--host-from",
        "edge-7",
        &dir.path().join("web02").display().to_string(),
    ]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("edge-7"), "{table}");
    assert!(
        table.contains("203.0.113.72 GET /news?id=1;DROP+TABLE+users -> 500"),
        "{table}"
    );
}

/// `tripline bench` measures the built-in pack on the fixtures: every stage is listed and
/// the alert count is the scan's.
#[test]
fn bench_reports_every_stage_and_the_scans_alerts() {
    let fixtures = handwritten();
    let scan = run(&["scan", "--format", "ndjson", "-q", &fixtures]);
    let expected = alerts(&scan.stdout).len();
    assert!(expected > 0);
    let out = run(&["bench", "--runs", "1", "-j", "2", &fixtures]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for stage in [
        "read the inputs",
        "prefilter, 1 thread",
        "parse every line",
        "parse + evaluate",
        "scan (prefilter on), 2 thread(s)",
    ] {
        assert!(text.contains(stage), "{stage} missing from:\n{text}");
    }
    assert!(text.contains(&format!("; {expected} alerts")), "{text}");
}
