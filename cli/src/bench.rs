//! `tripline bench`: end-to-end throughput on the user's own data and rules, with the
//! time of each stage, so that a deployment can be sized and a regression spotted.
//!
//! The inputs are read into memory once (decompressed, up to `--max-bytes`), then every
//! run measures, on the same bytes: reading the files as `cat` would (the yardstick,
//! taken in the same run), the prefilter, parsing, evaluation, and the whole scan with
//! the requested threads. Medians over `--runs` are printed.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use tripline_engine::stage::{self, StageScratch};
use tripline_engine::{Alert, RuleSet, ScanConfig, Scanner, Sink};
use tripline_ingest::source::{self, Input, InputSpec, OpenOptions};

use crate::EXIT_OK;
use crate::args::BenchArgs;
use crate::scan::load_rules;

/// Bytes handed to the scanner, and to each stage, at a time.
const CHUNK: usize = 4 << 20;

/// One input's bytes, cut at the last complete line within the budget.
struct Sample {
    input: Input,
    bytes: Vec<u8>,
}

pub fn run(args: BenchArgs) -> Result<u8> {
    let started = Instant::now();
    let (rules, failed) = load_rules(&args.rules, true)?;
    let compile = started.elapsed();
    let rules = Arc::new(rules);
    let specs: Vec<InputSpec> = args.inputs.iter().map(|a| InputSpec::from_arg(a)).collect();
    let (inputs, errors) = source::expand(&specs);
    for e in &errors {
        diagnostic!("tripline: {e}");
    }
    let samples = load(&inputs, args.max_bytes)?;
    let bytes: u64 = samples.iter().map(|s| s.bytes.len() as u64).sum();
    if bytes == 0 {
        bail!("nothing to measure: the inputs are empty");
    }
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));

    let mut runs: Vec<Run> = Vec::new();
    for _ in 0..args.runs.max(1) {
        runs.push(measure(&rules, &samples, threads));
    }
    let last = runs.last().expect("at least one run");
    report_line!(
        "rules: {} loaded ({failed} failed) in {:.3} s",
        rules.rules().len(),
        compile.as_secs_f64()
    );
    report_line!(
        "input: {} file(s), {:.1} MB, {} lines, {} events; {} alerts",
        samples.len(),
        bytes as f64 / 1e6,
        last.lines,
        last.events,
        last.alerts
    );
    report_line!(
        "prefilter: {} of {} lines are candidates ({:.1}%)",
        last.candidates,
        last.lines,
        100.0 * last.candidates as f64 / last.lines.max(1) as f64
    );
    report_line!(
        "{:<34} {:>10} {:>10} {:>12} {:>8}",
        "stage (median of runs)",
        "seconds",
        "MB/s",
        "events/s",
        "vs read"
    );
    let stage = |time: fn(&Run) -> Duration| median(runs.iter().map(time));
    let read = stage(|r| r.read);
    let rows = [
        ("read the inputs (like cat)".to_string(), read),
        ("prefilter, 1 thread".to_string(), stage(|r| r.prefilter)),
        ("parse every line, 1 thread".to_string(), stage(|r| r.parse)),
        (
            "parse + evaluate every line, 1 th.".to_string(),
            stage(|r| r.evaluate),
        ),
        (
            format!("scan (prefilter on), {threads} thread(s)"),
            stage(|r| r.scan),
        ),
    ];
    for (name, time) in rows {
        let secs = time.as_secs_f64().max(1e-9);
        report_line!(
            "{name:<34} {:>10.3} {:>10.0} {:>12.0} {:>8.2}",
            secs,
            bytes as f64 / 1e6 / secs,
            last.events as f64 / secs,
            read.as_secs_f64() / secs
        );
    }
    Ok(EXIT_OK)
}

/// Reads the inputs into memory, decompressed, up to `budget` bytes in all.
fn load(inputs: &[Input], budget: u64) -> Result<Vec<Sample>> {
    let mut samples = Vec::new();
    let mut left = budget;
    for input in inputs {
        if left == 0 {
            break;
        }
        let mut reader = match source::open(input, OpenOptions::default()) {
            Ok(r) => r,
            Err(e) => {
                diagnostic!("tripline: {e}");
                continue;
            }
        };
        let mut bytes = Vec::new();
        if let Err(e) = reader.by_ref().take(left).read_to_end(&mut bytes) {
            diagnostic!("tripline: {}: {e}", input.name);
        }
        // Whole lines only: the last one may have been cut by the budget.
        if bytes.len() as u64 == left && bytes.last() != Some(&b'\n') {
            let end = memchr::memrchr(b'\n', &bytes).map_or(0, |i| i + 1);
            bytes.truncate(end);
        } else if !bytes.is_empty() && bytes.last() != Some(&b'\n') {
            bytes.push(b'\n');
        }
        left -= (bytes.len() as u64).min(left);
        samples.push(Sample {
            input: input.clone(),
            bytes,
        });
    }
    Ok(samples)
}

/// What one run measured.
struct Run {
    read: Duration,
    prefilter: Duration,
    parse: Duration,
    evaluate: Duration,
    scan: Duration,
    lines: u64,
    candidates: u64,
    events: u64,
    alerts: u64,
}

fn measure(rules: &Arc<RuleSet>, samples: &[Sample], threads: usize) -> Run {
    let started = Instant::now();
    let mut buffer = vec![0u8; CHUNK];
    for sample in samples {
        // Inputs that cannot be reopened were reported when loaded.
        if let Ok(mut reader) = source::open(&sample.input, OpenOptions::default()) {
            while matches!(reader.read(&mut buffer), Ok(n) if n > 0) {}
        }
    }
    let read = started.elapsed();

    let mut scratch = StageScratch::default();
    let blocks = || samples.iter().flat_map(|s| line_blocks(&s.bytes));
    let lines = blocks()
        .map(|b| memchr::memchr_iter(b'\n', b).count() as u64)
        .sum();
    let (prefilter, candidates) = timed(|| {
        blocks()
            .map(|b| stage::prefilter(rules, b, &mut scratch))
            .sum()
    });
    let (parse, events) = timed(|| blocks().map(|b| stage::parse(rules, b, &mut scratch)).sum());
    let (evaluate, _) = timed(|| {
        blocks()
            .map(|b| stage::evaluate(rules, b, &mut scratch))
            .sum()
    });
    let (scan, alerts) = timed(|| {
        let config = ScanConfig {
            threads,
            ..ScanConfig::default()
        };
        let mut scanner = Scanner::new(rules.clone(), config);
        let mut sink = CountingSink::default();
        for sample in samples {
            scanner.begin_source(sample.input.name.clone(), &mut sink);
            for piece in sample.bytes.chunks(CHUNK) {
                let _spare = scanner.feed_owned(piece.to_vec(), &mut sink);
            }
        }
        scanner.finish(&mut sink);
        sink.alerts
    });
    Run {
        read,
        prefilter,
        parse,
        evaluate,
        scan,
        lines,
        candidates,
        events,
        alerts,
    }
}

fn timed(f: impl FnOnce() -> u64) -> (Duration, u64) {
    let started = Instant::now();
    let n = f();
    (started.elapsed(), n)
}

fn median(times: impl Iterator<Item = Duration>) -> Duration {
    let mut times: Vec<Duration> = times.collect();
    times.sort_unstable();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// `bytes` (complete lines) as blocks of about [`CHUNK`] bytes, each ending a line.
fn line_blocks(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let cut = if rest.len() <= CHUNK {
            rest.len()
        } else {
            memchr::memchr(b'\n', &rest[CHUNK..]).map_or(rest.len(), |i| CHUNK + i + 1)
        };
        let (block, tail) = rest.split_at(cut);
        rest = tail;
        Some(block)
    })
}

#[derive(Default)]
struct CountingSink {
    alerts: u64,
}

impl Sink for CountingSink {
    fn alert(&mut self, _: Alert) {
        self.alerts += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_end_lines_and_cover_everything() {
        let mut bytes = Vec::new();
        for i in 0..200_000 {
            bytes.extend_from_slice(format!("line {i} {}\n", "x".repeat(i % 97)).as_bytes());
        }
        let blocks: Vec<&[u8]> = line_blocks(&bytes).collect();
        assert!(blocks.len() > 1);
        assert!(blocks.iter().all(|b| b.ends_with(b"\n")));
        assert_eq!(blocks.concat(), bytes);
    }
}
