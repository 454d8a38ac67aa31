//! The stateless part of a scan: prefilter, parse and evaluate the lines of a piece of
//! input in order, and report what happened, in order, to an [`Actions`] receiver. The
//! single-threaded [`Scanner`](crate::Scanner) applies the actions at once; the parallel
//! scanner records them per job and replays them in input order, so both produce the
//! same output.

use std::sync::Arc;

use tripline_ingest::{Event, Framed, Parsed, Parser, Piece, Reject, SourceContext};

use crate::alert::{Alert, EventRecord, SourceRef};
use crate::correlation::Observation;
use crate::eval::Evaluator;
use crate::prefilter::PrefilterScratch;
use crate::ruleset::{DetectionRule, RuleSet};
use crate::scanner::{REJECT_PREFIX, Rejected};
use crate::stats::ScanStats;

/// Receives a worker's results, in input order.
pub(crate) trait Actions {
    fn stats(&mut self) -> &mut ScanStats;
    /// A detection rule's alert.
    fn alert(&mut self, alert: Alert);
    /// An event that feeds a correlation.
    fn observe(&mut self, observation: Observation);
    fn reject(&mut self, rejected: &Rejected<'_>);
}

/// Per-thread buffers for scanning; allocates nothing per line once grown.
#[derive(Debug, Default)]
pub(crate) struct Worker {
    parser: Parser,
    evaluator: Evaluator,
    prefilter: PrefilterScratch,
}

impl Worker {
    /// Reads the next lines in `context` (an input's W3C directives and host).
    pub fn set_context(&mut self, context: &SourceContext) {
        self.parser.set_context(context);
    }

    /// The host of the current input's events that name none.
    pub fn set_source_host(&mut self, host: Option<Arc<str>>) {
        self.parser.set_source_host(host);
    }

    /// Scans one piece of framed input from `source`.
    pub fn piece(
        &mut self,
        rules: &RuleSet,
        use_prefilter: bool,
        source: &Arc<str>,
        piece: Piece<'_>,
        out: &mut impl Actions,
    ) {
        let Worker {
            parser,
            evaluator,
            prefilter,
        } = self;
        let mut lines = Lines {
            rules,
            source,
            parser,
            evaluator,
        };
        match piece {
            Piece::Line(framed) => {
                let candidate = match framed {
                    Framed::Line(line) if use_prefilter => {
                        rules.prefilter.is_candidate(line.bytes, prefilter)
                    }
                    _ => true,
                };
                lines.line(framed, candidate, out);
            }
            Piece::Block(block) if use_prefilter => {
                let mut number = block.first_line;
                rules
                    .prefilter
                    .scan(block.bytes, prefilter, |start, end, candidate| {
                        lines.line(block.line_at(number, start, end), candidate, out);
                        number += 1;
                    });
            }
            Piece::Block(block) => {
                for framed in block.lines() {
                    lines.line(framed, true, out);
                }
            }
        }
    }
}

struct Lines<'w> {
    rules: &'w RuleSet,
    source: &'w Arc<str>,
    parser: &'w mut Parser,
    evaluator: &'w mut Evaluator,
}

impl Lines<'_> {
    fn line(&mut self, framed: Framed<'_>, candidate: bool, out: &mut impl Actions) {
        out.stats().lines_read += 1;
        let line = match framed {
            Framed::TooLong { number, .. } => {
                reject(self.source, number, Reject::LineTooLong, &[], out);
                return;
            }
            Framed::Line(line) => line,
        };
        if !candidate {
            out.stats().lines_skipped_by_prefilter += 1;
            return;
        }
        let rules = self.rules;
        let event = match self.parser.parse(&rules.plan, line.bytes) {
            Ok(Parsed::Event(event)) => event,
            Ok(Parsed::Header) => {
                out.stats().lines_header += 1;
                return;
            }
            Err(reason) => {
                reject(self.source, line.number, reason, line.bytes, out);
                return;
            }
        };
        let stats = out.stats();
        stats.lines_evaluated += 1;
        if std::str::from_utf8(line.bytes).is_err() {
            stats.lines_with_invalid_utf8 += 1;
        }
        stats.events[event.schema() as usize][event.kind() as usize] += 1;
        evaluate(rules, self.evaluator, &event, self.source, line.number, out);
    }
}

fn reject(source: &str, line: u64, reason: Reject, bytes: &[u8], out: &mut impl Actions) {
    let stats = out.stats();
    stats.lines_rejected += 1;
    stats.rejected[reason.index()] += 1;
    out.reject(&Rejected {
        source,
        line,
        reason,
        bytes: &bytes[..bytes.len().min(REJECT_PREFIX)],
    });
}

/// Runs the rules routed to `event`, reporting alerts and correlation observations in
/// rule order.
fn evaluate(
    rules: &RuleSet,
    evaluator: &mut Evaluator,
    event: &Event<'_>,
    source: &Arc<str>,
    line: u64,
    out: &mut impl Actions,
) {
    let buckets = rules.routes.candidates(event);
    evaluator.begin_event(rules, event, &buckets);
    let mut matched = Matched {
        record: None,
        event,
        source,
        line,
    };
    let mut selected = std::mem::take(&mut evaluator.selected);
    for bucket in buckets {
        evaluator.select(bucket, &mut selected);
        for &position in &selected {
            let candidate = &bucket.candidates[position as usize];
            let rule = &rules.detections[candidate.detection as usize];
            if rule
                .route
                .product
                .is_some_and(|p| !p.admits(event.schema()))
            {
                continue;
            }
            if let Some(c) = candidate.condition
                && !evaluator.eval(rules, &rules.routes.conditions[c as usize], event)
            {
                continue;
            }
            if evaluator.eval(rules, &rule.condition, event) {
                matched.report(rules, rule, evaluator, out);
            }
        }
    }
    evaluator.selected = selected;
}

/// An event that matched one or more rules, and its record once made.
struct Matched<'e, 'p> {
    record: Option<Arc<EventRecord>>,
    event: &'e Event<'p>,
    source: &'e Arc<str>,
    line: u64,
}

impl Matched<'_, '_> {
    /// Reports a match of `rule`: its correlation observations and its alert.
    fn report(
        &mut self,
        rules: &RuleSet,
        rule: &DetectionRule,
        evaluator: &mut Evaluator,
        out: &mut impl Actions,
    ) {
        let event = self.event;
        let record = self
            .record
            .get_or_insert_with(|| {
                Arc::new(EventRecord {
                    source: SourceRef {
                        file: self.source.clone(),
                        line: self.line,
                    },
                    event: event.summary(),
                })
            })
            .clone();
        for feed in &rule.feeds {
            out.observe(Observation::new(rules, *feed, event, &record));
        }
        if rule.generates {
            let evidence = rule
                .evidence
                .iter()
                .find(|e| {
                    e.when
                        .as_ref()
                        .is_none_or(|w| evaluator.eval(rules, w, event))
                })
                .map(|e| e.label.clone());
            out.alert(Alert {
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
