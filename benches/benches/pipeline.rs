//! Per-stage and end-to-end benchmarks on a generated fleet corpus (every schema, mostly
//! benign). Every bench checks its count before it is timed, so a bench that stops doing
//! the work fails instead of getting faster.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tripline_benches::{Input, fleet, reference_alerts, scan, sigma_windows};
use tripline_engine::stage::{self, StageScratch};
use tripline_engine::{RuleSet, ScanConfig};
use tripline_ingest::LineFramer;

const EVENTS: u64 = 40_000;

fn input() -> Input {
    fleet(EVENTS)
}

/// The corpus cut at its last newline into 4 MiB blocks of complete lines.
fn blocks(bytes: &[u8]) -> Vec<&[u8]> {
    let mut blocks = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let cut = rest.len().min(4 << 20);
        let end = memchr_last_newline(&rest[..cut]).map_or(rest.len(), |i| i + 1);
        blocks.push(&rest[..end]);
        rest = &rest[end..];
    }
    blocks
}

fn memchr_last_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().rposition(|b| *b == b'\n')
}

fn framing(c: &mut Criterion) {
    let input = input();
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
    group.bench_function("lines", |b| b.iter(|| count(black_box(&input.bytes))));
    group.finish();
}

fn stages(c: &mut Criterion) {
    let input = input();
    let rules = RuleSet::builtin();
    let blocks = blocks(&input.bytes);
    let mut scratch = StageScratch::default();
    let run = |f: fn(&RuleSet, &[u8], &mut StageScratch) -> u64, scratch: &mut StageScratch| {
        blocks.iter().map(|b| f(&rules, b, scratch)).sum::<u64>()
    };
    let candidates = run(stage::prefilter, &mut scratch);
    assert!(
        candidates > 0 && candidates < input.lines / 2,
        "{candidates} of {} lines",
        input.lines
    );
    assert_eq!(
        run(stage::parse, &mut scratch),
        input.lines,
        "every generated line is an event"
    );
    assert!(run(stage::evaluate, &mut scratch) > 0);
    let mut group = c.benchmark_group("stage");
    group.throughput(Throughput::Bytes(input.bytes.len() as u64));
    group.bench_function("prefilter_builtin_pack", |b| {
        b.iter(|| assert_eq!(run(stage::prefilter, &mut scratch), candidates))
    });
    group.bench_function("parse_every_line", |b| {
        b.iter(|| run(stage::parse, &mut scratch))
    });
    group.bench_function("evaluate_builtin_pack_every_line", |b| {
        b.iter(|| run(stage::evaluate, &mut scratch))
    });
    group.finish();
}

fn end_to_end(c: &mut Criterion) {
    let input = input();
    let rules = Arc::new(RuleSet::builtin());
    let expected = reference_alerts(&rules, &input.bytes);
    assert!(expected > 0);
    let mut group = c.benchmark_group("end_to_end");
    group.throughput(Throughput::Bytes(input.bytes.len() as u64));
    for threads in [1, 2] {
        let config = ScanConfig {
            threads,
            ..ScanConfig::default()
        };
        assert_eq!(scan(&rules, &input.bytes, config), expected);
        group.bench_function(format!("builtin_pack_{threads}_threads"), |b| {
            b.iter(|| scan(&rules, black_box(&input.bytes), config))
        });
    }
    group.finish();
}

fn sigma(c: &mut Criterion) {
    let input = fleet(10_000);
    let rules = sigma_windows();
    let expected = reference_alerts(&rules, &input.bytes);
    let config = ScanConfig {
        threads: 2,
        ..ScanConfig::default()
    };
    assert_eq!(scan(&rules, &input.bytes, config), expected);
    let mut group = c.benchmark_group("end_to_end");
    group.sample_size(10);
    group.throughput(Throughput::Elements(input.lines));
    group.bench_function("sigmahq_rules_windows_2_threads", |b| {
        b.iter(|| scan(&rules, black_box(&input.bytes), config))
    });
    group.finish();
}

criterion_group!(benches, framing, stages, end_to_end, sigma);
criterion_main!(benches);
