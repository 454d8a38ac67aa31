//! Per-stage and end-to-end benchmarks on generated Sysmon lines. Every bench checks its
//! expected count before it is timed, so a bench that stops doing the work fails.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tripline_benches::sysmon_flat;
use tripline_engine::{Alert, RuleSet, ScanConfig, Scanner};
use tripline_ingest::{FieldPlan, Framed, LineFramer, Parser};

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

fn parse(c: &mut Criterion) {
    let input = sysmon_flat(LINES, 7);
    let rules = RuleSet::builtin();
    let plan: &FieldPlan = rules.plan();
    let parse_all = |bytes: &[u8], parser: &mut Parser| {
        let mut events = 0u64;
        let mut framer = LineFramer::default();
        framer.push(bytes, |framed| {
            if let Framed::Line(line) = framed
                && parser.parse(plan, line.bytes).is_ok()
            {
                events += 1;
            }
        });
        events
    };
    let mut parser = Parser::new();
    assert_eq!(parse_all(&input.bytes, &mut parser), input.lines);
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(input.bytes.len() as u64));
    group.bench_function("builtin_plan_every_line", |b| {
        b.iter(|| parse_all(black_box(&input.bytes), &mut parser))
    });
    group.finish();
}

fn end_to_end(c: &mut Criterion) {
    let input = sysmon_flat(LINES, 7);
    let rules = Arc::new(RuleSet::builtin());
    let scan = |bytes: &[u8]| {
        let mut scanner = Scanner::new(rules.clone(), ScanConfig::default());
        let mut alerts: Vec<Alert> = Vec::new();
        scanner.begin_source("bench", &mut alerts);
        for chunk in bytes.chunks(4 << 20) {
            scanner.feed(chunk, &mut alerts);
        }
        scanner.finish(&mut alerts);
        alerts.len() as u64
    };
    assert_eq!(scan(&input.bytes), input.web_shell_lines);
    let mut group = c.benchmark_group("end_to_end");
    group.throughput(Throughput::Bytes(input.bytes.len() as u64));
    group.bench_function("builtin_pack_one_thread", |b| {
        b.iter(|| scan(black_box(&input.bytes)))
    });
    group.finish();
}

criterion_group!(benches, framing, parse, end_to_end);
criterion_main!(benches);
