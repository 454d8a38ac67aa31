//! The steady state allocates nothing per line: once the buffers have grown, scanning
//! more lines that are parsed and evaluated (but raise nothing) allocates nothing.
//! Its own test binary, because the counting allocator is global to the binary.

use std::alloc::System;
use std::sync::Arc;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tripline_engine::{Alert, RuleSet, ScanConfig, Scanner};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Lines every stage works on: they hold a web-server name (so the prefilter passes
/// them), parse in every shape, and match no rule (so no alert is built).
fn lines(n: usize) -> Vec<u8> {
    let shapes = [
        r##"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"web01","@timestamp":"2026-11-20T10:00:00Z","Image":"C:\\Windows\\System32\\csc.exe","ParentImage":"C:\\Windows\\System32\\inetsrv\\w3wp.exe","CommandLine":"csc.exe /noconfig \"a\\\"b\""}"##,
        r##"{"Event":{"System":{"EventID":{"#text":1},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"web02","TimeCreated":{"#attributes":{"SystemTime":"2026-11-20T10:00:00.1234567Z"}}},"EventData":{"Image":"C:\\x\\conhost.exe","ParentImage":"C:\\x\\w3wp.exe"}}}"##,
        r##"{"@timestamp":"2026-11-20T10:00:00Z","event":{"category":["process"],"type":["start"]},"host":{"name":"web03"},"process":{"executable":"C:\\x\\csc.exe","args":["csc","/x"],"parent":{"executable":"C:\\x\\w3wp.exe","args":["w3wp","-ap","DefaultAppPool"]}}}"##,
        r##"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"web04","TimeGenerated":"2026-11-20T10:00:00Z","EventData":"{\"Image\":\"C:\\\\x\\\\csc.exe\",\"ParentImage\":\"C:\\\\x\\\\w3wp.exe\"}"}"##,
        r##"{"Timestamp":"2026-11-20T10:00:00Z","DeviceName":"web05","ActionType":"ProcessCreated","FolderPath":"C:\\x\\csc.exe","InitiatingProcessFolderPath":"C:\\x\\w3wp.exe"}"##,
    ];
    let mut out = Vec::new();
    for i in 0..n {
        out.extend_from_slice(shapes[i % shapes.len()].as_bytes());
        out.push(b'\n');
    }
    out
}

#[test]
fn scanning_more_lines_allocates_nothing_more() {
    let rules = Arc::new(RuleSet::builtin());
    let mut scanner = Scanner::new(rules, ScanConfig::default());
    let mut alerts: Vec<Alert> = Vec::new();
    scanner.begin_source("warm-up", &mut alerts);
    let input = lines(10_000);
    // Warm up: buffers grow to their working size.
    for chunk in input.chunks(64 << 10) {
        scanner.feed(chunk, &mut alerts);
    }
    let region = Region::new(GLOBAL);
    for _ in 0..5 {
        for chunk in input.chunks(64 << 10) {
            scanner.feed(chunk, &mut alerts);
        }
    }
    let change = region.change();
    assert!(alerts.is_empty(), "no line should match: {alerts:?}");
    assert_eq!(scanner.stats().lines_evaluated, 60_000);
    assert_eq!(
        (change.allocations, change.reallocations),
        (0, 0),
        "50,000 lines allocated: {change:?}"
    );
}
