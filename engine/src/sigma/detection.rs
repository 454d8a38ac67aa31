//! Compiles a Sigma `detection` section (selections, modifiers, values, condition) into
//! the rule IR. Anything this engine cannot run is an error naming the construct; no
//! construct is dropped or read as "matches nothing".

use hashbrown::HashMap;
use rsigma_parser::{
    ConditionExpr, Detection, DetectionItem, Detections, Modifier, Quantifier, SigmaString,
    SigmaValue, SpecialChar, StringPart,
};
use tripline_ingest::FieldPlanBuilder;

use crate::ir::{CompareOp, Expr, GlobToken, Literal, Pattern, PredId, Predicate, Test};

/// The predicate table being filled, shared by all rules of a rule set.
pub(crate) struct PredicateTable {
    pub predicates: Vec<Predicate>,
    index: HashMap<String, PredId>,
}

impl PredicateTable {
    pub fn new() -> PredicateTable {
        PredicateTable {
            predicates: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// The id of an equal predicate already compiled, or of `make()`'s.
    fn intern(
        &mut self,
        key: String,
        make: impl FnOnce() -> Result<Predicate, String>,
    ) -> Result<PredId, String> {
        if let Some(id) = self.index.get(&key) {
            return Ok(*id);
        }
        let id = PredId(self.predicates.len() as u32);
        self.predicates.push(make()?);
        self.index.insert(key, id);
        Ok(id)
    }
}

/// A compiled detection: the condition, and each named selection (for evidence labels).
pub(crate) struct CompiledDetection {
    pub condition: Expr,
    pub named: HashMap<String, Expr>,
}

/// An error in a detection section: the construct (a YAML-path-like location) and why.
#[derive(Debug)]
pub(crate) struct ConstructError {
    pub construct: String,
    pub reason: String,
}

fn error(construct: impl Into<String>, reason: impl Into<String>) -> ConstructError {
    ConstructError {
        construct: construct.into(),
        reason: reason.into(),
    }
}

/// Most values a `windash` expansion may produce for one value.
const MAX_WINDASH_VARIANTS: usize = 1024;

pub(crate) fn compile_detection(
    detections: &Detections,
    fields: &mut FieldPlanBuilder,
    table: &mut PredicateTable,
) -> Result<CompiledDetection, ConstructError> {
    if let Some(timeframe) = &detections.timeframe {
        return Err(error(
            "detection.timeframe",
            format!(
                "`timeframe: {timeframe}` (deprecated aggregation) is not supported; use a correlation rule"
            ),
        ));
    }
    let mut names: Vec<&String> = detections.named.keys().collect();
    names.sort();
    let mut named = HashMap::new();
    for name in names {
        let path = format!("detection.{name}");
        let expr = compile_selection(&detections.named[name], &path, fields, table)?;
        named.insert(name.clone(), expr);
    }
    let conditions = detections
        .conditions
        .iter()
        .map(|c| compile_condition(c, &named))
        .collect::<Result<Vec<_>, _>>()?;
    let condition = match conditions.len() {
        0 => return Err(error("detection.condition", "missing condition")),
        1 => conditions.into_iter().next().expect("one condition"),
        // A list of conditions (Sigma 1) means any of them.
        _ => Expr::Or(conditions),
    };
    Ok(CompiledDetection { condition, named })
}

fn compile_selection(
    detection: &Detection,
    path: &str,
    fields: &mut FieldPlanBuilder,
    table: &mut PredicateTable,
) -> Result<Expr, ConstructError> {
    match detection {
        Detection::AllOf(items) => {
            let parts = items
                .iter()
                .map(|item| compile_item(item, path, fields, table))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(and(parts))
        }
        Detection::AnyOf(alternatives) => {
            let parts = alternatives
                .iter()
                .enumerate()
                .map(|(i, d)| compile_selection(d, &format!("{path}[{i}]"), fields, table))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Expr::Or(parts))
        }
        Detection::And(parts) => {
            let parts = parts
                .iter()
                .map(|d| compile_selection(d, path, fields, table))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(and(parts))
        }
        Detection::Keywords(_) => Err(error(
            path,
            "keyword (field-less) search is not supported yet",
        )),
        Detection::ArrayMatch { field, .. } => Err(error(
            format!("{path}.{field}[...]"),
            "array object-scope matching is not supported",
        )),
        Detection::Conditional { .. } => Err(error(
            path,
            "array object-scope conditions are not supported",
        )),
    }
}

fn and(mut parts: Vec<Expr>) -> Expr {
    if parts.len() == 1 {
        parts.pop().expect("one part")
    } else {
        Expr::And(parts)
    }
}

/// What a field's modifiers ask for.
#[derive(Default)]
struct Modifiers {
    position: Option<Modifier>,
    all: bool,
    cased: bool,
    regex: bool,
    regex_flags: (bool, bool, bool),
    exists: bool,
    windash: bool,
    compare: Option<CompareOp>,
}

fn read_modifiers(item: &DetectionItem, construct: &str) -> Result<Modifiers, ConstructError> {
    let mut m = Modifiers::default();
    for modifier in &item.field.modifiers {
        match modifier {
            Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith => {
                m.position = Some(*modifier)
            }
            Modifier::All => m.all = true,
            Modifier::Cased => m.cased = true,
            Modifier::Re => m.regex = true,
            Modifier::IgnoreCase => m.regex_flags.0 = true,
            Modifier::Multiline => m.regex_flags.1 = true,
            Modifier::DotAll => m.regex_flags.2 = true,
            Modifier::Exists => m.exists = true,
            Modifier::WindAsh => m.windash = true,
            Modifier::Lt => m.compare = Some(CompareOp::Lt),
            Modifier::Lte => m.compare = Some(CompareOp::Lte),
            Modifier::Gt => m.compare = Some(CompareOp::Gt),
            Modifier::Gte => m.compare = Some(CompareOp::Gte),
            other => {
                return Err(error(
                    construct,
                    format!("modifier `{}` is not supported yet", modifier_name(*other)),
                ));
            }
        }
    }
    if (m.regex_flags.0 || m.regex_flags.1 || m.regex_flags.2) && !m.regex {
        return Err(error(
            construct,
            "regex flags (i, m, s) need the `re` modifier",
        ));
    }
    if m.regex && (m.position.is_some() || m.windash) {
        return Err(error(
            construct,
            "`re` cannot be combined with contains/startswith/endswith/windash",
        ));
    }
    Ok(m)
}

fn modifier_name(m: Modifier) -> String {
    // Modifier serialises to its Sigma name.
    serde_json::to_value(m)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{m:?}"))
}

fn compile_item(
    item: &DetectionItem,
    path: &str,
    fields: &mut FieldPlanBuilder,
    table: &mut PredicateTable,
) -> Result<Expr, ConstructError> {
    let Some(name) = &item.field.name else {
        return Err(error(
            path,
            "keyword (field-less) search is not supported yet",
        ));
    };
    let modifier_text: String = item
        .field
        .modifiers
        .iter()
        .map(|m| format!("|{}", modifier_name(*m)))
        .collect();
    let construct = format!("{path}.{name}{modifier_text}");
    if item.values.is_empty() {
        return Err(error(construct, "empty value list"));
    }
    let m = read_modifiers(item, &construct)?;
    let field = fields.field(name);
    let key = format!("{name}{modifier_text}={:?}", item.values);
    let test = || -> Result<Predicate, String> {
        Ok(Predicate {
            field,
            test: build_test(&m, &item.values)?,
        })
    };
    let id = table
        .intern(key, test)
        .map_err(|reason| error(construct, reason))?;
    Ok(Expr::Pred(id))
}

fn build_test(m: &Modifiers, values: &[SigmaValue]) -> Result<Test, String> {
    if m.exists {
        return match values {
            [SigmaValue::Bool(b)] => Ok(Test::Exists(*b)),
            _ => Err("`exists` needs a single true or false".into()),
        };
    }
    if let Some(op) = m.compare {
        return match values {
            [SigmaValue::Integer(n)] => Ok(Test::Compare {
                op,
                value: *n as f64,
            }),
            [SigmaValue::Float(f)] => Ok(Test::Compare { op, value: *f }),
            _ => Err("comparison modifiers need a single number".into()),
        };
    }
    let mut patterns = Vec::new();
    for value in values {
        if m.regex {
            patterns.push(regex_pattern(value, m.regex_flags)?);
            continue;
        }
        match value {
            SigmaValue::Null if m.position.is_none() => patterns.push(Pattern::Null),
            SigmaValue::Null => return Err("null cannot take contains/startswith/endswith".into()),
            SigmaValue::Integer(n) if m.position.is_none() && !m.windash => {
                patterns.push(Pattern::Int(*n))
            }
            SigmaValue::String(s) if m.windash => {
                for variant in windash_variants(s)? {
                    patterns.push(string_pattern(&variant, m.position, m.cased));
                }
            }
            SigmaValue::String(s) => patterns.push(string_pattern(s, m.position, m.cased)),
            other => {
                let text = match other {
                    SigmaValue::Integer(n) => n.to_string(),
                    SigmaValue::Float(f) => f.to_string(),
                    SigmaValue::Bool(b) => b.to_string(),
                    _ => unreachable!("strings and nulls are handled above"),
                };
                patterns.push(string_pattern(
                    &SigmaString::from_raw(&text),
                    m.position,
                    m.cased,
                ));
            }
        }
    }
    Ok(Test::Patterns {
        patterns,
        all: m.all,
    })
}

fn regex_pattern(
    value: &SigmaValue,
    (i, multi, dot): (bool, bool, bool),
) -> Result<Pattern, String> {
    let SigmaValue::String(s) = value else {
        return Err("`re` needs string values".into());
    };
    regex::bytes::RegexBuilder::new(&s.original)
        .case_insensitive(i)
        .multi_line(multi)
        .dot_matches_new_line(dot)
        .size_limit(8 << 20)
        .dfa_size_limit(8 << 20)
        .build()
        .map(Pattern::Regex)
        .map_err(|e| format!("regular expression does not compile: {e}"))
}

/// The pattern for one string value, with the position modifier's implied wildcards.
pub(crate) fn string_pattern(s: &SigmaString, position: Option<Modifier>, cased: bool) -> Pattern {
    let mut tokens = Vec::new();
    if matches!(position, Some(Modifier::Contains | Modifier::EndsWith)) {
        tokens.push(GlobToken::AnyMany);
    }
    for part in &s.parts {
        match part {
            StringPart::Plain(text) => {
                let bytes: Vec<u8> = if cased {
                    text.as_bytes().to_vec()
                } else {
                    text.bytes().map(|b| b.to_ascii_lowercase()).collect()
                };
                if let Some(GlobToken::Literal(prev)) = tokens.last_mut() {
                    let mut joined = prev.to_vec();
                    joined.extend_from_slice(&bytes);
                    *prev = joined.into();
                } else if !bytes.is_empty() {
                    tokens.push(GlobToken::Literal(bytes.into()));
                }
            }
            StringPart::Special(SpecialChar::WildcardMulti) => {
                if tokens.last() != Some(&GlobToken::AnyMany) {
                    tokens.push(GlobToken::AnyMany);
                }
            }
            StringPart::Special(SpecialChar::WildcardSingle) => tokens.push(GlobToken::AnyOne),
        }
    }
    if matches!(position, Some(Modifier::Contains | Modifier::StartsWith))
        && tokens.last() != Some(&GlobToken::AnyMany)
    {
        tokens.push(GlobToken::AnyMany);
    }
    let literal = |bytes: &[u8]| Literal {
        bytes: bytes.into(),
        cased,
    };
    use GlobToken::{AnyMany, Literal as Lit};
    match tokens.as_slice() {
        [] => Pattern::Exact(literal(b"")),
        [Lit(l)] => Pattern::Exact(literal(l)),
        [Lit(l), AnyMany] => Pattern::Prefix(literal(l)),
        [AnyMany, Lit(l)] => Pattern::Suffix(literal(l)),
        [AnyMany, Lit(l), AnyMany] => Pattern::contains(l.to_vec(), cased),
        _ => Pattern::Glob(tokens, cased),
    }
}

/// The `windash` variants of a value: every `-`, `/`, en dash, em dash or horizontal bar
/// that starts a word (at the start or after whitespace) takes each of the five forms.
fn windash_variants(s: &SigmaString) -> Result<Vec<SigmaString>, String> {
    const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];
    let mut variants: Vec<Vec<StringPart>> = vec![Vec::new()];
    let mut at_word_start = true;
    for part in &s.parts {
        match part {
            StringPart::Special(_) => {
                at_word_start = false;
                for v in &mut variants {
                    v.push(part.clone());
                }
            }
            StringPart::Plain(text) => {
                for c in text.chars() {
                    let forms: Vec<char> = if at_word_start && DASHES.contains(&c) {
                        DASHES.to_vec()
                    } else {
                        vec![c]
                    };
                    at_word_start = c.is_whitespace();
                    if variants.len() * forms.len() > MAX_WINDASH_VARIANTS {
                        return Err(format!(
                            "`windash` would expand to more than {MAX_WINDASH_VARIANTS} values"
                        ));
                    }
                    variants = variants
                        .into_iter()
                        .flat_map(|v| {
                            forms.iter().map(move |f| {
                                let mut v = v.clone();
                                match v.last_mut() {
                                    Some(StringPart::Plain(t)) => t.push(*f),
                                    _ => v.push(StringPart::Plain(f.to_string())),
                                }
                                v
                            })
                        })
                        .collect();
                }
            }
        }
    }
    Ok(variants
        .into_iter()
        .map(|parts| SigmaString {
            parts,
            original: s.original.clone(),
        })
        .collect())
}

fn compile_condition(
    condition: &ConditionExpr,
    named: &HashMap<String, Expr>,
) -> Result<Expr, ConstructError> {
    match condition {
        ConditionExpr::And(parts) => Ok(Expr::And(
            parts
                .iter()
                .map(|p| compile_condition(p, named))
                .collect::<Result<_, _>>()?,
        )),
        ConditionExpr::Or(parts) => Ok(Expr::Or(
            parts
                .iter()
                .map(|p| compile_condition(p, named))
                .collect::<Result<_, _>>()?,
        )),
        ConditionExpr::Not(inner) => Ok(Expr::Not(Box::new(compile_condition(inner, named)?))),
        ConditionExpr::Identifier(name) => named.get(name).cloned().ok_or_else(|| {
            error(
                "detection.condition",
                format!("`{name}` is not a selection of this rule"),
            )
        }),
        ConditionExpr::Selector {
            quantifier,
            pattern,
        } => {
            let mut matching: Vec<&String> = named
                .keys()
                .filter(|n| pattern.matches_detection_name(n))
                .collect();
            matching.sort();
            if matching.is_empty() {
                return Err(error(
                    "detection.condition",
                    format!("`{quantifier} of {pattern}` matches no selection"),
                ));
            }
            let parts: Vec<Expr> = matching.iter().map(|n| named[*n].clone()).collect();
            Ok(match quantifier {
                Quantifier::Any => Expr::Or(parts),
                Quantifier::All => Expr::And(parts),
                Quantifier::Count(n) => Expr::AtLeast(*n as u32, parts),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(value: &str, position: Option<Modifier>) -> Pattern {
        string_pattern(&SigmaString::new(value), position, false)
    }

    #[test]
    fn positions_become_the_cheapest_pattern() {
        assert!(
            matches!(pattern(r"\w3wp.exe", Some(Modifier::EndsWith)), Pattern::Suffix(l) if &*l.bytes == br"\w3wp.exe")
        );
        assert!(matches!(
            pattern("C:\\Windows\\", Some(Modifier::StartsWith)),
            Pattern::Prefix(_)
        ));
        assert!(
            matches!(pattern("WhoAmI", Some(Modifier::Contains)), Pattern::Contains(l, _) if &*l.bytes == b"whoami")
        );
        assert!(matches!(pattern("cmd.exe", None), Pattern::Exact(_)));
        assert!(matches!(pattern("*cmd.exe", None), Pattern::Suffix(_)));
        assert!(matches!(
            pattern("MSExchange*AppPool", Some(Modifier::Contains)),
            Pattern::Glob(..)
        ));
        assert!(matches!(pattern("", None), Pattern::Exact(l) if l.bytes.is_empty()));
    }

    #[test]
    fn escaped_wildcards_are_literals() {
        // Sigma: `\*` is a literal star; `\w` keeps its backslash.
        assert!(matches!(pattern(r"a\*b", None), Pattern::Exact(l) if &*l.bytes == b"a*b"));
        assert!(
            matches!(pattern(r"\\server\share", None), Pattern::Exact(l) if &*l.bytes == br"\server\share")
        );
    }

    #[test]
    fn windash_expands_word_starting_dashes_only() {
        let variants = windash_variants(&SigmaString::new(" -enc x-y")).unwrap();
        assert_eq!(variants.len(), 5);
        let texts: Vec<String> = variants
            .iter()
            .map(|v| match &v.parts[..] {
                [StringPart::Plain(t)] => t.clone(),
                _ => panic!("plain"),
            })
            .collect();
        assert!(texts.contains(&" /enc x-y".to_string()));
        assert!(texts.contains(&" \u{2015}enc x-y".to_string()));
        let many = SigmaString::new(&" -a".repeat(10));
        assert!(windash_variants(&many).is_err());
    }
}
