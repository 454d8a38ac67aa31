//! Compiles Sigma correlation rules, once every detection rule of the set is known (a
//! correlation refers to its rules, detections or other correlations, by `name` or `id`):
//! types, thresholds, aliases, `generate`, chains of correlations, and `tripline.suppress`.

use std::sync::Arc;

use hashbrown::HashMap;
use rsigma_parser::{ConditionOperator, CorrelationCondition, CorrelationType, WindowMode};

use super::RISK_SCORE_KEY;
use crate::correlation::Threshold;
use crate::rule::{RuleError, RuleKind, RuleMeta, Severity};
use crate::ruleset::{
    CorrelationKind, CorrelationRule, CorrelationStep, Feed, RuleSetBuilder, StepSource,
};

/// The rule attribute that throttles a correlation's alerts per group key.
pub const SUPPRESS_KEY: &str = "tripline.suppress";

/// A parsed correlation waiting for [`compile_correlations`].
pub(crate) struct PendingCorrelation {
    pub source: Arc<str>,
    pub rule: rsigma_parser::CorrelationRule,
}

/// Where a pending correlation stands while the set is compiled (references may point
/// forwards, so correlations compile in dependency order).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Progress {
    Waiting,
    Compiling,
    Done(Option<u32>),
}

/// Compiles every pending correlation into `builder.correlations`; failures go to
/// `builder.errors`.
pub(crate) fn compile_correlations(builder: &mut RuleSetBuilder) {
    let pending = std::mem::take(&mut builder.pending);
    let mut names: HashMap<String, usize> = HashMap::new();
    for (i, p) in pending.iter().enumerate() {
        for label in [&p.rule.name, &p.rule.id].into_iter().flatten() {
            names.entry(label.clone()).or_insert(i);
        }
    }
    let mut progress = vec![Progress::Waiting; pending.len()];
    for i in 0..pending.len() {
        compile_in_order(builder, &pending, &names, &mut progress, i);
    }
    link_chains(builder);
}

/// Compiles correlation `i` after the correlations it refers to.
fn compile_in_order(
    builder: &mut RuleSetBuilder,
    pending: &[PendingCorrelation],
    names: &HashMap<String, usize>,
    progress: &mut [Progress],
    i: usize,
) -> Option<u32> {
    match progress[i] {
        Progress::Done(index) => return index,
        Progress::Compiling => return None,
        Progress::Waiting => {}
    }
    progress[i] = Progress::Compiling;
    let mut children = HashMap::new();
    let mut cycle = None;
    for reference in &pending[i].rule.rules {
        if builder.references.contains_key(reference) {
            continue;
        }
        if let Some(&j) = names.get(reference) {
            if progress[j] == Progress::Compiling {
                cycle = Some(reference.clone());
                continue;
            }
            if let Some(index) = compile_in_order(builder, pending, names, progress, j) {
                children.insert(reference.clone(), index);
            }
        }
    }
    let result = match cycle {
        Some(reference) => Err(refusal(
            &pending[i],
            "correlation.rules",
            format!("`{reference}` refers back to this correlation (a cycle)"),
        )),
        None => compile(builder, &pending[i], &children),
    };
    let index = match result {
        Ok(rule) => {
            builder.correlations.push(rule);
            Some(builder.correlations.len() as u32 - 1)
        }
        Err(e) => {
            builder.errors.push(e);
            None
        }
    };
    progress[i] = Progress::Done(index);
    index
}

fn refusal(pending: &PendingCorrelation, construct: &str, reason: String) -> RuleError {
    let rule = &pending.rule;
    RuleError {
        severity: Severity::Refused,
        source_name: pending.source.to_string(),
        rule: Some(super::rule_label(&rule.id, &rule.name, &rule.title)),
        construct: construct.into(),
        reason,
    }
}

fn compile(
    builder: &mut RuleSetBuilder,
    pending: &PendingCorrelation,
    children: &HashMap<String, u32>,
) -> Result<CorrelationRule, RuleError> {
    let rule = &pending.rule;
    let fail = |construct: &str, reason: String| refusal(pending, construct, reason);
    if rule.window != WindowMode::Sliding {
        return Err(fail(
            "correlation.window",
            format!("window `{}` is not supported yet", rule.window.as_str()),
        ));
    }
    let (predicates, fields, percentile) = match &rule.condition {
        CorrelationCondition::Threshold {
            predicates,
            field,
            percentile,
        } => (predicates, field.clone().unwrap_or_default(), *percentile),
        CorrelationCondition::Extended(expr) => {
            return Err(fail(
                "correlation.condition",
                format!("condition `{expr}` is not supported yet"),
            ));
        }
    };
    let kind = match rule.correlation_type {
        CorrelationType::EventCount => CorrelationKind::EventCount,
        CorrelationType::ValueCount => CorrelationKind::ValueCount,
        CorrelationType::Temporal => CorrelationKind::Temporal,
        CorrelationType::TemporalOrdered => CorrelationKind::TemporalOrdered,
        CorrelationType::ValueSum => CorrelationKind::ValueSum,
        CorrelationType::ValueAvg => CorrelationKind::ValueAvg,
        CorrelationType::ValuePercentile => {
            let p = percentile.unwrap_or(50);
            let p = u8::try_from(p).ok().filter(|p| (1..=100).contains(p));
            CorrelationKind::ValuePercentile(p.ok_or_else(|| {
                fail(
                    "correlation.condition.percentile",
                    "must be an integer from 1 to 100".into(),
                )
            })?)
        }
        other => {
            return Err(fail(
                "correlation.type",
                format!("correlation type `{}` is not supported", other.as_str()),
            ));
        }
    };
    let temporal = matches!(
        kind,
        CorrelationKind::Temporal | CorrelationKind::TemporalOrdered
    );
    let needs_field = !temporal && kind != CorrelationKind::EventCount;
    if needs_field && fields.is_empty() {
        return Err(fail(
            "correlation.condition.field",
            format!(
                "a `{}` correlation needs a `field`",
                rule.correlation_type.as_str()
            ),
        ));
    }
    let condition = threshold(predicates, temporal, rule.rules.len())
        .map_err(|r| fail("correlation.condition", r))?;
    if kind == CorrelationKind::TemporalOrdered && rule.rules.len() < 2 {
        return Err(fail(
            "correlation.rules",
            "a temporal_ordered correlation needs at least two rules".into(),
        ));
    }
    if rule.rules.is_empty() {
        return Err(fail("correlation.rules", "no rules".into()));
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
    let suppress = suppress_window(&rule.custom_attributes).map_err(|r| fail(SUPPRESS_KEY, r))?;
    // The name a field has in the events of `reference` (aliases applied).
    let field_name = |name: &String, reference: &String| -> String {
        rule.aliases
            .iter()
            .find(|a| &a.alias == name)
            .and_then(|a| a.mapping.get(reference))
            .unwrap_or(name)
            .clone()
    };
    let mut sources = Vec::new();
    let mut steps = Vec::new();
    for reference in &rule.rules {
        let names: Vec<String> = rule
            .group_by
            .iter()
            .map(|n| field_name(n, reference))
            .collect();
        let value_names: Vec<String> = fields.iter().map(|n| field_name(n, reference)).collect();
        if let Some(&detection) = builder.references.get(reference) {
            steps.push(CorrelationStep {
                group_by: names.iter().map(|n| builder.fields.field(n)).collect(),
                value: value_names
                    .iter()
                    .map(|n| builder.fields.field(n))
                    .collect(),
                source: StepSource::Detection,
            });
            sources.push(Err(detection));
        } else if let Some(&child) = children.get(reference) {
            let child_rule = &builder.correlations[child as usize];
            let group_index = names
                .iter()
                .map(|n| {
                    child_rule
                        .group_names
                        .iter()
                        .position(|g| g == n)
                        .ok_or_else(|| {
                            fail(
                                "correlation.group-by",
                                format!(
                                    "`{reference}` is a correlation that does not group by `{n}`"
                                ),
                            )
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if needs_field {
                return Err(fail(
                    "correlation.rules",
                    format!(
                        "`{reference}` is a correlation: its alerts have no `{}` to aggregate",
                        fields.join(", ")
                    ),
                ));
            }
            steps.push(CorrelationStep {
                group_by: Vec::new(),
                value: Vec::new(),
                source: StepSource::Correlation { group_index },
            });
            sources.push(Ok(child));
        } else {
            return Err(fail(
                "correlation.rules",
                format!("`{reference}` is not the name or id of a rule in this rule set"),
            ));
        }
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
    for (step, source) in sources.into_iter().enumerate() {
        let feed = Feed {
            correlation,
            step: step as u32,
        };
        match source {
            Err(detection) => {
                let base = &mut builder.detections[detection as usize];
                base.feeds.push(feed);
                base.generates &= rule.generate;
            }
            Ok(child) => {
                let base = &mut builder.correlations[child as usize];
                base.feeds.push(feed);
                base.generates &= rule.generate;
            }
        }
    }
    Ok(CorrelationRule {
        id,
        kind,
        condition,
        steps,
        timespan,
        group_names: rule.group_by.clone(),
        generates: true,
        feeds: Vec::new(),
        chain: None,
        suppress,
    })
}

/// The condition as a threshold. For the temporal types the count is of distinct rules
/// matched; without a condition (which the parser reports as `gte: 1`) every rule must
/// match.
fn threshold(
    predicates: &[(ConditionOperator, u64)],
    temporal: bool,
    rules: usize,
) -> Result<Threshold, String> {
    if temporal && predicates == [(ConditionOperator::Gte, 1)] {
        return Ok(Threshold::at_least(rules as f64));
    }
    let mut threshold = Threshold::any();
    for (op, value) in predicates {
        threshold.add(*op, *value as f64);
    }
    Ok(threshold)
}

/// The `tripline.suppress` attribute: absent, or a duration such as `10m`.
fn suppress_window(
    attributes: &std::collections::HashMap<String, yaml_serde::Value>,
) -> Result<Option<i64>, String> {
    match attributes.get(SUPPRESS_KEY) {
        None => Ok(None),
        Some(v) => v
            .as_str()
            .and_then(|t| crate::correlation::parse_duration(t).ok())
            .filter(|d| *d > 0)
            .map(Some)
            .ok_or_else(|| "must be a duration such as 90s, 10m, 1h or 2d".into()),
    }
}

/// Groups correlations linked by references into chains: the state of a chain is kept
/// in one place, so that a correlation's alert reaches the correlations it feeds in
/// event-time order.
fn link_chains(builder: &mut RuleSetBuilder) {
    let n = builder.correlations.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut linked = vec![false; n];
    for i in 0..n {
        for feed in builder.correlations[i].feeds.clone() {
            let (a, b) = (
                root(&mut parent, i),
                root(&mut parent, feed.correlation as usize),
            );
            parent[a] = b;
            linked[i] = true;
            linked[feed.correlation as usize] = true;
        }
    }
    let mut chains: HashMap<usize, u32> = HashMap::new();
    for (i, linked) in linked.into_iter().enumerate() {
        if linked {
            let r = root(&mut parent, i);
            let next = chains.len() as u32;
            builder.correlations[i].chain = Some(*chains.entry(r).or_insert(next));
        }
    }
}
