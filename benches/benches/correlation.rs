//! The correlation stage alone, as one shard runs it, with the built-in
//! `web_root_file_then_shell` correlation over 100,000 hosts; and whole scans whose
//! correlation state spans 1,000,000 hosts, inline and on a shard thread. Inputs and
//! observations are built outside the timers; every bench checks its alert count.

use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tripline_benches::correlation::{HalfHours, web_shell_fleet_vec};
use tripline_benches::scan;
use tripline_engine::{CorrelationLimits, RuleSet, ScanConfig};

// The allocator the `tripline` binary uses: the state allocates per group and per alert.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `cargo bench -- --test` (CI) runs each bench once: smaller inputs there.
fn test_mode() -> bool {
    std::env::args().any(|a| a == "--test")
}

fn correlate_stage(c: &mut Criterion) {
    let rules = RuleSet::builtin();
    // Per host: 5 script drops, then a shell, 5 minutes apart: half an hour, fed again
    // and again, each time half an hour later, into one state that stays warm (a shard's
    // steady state: events older than timespan + lateness are freed as new ones come).
    // `CORRELATE_HOSTS=2000`: a state that fits in cache, to tell computing from waiting
    // for memory.
    let hosts = std::env::var("CORRELATE_HOSTS")
        .ok()
        .and_then(|h| h.parse().ok())
        .unwrap_or(if test_mode() { 10_000 } else { 100_000u64 });
    let mut input = HalfHours::new(&rules, hosts);
    let mut group = c.benchmark_group("correlate");
    group.sample_size(10);
    group.throughput(Throughput::Elements(input.len() as u64));
    for (name, alerts) in [("", false), ("_alerts", true)] {
        let mut stage = input.warm_stage(&rules, alerts);
        let mut next = || input.next_half_hour();
        // Each observation is made (owned, as a worker makes it) outside the timer.
        group.bench_function(
            format!("web_root_file_then_shell_100k_hosts_one_shard{name}"),
            |b| {
                b.iter_batched_ref(
                    &mut next,
                    |o| assert_eq!(stage.feed(&rules, o, alerts), hosts),
                    BatchSize::PerIteration,
                )
            },
        );
        let stats = stage.stats();
        assert_eq!(
            stats.late_events + stats.evicted_events + stats.evicted_groups,
            0
        );
        // The last two half hours' shells complete at the end.
        assert_eq!(stage.finish(&rules), 2 * hosts);
    }
    group.finish();
}

fn replay_million_hosts(c: &mut Criterion) {
    let rules = Arc::new(RuleSet::builtin());
    // Per host a drop, then a shell: one correlation alert and one detection alert
    // (web_server_suspicious_child) per host. In CI (`--test`), 50,000 hosts.
    let hosts = if test_mode() { 50_000 } else { 1_000_000u64 };
    let rounds = 2u64;
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
        group.bench_function(format!("web_shell_fleet_1m_hosts_{shards}_shards"), |b| {
            b.iter(|| assert_eq!(scan(&rules, &bytes, config), expected))
        });
    }
    group.finish();
}

criterion_group!(benches, correlate_stage, replay_million_hosts);
criterion_main!(benches);
