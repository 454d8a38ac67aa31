//! Value matching: whether one field value passes one predicate's test.
//!
//! Case-insensitive comparison folds ASCII only (Sigma's default for string values);
//! bytes outside ASCII compare exactly. Values are bytes: invalid UTF-8 is matched as is.

use tripline_ingest::{FieldValue, Timestamp};

use crate::ir::{CompareOp, GlobToken, Literal, Pattern, Position, Test, TimePart};

/// Reused buffers for matching, one per evaluating thread.
#[derive(Debug, Default)]
pub(crate) struct MatchScratch {
    lowered: Vec<u8>,
}

/// A value ready for matching: its bytes, and their ASCII lowercase when a pattern needs
/// it (computed once per value, not once per pattern).
pub(crate) struct Prepared<'v> {
    value: &'v [u8],
    lowered: &'v [u8],
    /// The value read as an integer, when an integer pattern needs it.
    int: Option<i64>,
}

/// A value's text read as an integer (surrounding whitespace allowed).
fn integer(value: &[u8]) -> Option<i64> {
    std::str::from_utf8(value).ok()?.trim().parse().ok()
}

impl MatchScratch {
    fn prepare<'v>(&'v mut self, value: &'v [u8], patterns: &[Pattern]) -> Prepared<'v> {
        let (mut folds, mut int) = (false, false);
        for p in patterns {
            match p {
                Pattern::Contains(l, _) => folds |= !l.cased,
                Pattern::Glob(_, cased) => folds |= !cased,
                Pattern::Int(_) => int = true,
                _ => {}
            }
        }
        let int = if int { integer(value) } else { None };
        if !folds {
            return Prepared {
                value,
                lowered: value,
                int,
            };
        }
        self.lowered.clear();
        self.lowered
            .extend(value.iter().map(u8::to_ascii_lowercase));
        Prepared {
            value,
            lowered: &self.lowered,
            int,
        }
    }
}

/// Whether any of `patterns` (every one, with `all`) matches `value`.
pub(crate) fn match_patterns(
    patterns: &[Pattern],
    all: bool,
    value: &[u8],
    scratch: &mut MatchScratch,
) -> bool {
    let prepared = scratch.prepare(value, patterns);
    if all {
        patterns.iter().all(|p| matches(p, &prepared))
    } else {
        patterns.iter().any(|p| matches(p, &prepared))
    }
}

/// Whether `value` passes `test`. Tests that need more than the value (`fieldref`,
/// keywords) are run by the evaluator and are false here.
pub(crate) fn test_value(test: &Test, value: FieldValue<'_>, scratch: &mut MatchScratch) -> bool {
    match test {
        Test::Exists(want) => value.is_missing() != *want,
        Test::NoneOf(patterns) => match value {
            FieldValue::Missing | FieldValue::Null | FieldValue::Object(_) => false,
            FieldValue::Array(array) => {
                let mut any = false;
                array.for_each_string(|e| any |= match_patterns(patterns, false, e, scratch));
                !any
            }
            scalar => scalar
                .as_bytes()
                .is_some_and(|b| !match_patterns(patterns, false, b, scratch)),
        },
        Test::Cidr(networks) => value
            .as_bytes()
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|t| t.trim().parse::<std::net::IpAddr>().ok())
            .is_some_and(|ip| networks.iter().any(|n| n.contains(ip))),
        Test::TimePart { part, test } => {
            let Some(time) = value.as_bytes().and_then(Timestamp::parse) else {
                return false;
            };
            let c = time.civil();
            let number = match part {
                TimePart::Minute => i64::from(c.minute),
                TimePart::Hour => i64::from(c.hour),
                TimePart::Day => i64::from(c.day),
                TimePart::Week => i64::from(c.iso_week),
                TimePart::Month => i64::from(c.month),
                TimePart::Year => c.year,
            };
            let text = number.to_string();
            test_value(test, FieldValue::Number(text.as_bytes()), scratch)
        }
        Test::FieldRef { .. } | Test::Keywords { .. } => false,
        Test::Compare { op, value: bound } => number(value).is_some_and(|n| match op {
            CompareOp::Lt => n < *bound,
            CompareOp::Lte => n <= *bound,
            CompareOp::Gt => n > *bound,
            CompareOp::Gte => n >= *bound,
        }),
        Test::Patterns { patterns, all } => match value {
            FieldValue::Missing | FieldValue::Null => {
                let null = |p: &Pattern| matches!(p, Pattern::Null);
                if *all {
                    patterns.iter().all(null)
                } else {
                    patterns.iter().any(null)
                }
            }
            FieldValue::Object(_) => false,
            FieldValue::Array(array) => {
                // An array matches when its elements do: any pattern by any element, or
                // with `all`, every pattern by some element.
                let mut matched = vec![false; patterns.len()];
                array.for_each_string(|element| {
                    let prepared = scratch.prepare(element, patterns);
                    for (i, p) in patterns.iter().enumerate() {
                        if !matched[i] && matches(p, &prepared) {
                            matched[i] = true;
                        }
                    }
                });
                if *all {
                    matched.iter().all(|m| *m)
                } else {
                    matched.iter().any(|m| *m)
                }
            }
            scalar => {
                let Some(bytes) = scalar.as_bytes() else {
                    return false;
                };
                match_patterns(patterns, *all, bytes, scratch)
            }
        },
    }
}

fn number(value: FieldValue<'_>) -> Option<f64> {
    let text = match value {
        FieldValue::Number(t) | FieldValue::String(t) => t,
        _ => return None,
    };
    std::str::from_utf8(text).ok()?.trim().parse().ok()
}

/// Whether a prepared value matches `pattern`.
pub(crate) fn matches(pattern: &Pattern, v: &Prepared<'_>) -> bool {
    let value = v.value;
    match pattern {
        Pattern::Null => false,
        Pattern::Int(n) => v.int == Some(*n),
        Pattern::Exact(l) => eq(l, value),
        Pattern::Prefix(l) => value.len() >= l.bytes.len() && eq(l, &value[..l.bytes.len()]),
        Pattern::Suffix(l) => {
            value.len() >= l.bytes.len() && eq(l, &value[value.len() - l.bytes.len()..])
        }
        Pattern::Contains(l, finder) => finder
            .find(if l.cased { value } else { v.lowered })
            .is_some(),
        Pattern::Glob(tokens, cased) => glob_match(tokens, if *cased { value } else { v.lowered }),
        Pattern::Regex(re, _) => re.is_match(value),
    }
}

/// `fieldref`: whether `value` holds `other` at `position`.
pub(crate) fn field_ref(value: &[u8], other: &[u8], position: Position, cased: bool) -> bool {
    let eq = |a: &[u8], b: &[u8]| {
        if cased {
            a == b
        } else {
            a.eq_ignore_ascii_case(b)
        }
    };
    match position {
        Position::Whole => eq(value, other),
        Position::Start => value.len() >= other.len() && eq(&value[..other.len()], other),
        Position::End => {
            value.len() >= other.len() && eq(&value[value.len() - other.len()..], other)
        }
        Position::Anywhere => other.is_empty() || value.windows(other.len()).any(|w| eq(w, other)),
    }
}

fn eq(literal: &Literal, value: &[u8]) -> bool {
    if literal.cased {
        *literal.bytes == *value
    } else {
        // The literal is stored lowercased; fold the value as we compare.
        literal.bytes.eq_ignore_ascii_case(value)
    }
}

/// Matches `*` / `?` globs. Iterative, backtracking only to the last `*` seen, so the
/// cost is bounded by pattern length × text length.
pub(crate) fn glob_match(tokens: &[GlobToken], text: &[u8]) -> bool {
    let (mut t, mut p) = (0usize, 0usize);
    // Where to resume after the last `*`: the token after it and the text position it
    // has absorbed up to.
    let mut resume: Option<(usize, usize)> = None;
    loop {
        if let Some(token) = tokens.get(p) {
            match token {
                GlobToken::AnyMany => {
                    p += 1;
                    resume = Some((p, t));
                    continue;
                }
                GlobToken::AnyOne if t < text.len() => {
                    t += utf8_len(text[t]).min(text.len() - t);
                    p += 1;
                    continue;
                }
                // Right after a `*`: the star absorbs up to the literal's next occurrence
                // (none: no longer absorption can match either).
                GlobToken::Literal(lit) if resume.is_some_and(|(after, _)| after == p) => {
                    let Some(offset) = lit.find_in(&text[t..]) else {
                        return false;
                    };
                    t += offset;
                    resume = Some((p, t));
                    t += lit.len();
                    p += 1;
                    continue;
                }
                GlobToken::Literal(lit) if text[t..].starts_with(lit) => {
                    t += lit.len();
                    p += 1;
                    continue;
                }
                _ => {}
            }
        } else if t == text.len() {
            return true;
        }
        match resume {
            Some((after_star, absorbed)) if absorbed < text.len() => {
                let absorbed = absorbed + 1;
                resume = Some((after_star, absorbed));
                p = after_star;
                t = absorbed;
            }
            _ => return false,
        }
    }
}

/// Length of the UTF-8 sequence a leading byte starts (1 for invalid bytes).
fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pattern: &str) -> Vec<GlobToken> {
        pattern
            .split_inclusive(['*', '?'])
            .flat_map(|piece| {
                let (lit, special) = match piece.strip_suffix(['*', '?']) {
                    Some(lit) => (lit, piece.chars().last()),
                    None => (piece, None),
                };
                let mut tokens = Vec::new();
                if !lit.is_empty() {
                    tokens.push(GlobToken::Literal(lit.as_bytes().into()));
                }
                match special {
                    Some('*') => tokens.push(GlobToken::AnyMany),
                    Some('?') => tokens.push(GlobToken::AnyOne),
                    _ => {}
                }
                tokens
            })
            .collect()
    }

    /// The obvious exponential recursive definition, as an oracle.
    fn naive(tokens: &[GlobToken], text: &[u8]) -> bool {
        match tokens.split_first() {
            None => text.is_empty(),
            Some((GlobToken::AnyMany, rest)) => (0..=text.len()).any(|i| naive(rest, &text[i..])),
            Some((GlobToken::AnyOne, rest)) => !text.is_empty() && naive(rest, &text[1..]),
            Some((GlobToken::Literal(l), rest)) => {
                text.starts_with(l) && naive(rest, &text[l.len()..])
            }
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match(
            &glob("*msexchange*apppool*"),
            b"w3wp.exe -ap \"msexchangeowaapppool\""
        ));
        assert!(!glob_match(
            &glob("*msexchange*apppool*"),
            b"w3wp.exe -ap \"defaultapppool\""
        ));
        assert!(glob_match(&glob("a?c"), b"abc"));
        assert!(glob_match(&glob("a?c"), "aéc".as_bytes()));
        assert!(!glob_match(&glob("a?c"), b"ac"));
        assert!(glob_match(&glob("*"), b""));
        assert!(glob_match(&glob("**a"), b"a"));
    }

    #[test]
    fn glob_agrees_with_the_naive_definition() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..20_000 {
            let pattern: String = (0..next(7))
                .map(|_| ['a', 'b', '*', '?'][next(4) as usize])
                .collect();
            let text: Vec<u8> = (0..next(8))
                .map(|_| [b'a', b'b'][next(2) as usize])
                .collect();
            let tokens = glob(&pattern);
            assert_eq!(
                glob_match(&tokens, &text),
                naive(&tokens, &text),
                "{pattern:?} {text:?}"
            );
        }
    }

    #[test]
    fn case_folding_is_ascii() {
        let mut scratch = MatchScratch::default();
        let lit = |s: &str, cased| Literal {
            bytes: s.as_bytes().into(),
            cased,
        };
        let mut one = |p: Pattern, value: &[u8]| match_patterns(&[p], false, value, &mut scratch);
        assert!(one(
            Pattern::Suffix(lit("\\cmd.exe", false)),
            b"C:\\WINDOWS\\CMD.EXE"
        ));
        assert!(!one(
            Pattern::Suffix(lit("\\cmd.exe", true)),
            b"C:\\WINDOWS\\CMD.EXE"
        ));
        assert!(one(
            Pattern::contains(b"whoami".to_vec(), false),
            b"cmd /c WHOAMI"
        ));
        assert!(!one(
            Pattern::contains(b"whoami".to_vec(), true),
            b"cmd /c WHOAMI"
        ));
        assert!(one(Pattern::Int(4688), b"4688"));
        assert!(!one(Pattern::Int(4688), b"46880"));
        // Non-ASCII bytes compare exactly.
        assert!(!one(
            Pattern::contains("é".as_bytes().to_vec(), false),
            "É".as_bytes()
        ));
    }

    #[test]
    fn a_value_is_lowered_once_for_all_its_patterns() {
        let mut scratch = MatchScratch::default();
        let patterns = [
            Pattern::contains(b"cased".to_vec(), true),
            Pattern::contains(b"abc".to_vec(), false),
        ];
        assert!(match_patterns(&patterns, false, b"xABCx", &mut scratch));
        assert!(!match_patterns(&patterns, true, b"xABCx", &mut scratch));
        assert!(match_patterns(&patterns, true, b"cased ABC", &mut scratch));
    }
}
