//! Per-stage and end-to-end benchmarks on generated Sysmon lines and web access logs.
//! Every bench checks its expected count before it is timed, so a bench that stops doing
//! the work fails.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tripline_benches::access::{AccessInput, combined_log, nginx_json_log, w3c_log};
use tripline_benches::sysmon_flat;
use tripline_engine::{Alert, RuleSet, ScanConfig, Scanner};
use tripline_ingest::{FieldPlan, Framed, LineFramer, Parsed, Parser};

const LINES: u64 = 20_000;

fn framing(c: &mut Criterion) {
    let input = sysmon_flat(LINES, 7);
    let count = |bytes: &[u8]| {
        let mut framer = LineFramer::default();
        let mut n = 0u64;
        for chunk in bytes.chunks(1 << 20) {
            framer.push(chunk, |_| n += 1);
        }
        framer.finish(|_| n += 1);
        n
    };
    assert_eq!(count(&input.bytes), input.lines);
    let mut group = c.benchmark_group("framing");
    group.throughput(Throughput::Bytes(input.bytes.len() as u64));
    group.bench_function("1MiB_chunks", |b| b.iter(|| count(black_box(&input.bytes))));
    group.finish();
}

/// Frames and parses every line with the built-in pack's plan; counts the events.
fn parse_all(plan: &FieldPlan, bytes: &[u8], parser: &mut Parser) -> u64 {
    let mut events = 0u64;
    let mut framer = LineFramer::default();
    parser.begin_source();
    framer.push(bytes, |framed| {
        if let Framed::Line(line) = framed
            && let Ok(Parsed::Event(_)) = parser.parse(plan, line.bytes)
        {
            events += 1;
        }
    });
    events
}

fn parse(c: &mut Criterion) {
    let input = sysmon_flat(LINES, 7);
    let rules = RuleSet::builtin();
    let plan: &FieldPlan = rules.plan();
    let mut parser = Parser::new();
    assert_eq!(parse_all(plan, &input.bytes, &mut parser), input.lines);
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(input.bytes.len() as u64));
    group.bench_function("builtin_plan_every_line", |b| {
        b.iter(|| parse_all(plan, black_box(&input.bytes), &mut parser))
    });
    group.finish();
}

/// Access-log parsing with the same plan, next to the JSON figure above (bytes per second
/// compare; the lines are ~250 bytes against ~1.1 KB of JSON), and the same requests as
/// nginx JSON through the JSON path.
fn parse_access(c: &mut Criterion) {
    let rules = RuleSet::builtin();
    let plan: &FieldPlan = rules.plan();
    let mut parser = Parser::new();
    let mut group = c.benchmark_group("parse_access");
    let inputs: [(&str, AccessInput); 3] = [
        ("combined_every_line", combined_log(LINES * 4, 7)),
        ("w3c_every_line", w3c_log(LINES * 4, 7)),
        // The combined log's requests as nginx JSON: the JSON path on the same data.
        ("nginx_json_every_line", nginx_json_log(LINES * 4, 7)),
    ];
    for (name, input) in &inputs {
        assert_eq!(parse_all(plan, &input.bytes, &mut parser), input.lines);
        group.throughput(Throughput::Bytes(input.bytes.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| parse_all(plan, black_box(&input.bytes), &mut parser))
        });
    }
    group.finish();
}

/// Scans `bytes` as one input with `rules` on one thread; counts the alerts.
fn scan_all(rules: &Arc<RuleSet>, bytes: &[u8]) -> u64 {
    let mut scanner = Scanner::new(rules.clone(), ScanConfig::default());
    let mut alerts: Vec<Alert> = Vec::new();
    scanner.begin_source("bench", &mut alerts);
    for chunk in bytes.chunks(4 << 20) {
        scanner.feed(chunk, &mut alerts);
    }
    scanner.finish(&mut alerts);
    alerts.len() as u64
}

fn end_to_end(c: &mut Criterion) {
    let rules = Arc::new(RuleSet::builtin());
    let sysmon = sysmon_flat(LINES, 7);
    let combined = combined_log(LINES * 4, 7);
    let inputs = [
        (
            "builtin_pack_one_thread",
            &sysmon.bytes,
            sysmon.web_shell_lines,
        ),
        (
            "builtin_pack_combined_log_one_thread",
            &combined.bytes,
            combined.attacks,
        ),
    ];
    let mut group = c.benchmark_group("end_to_end");
    for (name, bytes, alerts) in inputs {
        assert_eq!(scan_all(&rules, bytes), alerts);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| b.iter(|| scan_all(&rules, black_box(bytes))));
    }
    group.finish();
}

criterion_group!(benches, framing, parse, parse_access, end_to_end);
criterion_main!(benches);
