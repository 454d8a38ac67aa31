//! URL-decoded forms of request fields: a rule sees `%24%7Bjndi:` as `${jndi:` too. Each
//! request field gets up to two alternate forms, percent-decoded once and, when that
//! still holds escapes and differs, twice (double encoding). `+` is a space in queries.

use memchr::{memchr, memchr2};

use super::{AccessLine, AccessPlan, Alternate, field, text, value};
use crate::json::Loc;

/// Where `+` stands for a space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Plus {
    Never,
    /// After the first `?` (a URL with a query).
    InQuery,
    Always,
}

/// The fields that get decoded forms, and how `+` reads in each.
pub(crate) const DECODED: [(usize, Plus); 6] = [
    (field::CS_URI, Plus::InQuery),
    (field::CS_URI_STEM, Plus::Never),
    (field::CS_URI_QUERY, Plus::Always),
    (field::CS_REFERER, Plus::InQuery),
    (field::CS_USER_AGENT, Plus::Never),
    (field::CS_COOKIE, Plus::Always),
];

/// Computes the decoded forms of the current line's request fields into `buffer`.
/// `cs-uri-stem` and `cs-uri-query` are decoded only when a rule reads them: keyword
/// searches use the forms of `cs-uri`, which holds both.
pub(crate) fn alternates(
    access: &mut AccessLine,
    plan: &AccessPlan,
    line: &[u8],
    buffer: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
) {
    // Most lines have nothing to decode: one look at all their bytes says so. Without a
    // `%` anywhere, only fields where `+` is a space can differ decoded.
    let percent = memchr(b'%', line).is_some() || memchr(b'%', buffer).is_some();
    if !percent && memchr(b'+', line).is_none() && memchr(b'+', buffer).is_none() {
        return;
    }
    for (f, plus) in DECODED {
        let v = access.values[f];
        if v.is_missing()
            || (!percent && plus == Plus::Never)
            || ((f == field::CS_URI_STEM || f == field::CS_URI_QUERY) && plan.slots[f].is_none())
        {
            continue;
        }
        let raw = text(line, buffer, v);
        if !needs_decoding(raw, plus) {
            continue;
        }
        scratch.clear();
        scratch.extend_from_slice(raw);
        let Some(once) = decode_once(scratch, plus, buffer) else {
            continue;
        };
        access.alternates.push(Alternate {
            field: f as u8,
            value: once,
        });
        let decoded = text(line, buffer, once);
        if memchr(b'%', decoded).is_none() {
            continue;
        }
        scratch.clear();
        scratch.extend_from_slice(decoded);
        if let Some(twice) = decode_once(scratch, plus, buffer) {
            access.alternates.push(Alternate {
                field: f as u8,
                value: twice,
            });
        }
    }
}

fn needs_decoding(raw: &[u8], plus: Plus) -> bool {
    match plus {
        Plus::Never => memchr(b'%', raw).is_some(),
        Plus::Always => memchr2(b'%', b'+', raw).is_some(),
        Plus::InQuery => {
            memchr(b'%', raw).is_some()
                || memchr(b'?', raw).is_some_and(|q| memchr(b'+', &raw[q..]).is_some())
        }
    }
}

/// Appends the decoding of `source` to `buffer`: its span there, or `None` (and nothing
/// appended) when decoding changes nothing or leaves nothing.
fn decode_once(source: &[u8], plus: Plus, buffer: &mut Vec<u8>) -> Option<crate::json::RawValue> {
    let start = buffer.len();
    decode_into(source, plus, buffer);
    let decoded = value(Loc::Unescaped, buffer, start, buffer.len());
    if decoded.is_missing() || buffer[start..] == *source {
        buffer.truncate(start);
        return None;
    }
    Some(decoded)
}

/// Percent-decodes `src` into `out`: `%hh` is a byte, IIS's `%uhhhh` a character (in
/// UTF-8), `+` a space where `plus` says so. Malformed escapes are kept as they are.
pub(crate) fn decode_into(src: &[u8], plus: Plus, out: &mut Vec<u8>) {
    let plus_from = match plus {
        Plus::Never => usize::MAX,
        Plus::Always => 0,
        Plus::InQuery => memchr(b'?', src).map_or(usize::MAX, |q| q + 1),
    };
    let mut i = 0;
    while i < src.len() {
        let Some(offset) = memchr2(b'%', b'+', &src[i..]) else {
            out.extend_from_slice(&src[i..]);
            return;
        };
        out.extend_from_slice(&src[i..i + offset]);
        i += offset;
        if src[i] == b'+' {
            out.push(if i >= plus_from { b' ' } else { b'+' });
            i += 1;
            continue;
        }
        if let Some(byte) = src.get(i + 1..i + 3).and_then(hex) {
            out.push(byte as u8);
            i += 3;
        } else if matches!(src.get(i + 1), Some(b'u' | b'U'))
            && let Some(unit) = src.get(i + 2..i + 6).and_then(hex)
        {
            let c = char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER);
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            i += 6;
        } else {
            out.push(b'%');
            i += 1;
        }
    }
}

fn hex(digits: &[u8]) -> Option<u32> {
    digits
        .iter()
        .try_fold(0u32, |n, &c| Some(n * 16 + (c as char).to_digit(16)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &str, plus: Plus) -> String {
        let mut out = Vec::new();
        decode_into(s.as_bytes(), plus, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn percent_escapes_and_plus() {
        assert_eq!(
            decode("%24%7Bjndi:ldap%3A//x%7d", Plus::Never),
            "${jndi:ldap://x}"
        );
        assert_eq!(decode("/a+b?q=c+d%2B", Plus::InQuery), "/a+b?q=c d+");
        assert_eq!(decode("q=c+d", Plus::Always), "q=c d");
        assert_eq!(decode("a+b", Plus::Never), "a+b");
        assert_eq!(decode("%u0027%U003c", Plus::Never), "'<");
        assert_eq!(decode("%uD800", Plus::Never), "\u{FFFD}");
        // Malformed escapes are kept.
        assert_eq!(decode("100%", Plus::Never), "100%");
        assert_eq!(decode("%zz%4", Plus::Never), "%zz%4");
        assert_eq!(decode("%%41", Plus::Never), "%A");
        assert_eq!(decode("%2541", Plus::Never), "%41");
    }

    #[test]
    fn decoding_is_needed_only_for_escapes() {
        assert!(!needs_decoding(b"/index.html", Plus::InQuery));
        assert!(!needs_decoding(b"/a+b", Plus::InQuery));
        assert!(needs_decoding(b"/a?b+c", Plus::InQuery));
        assert!(needs_decoding(b"/a%20b", Plus::Never));
        assert!(!needs_decoding(b"Mozilla/5.0 (+http://x)", Plus::Never));
    }
}
