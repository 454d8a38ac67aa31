//! Compiles Sigma correlation rules, once every detection rule of the set is known (a
//! correlation refers to its rules by `name` or `id`).

use std::sync::Arc;

use rsigma_parser::{CorrelationCondition, CorrelationType, WindowMode};

use super::RISK_SCORE_KEY;
use crate::rule::{RuleError, RuleKind, RuleMeta, Severity};
use crate::ruleset::{CorrelationRule, CorrelationStep, Feed, RuleSetBuilder};

/// A parsed correlation waiting for [`compile_correlations`].
pub(crate) struct PendingCorrelation {
    pub source: Arc<str>,
    pub rule: rsigma_parser::CorrelationRule,
}

/// Compiles every pending correlation into `builder.correlations`; failures go to
/// `builder.errors`.
pub(crate) fn compile_correlations(builder: &mut RuleSetBuilder) {
    for pending in std::mem::take(&mut builder.pending) {
        match compile(builder, &pending) {
            Ok(rule) => builder.correlations.push(rule),
            Err(e) => builder.errors.push(e),
        }
    }
}

fn compile(
    builder: &mut RuleSetBuilder,
    pending: &PendingCorrelation,
) -> Result<CorrelationRule, RuleError> {
    let rule = &pending.rule;
    let fail = |construct: &str, reason: String| RuleError {
        severity: Severity::Refused,
        source_name: pending.source.to_string(),
        rule: Some(super::rule_label(&rule.id, &rule.name, &rule.title)),
        construct: construct.into(),
        reason,
    };
    if rule.correlation_type != CorrelationType::TemporalOrdered {
        return Err(fail(
            "correlation.type",
            format!(
                "correlation type `{}` is not supported yet",
                rule.correlation_type.as_str()
            ),
        ));
    }
    if rule.window != WindowMode::Sliding {
        return Err(fail(
            "correlation.window",
            format!("window `{}` is not supported yet", rule.window.as_str()),
        ));
    }
    if let CorrelationCondition::Extended(expr) = &rule.condition {
        return Err(fail(
            "correlation.condition",
            format!("condition `{expr}` is not supported yet"),
        ));
    }
    if rule.rules.len() < 2 {
        return Err(fail(
            "correlation.rules",
            "a temporal correlation needs at least two rules".into(),
        ));
    }
    let timespan = i64::try_from(rule.timespan.seconds)
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .filter(|t| *t > 0)
        .ok_or_else(|| {
            fail(
                "correlation.timespan",
                format!("`{}` is not a usable window", rule.timespan.original),
            )
        })?;
    let mut detections = Vec::new();
    let mut steps = Vec::new();
    for reference in &rule.rules {
        let Some(&detection) = builder.references.get(reference) else {
            let reason = if builder.correlations.iter().any(|c| {
                let meta = &builder.metas[c.id.0 as usize];
                meta.name.as_deref() == Some(reference) || meta.id.as_deref() == Some(reference)
            }) {
                format!(
                    "`{reference}` is a correlation: correlations over correlations are not supported yet"
                )
            } else {
                format!("`{reference}` is not the name or id of a detection rule in this rule set")
            };
            return Err(fail("correlation.rules", reason));
        };
        let group_by = rule
            .group_by
            .iter()
            .map(|name| {
                let field = rule
                    .aliases
                    .iter()
                    .find(|a| &a.alias == name)
                    .and_then(|a| a.mapping.get(reference))
                    .unwrap_or(name);
                builder.fields.field(field)
            })
            .collect();
        detections.push(detection);
        steps.push(CorrelationStep { group_by });
    }
    let risk_score =
        super::risk_score(&rule.custom_attributes).map_err(|r| fail(RISK_SCORE_KEY, r))?;
    let id = builder.add_meta(RuleMeta {
        name: rule.name.clone(),
        id: rule.id.clone(),
        title: rule.title.clone(),
        level: rule.level.map(|l| l.as_str().to_owned()),
        risk_score,
        tags: rule.tags.clone(),
        kind: RuleKind::Correlation,
        source: pending.source.clone(),
    });
    let correlation = builder.correlations.len() as u32;
    for (step, detection) in detections.into_iter().enumerate() {
        let base = &mut builder.detections[detection as usize];
        base.feeds.push(Feed {
            correlation,
            step: step as u32,
        });
        if !rule.generate {
            base.generates = false;
        }
    }
    Ok(CorrelationRule {
        id,
        steps,
        timespan,
        group_names: rule.group_by.clone(),
    })
}
