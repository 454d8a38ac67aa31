//! The Sigma front-end: parses Sigma YAML with `rsigma-parser` and compiles detection and
//! correlation rules into the rule set. Tripline's own rule attributes live under
//! `tripline.*` keys: `tripline.risk_score`, `tripline.evidence`, `tripline.examples`.

pub(crate) mod correlation;
mod detection;
mod filter;
mod keywords;
mod limits;
pub(crate) mod logsource;
pub(crate) mod modifiers;

use std::sync::Arc;

use rsigma_parser::{SigmaCollection, SigmaRule, parse_sigma_yaml};

pub(crate) use correlation::{PendingCorrelation, compile_correlations};
pub(crate) use detection::PredicateTable;
pub(crate) use filter::{PendingFilter, apply_filters};

use crate::rule::{RuleError, RuleKind, RuleMeta, Severity};
use crate::ruleset::{DetectionRule, Evidence, RuleSetBuilder};

/// Custom attribute: an integer risk score (0-100) copied into alerts.
pub const RISK_SCORE_KEY: &str = "tripline.risk_score";
/// Custom attribute: ordered evidence labels, `{label, when: <selection>}`.
pub const EVIDENCE_KEY: &str = "tripline.evidence";
/// Custom attribute: the rule's own example events (see [`crate::examples`]).
pub const EXAMPLES_KEY: &str = "tripline.examples";

pub(crate) fn add_yaml(builder: &mut RuleSetBuilder, source: &str, text: &str) -> usize {
    let refuse = |builder: &mut RuleSetBuilder, reason: String| {
        builder.errors.push(RuleError {
            severity: Severity::Refused,
            source_name: source.into(),
            rule: limits::document_label(text),
            construct: "document".into(),
            reason: limits::shorten(reason),
        });
    };
    if let Err(reason) = limits::check(text) {
        refuse(builder, reason);
        return 0;
    }
    let mut collection = match parse_sigma_yaml(text) {
        Ok(c) => c,
        Err(e) => {
            refuse(builder, e.to_string());
            return 0;
        }
    };
    for reason in std::mem::take(&mut collection.errors) {
        refuse(builder, reason);
    }
    add_collection(builder, source, collection)
}

/// Adds already-parsed Sigma documents.
pub(crate) fn add_collection(
    builder: &mut RuleSetBuilder,
    source: &str,
    collection: SigmaCollection,
) -> usize {
    for reason in collection.errors {
        builder.errors.push(RuleError {
            severity: Severity::Refused,
            source_name: source.into(),
            rule: None,
            construct: "document".into(),
            reason,
        });
    }
    let source: Arc<str> = source.into();
    for filter in collection.filters {
        builder.filters.push(PendingFilter {
            source: source.clone(),
            filter,
        });
    }
    let mut added = 0;
    for rule in &collection.rules {
        match compile_rule(builder, &source, rule) {
            Ok(()) => added += 1,
            Err(e) => builder.errors.push(e),
        }
    }
    for correlation in collection.correlations {
        builder.pending.push(PendingCorrelation {
            source: source.clone(),
            rule: correlation,
        });
    }
    added
}

fn rule_label(id: &Option<String>, name: &Option<String>, title: &str) -> String {
    id.clone()
        .or_else(|| name.clone())
        .unwrap_or_else(|| title.to_owned())
}

fn compile_rule(
    builder: &mut RuleSetBuilder,
    source: &Arc<str>,
    rule: &SigmaRule,
) -> Result<(), RuleError> {
    let fail = |construct: String, reason: String| RuleError {
        severity: Severity::Refused,
        source_name: source.to_string(),
        rule: Some(rule_label(&rule.id, &rule.name, &rule.title)),
        construct,
        reason,
    };
    let route = logsource::route(
        &rule.logsource,
        &builder.logsources,
        &mut builder.fields,
        &mut builder.predicates,
    )
    .map_err(|r| fail("logsource".into(), r))?;
    let mut ctx = detection::Compiler {
        fields: &mut builder.fields,
        table: &mut builder.predicates,
        placeholders: &builder.placeholders,
    };
    let compiled = detection::compile_detection(&rule.detection, &mut ctx)
        .map_err(|e| fail(e.construct, e.reason))?;
    let risk_score =
        risk_score(&rule.custom_attributes).map_err(|r| fail(RISK_SCORE_KEY.into(), r))?;
    let evidence = evidence(rule, &compiled.named).map_err(|r| fail(EVIDENCE_KEY.into(), r))?;
    let id = builder.add_meta(RuleMeta {
        name: rule.name.clone(),
        id: rule.id.clone(),
        title: rule.title.clone(),
        level: rule.level.map(|l| l.as_str().to_owned()),
        risk_score,
        tags: rule.tags.clone(),
        kind: RuleKind::Detection,
        source: source.clone(),
    });
    let index = builder.detections.len() as u32;
    for reference in [&rule.name, &rule.id].into_iter().flatten() {
        builder.references.insert(reference.clone(), index);
    }
    builder.detections.push(DetectionRule {
        id,
        logsource: rule.logsource.clone(),
        route,
        condition: compiled.condition,
        evidence,
        generates: true,
        feeds: Vec::new(),
    });
    Ok(())
}

/// The `tripline.risk_score` attribute: absent, or an integer from 0 to 100.
pub(crate) fn risk_score(
    attributes: &std::collections::HashMap<String, yaml_serde::Value>,
) -> Result<Option<u32>, String> {
    match attributes.get(RISK_SCORE_KEY) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n <= 100)
            .map(Some)
            .ok_or_else(|| "must be an integer from 0 to 100".into()),
    }
}

fn evidence(
    rule: &SigmaRule,
    named: &hashbrown::HashMap<String, crate::ir::Expr>,
) -> Result<Vec<Evidence>, String> {
    let Some(value) = rule.custom_attributes.get(EVIDENCE_KEY) else {
        return Ok(Vec::new());
    };
    let entries = value.as_sequence().ok_or("must be a list")?;
    entries
        .iter()
        .map(|entry| {
            let label = entry
                .get("label")
                .and_then(|l| l.as_str())
                .ok_or("every entry needs a `label`")?;
            let when =
                match entry.get("when") {
                    None => None,
                    Some(w) => {
                        let name = w.as_str().ok_or("`when` names a selection")?;
                        Some(named.get(name).cloned().ok_or_else(|| {
                            format!("`when: {name}` is not a selection of this rule")
                        })?)
                    }
                };
            Ok(Evidence {
                label: label.into(),
                when,
            })
        })
        .collect()
}
