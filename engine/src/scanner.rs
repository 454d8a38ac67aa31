//! The scanning API: feed bytes (in any chunking, from any number of sources), get alerts
//! pushed into a [`Sink`] as soon as they are known. The CLI is a client of this API.
//!
//! Order: detection alerts are pushed while the line that raised them is processed, in
//! input order; a correlation alert is pushed once its group's watermark (the latest
//! event time of that group) has passed the sequence's last event by the lateness
//! bound, or when [`Scanner::advance_watermark`] or [`Scanner::finish`] says so; alerts
//! completed together go out in event-time order.

use std::sync::Arc;

use tripline_ingest::{DEFAULT_MAX_LINE, Framed, LineFramer, Parsed, Parser, Reject, Timestamp};

use crate::alert::{Alert, EventRecord, SourceRef};
use crate::correlation::{CorrelationLimits, CorrelationState};
use crate::eval::Evaluator;
use crate::ruleset::RuleSet;
use crate::stats::ScanStats;

/// Scanner settings.
#[derive(Clone, Copy, Debug)]
pub struct ScanConfig {
    /// Lines longer than this many bytes are rejected unread.
    pub max_line: usize,
    pub correlation: CorrelationLimits,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            max_line: DEFAULT_MAX_LINE,
            correlation: CorrelationLimits::default(),
        }
    }
}

/// A line that was not evaluated, and why.
#[derive(Clone, Copy, Debug)]
pub struct Rejected<'a> {
    pub source: &'a str,
    pub line: u64,
    pub reason: Reject,
    /// The line's bytes (empty for lines too long to keep).
    pub bytes: &'a [u8],
}

/// Where a scanner pushes its results.
pub trait Sink {
    fn alert(&mut self, alert: Alert);
    /// Called for every rejected line; ignored by default (they are counted anyway).
    fn reject(&mut self, rejected: &Rejected<'_>) {
        let _ = rejected;
    }
}

/// Collecting alerts into a vector.
impl Sink for Vec<Alert> {
    fn alert(&mut self, alert: Alert) {
        self.push(alert);
    }
}

/// Scans a stream of inputs. One scanner per thread; the rule set is shared.
///
/// ```
/// use std::sync::Arc;
/// use tripline_engine::{RuleSet, Scanner, ScanConfig, Alert};
///
/// let rules = Arc::new(RuleSet::builtin());
/// let mut scanner = Scanner::new(rules, ScanConfig::default());
/// let mut alerts: Vec<Alert> = Vec::new();
/// scanner.begin_source("stdin", &mut alerts);
/// // Bytes may arrive in any pieces; here a line is split in two.
/// scanner.feed(br#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"web01","@timestamp":"2026-11-20T10:00:00Z","#, &mut alerts);
/// scanner.feed(br#""ParentImage":"C:\\Windows\\System32\\inetsrv\\w3wp.exe","Image":"C:\\Windows\\System32\\whoami.exe"}
/// "#, &mut alerts);
/// scanner.finish(&mut alerts);
/// assert_eq!(alerts.len(), 1);
/// assert_eq!(alerts[0].rule.name.as_deref(), Some("web_server_suspicious_child"));
/// assert_eq!(alerts[0].evidence.as_deref(), Some("Reconnaissance"));
/// assert_eq!(alerts[0].events[0].source.line, 1);
/// ```
pub struct Scanner {
    framer: LineFramer,
    lines: LineScanner,
}

/// Everything but the framer, so that the framer can lend lines to it.
struct LineScanner {
    rules: Arc<RuleSet>,
    parser: Parser,
    evaluator: Evaluator,
    correlation: CorrelationState,
    stats: ScanStats,
    source: Arc<str>,
}

impl Scanner {
    pub fn new(rules: Arc<RuleSet>, config: ScanConfig) -> Scanner {
        Scanner {
            framer: LineFramer::new(config.max_line),
            lines: LineScanner {
                rules,
                parser: Parser::new(),
                evaluator: Evaluator::default(),
                correlation: CorrelationState::new(config.correlation),
                stats: ScanStats::default(),
                source: Arc::from("-"),
            },
        }
    }

    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.lines.rules
    }

    /// Starts a new input named `name` (as alerts will show it); line numbers restart
    /// at 1. The previous input is ended first (its unterminated last line is scanned),
    /// so its bytes can never run into the new input's first line.
    ///
    /// Per-input state starts afresh: W3C access-log lines follow this input's own
    /// `#Fields:` directive, and the source host is unset.
    pub fn begin_source(&mut self, name: impl Into<Arc<str>>, sink: &mut impl Sink) {
        self.end_source(sink);
        self.lines.stats.inputs += 1;
        self.lines.source = name.into();
        self.lines.parser.begin_source();
    }

    /// The host of the current input's events that do not name one (Apache `combined`
    /// lines never do), as alerts and `Computer` show it; `None` to leave them without.
    /// Call after [`Scanner::begin_source`], which unsets it.
    pub fn set_source_host(&mut self, host: Option<Arc<str>>) {
        self.lines.parser.set_source_host(host);
    }

    /// Scans `bytes`, the next piece of the current input.
    pub fn feed(&mut self, bytes: &[u8], sink: &mut impl Sink) {
        self.lines.stats.bytes_read += bytes.len() as u64;
        let lines = &mut self.lines;
        self.framer.push(bytes, |framed| lines.line(framed, sink));
    }

    /// Ends the current input: scans its last line if it had no line terminator. Does
    /// nothing when the input ended with a newline or was already ended.
    pub fn end_source(&mut self, sink: &mut impl Sink) {
        let lines = &mut self.lines;
        self.framer.finish(|framed| lines.line(framed, sink));
    }

    /// Ends the scan: ends the current input and completes every pending correlation.
    pub fn finish(&mut self, sink: &mut impl Sink) {
        self.end_source(sink);
        let LineScanner {
            rules,
            correlation,
            stats,
            ..
        } = &mut self.lines;
        correlation.finish(rules, &mut |alert: Alert| {
            stats.count_alert(alert.rule_id.0);
            sink.alert(alert);
        });
    }

    /// Declares that event time has reached `time` for every group (a punctuation, for
    /// instance from the wall clock of a live stream): correlations waiting on quiet
    /// groups complete now instead of at the end of input.
    pub fn advance_watermark(&mut self, time: Timestamp, sink: &mut impl Sink) {
        let LineScanner {
            rules,
            correlation,
            stats,
            ..
        } = &mut self.lines;
        correlation.advance_all(time, rules, &mut |alert: Alert| {
            stats.count_alert(alert.rule_id.0);
            sink.alert(alert);
        });
    }

    pub fn stats(&self) -> &ScanStats {
        &self.lines.stats
    }
}

impl LineScanner {
    fn line(&mut self, framed: Framed<'_>, sink: &mut impl Sink) {
        self.stats.lines_read += 1;
        let line = match framed {
            Framed::TooLong { number, .. } => {
                self.reject(number, Reject::LineTooLong, &[], sink);
                return;
            }
            Framed::Line(line) => line,
        };
        let LineScanner {
            rules,
            parser,
            evaluator,
            correlation,
            stats,
            source,
        } = self;
        let event = match parser.parse(&rules.plan, line.bytes) {
            Ok(Parsed::Event(event)) => event,
            Ok(Parsed::Header) => {
                stats.lines_header += 1;
                return;
            }
            Err(reason) => {
                self.reject(line.number, reason, line.bytes, sink);
                return;
            }
        };
        stats.lines_evaluated += 1;
        if std::str::from_utf8(line.bytes).is_err() {
            stats.lines_with_invalid_utf8 += 1;
        }
        stats.events[event.schema() as usize][event.kind() as usize] += 1;
        evaluator.begin_event(rules.predicates.len());
        let mut record: Option<Arc<EventRecord>> = None;
        let schema = event.schema();
        for candidate in rules.routes.candidates(&event).into_iter().flatten() {
            let rule = &rules.detections[candidate.detection as usize];
            if rule.route.product.is_some_and(|p| !p.admits(schema)) {
                continue;
            }
            if let Some(c) = candidate.condition
                && !evaluator.eval(rules, &rules.routes.conditions[c as usize], &event)
            {
                continue;
            }
            if !evaluator.eval(rules, &rule.condition, &event) {
                continue;
            }
            let record = record
                .get_or_insert_with(|| {
                    Arc::new(EventRecord {
                        source: SourceRef {
                            file: source.clone(),
                            line: line.number,
                        },
                        event: event.summary(),
                    })
                })
                .clone();
            for feed in &rule.feeds {
                let mut completed = Vec::new();
                correlation.observe(
                    rules,
                    *feed,
                    &event,
                    &record,
                    &mut stats.correlation,
                    &mut |a| completed.push(a),
                );
                for alert in completed {
                    stats.count_alert(alert.rule_id.0);
                    sink.alert(alert);
                }
            }
            if rule.generates {
                let evidence = rule
                    .evidence
                    .iter()
                    .find(|e| {
                        e.when
                            .as_ref()
                            .is_none_or(|w| evaluator.eval(rules, w, &event))
                    })
                    .map(|e| e.label.clone());
                stats.count_alert(rule.id.0);
                sink.alert(Alert {
                    rule_id: rule.id,
                    rule: rules.rule(rule.id).clone(),
                    timestamp: event.timestamp(),
                    host: record.event.host.clone(),
                    evidence,
                    group_by: Vec::new(),
                    events: vec![record],
                });
            }
        }
    }

    fn reject(&mut self, line: u64, reason: Reject, bytes: &[u8], sink: &mut impl Sink) {
        self.stats.lines_rejected += 1;
        self.stats.rejected[reason.index()] += 1;
        sink.reject(&Rejected {
            source: &self.source,
            line,
            reason,
            bytes,
        });
    }
}
