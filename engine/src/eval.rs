//! Evaluates condition trees on an event, computing each predicate at most once per event
//! (predicates are shared between rules).

use tripline_ingest::Event;

use crate::ir::{Expr, PredId, Test};
use crate::matcher::{MatchScratch, field_ref, match_patterns, test_value};
use crate::ruleset::RuleSet;

/// Per-thread evaluation state: a memo of predicate results for the current event.
#[derive(Debug, Default)]
pub(crate) struct Evaluator {
    /// Per predicate: `epoch << 1 | result` of its last evaluation.
    memo: Vec<u64>,
    epoch: u64,
    scratch: MatchScratch,
}

impl Evaluator {
    /// Forgets the previous event's results.
    pub fn begin_event(&mut self, predicates: usize) {
        if self.memo.len() != predicates {
            self.memo = vec![0; predicates];
        }
        self.epoch += 1;
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
