//! The parse stage alone on a file, for profilers (`perf record`, `valgrind --tool=callgrind`):
//! `cargo run --release -p tripline-benches --example parse_stage -- FILE [MAX_BYTES] [RUNS]`
//! parses every line of the file's first MAX_BYTES (cut at a newline) RUNS times with the
//! built-in pack's field plan and prints the median time.

use std::time::Instant;

use tripline_engine::RuleSet;
use tripline_engine::stage::{self, StageScratch};

fn main() {
    let (bytes, runs) = tripline_benches::example_input("parse_stage");
    let rules = RuleSet::builtin();
    let mut scratch = StageScratch::default();
    let mut times = Vec::new();
    let mut events = 0;
    for _ in 0..runs {
        let start = Instant::now();
        events = parse_all(&rules, &bytes, &mut scratch);
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{} bytes, {events} events, median {median:.3} s, {:.0} MB/s (runs: {times:.3?})",
        bytes.len(),
        bytes.len() as f64 / median / 1e6
    );
}

/// The timed work, apart: `valgrind --tool=callgrind --toggle-collect=parse_stage::parse_all`
/// counts only it.
#[inline(never)]
fn parse_all(rules: &RuleSet, bytes: &[u8], scratch: &mut StageScratch) -> u64 {
    stage::parse(rules, bytes, scratch)
}
