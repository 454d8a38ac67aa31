//! `tripline-corpus`: generate fleet telemetry with ground truth, score alerts against it,
//! and regenerate the checked-in fixtures. Thin: the work is in the library.

mod score_cmd;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use tripline_corpus::fixtures::{fixtures_dir, fixtures_truth_dir, stale_fixtures, write_fixtures};
use tripline_corpus::time::{parse_duration, parse_time};
use tripline_corpus::{Amount, Fleet, FleetConfig, Schema, SchemaChoice, truth};

/// Deterministic fleet telemetry with ground truth, for tests, benchmarks and detection quality.
#[derive(Debug, Parser)]
#[command(name = "tripline-corpus", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate telemetry (and its ground truth with --truth).
    Generate(GenerateArgs),
    /// Score alerts (NDJSON from `tripline scan`) against ground truth.
    Score(score_cmd::ScoreArgs),
    /// Regenerate the checked-in fixtures (corpus/fixtures, corpus/fixtures-truth).
    Fixtures {
        /// Only check that the checked-in files match the generator; exit 1 if not.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Seed: the same arguments give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of hosts.
    #[arg(long, default_value_t = 50)]
    hosts: usize,
    /// Number of events (lines).
    #[arg(long, conflicts_with = "bytes")]
    events: Option<u64>,
    /// Approximate size instead of a number of events: 500M, 10G...
    #[arg(long, value_parser = parse_size)]
    bytes: Option<u64>,
    /// Start of the time range (RFC 3339, UTC).
    #[arg(long, default_value = "2026-11-20T00:00:00Z", value_parser = time_arg)]
    start: i64,
    /// Length of the time range: 90m, 6h, 2d...
    #[arg(long, default_value = "1d", value_parser = duration_arg)]
    duration: i64,
    /// mix (one schema per host) or one of: evtx, evtx-security, winlogbeat, flat,
    /// sentinel, ecs, mde, mde-streaming, and the access logs apache, nginx-json, iis
    /// (one web server's log).
    #[arg(long, default_value = "mix")]
    schema: String,
    /// Disorder lines in time by up to this much (e.g. 5m).
    #[arg(long, default_value = "0", value_parser = duration_arg)]
    shuffle_window: i64,
    /// Number of injected scenarios [default: one per 2,500 events, at least one per kind].
    #[arg(long)]
    scenarios: Option<usize>,
    /// Percent of the hosts that are web servers [default: about 38, web-heavy for
    /// detection testing; a typical enterprise fleet is nearer 5].
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=100))]
    web_share: Option<u32>,
    /// Output file (`.gz` or `.zst` compresses) [default: stdout].
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Write the ground truth (JSON lines) to FILE.
    #[arg(long)]
    truth: Option<PathBuf>,
}

fn time_arg(text: &str) -> Result<i64, String> {
    parse_time(text).ok_or_else(|| format!("`{text}` is not a time like 2026-11-20T00:00:00Z"))
}

fn duration_arg(text: &str) -> Result<i64, String> {
    parse_duration(text)
        .ok_or_else(|| format!("`{text}` is not a duration like 90s, 15m, 6h or 2d"))
}

fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size like 500M or 10G"))?;
    let scale = match unit
        .trim_end_matches(['B', 'b'])
        .to_ascii_uppercase()
        .as_str()
    {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(format!("unknown unit in `{text}` (use K, M, G or T)")),
    };
    number
        .checked_mul(scale)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// The output stream, compressed by the file's extension.
fn open_output(path: Option<&Path>) -> Result<Box<dyn Write>> {
    let Some(path) = path else {
        return Ok(Box::new(io::stdout().lock()));
    };
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let file = BufWriter::with_capacity(1 << 20, file);
    let name = path.to_string_lossy();
    Ok(if name.ends_with(".gz") {
        Box::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ))
    } else if name.ends_with(".zst") {
        Box::new(zstd::Encoder::new(file, 3)?.auto_finish())
    } else {
        Box::new(file)
    })
}

fn generate(args: GenerateArgs) -> Result<()> {
    let schema = match args.schema.as_str() {
        "mix" => SchemaChoice::Mix,
        name => SchemaChoice::One(name.parse::<Schema>()?),
    };
    let amount = match (args.events, args.bytes) {
        (_, Some(bytes)) => Amount::Bytes(bytes),
        (Some(events), None) => Amount::Events(events),
        (None, None) => Amount::Events(10_000),
    };
    if args.duration <= 0 {
        bail!("--duration must be positive");
    }
    let config = FleetConfig {
        seed: args.seed,
        hosts: args.hosts,
        amount,
        start: args.start,
        duration: args.duration,
        schema,
        shuffle_window: args.shuffle_window,
        scenarios: args.scenarios,
        host_prefix: String::new(),
        web_percent: args.web_share,
    };
    let name = args.output.as_deref().map_or("-".to_owned(), |p| {
        p.file_name()
            .map_or("-".to_owned(), |n| n.to_string_lossy().into_owned())
    });
    let out = open_output(args.output.as_deref())?;
    let summary = match Fleet::new(config).generate(out, &name) {
        Ok(summary) => summary,
        // `tripline-corpus generate | head` ends quietly.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
        Err(e) => return Err(e).context("writing the output"),
    };
    if let Some(path) = &args.truth {
        let mut file = BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        );
        truth::write(&mut file, &summary.truth)?;
        file.flush()?;
    }
    eprintln!(
        "{} lines, {} bytes, {} scenarios",
        summary.lines,
        summary.bytes,
        summary.truth.len()
    );
    Ok(())
}

fn fixtures(check: bool) -> Result<ExitCode> {
    let (dir, truth_dir) = (fixtures_dir(), fixtures_truth_dir());
    if check {
        let stale = stale_fixtures(&dir, &truth_dir);
        for line in &stale {
            eprintln!("stale: {line}");
        }
        return Ok(if stale.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    for path in write_fixtures(&dir, &truth_dir)? {
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(args) => generate(args).map(|()| ExitCode::SUCCESS),
        Command::Score(args) => score_cmd::run(args),
        Command::Fixtures { check } => fixtures(check),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tripline-corpus: {e:#}");
            ExitCode::from(2)
        }
    }
}
