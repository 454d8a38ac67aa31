//! The compiled rule representation: field predicates (a field and a test of its value)
//! and condition trees over them. Front-ends (Sigma) compile into this; the evaluator
//! runs it.

use memchr::memmem;
use tripline_ingest::FieldId;

/// Index of a predicate in the rule set's predicate table. Predicates are shared: two
/// rules testing the same field the same way use one predicate, evaluated once per event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct PredId(pub u32);

/// A test of one field's value.
#[derive(Debug)]
pub(crate) struct Predicate {
    pub field: FieldId,
    pub test: Test,
}

#[derive(Debug)]
pub(crate) enum Test {
    /// The field is present (any value, null included) — or absent when `false`.
    Exists(bool),
    /// The value matches the patterns: any of them, or every one with `all`.
    Patterns { patterns: Vec<Pattern>, all: bool },
    /// A numeric comparison; values that are not numbers never match.
    Compare { op: CompareOp, value: f64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// One value pattern. String patterns are case-insensitive (ASCII) unless `cased`:
/// their literals are then stored lowercased and compared against a lowercased value.
#[derive(Debug)]
pub(crate) enum Pattern {
    /// The field is missing or JSON null.
    Null,
    /// An integer: matches a value whose text is that integer.
    Int(i64),
    Exact(Literal),
    Prefix(Literal),
    Suffix(Literal),
    Contains(Literal, Box<memmem::Finder<'static>>),
    Glob(Vec<GlobToken>, bool),
    Regex(regex::bytes::Regex),
}

/// A pattern's literal bytes and whether they compare case-sensitively.
#[derive(Debug)]
pub(crate) struct Literal {
    pub bytes: Box<[u8]>,
    pub cased: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GlobToken {
    Literal(Box<[u8]>),
    /// `?`: exactly one character.
    AnyOne,
    /// `*`: any run of characters, including none.
    AnyMany,
}

impl Pattern {
    /// A pattern matching `literal` with `*` before and after: `Contains`.
    pub fn contains(bytes: Vec<u8>, cased: bool) -> Pattern {
        let finder = Box::new(memmem::Finder::new(&bytes).into_owned());
        Pattern::Contains(
            Literal {
                bytes: bytes.into(),
                cased,
            },
            finder,
        )
    }
}

/// A condition tree over predicates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Expr {
    Pred(PredId),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// At least `n` of the expressions hold (`2 of selection_*`).
    AtLeast(u32, Vec<Expr>),
}
