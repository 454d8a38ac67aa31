//! Keyword (field-less) searches: values looked for anywhere in any string value of the
//! event, plain or with the modifiers that make sense without a field (`all`, `re`,
//! `cased`, encodings).

use rsigma_parser::{DetectionItem, SigmaValue};
use tripline_ingest::FieldId;

use super::detection::{
    Compiler, ConstructError, build_test, error, read_modifiers, string_pattern,
};
use super::modifiers::{self, Piece};
use crate::ir::{Expr, Pattern, Position, Test};

/// A keyword (field-less) search: each value is looked for anywhere in any string value
/// of the event.
pub(super) fn plain(
    values: &[SigmaValue],
    construct: &str,
    ctx: &mut Compiler<'_>,
) -> Result<Expr, ConstructError> {
    if values.is_empty() {
        return Err(error(construct, "empty keyword list"));
    }
    let mut patterns = Vec::new();
    for value in values {
        let pieces = match value {
            SigmaValue::String(s) => modifiers::pieces(s),
            SigmaValue::Integer(n) => vec![Piece::Literal(n.to_string().into_bytes())],
            SigmaValue::Float(f) => vec![Piece::Literal(f.to_string().into_bytes())],
            SigmaValue::Bool(b) => vec![Piece::Literal(b.to_string().into_bytes())],
            SigmaValue::Null => return Err(error(construct, "null is not a keyword")),
        };
        patterns.push(string_pattern(&pieces, Position::Anywhere, false));
    }
    let key = format!("keywords={values:?}");
    Ok(Expr::Pred(ctx.table.intern_test(key, FieldId(0), || {
        Test::Keywords {
            patterns,
            all: false,
        }
    })))
}

/// Keywords with modifiers (`'|all': [...]`, `'|re': ...`, `'|cased': ...`): the values
/// searched in every string value of the event, as a field's values are matched against
/// it. Modifiers that need one field's value (`exists`, comparisons, `cidr`, `fieldref`,
/// `neq`, time parts, `startswith`/`endswith`) have no meaning here and are refused.
pub(super) fn with_modifiers(
    item: &DetectionItem,
    construct: &str,
    modifier_text: &str,
    ctx: &mut Compiler<'_>,
) -> Result<Expr, ConstructError> {
    if item.values.is_empty() {
        return Err(error(construct, "empty keyword list"));
    }
    let mut m = read_modifiers(item, construct)?;
    if m.exists
        || m.compare.is_some()
        || m.cidr
        || m.fieldref
        || m.neq
        || m.time_part.is_some()
        || matches!(m.position, Position::Start | Position::End)
    {
        return Err(error(
            construct,
            "keywords take only all, re (with i, m, s), cased, contains and encodings",
        ));
    }
    m.position = Position::Anywhere;
    let key = format!("keywords{modifier_text}={:?}", item.values);
    if let Some(id) = ctx.table.get(&key) {
        return Ok(Expr::Pred(id));
    }
    let (patterns, all) = match build_test(&m, &item.field.modifiers, &item.values, ctx) {
        Ok(Test::Patterns { patterns, all }) => (patterns, all),
        Ok(_) => return Err(error(construct, "not a keyword search")),
        Err(reason) => return Err(error(construct, reason)),
    };
    if patterns.iter().any(|p| matches!(p, Pattern::Null)) {
        return Err(error(construct, "null is not a keyword"));
    }
    Ok(Expr::Pred(ctx.table.intern_test(key, FieldId(0), || {
        Test::Keywords { patterns, all }
    })))
}
