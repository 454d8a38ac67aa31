//! # tripline-engine
//!
//! Rules → compiled rule set → alerts.
//!
//! * [`RuleSetBuilder`] compiles Sigma rules (detections, and correlations of every type
//!   of the specification, over detections or other correlations) into an immutable [`RuleSet`]; rules it cannot run are reported as
//!   [`RuleError`]s naming the construct, never dropped silently. [`RuleSet::builtin`]
//!   is the built-in web-exploitation pack.
//! * [`Scanner`] is fed bytes in any chunking and pushes [`Alert`]s into a [`Sink`] as
//!   soon as they are known; [`ScanStats`] accounts for every line.
//! * [`examples`] runs the example events rules carry; [`regression`] runs SigmaHQ's
//!   regression data (a rule alone over its recorded events) and both for rule files.
//!
//! ```
//! use std::sync::Arc;
//! use tripline_engine::{RuleSetBuilder, Scanner, ScanConfig, Alert};
//!
//! let mut builder = RuleSetBuilder::new();
//! builder.add_sigma_yaml("inline", r#"
//! title: Whoami
//! name: whoami
//! logsource: {product: windows, category: process_creation}
//! detection:
//!   selection: {Image|endswith: '\whoami.exe'}
//!   condition: selection
//! level: low
//! "#);
//! let (rules, errors) = builder.build();
//! assert!(errors.is_empty());
//! let mut scanner = Scanner::new(Arc::new(rules), ScanConfig::default());
//! let mut alerts: Vec<Alert> = Vec::new();
//! scanner.begin_source("events.json", &mut alerts);
//! scanner.feed(br#"{"@timestamp":"2026-11-20T10:00:00Z","event":{"category":["process"],"type":["start"]},"host":{"name":"ws1"},"process":{"executable":"C:\\Windows\\System32\\WHOAMI.EXE"}}
//! "#, &mut alerts);
//! scanner.finish(&mut alerts);
//! assert_eq!(alerts.len(), 1);
//! assert_eq!(alerts[0].host.as_deref(), Some("ws1"));
//! ```

mod alert;
mod builtin;
mod chain;
mod correlation;
mod eval;
pub mod examples;
mod fieldindex;
mod hitmemo;
mod ir;
mod matcher;
mod pool;
mod prefilter;
mod regex_literals;
pub mod regression;
mod routing;
mod rule;
mod ruleset;
mod scanner;
mod sigma;
pub mod stage;
mod stats;
mod triggers;
mod worker;

pub use alert::{Alert, EventRecord, SourceRef};
pub use builtin::files as builtin_files;
pub use correlation::{CorrelationLimits, StateBudget, parse_duration};
pub use rule::{RuleError, RuleId, RuleKind, RuleMeta, Severity};
pub use ruleset::{PrefilterReport, RuleSet, RuleSetBuilder};
pub use scanner::{REJECT_PREFIX, Rejected, ScanConfig, Scanner, Sink};
pub use sigma::correlation::SUPPRESS_KEY;
pub use sigma::modifiers::Placeholders;
pub use sigma::{EVIDENCE_KEY, EXAMPLES_KEY, RISK_SCORE_KEY};
pub use stats::{CorrelationStats, ScanStats};
