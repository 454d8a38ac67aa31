//! The correlation stage alone, for profilers (`perf record`, `valgrind --tool=callgrind`),
//! as `cargo bench --bench correlation -- correlate` runs it (same fleet, same warm state,
//! same allocator): `cargo run --release -p tripline-benches --example correlate_stage --
//! HOSTS [RUNS]` feeds RUNS half hours of HOSTS hosts after 4 of warm-up and prints the
//! median time. `--toggle-collect=correlate_stage::feed` counts only the timed feeds.

use std::time::Instant;

use tripline_benches::correlation::HalfHours;
use tripline_engine::RuleSet;
use tripline_engine::stage::{CorrelationStage, Observations};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let hosts: u64 = args.next().map_or(100_000, |a| a.parse().expect("HOSTS"));
    let runs: usize = args.next().map_or(5, |a| a.parse().expect("RUNS"));
    let rules = RuleSet::builtin();
    let mut input = HalfHours::new(&rules, hosts);
    let mut stage = input.warm_stage(&rules, false);
    let mut times = Vec::new();
    for _ in 0..runs {
        let mut input = input.next_half_hour();
        let observations = input.len();
        let start = Instant::now();
        let matches = feed(&mut stage, &rules, &mut input);
        times.push(start.elapsed().as_secs_f64());
        assert_eq!(matches, hosts);
        assert_eq!(observations as u64, hosts * HalfHours::ROUNDS);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{} observations, median {:.2} ms, {:.2} M observations/s (runs: {times:.4?})",
        hosts * HalfHours::ROUNDS,
        median * 1e3,
        (hosts * HalfHours::ROUNDS) as f64 / median / 1e6
    );
}

/// The timed work, apart: `valgrind --tool=callgrind --toggle-collect=correlate_stage::feed`
/// counts only it.
#[inline(never)]
fn feed(stage: &mut CorrelationStage, rules: &RuleSet, input: &mut Observations) -> u64 {
    stage.feed(rules, input, false)
}
