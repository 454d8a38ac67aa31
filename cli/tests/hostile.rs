//! Hostile input through the `tripline` binary: every line accounted for in `--stats` and
//! `--rejects` whatever the bytes, configurable line length, decompression bombs stopped
//! and truncated archives reported with how far they got, keeping the events before.

use std::io::Write;
use std::process::{Command, Output};

use serde_json::Value;
use tripline_corpus::handwritten_dir;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tripline"))
        .args(args)
        .output()
        .expect("tripline runs")
}

/// `tripline scan --quiet --format ndjson` with `args`.
fn scan(args: &[&str]) -> Output {
    let mut all = vec!["scan", "--quiet", "--format", "ndjson"];
    all.extend_from_slice(args);
    run(&all)
}

/// The source line of the last event of each alert, sorted.
fn alert_lines(stdout: &[u8]) -> Vec<u64> {
    let mut lines: Vec<u64> = String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| {
            let alert: Value = serde_json::from_str(l).expect("one JSON alert per line");
            let events = alert["events"].as_array().expect("events").clone();
            events.last().expect("an event")["source"]["line"]
                .as_u64()
                .expect("a line number")
        })
        .collect();
    lines.sort();
    lines
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

/// A Sysmon process start that the built-in pack alerts on, with `command_line` (raw JSON
/// string content, escapes allowed).
fn shell(command_line: &str) -> Vec<u8> {
    format!(
        r#"{{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"web01","@timestamp":"2026-11-20T10:00:00Z","ParentImage":"C:\\Windows\\System32\\inetsrv\\w3wp.exe","Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"{command_line}"}}"#
    )
    .into_bytes()
}

/// Lines that are each hostile in their own way, and how many of them raise an alert.
fn hostile_lines() -> (Vec<Vec<u8>>, usize) {
    let mut lines: Vec<Vec<u8>> = vec![
        b"\x00\x00\x00".to_vec(),
        b"\xff\xfe{\"EventID\":1}".to_vec(),
        b"".to_vec(),
        b"   \t".to_vec(),
        b"\r".to_vec(),
        b"{\"EventID\":1,".to_vec(),
        b"[1,2]".to_vec(),
        b"{\"EventID\":1} trailing".to_vec(),
        b"{\"a\":\"\\q\"}".to_vec(),
        b"{\"a\":\"\\ud800\"}".to_vec(),
        b"{\"EventID\":01}".to_vec(),
        format!("{{\"EventID\":1{}}}", "0".repeat(10_000)).into_bytes(),
        format!("{{\"EventID\":-1.5e{}}}", "9".repeat(400)).into_bytes(),
        format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(99_999)).into_bytes(),
        format!(
            "{{{}}}",
            (0..20_000)
                .map(|i| format!("\"k{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",")
        )
        .into_bytes(),
        b"2026-11-20 10:00:00 GET /a 200".to_vec(),
        b"not json \xc3\x28 at all".to_vec(),
        vec![b'x'; 400_000],
    ];
    // These still raise their alert: an unpaired surrogate escape, a NUL escape, raw NUL
    // and invalid UTF-8 bytes inside the command line, a CRLF ending.
    let alerting = [
        shell("cmd /c whoami \\ud800 \\udc00"),
        shell("cmd /c whoami \\u0000"),
        shell("cmd /c whoami \u{0}\u{1}"),
        [&shell("cmd /c whoami ")[..], b"\xff\xc0\xed\xa0\x80"].concat(),
        [&shell("cmd /c whoami")[..], b"\r"].concat(),
    ];
    // Raw bytes after the string break the JSON, except in the string itself: fix up the
    // raw-byte case so the quote closes after them.
    let count = alerting.len();
    lines.extend(alerting.into_iter().map(|line| {
        if line.ends_with(b"\xed\xa0\x80") {
            // Move the raw bytes inside the CommandLine string.
            let text = shell("cmd /c whoami RAW");
            let at = text.windows(3).position(|w| w == b"RAW").expect("marker");
            [&text[..at], b"\xff\xc0\xed\xa0\x80", &text[at + 3..]].concat()
        } else {
            line
        }
    }));
    (lines, count)
}

#[test]
fn every_hostile_line_is_accounted_for_and_rejects_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("hostile.ndjson");
    let (lines, alerting) = hostile_lines();
    std::fs::write(&input, lines.join(&b'\n')).unwrap();
    let input = input.display().to_string();
    for prefilter in [true, false] {
        let stats_path = dir.path().join("stats.json");
        let rejects_path = dir.path().join("rejects.txt");
        let mut args = vec![
            "scan",
            "--quiet",
            "--format",
            "ndjson",
            "--max-line",
            "300000",
            "--stats-json",
            stats_path.to_str().unwrap(),
            "--rejects",
            rejects_path.to_str().unwrap(),
            &input,
        ];
        if !prefilter {
            args.insert(1, "--no-prefilter");
        }
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        let alerts = alert_lines(&out.stdout);
        assert_eq!(alerts.len(), alerting, "prefilter {prefilter}: {alerts:?}");

        let stats: Value =
            serde_json::from_str(&std::fs::read_to_string(&stats_path).unwrap()).unwrap();
        let count = |key: &str| stats["lines"][key].as_u64().unwrap();
        assert_eq!(count("read"), lines.len() as u64);
        assert_eq!(
            count("read"),
            count("skipped_by_prefilter")
                + count("evaluated")
                + count("rejected")
                + count("headers"),
            "{stats}"
        );
        assert_eq!(count("evaluated_with_invalid_utf8"), 1, "{stats}");
        let by_reason: u64 = stats["rejected"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(by_reason, count("rejected"));
        assert_eq!(stats["rejected"]["line_too_long"], 1, "{stats}");

        let rejects = std::fs::read_to_string(&rejects_path).unwrap();
        assert_eq!(
            rejects.lines().count() as u64,
            count("rejected"),
            "{rejects}"
        );
        for line in rejects.lines() {
            let rest = line.strip_prefix(&format!("{input}:")).expect(line);
            let (number, rest) = rest.split_once(": ").expect(line);
            assert!(number.parse::<u64>().is_ok(), "{line}");
            let (reason, _bytes) = rest.split_once(": ").unwrap_or((rest, ""));
            assert!(
                reason
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()),
                "{line}"
            );
        }
        assert!(
            rejects.contains(":1: unknown_line_format: \\x00\\x00\\x00\n"),
            "{rejects}"
        );
        assert!(
            rejects.contains(":2: unknown_line_format: \\xff\\xfe{\"EventID\":1}\n"),
            "{rejects}"
        );
        assert!(rejects.contains(":19: line_too_long: \n"), "{rejects}");
    }
}

#[test]
fn the_line_length_limit_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("long.ndjson");
    let long = shell(&format!("cmd /c whoami {}", "a".repeat(300)));
    let short = shell("cmd /c whoami");
    std::fs::write(&input, [&long[..], b"\n", &short[..], b"\n"].concat()).unwrap();
    let input = input.display().to_string();
    let rejects = dir.path().join("rejects.txt");
    let out = scan(&[
        "--max-line",
        "300",
        "--rejects",
        rejects.to_str().unwrap(),
        &input,
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(alert_lines(&out.stdout), [2]);
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap(),
        format!("{input}:1: line_too_long: \n")
    );
    let out = scan(&[&input]);
    assert_eq!(
        alert_lines(&out.stdout),
        [1, 2],
        "the default limit is 16 MiB"
    );
}

/// The hand-written Windows fixture repeated `copies` times, and its alerts' lines.
fn repeated_fixture(copies: usize) -> (Vec<u8>, Vec<u64>) {
    let one = std::fs::read(handwritten_dir().join("flat-windows.json")).unwrap();
    let data = one.repeat(copies);
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.json");
    std::fs::write(&plain, &data).unwrap();
    let out = scan(&[plain.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    (data, alert_lines(&out.stdout))
}

/// `stopped after N complete lines (B bytes)` from stderr.
fn stopped_after(stderr: &str) -> (u64, u64) {
    let rest = stderr
        .split("stopped after ")
        .nth(1)
        .unwrap_or_else(|| panic!("no `stopped after` in {stderr}"));
    let (lines, rest) = rest.split_once(" complete lines (").expect(stderr);
    let (bytes, _) = rest.split_once(" bytes)").expect(stderr);
    (lines.parse().unwrap(), bytes.parse().unwrap())
}

#[test]
fn a_decompression_bomb_is_stopped_and_reported() {
    let (data, all_alerts) = repeated_fixture(60);
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.log");
    std::fs::write(&bomb, gzip(&data)).unwrap();
    let out = scan(&[
        "--max-decompressed",
        "1M",
        "--stats-json",
        dir.path().join("stats.json").to_str().unwrap(),
        bomb.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("bomb.log"), "{stderr}");
    assert!(
        stderr.contains("exceeds the limit of 1048576 bytes"),
        "{stderr}"
    );
    assert!(stderr.contains("--max-decompressed"), "{stderr}");
    let (lines, bytes) = stopped_after(&stderr);
    assert_eq!(bytes, 1 << 20);
    assert_eq!(
        lines,
        data[..1 << 20].iter().filter(|&&b| b == b'\n').count() as u64
    );
    // Everything before the limit was scanned.
    let before: Vec<u64> = all_alerts.iter().copied().filter(|&l| l <= lines).collect();
    assert!(!before.is_empty());
    let got = alert_lines(&out.stdout);
    assert_eq!(&got[..before.len()], &before[..]);
    assert!(
        got.len() <= before.len() + 1,
        "at most the cut line besides"
    );

    // `none` lifts the limit.
    let out = scan(&["--max-decompressed", "none", bomb.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(alert_lines(&out.stdout), all_alerts);
}

#[test]
fn a_truncated_archive_reports_how_far_it_got_and_keeps_the_events_before() {
    let (data, all_alerts) = repeated_fixture(40);
    let compressed = gzip(&data);
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.json.gz");
    std::fs::write(&cut, &compressed[..compressed.len() / 2]).unwrap();
    let good = handwritten_dir().join("winlogbeat.ndjson");
    let out = scan(&[cut.to_str().unwrap(), good.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cut.json.gz: stopped after"), "{stderr}");
    assert!(stderr.contains("decompression failed"), "{stderr}");
    let (lines, bytes) = stopped_after(&stderr);
    assert!(lines > 0 && bytes > 0 && (bytes as usize) < data.len());
    let mut from_cut: Vec<u64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("cut.json.gz"))
        .map(|l| alert_lines(l.as_bytes())[0])
        .collect();
    from_cut.sort();
    let before: Vec<u64> = all_alerts.iter().copied().filter(|&l| l <= lines).collect();
    assert!(!before.is_empty());
    assert_eq!(
        &from_cut[..before.len()],
        &before[..],
        "the events before the damage"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("winlogbeat.ndjson"),
        "the next input is still scanned"
    );
}
