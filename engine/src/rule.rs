//! Rule identity and metadata as alerts show it, and rule compilation errors.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// Index of a rule in its [`RuleSet`](crate::RuleSet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

/// Whether a rule matches single events or sequences of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    Detection,
    Correlation,
}

/// What alerts say about the rule that raised them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleMeta {
    /// The rule's `name`: a stable, human-readable identifier (Sigma v2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The rule's UUID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_score: Option<u32>,
    pub tags: Vec<String>,
    #[serde(skip)]
    pub kind: RuleKind,
    /// Where the rule came from (a file path, or `builtin:<file>`).
    #[serde(skip)]
    pub source: Arc<str>,
}

impl RuleMeta {
    /// How reports name the rule: its name, else its id, else its title.
    pub fn label(&self) -> &str {
        self.name
            .as_deref()
            .or(self.id.as_deref())
            .unwrap_or(&self.title)
    }
}

/// A rule that could not be compiled, or a problem worth a warning: where it is, which
/// construct, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct RuleError {
    /// Whether the rule was left out, or runs with this noted.
    pub severity: Severity,
    /// The file (or other source) the rule came from.
    pub source_name: String,
    /// The rule's id, name or title, when the document got that far.
    pub rule: Option<String>,
    /// The construct at fault, as a path into the rule (`detection.selection.Image|base64`).
    pub construct: String,
    pub reason: String,
}

/// How bad a [`RuleError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The rule cannot run and was left out.
    Refused,
    /// The rule runs; something in it or about it deserves attention (e.g. a filter that
    /// names a rule which is not loaded).
    Warning,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.severity == Severity::Warning {
            write!(f, "warning: ")?;
        }
        write!(f, "{}", self.source_name)?;
        if let Some(rule) = &self.rule {
            write!(f, ": rule {rule}")?;
        }
        write!(f, ": {}: {}", self.construct, self.reason)
    }
}
