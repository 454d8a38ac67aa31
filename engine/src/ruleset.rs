//! The compiled rule set and its builder. A [`RuleSet`] is immutable once built and
//! shared by every scanner (wrap it in an `Arc`).

use std::path::Path;
use std::sync::Arc;

use hashbrown::HashMap;
use tripline_ingest::{FieldId, FieldMap, FieldPlan, FieldPlanBuilder};

use crate::builtin;
pub(crate) use crate::correlation::Threshold;
use crate::fieldindex::FieldIndex;
use crate::ir::{Expr, Predicate};
use crate::prefilter::Prefilter;
use crate::prefilter::literals::Requirement;
use crate::routing::{RouteIndex, required_event_ids};
use crate::rule::{RuleError, RuleId, RuleMeta, Severity};
use crate::sigma::logsource::{LogsourceMap, Route};
use crate::sigma::modifiers::Placeholders;
use crate::sigma::{self, PendingCorrelation, PendingFilter};
use crate::triggers::Triggers;

/// A compiled set of rules: detections, correlations, and the field plan that extracts
/// what they test.
#[derive(Debug)]
pub struct RuleSet {
    pub(crate) plan: FieldPlan,
    pub(crate) predicates: Vec<Predicate>,
    pub(crate) detections: Vec<DetectionRule>,
    pub(crate) correlations: Vec<CorrelationRule>,
    metas: Vec<Arc<RuleMeta>>,
    /// Which detections apply to which events.
    pub(crate) routes: RouteIndex,
    /// Which lines no rule can match.
    pub(crate) prefilter: Prefilter,
    /// The per-field literal automata.
    pub(crate) field_index: FieldIndex,
    /// Which literals can make which rules match.
    pub(crate) triggers: Triggers,
}

#[derive(Debug)]
pub(crate) struct DetectionRule {
    pub id: RuleId,
    /// The rule's `logsource`, as written (filters compare theirs with it).
    pub logsource: rsigma_parser::LogSource,
    pub route: Route,
    pub condition: Expr,
    pub evidence: Vec<Evidence>,
    /// Whether a match raises an alert of its own (false for the base rules of a
    /// correlation that does not `generate` them).
    pub generates: bool,
    /// The correlation steps this rule's matches feed.
    pub feeds: Vec<Feed>,
}

/// A label for alerts, given when its selection matches (or always, for the fallback).
#[derive(Debug)]
pub(crate) struct Evidence {
    pub label: Arc<str>,
    pub when: Option<Expr>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Feed {
    pub correlation: u32,
    pub step: u32,
}

#[derive(Debug)]
pub(crate) struct CorrelationRule {
    pub id: RuleId,
    pub kind: CorrelationKind,
    /// When the aggregate (count, distinct values, sum, ...) makes the rule match.
    pub condition: Threshold,
    pub steps: Vec<CorrelationStep>,
    /// The window, in nanoseconds.
    pub timespan: i64,
    /// Names of the group-by fields, as alerts show them.
    pub group_names: Vec<String>,
    /// Whether a match raises an alert of its own (false for a correlation that only
    /// feeds another one which does not `generate` it).
    pub generates: bool,
    /// The steps of other correlations this one's matches feed.
    pub feeds: Vec<Feed>,
    /// For correlations over correlations: the chain (every correlation linked to this one
    /// by references) whose state is kept together, under one watermark.
    pub chain: Option<u32>,
    /// Alerts of one group within this long of an emitted one are suppressed
    /// (`tripline.suppress`), in nanoseconds.
    pub suppress: Option<i64>,
}

/// The correlation types of the Sigma specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CorrelationKind {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
    ValueSum,
    ValueAvg,
    /// The given percentile (nearest rank) of the values.
    ValuePercentile(u8),
}

#[derive(Debug)]
pub(crate) struct CorrelationStep {
    /// The group-by fields, as named in this step's rule (aliases applied).
    pub group_by: Vec<FieldId>,
    /// The condition's `field`s (value_* types), as named in this step's rule.
    pub value: Vec<FieldId>,
    /// Where the step's matches come from.
    pub source: StepSource,
}

#[derive(Debug)]
pub(crate) enum StepSource {
    Detection,
    /// Another correlation's alerts; its group value at each index makes this step's
    /// group key.
    Correlation {
        group_index: Vec<usize>,
    },
}

impl RuleSet {
    /// The built-in web-exploitation pack.
    pub fn builtin() -> RuleSet {
        let mut builder = RuleSetBuilder::new();
        builder.add_builtin();
        let (rules, errors) = builder.build();
        assert!(errors.is_empty(), "the built-in pack compiles: {errors:?}");
        rules
    }

    /// Every rule, detections and correlations, by [`RuleId`].
    pub fn rules(&self) -> &[Arc<RuleMeta>] {
        &self.metas
    }

    pub fn rule(&self, id: RuleId) -> &Arc<RuleMeta> {
        &self.metas[id.0 as usize]
    }

    /// The rule whose name, id or title is `label`.
    pub fn find(&self, label: &str) -> Option<RuleId> {
        self.metas
            .iter()
            .position(|m| {
                m.name.as_deref() == Some(label)
                    || m.id.as_deref() == Some(label)
                    || m.title == label
            })
            .map(|i| RuleId(i as u32))
    }

    /// What the prefilter looks for: whether it can skip lines at all, and per detection
    /// rule the literals (as raw JSON text, lowercased) of which a line must contain one,
    /// or `None` for a rule evaluated on every line (which turns the prefilter off).
    pub fn prefilter_report(&self) -> PrefilterReport {
        PrefilterReport {
            active: self.prefilter.is_active(),
            searcher: self.prefilter.searcher_kind(),
            rules: self
                .detections
                .iter()
                .zip(&self.prefilter.requirements)
                .map(|(rule, requirement)| {
                    let literals = match requirement {
                        Requirement::Any => None,
                        Requirement::OneOf(set) => Some(
                            set.iter()
                                .map(|l| String::from_utf8_lossy(l).into_owned())
                                .collect(),
                        ),
                    };
                    (rule.id, literals)
                })
                .collect(),
        }
    }

    /// The field plan the parser uses to extract this rule set's fields.
    pub fn plan(&self) -> &FieldPlan {
        &self.plan
    }

    /// Whether rule `id` raises alerts of its own.
    pub fn generates(&self, id: RuleId) -> bool {
        self.detections
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.generates)
            .unwrap_or(true)
    }
}

/// See [`RuleSet::prefilter_report`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefilterReport {
    pub active: bool,
    /// The literal searcher in use, when active.
    pub searcher: Option<&'static str>,
    pub rules: Vec<(RuleId, Option<Vec<String>>)>,
}

/// Collects rules from Sigma documents, then compiles them into a [`RuleSet`]. Rules that
/// cannot be compiled are left out and reported by [`RuleSetBuilder::build`]; the others
/// still run.
pub struct RuleSetBuilder {
    pub(crate) fields: FieldPlanBuilder,
    pub(crate) logsources: LogsourceMap,
    pub(crate) placeholders: Placeholders,
    pub(crate) predicates: sigma::PredicateTable,
    pub(crate) detections: Vec<DetectionRule>,
    pub(crate) metas: Vec<Arc<RuleMeta>>,
    pub(crate) pending: Vec<PendingCorrelation>,
    pub(crate) filters: Vec<PendingFilter>,
    pub(crate) correlations: Vec<CorrelationRule>,
    /// Detection rule index by name and by id, for correlation references.
    pub(crate) references: HashMap<String, u32>,
    pub(crate) errors: Vec<RuleError>,
}

impl Default for RuleSetBuilder {
    fn default() -> Self {
        RuleSetBuilder::new()
    }
}

impl RuleSetBuilder {
    /// A builder with the built-in field map.
    pub fn new() -> RuleSetBuilder {
        RuleSetBuilder::with_field_map(FieldMap::builtin())
    }

    pub fn with_field_map(map: FieldMap) -> RuleSetBuilder {
        RuleSetBuilder {
            fields: FieldPlanBuilder::new(map),
            logsources: LogsourceMap::builtin(),
            placeholders: Placeholders::new(),
            predicates: sigma::PredicateTable::new(),
            detections: Vec::new(),
            metas: Vec::new(),
            pending: Vec::new(),
            filters: Vec::new(),
            correlations: Vec::new(),
            references: HashMap::new(),
            errors: Vec::new(),
        }
    }

    /// Values for `expand` placeholders (`%name%` in rule values), by name without `%`.
    /// Set before adding the rules that use them.
    pub fn placeholders(&mut self, placeholders: Placeholders) -> &mut Self {
        self.placeholders = placeholders;
        self
    }

    /// Adds the built-in pack.
    pub fn add_builtin(&mut self) {
        for (file, text) in builtin::FILES {
            self.add_sigma_yaml(&format!("builtin:{file}"), text);
        }
    }

    /// Adds every rule of a Sigma YAML text (one or more documents); `source` names it in
    /// alerts and errors. Returns how many rules of the text compiled so far (correlations
    /// are compiled by [`build`](RuleSetBuilder::build)).
    pub fn add_sigma_yaml(&mut self, source: &str, text: &str) -> usize {
        sigma::add_yaml(self, source, text)
    }

    /// Adds a Sigma file, or every `.yml`/`.yaml` file under a directory (sorted). An
    /// unreadable file is reported as an error of that file.
    pub fn add_path(&mut self, path: &Path) {
        let mut files = Vec::new();
        collect_rule_files(path, &mut files, &mut self.errors);
        for file in files {
            match std::fs::read_to_string(&file) {
                Ok(text) => {
                    self.add_sigma_yaml(&file.display().to_string(), &text);
                }
                Err(e) => self.errors.push(RuleError {
                    severity: Severity::Refused,
                    source_name: file.display().to_string(),
                    rule: None,
                    construct: "file".into(),
                    reason: e.to_string(),
                }),
            }
        }
    }

    /// Registers a rule's metadata; its position is the rule's id.
    pub(crate) fn add_meta(&mut self, meta: RuleMeta) -> RuleId {
        self.metas.push(Arc::new(meta));
        RuleId(self.metas.len() as u32 - 1)
    }

    /// Errors so far.
    pub fn errors(&self) -> &[RuleError] {
        &self.errors
    }

    /// Compiles the rule set. Returns it with every rule that could not be compiled.
    pub fn build(mut self) -> (RuleSet, Vec<RuleError>) {
        sigma::apply_filters(&mut self);
        sigma::compile_correlations(&mut self);
        let mut routes = RouteIndex::new(self.detections.iter().map(|d| &d.route));
        let prefilter = Prefilter::new(
            self.detections.iter().map(|d| (&d.condition, &d.route)),
            &self.predicates.predicates,
        );
        let plan = self.fields.build();
        let field_index = FieldIndex::new(&self.predicates.predicates, plan.field_count());
        let triggers = Triggers::new(
            self.detections.iter().map(|d| &d.condition),
            &self.predicates.predicates,
            &field_index,
        );
        let event_ids: Vec<Option<Vec<u32>>> = self
            .detections
            .iter()
            .map(|d| required_event_ids(&d.condition, &self.predicates.predicates))
            .collect();
        routes.attach(
            &triggers,
            &field_index,
            &self.predicates.predicates,
            &event_ids,
        );
        let rules = RuleSet {
            plan,
            predicates: self.predicates.predicates,
            detections: self.detections,
            correlations: self.correlations,
            metas: self.metas,
            routes,
            prefilter,
            field_index,
            triggers,
        };
        (rules, self.errors)
    }
}

pub(crate) fn collect_rule_files(
    path: &Path,
    out: &mut Vec<std::path::PathBuf>,
    errors: &mut Vec<RuleError>,
) {
    let report = |errors: &mut Vec<RuleError>, e: std::io::Error| {
        errors.push(RuleError {
            severity: Severity::Refused,
            source_name: path.display().to_string(),
            rule: None,
            construct: "path".into(),
            reason: e.to_string(),
        })
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => match std::fs::read_dir(path) {
            Ok(entries) => {
                let mut children: Vec<_> =
                    entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                children.sort();
                for child in children {
                    if child.is_dir() {
                        collect_rule_files(&child, out, errors);
                    } else if child.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                        out.push(child);
                    }
                }
            }
            Err(e) => report(errors, e),
        },
        Ok(_) => out.push(path.to_path_buf()),
        Err(e) => report(errors, e),
    }
}
