//! `tripline rules ...`: inspecting rule sets.

use anyhow::Result;
use tripline_engine::{RuleId, RuleKind, RuleSetBuilder};

use crate::args::RulesCommand;
use crate::scan::load_rules;

pub fn run(command: RulesCommand) -> Result<u8> {
    match command {
        RulesCommand::List { rules } => {
            let (rules, failures) = load_rules(&rules, false)?;
            println!(
                "{:<36}  {:<11}  {:<8}  {:<36}  TITLE",
                "NAME", "KIND", "LEVEL", "ID"
            );
            for (i, meta) in rules.rules().iter().enumerate() {
                let kind = match meta.kind {
                    RuleKind::Detection if !rules.generates(RuleId(i as u32)) => "detection*",
                    RuleKind::Detection => "detection",
                    RuleKind::Correlation => "correlation",
                };
                println!(
                    "{:<36}  {:<11}  {:<8}  {:<36}  {}",
                    meta.name.as_deref().unwrap_or("-"),
                    kind,
                    meta.level.as_deref().unwrap_or("-"),
                    meta.id.as_deref().unwrap_or("-"),
                    meta.title
                );
            }
            println!(
                "{} rules ({} could not be compiled); * = feeds a correlation, no alerts of its own",
                rules.rules().len(),
                failures
            );
            Ok(crate::EXIT_OK)
        }
        RulesCommand::Check { paths } => {
            let mut builder = RuleSetBuilder::new();
            for path in &paths {
                builder.add_path(path);
            }
            let (rules, errors) = builder.build();
            for e in &errors {
                println!("{e}");
            }
            let compiled = rules.rules().len();
            let total = compiled + errors.len();
            println!(
                "{total} rules: {compiled} compiled, {} failed ({:.2}% compiled)",
                errors.len(),
                100.0 * compiled as f64 / total.max(1) as f64
            );
            Ok(if errors.is_empty() {
                crate::EXIT_OK
            } else {
                crate::EXIT_INPUT_ERRORS
            })
        }
        RulesCommand::Test(args) => crate::rules_test::run(&args),
    }
}
