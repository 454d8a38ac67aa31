//! Evaluates condition trees on an event, computing each predicate at most once per event
//! (predicates are shared between rules), and deciding literal predicates from the
//! field automata ([`crate::fieldindex`]).

use tripline_ingest::Event;

use crate::fieldindex::{FieldHits, IndexedPattern};
use crate::ir::{Expr, PredId, Test};
use crate::matcher::{MatchScratch, field_ref, match_patterns, test_value};
use crate::prefilter::LiteralGate;
use crate::routing::Bucket;
use crate::ruleset::RuleSet;

/// Per-thread evaluation state: a memo of predicate results and the literal flags of the
/// current event.
#[derive(Debug, Default)]
pub(crate) struct Evaluator {
    /// Per predicate: `epoch << 1 | result` of its last evaluation.
    memo: Vec<u64>,
    epoch: u64,
    scratch: MatchScratch,
    hits: FieldHits,
    /// The epoch of the literal flags, which have 28 bits for it.
    hits_epoch: u32,
    /// By detection: the hits epoch of the event that last triggered it.
    triggered: Vec<u32>,
    /// The event offers alternate (URL-decoded) forms of some values, which the field
    /// automata do not search: every rule is evaluated on the plain path.
    alternates: bool,
    line: LoweredLine,
    /// The detections triggered by the current event, in the order their triggers fired.
    fired: Vec<u32>,
    /// Scratch for the worker's selection of candidates.
    pub selected: Vec<u32>,
}

/// The current event's raw line, lowercased once (for keyword gates).
#[derive(Debug, Default)]
struct LoweredLine {
    bytes: Vec<u8>,
    /// The hits epoch it was lowered for.
    epoch: u32,
}

impl LoweredLine {
    fn may_hold(&mut self, gate: &LiteralGate, event: &Event<'_>, epoch: u32) -> bool {
        if !gate.needs_lowercase() {
            return gate.may_hold(event.line(), event.line());
        }
        if self.epoch != epoch {
            self.epoch = epoch;
            self.bytes.clear();
            self.bytes
                .extend(event.line().iter().map(u8::to_ascii_lowercase));
        }
        gate.may_hold(event.line(), &self.bytes)
    }
}

impl Evaluator {
    /// Forgets the previous event's results, and searches the trigger fields of the rules
    /// in `buckets` (those routed to `event`).
    pub fn begin_event(&mut self, rules: &RuleSet, event: &Event<'_>, buckets: &[&Bucket]) {
        if self.memo.len() != rules.predicates.len() {
            self.memo = vec![0; rules.predicates.len()];
            self.hits.reset(&rules.field_index);
        }
        self.epoch += 1;
        self.hits_epoch += 1;
        if self.hits_epoch >= 1 << 28 {
            self.hits_epoch = 1;
            self.hits.reset(&rules.field_index);
            self.triggered.fill(0);
        }
        self.alternates = event.has_alternates();
        if self.triggered.len() != rules.triggers.gated.len() {
            self.triggered = vec![0; rules.triggers.gated.len()];
        }
        if self.alternates {
            return;
        }
        // Search the trigger fields and mark the rules their literals can make true.
        self.fired.clear();
        let Evaluator {
            hits,
            hits_epoch,
            triggered,
            line,
            fired,
            ..
        } = self;
        let triggers = &rules.triggers;
        let index = &rules.field_index;
        let fields = buckets.iter().flat_map(|bucket| {
            bucket
                .triggers
                .fields
                .iter()
                .map(move |field| (*field, &bucket.triggers))
        });
        for (field, bucket) in fields {
            // A bucket's keyword literals first in the raw line: when none is there, no
            // string of the event holds one (the field stays unsearched for other buckets).
            let gate = if event.strings_are_in_line() {
                bucket.keyword_gate.as_ref()
            } else if event.plain_text_is_in_line() {
                bucket.plain_keyword_gate.as_ref()
            } else {
                None
            };
            if let Some(gate) = gate
                && field == index.keywords
                && !line.may_hold(gate, event, *hits_epoch)
            {
                continue;
            }
            let by_literal = &triggers.literal_predicates[field.0 as usize];
            hits.search(
                index,
                field,
                index.searched(event, field),
                *hits_epoch,
                |literal, bits| {
                    for (predicate, flag) in &by_literal[literal as usize] {
                        if bits & flag != 0 {
                            for &rule in &triggers.predicate_rules[predicate.0 as usize] {
                                let slot = &mut triggered[rule as usize];
                                if *slot != *hits_epoch {
                                    *slot = *hits_epoch;
                                    fired.push(rule);
                                }
                            }
                        }
                    }
                },
            );
        }
    }

    /// The positions in `bucket` of the candidates to evaluate for an event with
    /// `event_id`, in order: those not gated by triggers that the id does not rule out,
    /// and those one of whose triggers fired.
    pub fn select(&self, bucket: &Bucket, event_id: Option<u32>, out: &mut Vec<u32>) {
        out.clear();
        if self.alternates {
            out.extend(0..bucket.candidates.len() as u32);
            return;
        }
        for ungated in bucket.ungated_for(event_id) {
            out.extend_from_slice(ungated);
        }
        for &detection in &self.fired {
            if let Ok(position) = bucket
                .candidates
                .binary_search_by_key(&detection, |c| c.detection)
                && bucket.candidates[position].gated
            {
                out.push(position as u32);
            }
        }
        out.sort_unstable();
    }

    pub fn eval(&mut self, rules: &RuleSet, expr: &Expr, event: &Event<'_>) -> bool {
        match expr {
            Expr::Pred(id) => self.predicate(rules, *id, event),
            Expr::And(parts) => parts.iter().all(|p| self.eval(rules, p, event)),
            Expr::Or(parts) => parts.iter().any(|p| self.eval(rules, p, event)),
            Expr::Not(inner) => !self.eval(rules, inner, event),
            Expr::AtLeast(n, parts) => {
                let mut count = 0;
                for part in parts {
                    if self.eval(rules, part, event) {
                        count += 1;
                        if count >= *n {
                            return true;
                        }
                    }
                }
                false
            }
        }
    }

    fn predicate(&mut self, rules: &RuleSet, id: PredId, event: &Event<'_>) -> bool {
        let slot = &mut self.memo[id.0 as usize];
        if *slot >> 1 == self.epoch {
            return *slot & 1 == 1;
        }
        let predicate = &rules.predicates[id.0 as usize];
        if let (Some(indexed), Test::Patterns { all, .. } | Test::Keywords { all, .. }, false) = (
            &rules.field_index.predicates[id.0 as usize],
            &predicate.test,
            self.alternates,
        ) {
            let index = &rules.field_index;
            let (hits, epoch, field) = (&mut self.hits, self.hits_epoch, index.field_of(predicate));
            let flags = hits.field_flags(index, field, || index.searched(event, field), epoch);
            let holds = |p: &IndexedPattern| {
                let tagged = flags[p.literal as usize];
                tagged >> 4 == epoch && tagged & u32::from(p.flag) != 0
            };
            let result = if *all {
                indexed.iter().all(holds)
            } else {
                indexed.iter().any(holds)
            };
            self.memo[id.0 as usize] = self.epoch << 1 | result as u64;
            return result;
        }
        if let (Some(literals), false) =
            (&rules.field_index.necessary[id.0 as usize], self.alternates)
        {
            // None of the literals the value must hold is there: false without a look.
            let index = &rules.field_index;
            let (hits, epoch) = (&mut self.hits, self.hits_epoch);
            let field = predicate.field;
            let flags = hits.field_flags(index, field, || index.searched(event, field), epoch);
            if literals
                .iter()
                .all(|&literal| flags[literal as usize] >> 4 != epoch)
            {
                self.memo[id.0 as usize] = self.epoch << 1;
                return false;
            }
        }
        let scratch = &mut self.scratch;
        let result = match &predicate.test {
            Test::FieldRef {
                other,
                position,
                cased,
                negate,
            } => match (event.bytes(predicate.field), event.bytes(*other)) {
                (Some(value), Some(other)) => field_ref(value, other, *position, *cased) != *negate,
                _ => false,
            },
            Test::Keywords { patterns, all } => {
                if *all {
                    patterns.iter().all(|p| {
                        event.any_string(|s| {
                            match_patterns(std::slice::from_ref(p), false, s, scratch)
                        })
                    })
                } else {
                    event.any_string(|s| match_patterns(patterns, false, s, scratch))
                }
            }
            // A request field of an access log matches if its raw or a URL-decoded form
            // does; events without decoded forms take the plain path.
            test if event.has_alternates() => event
                .forms(predicate.field)
                .any(|value| test_value(test, value, scratch)),
            test => test_value(test, event.get(predicate.field), scratch),
        };
        self.memo[id.0 as usize] = self.epoch << 1 | result as u64;
        result
    }
}
