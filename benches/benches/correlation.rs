//! The correlation stage alone, as one shard runs it, with the built-in
//! `web_root_file_then_shell` correlation over 100,000 hosts; and whole scans whose
//! correlation state spans 1,000,000 hosts, inline and on a shard thread. Inputs and
//! observations are built outside the timers; every bench checks its alert count.

use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tripline_benches::correlation::web_shell_fleet_vec;
use tripline_benches::scan;
use tripline_engine::stage::{self, Observations, StageScratch};
use tripline_engine::{CorrelationLimits, RuleSet, ScanConfig};

// The allocator the `tripline` binary uses: the state allocates per group and per alert.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn correlate_stage(c: &mut Criterion) {
    let rules = RuleSet::builtin();
    // Per host: 5 script drops, then a shell (an alert), 5 minutes apart; that half hour
    // 4 times over: 2.4 million observations over 2 hours, so that the state reaches its
    // steady size (events older than timespan + lateness are freed).
    let (hosts, rounds, repeats) = (100_000u64, 6u64, 4u32);
    let bytes = web_shell_fleet_vec(hosts, rounds, rounds);
    let mut base = Observations::default();
    stage::observations(&rules, &bytes, &mut StageScratch::default(), &mut base);
    drop(bytes);
    assert_eq!(base.len() as u64, hosts * rounds);
    let observations = base.repeated(repeats, 1800 * 1_000_000_000);
    drop(base);
    let expected = hosts * u64::from(repeats);
    let limits = CorrelationLimits::default();
    let (alerts, stats) = stage::correlate(&rules, observations.clone(), limits);
    assert_eq!(alerts, expected);
    assert_eq!(
        stats.late_events + stats.evicted_events + stats.evicted_groups,
        0
    );
    let mut group = c.benchmark_group("correlate");
    group.sample_size(10);
    group.throughput(Throughput::Elements(observations.len() as u64));
    group.bench_function("web_root_file_then_shell_100k_hosts_one_shard", |b| {
        b.iter_batched(
            || observations.clone(),
            |o| assert_eq!(stage::correlate(&rules, o, limits).0, expected),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn replay_million_hosts(c: &mut Criterion) {
    let rules = Arc::new(RuleSet::builtin());
    // Per host a drop, then a shell: one correlation alert and one detection alert
    // (web_server_suspicious_child) per host.
    let (hosts, rounds) = (1_000_000u64, 2u64);
    let bytes = web_shell_fleet_vec(hosts, rounds, 2);
    let expected = hosts * 2;
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    group.throughput(Throughput::Elements(hosts * rounds));
    for shards in [0, 1] {
        let config = ScanConfig {
            threads: 1,
            correlation: CorrelationLimits {
                shards,
                ..CorrelationLimits::default()
            },
            ..ScanConfig::default()
        };
        assert_eq!(scan(&rules, &bytes, config), expected);
        group.bench_function(format!("web_shell_fleet_1m_hosts_{shards}_shards"), |b| {
            b.iter(|| assert_eq!(scan(&rules, &bytes, config), expected))
        });
    }
    group.finish();
}

criterion_group!(benches, correlate_stage, replay_million_hosts);
criterion_main!(benches);
