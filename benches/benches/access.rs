//! Web access-log benchmarks: parsing Apache/nginx combined, IIS W3C and nginx JSON lines
//! with the built-in pack's plan, and end to end over a combined log. Every bench checks
//! its expected count before it is timed.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tripline_benches::access::{AccessInput, combined_log, nginx_json_log, w3c_log};
use tripline_benches::scan;
use tripline_engine::{RuleSet, ScanConfig};
use tripline_ingest::{FieldPlan, Framed, LineFramer, Parsed, Parser};

const LINES: u64 = 80_000;

/// Frames and parses every line with `plan`; counts the events.
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

/// Bytes per second compare with the JSON `stage/parse_every_line` figure (these lines
/// are ~250 bytes against ~1 KB of JSON); the nginx JSON input holds the combined log's
/// requests, so it measures the JSON path on the same data.
fn parse_access(c: &mut Criterion) {
    let rules = RuleSet::builtin();
    let plan: &FieldPlan = rules.plan();
    let mut parser = Parser::new();
    let mut group = c.benchmark_group("parse_access");
    let inputs: [(&str, AccessInput); 3] = [
        ("combined_every_line", combined_log(LINES, 7)),
        ("w3c_every_line", w3c_log(LINES, 7)),
        ("nginx_json_every_line", nginx_json_log(LINES, 7)),
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

fn end_to_end(c: &mut Criterion) {
    let rules = Arc::new(RuleSet::builtin());
    let combined = combined_log(LINES, 7);
    let config = ScanConfig::default();
    assert_eq!(scan(&rules, &combined.bytes, config), combined.attacks);
    let mut group = c.benchmark_group("end_to_end");
    group.throughput(Throughput::Bytes(combined.bytes.len() as u64));
    group.bench_function("builtin_pack_combined_log_1_threads", |b| {
        b.iter(|| scan(&rules, black_box(&combined.bytes), config))
    });
    group.finish();
}

criterion_group!(benches, parse_access, end_to_end);
criterion_main!(benches);
