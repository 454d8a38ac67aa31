//! What a rule needs to find in a raw line: a set of literals at least one of which must
//! appear (as the line's JSON text writes it, lowercased) for the rule to possibly match,
//! or nothing usable ("always evaluate").
//!
//! Soundness rests on three facts. (1) A literal is cut to runs of printable ASCII other
//! than `"`, with `\` doubled: JSON writes those bytes one way only, except as a `\u00XX`
//! escape (or `\/` for `/`), and lines holding such an escape are never skipped (see
//! `mod.rs`).
//! (2) Text embedded in a JSON string (Sentinel's EventData) doubles backslashes again,
//! and `\\\\x` still contains `\\x`. (3) Conditions combine literals only where that is
//! implied: `a and b` needs a's or b's literal, `a or b` needs one of both, `not a` needs
//! nothing.

use tripline_ingest::EventKind;

use crate::ir::{Expr, GlobToken, Pattern, Predicate, Test};
use crate::sigma::logsource::Route;

/// What a line must contain for a rule to possibly match it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Requirement {
    /// Nothing the prefilter can use: the rule is evaluated on every line.
    Any,
    /// At least one of these (raw-form, lowercase) literals.
    OneOf(Vec<Vec<u8>>),
}

impl Requirement {
    /// Both must hold: either requirement alone is a sound necessary condition, so keep
    /// the more selective one.
    fn and(self, other: Requirement) -> Requirement {
        match (self, other) {
            (Requirement::Any, r) | (r, Requirement::Any) => r,
            (a, b) => {
                if cost(&a) <= cost(&b) {
                    a
                } else {
                    b
                }
            }
        }
    }

    /// Either may hold: the line needs a literal of one or the other.
    fn or(self, other: Requirement) -> Requirement {
        match (self, other) {
            (Requirement::OneOf(mut a), Requirement::OneOf(b)) => {
                for literal in b {
                    if !a.contains(&literal) {
                        a.push(literal);
                    }
                }
                Requirement::OneOf(a)
            }
            _ => Requirement::Any,
        }
    }
}

/// Substrings so common in Windows telemetry that a literal inside one of them filters
/// almost nothing.
const COMMON: &[&str] = &[
    "microsoft-windows-sysmon",
    "c:\\\\windows\\\\system32\\\\",
    "c:\\\\windows\\\\",
    "\\\\windows\\\\system32\\\\",
    "c:\\\\program files",
    "\\\\users\\\\",
    "nt authority\\\\system",
    "\\\\svchost.exe",
    "\\\\conhost.exe",
    "\\\\cmd.exe",
    "\\\\powershell.exe",
    "\\\\explorer.exe",
    "\\\\rundll32.exe",
    "svchost.exe",
    "conhost.exe",
    "cmd.exe",
    "powershell.exe",
    "explorer.exe",
    "rundll32.exe",
    "microsoft corporation",
    "microsoft",
    "system32",
    "security",
    "process",
    "network",
    "file",
    ".exe",
    ".dll",
];

/// How likely a line is to contain `literal`, relatively: short literals and parts of
/// ubiquitous tokens are common. Lower is more selective.
pub(crate) fn literal_cost(literal: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(literal);
    let common = COMMON.iter().any(|c| c.contains(text.as_ref()));
    let base = 1.0 / (literal.len() as f64).powi(2);
    if common { base + 1.0 } else { base }
}

fn cost(requirement: &Requirement) -> f64 {
    match requirement {
        Requirement::Any => f64::INFINITY,
        Requirement::OneOf(literals) => literals.iter().map(|l| literal_cost(l)).sum(),
    }
}

/// The longest run of `text` (lowercased) of printable ASCII other than `"`, in its raw
/// JSON form (`\` doubled); `None` when there is no such run.
pub(crate) fn raw_literal(text: &[u8]) -> Option<Vec<u8>> {
    text.split(|b| !(0x20..=0x7e).contains(b) || *b == b'"')
        .max_by_key(|run| run.len())
        .filter(|run| !run.is_empty())
        .map(|run| {
            let mut raw = Vec::with_capacity(run.len());
            for b in run {
                if *b == b'\\' {
                    raw.push(b'\\');
                }
                raw.push(b.to_ascii_lowercase());
            }
            raw
        })
}

/// Raw-form literals one of which a line holds when `pattern` matches a value of it.
pub(crate) fn pattern_literals(pattern: &Pattern) -> Option<Vec<Vec<u8>>> {
    match pattern {
        Pattern::Regex(_, required) if !required.is_empty() => {
            required.iter().map(|l| raw_literal(l)).collect()
        }
        other => pattern_literal(other).map(|l| vec![l]),
    }
}

/// The raw-form literal a line holds when `pattern` (not a regular expression) matches.
fn pattern_literal(pattern: &Pattern) -> Option<Vec<u8>> {
    match pattern {
        Pattern::Exact(l) | Pattern::Prefix(l) | Pattern::Suffix(l) | Pattern::Contains(l, _) => {
            raw_literal(&l.bytes)
        }
        Pattern::Glob(tokens, _) => tokens
            .iter()
            .filter_map(|t| match t {
                GlobToken::Literal(bytes) => raw_literal(bytes),
                _ => None,
            })
            .min_by(|a, b| literal_cost(a).total_cmp(&literal_cost(b))),
        Pattern::Int(n) => Some(n.to_string().into_bytes()),
        Pattern::Null | Pattern::Regex(..) => None,
    }
}

/// What a predicate being true needs.
pub(crate) fn predicate_requirement(predicate: &Predicate) -> Requirement {
    let (patterns, all) = match &predicate.test {
        Test::Patterns { patterns, all } | Test::Keywords { patterns, all } => (patterns, *all),
        _ => return Requirement::Any,
    };
    if all {
        // Every pattern matches: the most selective one's literals will do.
        return patterns
            .iter()
            .filter_map(pattern_literals)
            .map(Requirement::OneOf)
            .fold(Requirement::Any, Requirement::and);
    }
    let sets: Option<Vec<Vec<Vec<u8>>>> = patterns.iter().map(pattern_literals).collect();
    match sets {
        Some(sets) => {
            let mut literals: Vec<Vec<u8>> = sets.into_iter().flatten().collect();
            literals.sort();
            literals.dedup();
            Requirement::OneOf(literals)
        }
        None => Requirement::Any,
    }
}

/// What an expression being true needs.
pub(crate) fn expr_requirement(expr: &Expr, predicates: &[Predicate]) -> Requirement {
    match expr {
        Expr::Pred(id) => predicate_requirement(&predicates[id.0 as usize]),
        Expr::And(parts) => parts
            .iter()
            .map(|p| expr_requirement(p, predicates))
            .fold(Requirement::Any, Requirement::and),
        Expr::Or(parts) | Expr::AtLeast(_, parts) => {
            let mut parts = parts.iter().map(|p| expr_requirement(p, predicates));
            match parts.next() {
                None => Requirement::Any,
                Some(first) => parts.fold(first, Requirement::or),
            }
        }
        Expr::Not(_) => Requirement::Any,
    }
}

/// What a rule's log source needs: a channel name of its Windows sources, or a marker
/// word of its event kinds.
pub(crate) fn route_requirement(route: &Route) -> Requirement {
    if route.all_events {
        return Requirement::Any;
    }
    let mut literals = Vec::new();
    for source in &route.windows {
        match raw_literal(source.channel.as_bytes()) {
            Some(literal) => literals.push(literal),
            None => return Requirement::Any,
        }
    }
    for kind in &route.kinds {
        match EventKind::markers(*kind) {
            Some(words) => literals.extend(words.iter().map(|w| w.as_bytes().to_vec())),
            None => return Requirement::Any,
        }
    }
    if literals.is_empty() {
        return Requirement::Any;
    }
    literals.sort();
    literals.dedup();
    Requirement::OneOf(literals)
}

/// What a detection rule needs, from its condition and its log source. A rule over web
/// requests needs its log source only: it matches URL-decoded forms of request fields,
/// whose literals the raw line need not contain.
pub(crate) fn rule_requirement(
    condition: &Expr,
    route: &Route,
    predicates: &[Predicate],
) -> Requirement {
    if route.kinds.contains(&EventKind::WebRequest) {
        return route_requirement(route);
    }
    expr_requirement(condition, predicates).and(route_requirement(route))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_literals_take_the_longest_unambiguous_run() {
        assert_eq!(raw_literal(br"\W3WP.exe").unwrap(), br"\\w3wp.exe");
        assert_eq!(
            raw_literal(b"Microsoft-Windows-Sysmon/Operational").unwrap(),
            b"microsoft-windows-sysmon/operational"
        );
        assert_eq!(raw_literal("a\"bcd\u{e9}ef".as_bytes()).unwrap(), b"bcd");
        assert_eq!(raw_literal(b"\x01"), None);
        assert_eq!(raw_literal(b"tab\there").unwrap(), b"here");
    }

    #[test]
    fn and_keeps_the_rarer_side_or_unites() {
        let web = Requirement::OneOf(vec![b"\\\\w3wp.exe".to_vec(), b"\\\\httpd.exe".to_vec()]);
        let shell = Requirement::OneOf(vec![
            b"\\\\cmd.exe".to_vec(),
            b"\\\\powershell.exe".to_vec(),
        ]);
        assert_eq!(shell.clone().and(web.clone()), web);
        assert_eq!(web.clone().and(Requirement::Any), web);
        assert_eq!(Requirement::Any.or(web.clone()), Requirement::Any);
        let Requirement::OneOf(both) = web.or(shell) else {
            panic!("one of")
        };
        assert_eq!(both.len(), 4);
    }
}
