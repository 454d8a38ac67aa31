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
    /// `neq`: the field is present and its value matches none of the patterns.
    NoneOf(Vec<Pattern>),
    /// A numeric comparison; values that are not numbers never match.
    Compare { op: CompareOp, value: f64 },
    /// `cidr`: the value is an IP address in one of the networks.
    Cidr(Vec<IpNetwork>),
    /// `fieldref`: the value compared with another field's value of the same event
    /// (`negate` for `neq`); a missing field never matches.
    FieldRef {
        other: FieldId,
        position: Position,
        cased: bool,
        negate: bool,
    },
    /// Time modifiers: one part of the value read as a timestamp, as a number.
    TimePart { part: TimePart, test: Box<Test> },
    /// A keyword (field-less) search: any string value of the event.
    Keywords { patterns: Vec<Pattern>, all: bool },
}

/// Where a literal must be found in a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Position {
    Whole,
    Start,
    End,
    Anywhere,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimePart {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// An IP network (`cidr`): its address and prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IpNetwork {
    pub address: std::net::IpAddr,
    pub prefix: u8,
}

impl IpNetwork {
    /// Parses `10.0.0.0/8`, `fe80::/10` or a bare address (a /32 or /128).
    pub fn parse(text: &str) -> Option<IpNetwork> {
        let (address, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a.parse().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.trim().parse().ok()?, None),
        };
        let max = if matches!(address, std::net::IpAddr::V4(_)) {
            32
        } else {
            128
        };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpNetwork { address, prefix })
    }

    /// Whether `ip` is in this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::{V4, V6};
        let ip = match ip {
            V6(v6) => v6.to_ipv4_mapped().map_or(V6(v6), V4),
            v4 => v4,
        };
        match (self.address, ip) {
            (V4(net), V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (V6(net), V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
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
    /// A regular expression, and literals (lowercased) one of which every value it
    /// matches holds; none when it needs none that could be named.
    Regex(regex::bytes::Regex, Box<[Box<[u8]>]>),
}

/// A pattern's literal bytes and whether they compare case-sensitively.
#[derive(Debug)]
pub(crate) struct Literal {
    pub bytes: Box<[u8]>,
    pub cased: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GlobToken {
    Literal(GlobLiteral),
    /// `?`: exactly one character.
    AnyOne,
    /// `*`: any run of characters, including none.
    AnyMany,
}

/// The literal run of a glob, with its substring searcher built once (a glob jumps to
/// the literal after a `*`; building the searcher on every match cost more than the
/// search).
#[derive(Debug, Clone)]
pub(crate) struct GlobLiteral {
    finder: Box<memmem::Finder<'static>>,
}

impl GlobLiteral {
    /// Where the literal first occurs in `text`.
    pub fn find_in(&self, text: &[u8]) -> Option<usize> {
        self.finder.find(text)
    }
}

impl std::ops::Deref for GlobLiteral {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.finder.needle()
    }
}

impl From<&[u8]> for GlobLiteral {
    fn from(bytes: &[u8]) -> GlobLiteral {
        GlobLiteral {
            finder: Box::new(memmem::Finder::new(bytes).into_owned()),
        }
    }
}

impl From<Vec<u8>> for GlobLiteral {
    fn from(bytes: Vec<u8>) -> GlobLiteral {
        GlobLiteral::from(&bytes[..])
    }
}

impl PartialEq for GlobLiteral {
    fn eq(&self, other: &GlobLiteral) -> bool {
        **self == **other
    }
}

impl Eq for GlobLiteral {}

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
