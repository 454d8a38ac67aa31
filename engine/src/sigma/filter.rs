//! Sigma filter rules: exclusions kept apart from the rules they apply to. A filter's
//! condition is added to each rule it names (by id, name or title), or to every rule
//! when it names none, as `rule condition and not filter condition` — when the filter's
//! `logsource` (if any) agrees with the rule's.

use std::sync::Arc;

use rsigma_parser::{FilterRule, FilterRuleTarget, LogSource};

use super::detection::{Compiler, compile_detection};
use crate::ir::Expr;
use crate::rule::{RuleError, Severity};
use crate::ruleset::RuleSetBuilder;

/// A parsed filter waiting for [`apply_filters`], when every rule is known.
pub(crate) struct PendingFilter {
    pub source: Arc<str>,
    pub filter: FilterRule,
}

/// Applies every pending filter to the detection rules it names.
pub(crate) fn apply_filters(builder: &mut RuleSetBuilder) {
    for pending in std::mem::take(&mut builder.filters) {
        match apply(builder, &pending) {
            Ok(missing) => builder.errors.extend(missing),
            Err(e) => builder.errors.push(e),
        }
    }
}

/// Applies one filter; returns the references it could not resolve as errors.
fn apply(
    builder: &mut RuleSetBuilder,
    pending: &PendingFilter,
) -> Result<Vec<RuleError>, RuleError> {
    let filter = &pending.filter;
    let fail = |construct: String, reason: String| RuleError {
        severity: Severity::Refused,
        source_name: pending.source.to_string(),
        rule: Some(super::rule_label(&filter.id, &filter.name, &filter.title)),
        construct,
        reason,
    };
    let mut ctx = Compiler {
        fields: &mut builder.fields,
        table: &mut builder.predicates,
        placeholders: &builder.placeholders,
    };
    let compiled = compile_detection(&filter.detection, &mut ctx)
        .map_err(|e| fail(format!("filter.{}", e.construct), e.reason))?;
    let mut missing = Vec::new();
    let targets: Vec<usize> = match &filter.rules {
        FilterRuleTarget::Any => (0..builder.detections.len()).collect(),
        FilterRuleTarget::Specific(references) => {
            let mut targets = Vec::new();
            for reference in references {
                let found: Vec<usize> = builder
                    .detections
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| {
                        let meta = &builder.metas[d.id.0 as usize];
                        meta.id.as_deref() == Some(reference)
                            || meta.name.as_deref() == Some(reference)
                            || meta.title == *reference
                    })
                    .map(|(i, _)| i)
                    .collect();
                if found.is_empty() {
                    // Reported, and the filter still applies to the rules it does find.
                    missing.push(RuleError {
                        severity: Severity::Warning,
                        ..fail(
                            "filter.rules".into(),
                            format!("`{reference}` is not a detection rule in this rule set"),
                        )
                    });
                }
                targets.extend(found);
            }
            targets
        }
    };
    for target in targets {
        let rule = &mut builder.detections[target];
        if filter
            .logsource
            .as_ref()
            .is_some_and(|f| !agrees(f, &rule.logsource))
        {
            continue;
        }
        let condition = std::mem::replace(&mut rule.condition, Expr::And(Vec::new()));
        rule.condition = Expr::And(vec![
            condition,
            Expr::Not(Box::new(compiled.condition.clone())),
        ]);
    }
    Ok(missing)
}

/// Whether every field the filter's logsource sets is the rule's too.
fn agrees(filter: &LogSource, rule: &LogSource) -> bool {
    let same = |f: &Option<String>, r: &Option<String>| f.is_none() || f == r;
    same(&filter.category, &rule.category)
        && same(&filter.product, &rule.product)
        && same(&filter.service, &rule.service)
}
