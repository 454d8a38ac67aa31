//! Compiles a Sigma `detection` section (selections, modifiers, values, condition) into
//! the rule IR. Anything this engine cannot run is an error naming the construct; no
//! construct is dropped or read as "matches nothing".

use hashbrown::HashMap;
use rsigma_parser::{
    ConditionExpr, Detection, DetectionItem, Detections, Modifier, Quantifier, SigmaValue,
};
use tripline_ingest::{FieldId, FieldPlanBuilder};

use super::keywords;
use super::modifiers::{self, Piece, Placeholders};
use crate::ir::{
    CompareOp, Expr, GlobToken, IpNetwork, Literal, Pattern, Position, PredId, Predicate, Test,
    TimePart,
};
use crate::regex_literals::{Flags, required_literals};

/// What compiling a rule writes into: the rule set's fields and predicates.
pub(crate) struct Compiler<'a> {
    pub fields: &'a mut FieldPlanBuilder,
    pub table: &'a mut PredicateTable,
    pub placeholders: &'a Placeholders,
}

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

    /// The id of the predicate `key`: one compiled before with the same key (predicates
    /// are shared between rules), or a new one testing `field` with `test()`.
    pub fn intern_test(
        &mut self,
        key: String,
        field: FieldId,
        test: impl FnOnce() -> Test,
    ) -> PredId {
        if let Some(id) = self.index.get(&key) {
            return *id;
        }
        let id = PredId(self.predicates.len() as u32);
        self.predicates.push(Predicate {
            field,
            test: test(),
        });
        self.index.insert(key, id);
        id
    }

    pub(super) fn get(&self, key: &str) -> Option<PredId> {
        self.index.get(key).copied()
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

pub(super) fn error(construct: impl Into<String>, reason: impl Into<String>) -> ConstructError {
    ConstructError {
        construct: construct.into(),
        reason: reason.into(),
    }
}

pub(crate) fn compile_detection(
    detections: &Detections,
    ctx: &mut Compiler<'_>,
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
        let expr = compile_selection(&detections.named[name], &path, ctx)?;
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
    ctx: &mut Compiler<'_>,
) -> Result<Expr, ConstructError> {
    match detection {
        Detection::AllOf(items) => {
            let parts = items
                .iter()
                .map(|item| compile_item(item, path, ctx))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(and(parts))
        }
        Detection::AnyOf(alternatives) => {
            let parts = alternatives
                .iter()
                .enumerate()
                .map(|(i, d)| compile_selection(d, &format!("{path}[{i}]"), ctx))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Expr::Or(parts))
        }
        Detection::And(parts) => {
            let parts = parts
                .iter()
                .map(|d| compile_selection(d, path, ctx))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(and(parts))
        }
        Detection::Keywords(values) => keywords::plain(values, path, ctx),
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

/// What a field's modifiers ask for, besides the value transformations of
/// [`modifiers`](super::modifiers).
pub(super) struct Modifiers {
    pub(super) position: Position,
    pub(super) all: bool,
    pub(super) cased: bool,
    pub(super) regex: bool,
    pub(super) regex_flags: (bool, bool, bool),
    pub(super) exists: bool,
    pub(super) compare: Option<CompareOp>,
    pub(super) neq: bool,
    pub(super) fieldref: bool,
    pub(super) cidr: bool,
    pub(super) time_part: Option<TimePart>,
    pub(super) transforms: bool,
}

pub(super) fn read_modifiers(
    item: &DetectionItem,
    construct: &str,
) -> Result<Modifiers, ConstructError> {
    let mut m = Modifiers {
        position: Position::Whole,
        all: false,
        cased: false,
        regex: false,
        regex_flags: (false, false, false),
        exists: false,
        compare: None,
        neq: false,
        fieldref: false,
        cidr: false,
        time_part: None,
        transforms: false,
    };
    for modifier in &item.field.modifiers {
        match modifier {
            Modifier::Contains => m.position = Position::Anywhere,
            Modifier::StartsWith => m.position = Position::Start,
            Modifier::EndsWith => m.position = Position::End,
            Modifier::All => m.all = true,
            Modifier::Cased => m.cased = true,
            Modifier::Re => m.regex = true,
            Modifier::IgnoreCase => m.regex_flags.0 = true,
            Modifier::Multiline => m.regex_flags.1 = true,
            Modifier::DotAll => m.regex_flags.2 = true,
            Modifier::Exists => m.exists = true,
            Modifier::Lt => m.compare = Some(CompareOp::Lt),
            Modifier::Lte => m.compare = Some(CompareOp::Lte),
            Modifier::Gt => m.compare = Some(CompareOp::Gt),
            Modifier::Gte => m.compare = Some(CompareOp::Gte),
            Modifier::Neq => m.neq = true,
            Modifier::FieldRef => m.fieldref = true,
            Modifier::Cidr => m.cidr = true,
            Modifier::Minute => m.time_part = Some(TimePart::Minute),
            Modifier::Hour => m.time_part = Some(TimePart::Hour),
            Modifier::Day => m.time_part = Some(TimePart::Day),
            Modifier::Week => m.time_part = Some(TimePart::Week),
            Modifier::Month => m.time_part = Some(TimePart::Month),
            Modifier::Year => m.time_part = Some(TimePart::Year),
            other if modifiers::transforms(*other) => m.transforms = true,
            other => {
                return Err(error(
                    construct,
                    format!("modifier `{}` is not supported", modifier_name(*other)),
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
    if m.regex && (m.position != Position::Whole || m.transforms) {
        return Err(error(
            construct,
            "`re` cannot be combined with contains/startswith/endswith or encodings",
        ));
    }
    if (m.cidr || m.exists || m.compare.is_some())
        && (m.transforms || m.position != Position::Whole)
    {
        return Err(error(
            construct,
            "cidr, exists and comparisons take plain values",
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
    ctx: &mut Compiler<'_>,
) -> Result<Expr, ConstructError> {
    let modifier_text: String = item
        .field
        .modifiers
        .iter()
        .map(|m| format!("|{}", modifier_name(*m)))
        .collect();
    let Some(name) = &item.field.name else {
        let construct = format!("{path}{modifier_text}");
        if item.field.modifiers.is_empty() {
            return keywords::plain(&item.values, &construct, ctx);
        }
        return keywords::with_modifiers(item, &construct, &modifier_text, ctx);
    };
    let construct = format!("{path}.{name}{modifier_text}");
    if item.values.is_empty() {
        return Err(error(construct, "empty value list"));
    }
    let m = read_modifiers(item, &construct)?;
    let field = ctx.fields.field(name);
    let key = format!("{name}{modifier_text}={:?}", item.values);
    if let Some(id) = ctx.table.get(&key) {
        return Ok(Expr::Pred(id));
    }
    let test = build_test(&m, &item.field.modifiers, &item.values, ctx)
        .map_err(|reason| error(construct.clone(), reason))?;
    Ok(Expr::Pred(ctx.table.intern_test(key, field, || test)))
}

pub(super) fn build_test(
    m: &Modifiers,
    modifier_list: &[Modifier],
    values: &[SigmaValue],
    ctx: &mut Compiler<'_>,
) -> Result<Test, String> {
    if m.exists {
        return match values {
            [SigmaValue::Bool(b)] => Ok(Test::Exists(*b)),
            _ => Err("`exists` needs a single true or false".into()),
        };
    }
    if m.fieldref {
        return match values {
            [SigmaValue::String(s)] => Ok(Test::FieldRef {
                other: ctx.fields.field(&s.original),
                position: m.position,
                cased: m.cased,
                negate: m.neq,
            }),
            _ => Err("`fieldref` needs a single field name".into()),
        };
    }
    if m.cidr {
        return values
            .iter()
            .map(|v| match v {
                SigmaValue::String(s) => IpNetwork::parse(&s.original)
                    .ok_or_else(|| format!("`{}` is not a CIDR network", s.original)),
                other => Err(format!("`{other:?}` is not a CIDR network")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Test::Cidr);
    }
    if let Some(part) = m.time_part {
        let inner = Modifiers {
            time_part: None,
            ..*m
        };
        return Ok(Test::TimePart {
            part,
            test: Box::new(build_test(&inner, modifier_list, values, ctx)?),
        });
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
        let pieces = match value {
            SigmaValue::Null if m.position == Position::Whole && !m.transforms => {
                patterns.push(Pattern::Null);
                continue;
            }
            SigmaValue::Null => {
                return Err("null takes no contains/startswith/endswith or encoding".into());
            }
            SigmaValue::Integer(n) if m.position == Position::Whole && !m.transforms => {
                patterns.push(Pattern::Int(*n));
                continue;
            }
            SigmaValue::String(s) => modifiers::pieces(s),
            SigmaValue::Integer(n) => vec![Piece::Literal(n.to_string().into_bytes())],
            SigmaValue::Float(f) => vec![Piece::Literal(f.to_string().into_bytes())],
            SigmaValue::Bool(b) => vec![Piece::Literal(b.to_string().into_bytes())],
        };
        for variant in modifiers::apply(modifier_list, pieces, ctx.placeholders)? {
            patterns.push(string_pattern(&variant, m.position, m.cased));
        }
    }
    if m.neq {
        return Ok(Test::NoneOf(patterns));
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
    let regex = regex::bytes::RegexBuilder::new(&s.original)
        .case_insensitive(i)
        .multi_line(multi)
        .dot_matches_new_line(dot)
        .size_limit(8 << 20)
        .dfa_size_limit(8 << 20)
        .build()
        .map_err(|e| format!("regular expression does not compile: {e}"))?;
    let required = required_literals(
        &s.original,
        Flags {
            case_insensitive: i,
            multi_line: multi,
            dot_matches_new_line: dot,
        },
    );
    Ok(Pattern::Regex(
        regex,
        required.into_iter().map(Vec::into_boxed_slice).collect(),
    ))
}

/// The cheapest pattern for one value, with the position's implied wildcards. Literals
/// are lowercased unless `cased`.
pub(crate) fn string_pattern(pieces: &[Piece], position: Position, cased: bool) -> Pattern {
    let mut tokens = Vec::new();
    if matches!(position, Position::Anywhere | Position::End) {
        tokens.push(GlobToken::AnyMany);
    }
    for piece in pieces {
        match piece {
            Piece::Literal(text) => {
                let bytes: Vec<u8> = if cased {
                    text.clone()
                } else {
                    text.iter().map(u8::to_ascii_lowercase).collect()
                };
                if let Some(GlobToken::Literal(prev)) = tokens.last_mut() {
                    let mut joined = prev.to_vec();
                    joined.extend_from_slice(&bytes);
                    *prev = joined.into();
                } else if !bytes.is_empty() {
                    tokens.push(GlobToken::Literal(bytes.into()));
                }
            }
            Piece::AnyMany => {
                if tokens.last() != Some(&GlobToken::AnyMany) {
                    tokens.push(GlobToken::AnyMany);
                }
            }
            Piece::AnyOne => tokens.push(GlobToken::AnyOne),
        }
    }
    if matches!(position, Position::Anywhere | Position::Start)
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
    use rsigma_parser::SigmaString;

    fn pattern(value: &str, position: Position) -> Pattern {
        string_pattern(
            &modifiers::pieces(&SigmaString::new(value)),
            position,
            false,
        )
    }

    #[test]
    fn positions_become_the_cheapest_pattern() {
        assert!(
            matches!(pattern(r"\w3wp.exe", Position::End), Pattern::Suffix(l) if &*l.bytes == br"\w3wp.exe")
        );
        assert!(matches!(
            pattern("C:\\Windows\\", Position::Start),
            Pattern::Prefix(_)
        ));
        assert!(
            matches!(pattern("WhoAmI", Position::Anywhere), Pattern::Contains(l, _) if &*l.bytes == b"whoami")
        );
        assert!(matches!(
            pattern("cmd.exe", Position::Whole),
            Pattern::Exact(_)
        ));
        assert!(matches!(
            pattern("*cmd.exe", Position::Whole),
            Pattern::Suffix(_)
        ));
        assert!(matches!(
            pattern("MSExchange*AppPool", Position::Anywhere),
            Pattern::Glob(..)
        ));
        assert!(matches!(pattern("", Position::Whole), Pattern::Exact(l) if l.bytes.is_empty()));
    }

    #[test]
    fn escaped_wildcards_are_literals() {
        // Sigma: `\*` is a literal star; `\w` keeps its backslash; a trailing `\` stays.
        assert!(
            matches!(pattern(r"a\*b", Position::Whole), Pattern::Exact(l) if &*l.bytes == b"a*b")
        );
        assert!(
            matches!(pattern(r"\\server\share", Position::Whole), Pattern::Exact(l) if &*l.bytes == br"\server\share")
        );
        assert!(
            matches!(pattern(r"\inetpub\", Position::Anywhere), Pattern::Contains(l, _) if &*l.bytes == br"\inetpub\")
        );
    }
}
