//! `tripline rules ...`: inspecting rule sets.

use anyhow::Result;
use tripline_engine::{RuleId, RuleKind, Severity};

use crate::args::RulesCommand;
use crate::scan::{load_rules, rule_builder};

pub fn run(command: RulesCommand) -> Result<u8> {
    match command {
        RulesCommand::List { rules } => {
            let (rules, failures) = load_rules(&rules, false)?;
            report_line!(
                "{:<36}  {:<11}  {:<8}  {:<36}  TITLE",
                "NAME",
                "KIND",
                "LEVEL",
                "ID"
            );
            for (i, meta) in rules.rules().iter().enumerate() {
                let kind = match meta.kind {
                    RuleKind::Detection if !rules.generates(RuleId(i as u32)) => "detection*",
                    RuleKind::Detection => "detection",
                    RuleKind::Correlation => "correlation",
                };
                report_line!(
                    "{:<36}  {:<11}  {:<8}  {:<36}  {}",
                    meta.name.as_deref().unwrap_or("-"),
                    kind,
                    meta.level.as_deref().unwrap_or("-"),
                    meta.id.as_deref().unwrap_or("-"),
                    meta.title
                );
            }
            report_line!(
                "{} rules ({} could not be compiled); * = feeds a correlation, no alerts of its own",
                rules.rules().len(),
                failures
            );
            Ok(crate::EXIT_OK)
        }
        RulesCommand::Check {
            config,
            explain_prefilter,
            paths,
        } => {
            let mut builder = rule_builder(&config)?;
            for path in &paths {
                builder.add_path(path);
            }
            let (rules, errors) = builder.build();
            for e in &errors {
                report_line!("{e}");
            }
            if explain_prefilter {
                explain(&rules);
            }
            let compiled = rules.rules().len();
            let refused = errors
                .iter()
                .filter(|e| e.severity == Severity::Refused)
                .count();
            let total = compiled + refused;
            report_line!(
                "{total} rules: {compiled} compiled, {refused} failed ({:.2}% compiled), {} warnings",
                100.0 * compiled as f64 / total.max(1) as f64,
                errors.len() - refused
            );
            Ok(if refused == 0 {
                crate::EXIT_OK
            } else {
                crate::EXIT_INPUT_ERRORS
            })
        }
        RulesCommand::Test(args) => crate::rules_test::run(&args),
    }
}

/// Prints what the prefilter needs of a line for each rule.
fn explain(rules: &tripline_engine::RuleSet) {
    let report = rules.prefilter_report();
    let always: Vec<&str> = report
        .rules
        .iter()
        .filter(|(_, literals)| literals.is_none())
        .map(|(id, _)| rules.rule(*id).label())
        .collect();
    report_line!(
        "prefilter: {} ({} rules, {} evaluated on every line)",
        match report.searcher {
            Some(searcher) => format!("on, {searcher}"),
            None => "off: every line is parsed".to_owned(),
        },
        report.rules.len(),
        always.len()
    );
    for (id, literals) in &report.rules {
        match literals {
            Some(literals) => report_line!(
                "  {}: any of {}",
                rules.rule(*id).label(),
                literals.join(" | ")
            ),
            None => report_line!(
                "  {}: every line (no literal it must contain)",
                rules.rule(*id).label()
            ),
        }
    }
}
