//! Tripline's field scanner against the fast general JSON parsers, on the same lines:
//! `cargo run --release -p tripline-benches --example json_parsers -- FILE [MAX_BYTES] [RUNS]`
//! parses every line of the file's first MAX_BYTES (cut at a newline) with each parser RUNS
//! times and prints the median throughput. The issue "fast path" asked for this
//! measurement before a parser was kept; BENCHMARKS.md has the figures.
//!
//! What each does per line:
//! * `tripline parse` — the scan's parse stage with the built-in pack's field plan: the
//!   whole line validated, its schema and kind found, the planned fields extracted and
//!   their strings unescaped (what the scan does to every candidate line);
//! * `sonic-rs get_many` — the same fields of flat Sysmon lines by a pointer tree (lazy:
//!   the rest is skipped); the fields are those the built-in pack reads in that schema;
//! * `sonic-rs Value`, `simd-json borrowed Value`, `simd-json tape` — a whole document
//!   (simd-json parses in place, so the line is first copied into a reused buffer, as it
//!   would have to be in the scan).

use std::time::Instant;

use sonic_rs::PointerTree;
use tripline_engine::RuleSet;
use tripline_engine::stage::{self, StageScratch};

/// The fields of flat Sysmon lines that the built-in pack's plan extracts.
const FLAT_FIELDS: &[&str] = &[
    "EventID",
    "Channel",
    "Hostname",
    "@timestamp",
    "Image",
    "ParentImage",
    "CommandLine",
    "ParentCommandLine",
    "OriginalFileName",
    "User",
    "TargetFilename",
    "Hashes",
];

fn main() {
    let (bytes, runs) = tripline_benches::example_input("json_parsers");
    let lines: Vec<&[u8]> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    println!("{} bytes, {} lines", bytes.len(), lines.len());

    let rules = RuleSet::builtin();
    let mut scratch = StageScratch::default();
    report("tripline parse (built-in plan)", &bytes, runs, || {
        stage::parse(&rules, &bytes, &mut scratch)
    });

    let mut tree = PointerTree::new();
    for field in FLAT_FIELDS {
        tree.add_path([*field]);
    }
    report("sonic-rs get_many (flat fields)", &bytes, runs, || {
        lines
            .iter()
            .filter(|line| {
                sonic_rs::get_many(**line, &tree)
                    .is_ok_and(|values| values.iter().any(Option::is_some))
            })
            .count() as u64
    });
    report("sonic-rs Value", &bytes, runs, || {
        lines
            .iter()
            .filter(|line| sonic_rs::from_slice::<sonic_rs::Value>(line).is_ok())
            .count() as u64
    });

    let mut copy = Vec::new();
    report("simd-json borrowed Value", &bytes, runs, || {
        in_place(&lines, &mut copy, |line| {
            simd_json::to_borrowed_value(line).is_ok()
        })
    });
    report("simd-json tape", &bytes, runs, || {
        in_place(&lines, &mut copy, |line| simd_json::to_tape(line).is_ok())
    });
}

/// How many of `lines` `parse` accepts, each first copied into `copy` (simd-json parses
/// in place).
fn in_place(lines: &[&[u8]], copy: &mut Vec<u8>, parse: impl Fn(&mut [u8]) -> bool) -> u64 {
    let mut parsed = 0;
    for line in lines {
        copy.clear();
        copy.extend_from_slice(line);
        parsed += u64::from(parse(copy));
    }
    parsed
}

/// Runs `parse` `runs` times and prints its median throughput over `bytes`, with the
/// number of lines it parsed (so that a parser that fails every line shows).
fn report(name: &str, bytes: &[u8], runs: usize, mut parse: impl FnMut() -> u64) {
    let mut times = Vec::with_capacity(runs);
    let mut parsed = 0;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        parsed = std::hint::black_box(parse());
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{name:34} {median:.3} s {:6.0} MB/s  ({parsed} lines parsed)",
        bytes.len() as f64 / median / 1e6
    );
}
