//! `tripline-corpus score`: reads ground truth and `tripline scan` NDJSON alerts, prints
//! the per-rule table, and fails below a minimum recall.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::Value;
use tripline_corpus::score::{AlertRef, Score, pack_names};
use tripline_corpus::truth;

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Ground truth written by `generate --truth` (repeatable).
    #[arg(long, required = true)]
    truth: Vec<PathBuf>,
    /// The rule names the scanned pack has, one per line or as printed by
    /// `tripline rules list`: expected rules not in it are not required.
    #[arg(long)]
    pack: Option<PathBuf>,
    /// Exit with status 1 when the recall over all expected (scenario, rule) pairs is below.
    #[arg(long)]
    min_recall: Option<f64>,
    /// Print up to this many false positives (rule, host, file:line, process).
    #[arg(long, default_value_t = 20)]
    show_fp: usize,
    /// Alerts as NDJSON (`-` for stdin).
    #[arg(required = true)]
    alerts: Vec<PathBuf>,
}

fn reader(path: &PathBuf) -> Result<Box<dyn BufRead>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(BufReader::new(io::stdin())));
    }
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Box::new(BufReader::new(file)))
}

/// One alert line: the rule, its events' sources, and a short description.
fn alert(line: &str) -> Result<AlertRef> {
    let value: Value = serde_json::from_str(line)?;
    let Some(rule) = value["rule"]["name"].as_str().map(str::to_owned) else {
        bail!(
            "not an alert (no rule.name); is a truth file among the alert files? give each one its own --truth"
        );
    };
    let events = value["events"].as_array().cloned().unwrap_or_default();
    let sources = events
        .iter()
        .filter_map(|e| {
            let source = &e["source"];
            Some((
                source["file"].as_str()?.to_owned(),
                source["line"].as_u64()?,
            ))
        })
        .collect::<Vec<_>>();
    let last = events.last().cloned().unwrap_or(Value::Null);
    let at = sources
        .iter()
        .map(|(f, l)| format!("{f}:{l}"))
        .collect::<Vec<_>>()
        .join(" ");
    let summary = format!(
        "{rule} {} {at}: {} <- {}: {}",
        value["host"].as_str().unwrap_or("-"),
        last["process"]["name"].as_str().unwrap_or("-"),
        last["parent"]["name"].as_str().unwrap_or("-"),
        last["process"]["command_line"].as_str().unwrap_or("-"),
    );
    Ok(AlertRef {
        rule,
        sources,
        summary,
    })
}

pub fn run(args: ScoreArgs) -> Result<ExitCode> {
    let mut records = Vec::new();
    for path in &args.truth {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        records
            .extend(truth::read(BufReader::new(file)).with_context(|| path.display().to_string())?);
    }
    let pack = match &args.pack {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let names = pack_names(&text);
            if names.is_empty() {
                bail!("{}: no rule names", path.display());
            }
            Some(names)
        }
        None => None,
    };
    let mut alerts = Vec::new();
    for path in &args.alerts {
        for (i, line) in reader(path)?.lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            alerts.push(alert(&line).with_context(|| format!("{}:{}", path.display(), i + 1))?);
        }
    }
    let score = Score::compute(&records, &alerts, pack.as_deref());
    print!("{}", score.table());
    let fps = score.false_positives();
    if !fps.is_empty() {
        println!("false positives ({}):", fps.len());
        for fp in fps.iter().take(args.show_fp) {
            println!("  {fp}");
        }
        if fps.len() > args.show_fp {
            println!("  ... and {} more", fps.len() - args.show_fp);
        }
    }
    for unexpected in score.unexpected().iter().take(args.show_fp) {
        println!("unexpected on scenario: {unexpected}");
    }
    if let Some(min) = args.min_recall {
        let recall = score.recall();
        if recall < min {
            eprintln!("recall {recall:.3} is below {min}");
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}
