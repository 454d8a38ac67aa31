//! Rule triggers: for each detection rule, a set of literal predicates at least one of
//! which must hold for the rule to match (`a and b` needs a's or b's, `a or b` needs one
//! of both, `not a` gives nothing). Per event, the fields these predicates test are
//! searched once; each literal found points to the predicates it can make true and they
//! to the rules they trigger. A rule with a trigger set that nothing triggered is not
//! evaluated at all, so the cost of an event follows the rules its values touch rather
//! than the size of the rule set.
//!
//! A predicate whose patterns are not all case-insensitive literals (a glob, a
//! case-sensitive literal) triggers through its necessary literals
//! ([`FieldIndex::necessary`]): found, they make it worth evaluating.
//!
//! The fields searched are those of the rules routed to the event
//! ([`BucketTriggers`]). Keyword literals are searched in every string of an event; each
//! bucket first looks for its own keyword literals in the raw line, which is cheap when
//! they are few, and searches the strings only when one is there.

use tripline_ingest::FieldId;

use crate::fieldindex::{ANYWHERE, FieldIndex};
use crate::ir::{Expr, GlobToken, Pattern, PredId, Predicate, Test};
use crate::prefilter::LiteralGate;
use crate::prefilter::literals::{literal_cost, raw_literal};
use crate::routing::Candidate;

/// The trigger index of a rule set.
#[derive(Debug, Default)]
pub(crate) struct Triggers {
    /// By detection: whether it runs only when triggered.
    pub gated: Vec<bool>,
    /// By field, by literal: the (predicate, flag) pairs the literal can make true.
    pub literal_predicates: Vec<Vec<Vec<(PredId, u8)>>>,
    /// By predicate: the detections it triggers.
    pub predicate_rules: Vec<Vec<u32>>,
    /// By detection: its trigger predicates (none when not gated).
    rule_predicates: Vec<Vec<PredId>>,
}

/// What the rules of one routing bucket are triggered by.
#[derive(Debug, Default)]
pub(crate) struct BucketTriggers {
    /// The fields to search (the keyword field included).
    pub fields: Vec<FieldId>,
    /// The bucket's keyword literals in raw JSON form, looked for in the line before its
    /// strings are searched; `None`: search the strings.
    pub keyword_gate: Option<LiteralGate>,
    /// The same for events whose strings are escaped twice (event data embedded as a
    /// string): the longest run of plain text (see [`plain_run`]) of each literal, which
    /// JSON escaping, once or twice, leaves as it is.
    pub plain_keyword_gate: Option<LiteralGate>,
}

impl Triggers {
    pub fn new<'r>(
        conditions: impl Iterator<Item = &'r Expr>,
        predicates: &[Predicate],
        index: &FieldIndex,
    ) -> Triggers {
        let mut triggers = Triggers {
            predicate_rules: vec![Vec::new(); predicates.len()],
            ..Triggers::default()
        };
        let mut used = vec![false; predicates.len()];
        for (detection, condition) in conditions.enumerate() {
            match trigger(condition, predicates, index) {
                Some(mut set) => {
                    triggers.gated.push(true);
                    for p in &set {
                        used[p.0 as usize] = true;
                        triggers.predicate_rules[p.0 as usize].push(detection as u32);
                    }
                    set.sort_unstable();
                    set.dedup();
                    triggers.rule_predicates.push(set);
                }
                None => {
                    triggers.gated.push(false);
                    triggers.rule_predicates.push(Vec::new());
                }
            }
        }
        triggers.literal_predicates = index
            .literal_counts()
            .iter()
            .map(|n| vec![Vec::new(); *n])
            .collect();
        for (p, predicate) in predicates.iter().enumerate() {
            if !used[p] {
                continue;
            }
            let field = index.field_of(predicate);
            let by_literal = &mut triggers.literal_predicates[field.0 as usize];
            if let Some(patterns) = &index.predicates[p] {
                for pattern in patterns {
                    by_literal[pattern.literal as usize].push((PredId(p as u32), pattern.flag));
                }
            } else if let Some(literals) = &index.necessary[p] {
                for &literal in literals {
                    by_literal[literal as usize].push((PredId(p as u32), ANYWHERE));
                }
            }
        }
        for rules in &mut triggers.predicate_rules {
            rules.sort_unstable();
            rules.dedup();
        }
        triggers
    }

    /// The triggers of the gated rules among `candidates`.
    pub fn for_bucket(
        &self,
        candidates: &[Candidate],
        index: &FieldIndex,
        predicates: &[Predicate],
    ) -> BucketTriggers {
        let mut fields = Vec::new();
        let mut keyword_literals: Vec<Vec<u8>> = Vec::new();
        let mut gate_usable = true;
        let mut plain_runs: Option<Vec<Vec<u8>>> = Some(Vec::new());
        for candidate in candidates {
            for p in &self.rule_predicates[candidate.detection as usize] {
                let predicate = &predicates[p.0 as usize];
                let field = index.field_of(predicate);
                if !fields.contains(&field) {
                    fields.push(field);
                }
                if field != index.keywords {
                    continue;
                }
                let Test::Keywords { patterns, .. } = &predicate.test else {
                    continue;
                };
                for pattern in patterns {
                    match crate::prefilter::literals::pattern_literals(pattern) {
                        Some(raws) => {
                            for raw in raws {
                                plain_runs = plain_runs.and_then(|mut runs| {
                                    runs.push(plain_run(&raw)?.to_vec());
                                    Some(runs)
                                });
                                keyword_literals.push(raw);
                            }
                        }
                        None => gate_usable = false,
                    }
                }
            }
        }
        // Ascending ids: the search order, and so the trigger order, is the same for
        // every bucket.
        fields.sort_unstable();
        let keyword_gate = (gate_usable && !keyword_literals.is_empty())
            .then(|| LiteralGate::new(keyword_literals.iter().map(Vec::as_slice)))
            .flatten();
        let plain_keyword_gate = plain_runs
            .filter(|runs| keyword_gate.is_some() && !runs.is_empty())
            .and_then(|runs| LiteralGate::new(runs.iter().map(Vec::as_slice)));
        BucketTriggers {
            fields,
            keyword_gate,
            plain_keyword_gate,
        }
    }
}

/// The longest run of plain text (printable ASCII but `\`, `"` and `/`) in a literal's raw
/// form, if at least 3 bytes long: a string holding the literal holds the run, and the
/// line holds it as it is however many times the string was escaped (writing one of
/// its characters as a `\u` escape leaves `\u00`, which the gate looks for too).
fn plain_run(raw: &[u8]) -> Option<&[u8]> {
    raw.split(|b| !(0x20..0x7F).contains(b) || b"\\\"/".contains(b))
        .max_by_key(|run| run.len())
        .filter(|run| run.len() >= 3)
}

/// A set of indexed predicates one of which must hold for `expr` to hold.
fn trigger(expr: &Expr, predicates: &[Predicate], index: &FieldIndex) -> Option<Vec<PredId>> {
    match expr {
        Expr::Pred(p) => (index.predicates[p.0 as usize].is_some()
            || index.necessary[p.0 as usize].is_some())
        .then(|| vec![*p]),
        Expr::And(parts) => parts
            .iter()
            .filter_map(|part| trigger(part, predicates, index))
            .min_by(|a, b| cost(a, predicates).total_cmp(&cost(b, predicates))),
        Expr::Or(parts) | Expr::AtLeast(_, parts) => {
            let mut all = Vec::new();
            for part in parts {
                all.extend(trigger(part, predicates, index)?);
            }
            Some(all)
        }
        Expr::Not(_) => None,
    }
}

/// How often a trigger set is expected to fire: short and ubiquitous literals often.
fn cost(set: &[PredId], predicates: &[Predicate]) -> f64 {
    set.iter()
        .map(|p| match &predicates[p.0 as usize].test {
            Test::Patterns { patterns, .. } => patterns.iter().map(pattern_cost).sum(),
            _ => f64::INFINITY,
        })
        .sum()
}

fn pattern_cost(pattern: &Pattern) -> f64 {
    let bytes: &[u8] = match pattern {
        Pattern::Exact(l) | Pattern::Prefix(l) | Pattern::Suffix(l) | Pattern::Contains(l, _) => {
            &l.bytes
        }
        Pattern::Glob(tokens, _) => tokens
            .iter()
            .find_map(|t| match t {
                GlobToken::Literal(l) => Some(&l[..]),
                _ => None,
            })
            .unwrap_or(b""),
        Pattern::Regex(_, required) if !required.is_empty() => {
            return required
                .iter()
                .map(|l| raw_literal(l).map_or(1.0, |l| literal_cost(&l)))
                .sum();
        }
        _ => b"",
    };
    raw_literal(bytes).map_or(1.0, |l| literal_cost(&l))
}

#[cfg(test)]
mod tests {
    use super::plain_run;

    #[test]
    fn a_plain_run_is_the_longest_text_escaping_leaves_alone() {
        assert_eq!(plain_run(b"sekurlsa::"), Some(&b"sekurlsa::"[..]));
        // Raw form: `\` doubled.
        assert_eq!(plain_run(b"\\\\mimilib.dll"), Some(&b"mimilib.dll"[..]));
        assert_eq!(plain_run(b"asp/backdoor "), Some(&b"backdoor "[..]));
        assert_eq!(plain_run(b"a\\\"b/cd"), None);
        assert_eq!(plain_run(b"caf\xc3\xa9"), Some(&b"caf"[..]));
    }
}
