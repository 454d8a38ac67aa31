//! The stateless part of a scan: prefilter, parse and evaluate the lines of a piece of
//! input in order, and report what happened, in order, to an [`Actions`] receiver. The
//! single-threaded [`Scanner`](crate::Scanner) applies the actions at once; the parallel
//! scanner records them per job and replays them in input order, so both produce the
//! same output.

use std::sync::Arc;

use tripline_ingest::{Event, Framed, Line, Parsed, Parser, Piece, Reject, SourceContext};

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
    /// The lines of the current piece to parse: start and end in the block, and index.
    selected: Vec<(usize, usize, u64)>,
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

    /// Scans one piece of framed input from `source`, its lines numbered as framed.
    pub fn piece(
        &mut self,
        rules: &RuleSet,
        use_prefilter: bool,
        source: &Arc<str>,
        piece: Piece<'_>,
        out: &mut impl Actions,
    ) {
        let first_line = match piece {
            Piece::Line(Framed::Line(line)) => line.number,
            Piece::Line(Framed::TooLong { number, .. }) => number,
            Piece::Block(block) => block.first_line,
        };
        let selected = self.select(rules, use_prefilter, piece);
        self.process(rules, source, piece, first_line, &selected, out);
    }

    /// The first pass over a piece: finds the lines to parse (the prefilter's candidates,
    /// every line without it, and over-long lines, which are rejected), and counts them
    /// all. Needs neither line numbers nor the parsing context.
    pub fn select(&mut self, rules: &RuleSet, use_prefilter: bool, piece: Piece<'_>) -> Selected {
        let selected = &mut self.selected;
        selected.clear();
        match piece {
            Piece::Line(framed) => {
                let (candidate, directive) = match framed {
                    Framed::Line(line) => (
                        !use_prefilter
                            || rules
                                .prefilter
                                .is_candidate(line.bytes, &mut self.prefilter),
                        may_be_a_directive(line.bytes),
                    ),
                    Framed::TooLong { .. } => (true, false),
                };
                if candidate {
                    selected.push((0, 0, 0));
                }
                Selected {
                    lines: 1,
                    directives: directive,
                }
            }
            Piece::Block(block) => {
                let bytes = block.bytes;
                let max_line = block.max_line();
                let mut lines = 0u64;
                let mut directives = false;
                let mut line = |start: usize, end: usize, candidate: bool| {
                    directives |= may_be_a_directive(&bytes[start..end]);
                    // Over-long lines are reported, candidates or not.
                    let too_long = end - start > max_line
                        && matches!(block.line_at(0, start, end), Framed::TooLong { .. });
                    if candidate || too_long {
                        selected.push((start, end, lines));
                    }
                    lines += 1;
                };
                if use_prefilter {
                    rules.prefilter.scan(bytes, &mut self.prefilter, &mut line);
                } else {
                    crate::prefilter::every_line(bytes, &mut line);
                }
                Selected { lines, directives }
            }
        }
    }

    /// The second pass: parses and evaluates the lines [`select`](Worker::select) found,
    /// numbering the piece's lines from `first_line`.
    pub fn process(
        &mut self,
        rules: &RuleSet,
        source: &Arc<str>,
        piece: Piece<'_>,
        first_line: u64,
        selected: &Selected,
        out: &mut impl Actions,
    ) {
        let Worker {
            parser,
            evaluator,
            selected: lines_selected,
            ..
        } = self;
        let skipped = selected.lines - lines_selected.len() as u64;
        let stats = out.stats();
        stats.lines_read += skipped;
        stats.lines_skipped_by_prefilter += skipped;
        let mut lines = Lines {
            rules,
            source,
            parser,
            evaluator,
        };
        match piece {
            Piece::Line(framed) => {
                if lines_selected.is_empty() {
                    return;
                }
                let renumbered = match framed {
                    Framed::Line(line) => Framed::Line(Line {
                        number: first_line,
                        bytes: line.bytes,
                    }),
                    Framed::TooLong { length, .. } => Framed::TooLong {
                        number: first_line,
                        length,
                    },
                };
                lines.line(renumbered, out);
            }
            Piece::Block(block) => {
                for &(start, end, index) in lines_selected.iter() {
                    lines.line(block.line_at(first_line + index, start, end), out);
                }
            }
        }
    }
}

/// What [`Worker::select`] found besides the lines to parse.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Selected {
    /// Lines in the piece.
    pub lines: u64,
    /// Whether a line may be a W3C directive (starts with `#`, possibly after a BOM).
    pub directives: bool,
}

fn may_be_a_directive(line: &[u8]) -> bool {
    matches!(line.first(), Some(b'#' | 0xEF))
}

struct Lines<'w> {
    rules: &'w RuleSet,
    source: &'w Arc<str>,
    parser: &'w mut Parser,
    evaluator: &'w mut Evaluator,
}

impl Lines<'_> {
    /// Parses and evaluates one selected line.
    fn line(&mut self, framed: Framed<'_>, out: &mut impl Actions) {
        out.stats().lines_read += 1;
        let line = match framed {
            Framed::TooLong { number, .. } => {
                reject(self.source, number, Reject::LineTooLong, &[], out);
                return;
            }
            Framed::Line(line) => line,
        };
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
    let event_id = event.event_id();
    let buckets = rules.routes.candidates(event, event_id);
    evaluator.begin_event(rules, event, &buckets);
    let mut matched = Matched {
        record: None,
        event,
        source,
        line,
    };
    let mut selected = std::mem::take(&mut evaluator.selected);
    for bucket in buckets {
        evaluator.select(bucket, event_id, &mut selected);
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
