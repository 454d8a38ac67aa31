//! `tripline rules test PATH...`: runs every rule's regression data and examples, one
//! line per rule with tests, then a summary.

use std::io::Write;

use anyhow::{Context, Result};
use tripline_engine::RuleSetBuilder;
use tripline_engine::regression::{RuleReport, SigmaRoot, Verdict, rule_files, test_rule_file};

use crate::args::RulesTestArgs;

pub fn run(args: &RulesTestArgs) -> Result<u8> {
    let root = match &args.sigma_root {
        Some(dir) => SigmaRoot::Given(dir),
        None => SigmaRoot::Detect,
    };
    let mut files = Vec::new();
    for path in &args.paths {
        files.extend(rule_files(path).map_err(anyhow::Error::msg)?);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut tally = [0usize; 3];
    let mut broken_files = 0;
    for file in &files {
        let line = match test_rule_file(file, root, &RuleSetBuilder::new) {
            Ok(reports) => {
                let mut lines = String::new();
                for report in &reports {
                    let verdict = report.verdict();
                    tally[match verdict {
                        Verdict::Pass => 0,
                        Verdict::Fail => 1,
                        Verdict::Skip => 2,
                    }] += 1;
                    lines.push_str(&format_report(verdict, report));
                    lines.push('\n');
                }
                lines
            }
            Err(why) => {
                broken_files += 1;
                format!("FAIL {}: {why}\n", file.display())
            }
        };
        if let Err(e) = out.write_all(line.as_bytes()) {
            return closed_stdout(e);
        }
    }
    let [passed, failed, skipped] = tally;
    let summary = format!(
        "{} rules with tests in {} files: {passed} passed, {failed} failed, {skipped} skipped{}\n",
        passed + failed + skipped,
        files.len(),
        match broken_files {
            0 => String::new(),
            n => format!("; {n} files could not be read or parsed"),
        }
    );
    if let Err(e) = out.write_all(summary.as_bytes()).and_then(|()| out.flush()) {
        return closed_stdout(e);
    }
    Ok(if failed + broken_files > 0 {
        crate::EXIT_INPUT_ERRORS
    } else {
        crate::EXIT_OK
    })
}

/// A closed stdout (`| head`) ends the run quietly; other write errors are errors.
fn closed_stdout(e: std::io::Error) -> Result<u8> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return Ok(crate::EXIT_OK);
    }
    Err(e).context("writing to stdout")
}

/// `PASS|FAIL|SKIP <rule> <title>: <matches>/<min>[, examples <passed>/<total>] [reasons]`.
fn format_report(verdict: Verdict, report: &RuleReport) -> String {
    let mut counts: Vec<String> = report
        .regression
        .iter()
        .map(|(test, outcome)| format!("{}/{}", outcome.matches, test.min_matches))
        .collect();
    if !report.examples.is_empty() {
        let passed = report.examples.iter().filter(|e| e.passed()).count();
        counts.push(format!("examples {passed}/{}", report.examples.len()));
    }
    if counts.is_empty() {
        counts.push("-".into());
    }
    let mut reasons: Vec<String> = report
        .regression
        .iter()
        .filter_map(|(_, outcome)| outcome.error.clone())
        .collect();
    reasons.extend(report.regression_unavailable.clone());
    for example in report.examples.iter().filter(|e| !e.passed()) {
        reasons.push(match &example.error {
            Some(error) => format!("example {}: {error}", example.example),
            None if example.expect_match => format!("example {}: no match", example.example),
            None => format!("example {}: matched, expected no match", example.example),
        });
    }
    let reasons = if reasons.is_empty() {
        String::new()
    } else {
        format!(" [{}]", reasons.join("; "))
    };
    format!(
        "{verdict} {} {}: {}{reasons}",
        report.rule,
        report.title,
        counts.join(", ")
    )
}
