//! JSON string unescaping into a reused buffer.

use super::quote::find_backslash;

/// Appends the unescaped form of `raw` (the bytes between a JSON string's quotes, whose
/// escapes the scanner has already validated) to `out`.
///
/// `\uXXXX` becomes UTF-8; a surrogate pair becomes one code point; an unpaired
/// surrogate becomes U+FFFD, so that the output never holds an encoded surrogate.
/// Bytes that are not escapes are copied as they are, valid UTF-8 or not: matching is
/// done on bytes.
pub(crate) fn unescape_into(raw: &[u8], out: &mut Vec<u8>) {
    let mut rest = raw;
    while let Some(at) = find_backslash(rest, 0) {
        out.extend_from_slice(&rest[..at]);
        let (consumed, code) = escape_at(&rest[at..]);
        match code {
            Escape::Byte(b) => out.push(b),
            Escape::Char(c) => {
                let mut utf8 = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
        }
        rest = &rest[at + consumed..];
    }
    out.extend_from_slice(rest);
}

enum Escape {
    Byte(u8),
    Char(char),
}

/// Decodes the escape at the start of `s` (which begins with `\`); returns the bytes
/// consumed and what they stand for. Tolerates truncated input (never panics).
fn escape_at(s: &[u8]) -> (usize, Escape) {
    let Some(&kind) = s.get(1) else {
        return (1, Escape::Byte(b'\\'));
    };
    let byte = match kind {
        b'"' => b'"',
        b'\\' => b'\\',
        b'/' => b'/',
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'u' => return unicode_escape(s),
        other => return (2, Escape::Byte(other)),
    };
    (2, Escape::Byte(byte))
}

fn unicode_escape(s: &[u8]) -> (usize, Escape) {
    let Some(first) = hex4(s.get(2..6)) else {
        return (2, Escape::Byte(b'u'));
    };
    if (0xD800..0xDC00).contains(&first) {
        // A high surrogate: a pair only if a low surrogate escape follows.
        if s.get(6) == Some(&b'\\')
            && s.get(7) == Some(&b'u')
            && let Some(second) = hex4(s.get(8..12))
            && (0xDC00..0xE000).contains(&second)
        {
            let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            return (12, Escape::Char(char::from_u32(code).unwrap_or('\u{FFFD}')));
        }
        return (6, Escape::Char('\u{FFFD}'));
    }
    (6, Escape::Char(char::from_u32(first).unwrap_or('\u{FFFD}')))
}

fn hex4(digits: Option<&[u8]>) -> Option<u32> {
    let digits = digits?;
    let mut value = 0u32;
    for &d in digits {
        value = value * 16 + (d as char).to_digit(16)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unescape(raw: &str) -> Vec<u8> {
        let mut out = Vec::new();
        unescape_into(raw.as_bytes(), &mut out);
        out
    }

    #[test]
    fn simple_escapes() {
        assert_eq!(unescape(r#"C:\\Windows\\cmd.exe"#), br"C:\Windows\cmd.exe");
        assert_eq!(unescape(r#"a\"b\/c\n\t\r\b\f"#), b"a\"b/c\n\t\r\x08\x0c");
        assert_eq!(unescape("plain"), b"plain");
    }

    #[test]
    fn unicode_escapes_and_surrogates() {
        assert_eq!(unescape(r"\u0041\u00e9"), "Aé".as_bytes());
        assert_eq!(unescape(r"\ud83d\ude00"), "😀".as_bytes());
        assert_eq!(unescape(r"x\ud800y"), "x\u{FFFD}y".as_bytes());
        assert_eq!(unescape(r"\ude00"), "\u{FFFD}".as_bytes());
        assert_eq!(unescape(r"\ud800\u0041"), "\u{FFFD}A".as_bytes());
    }

    #[test]
    fn truncated_escapes_do_not_panic() {
        for raw in [r"\", r"\u", r"\u12", r"\ud800\", r"\ud800\u12"] {
            let _ = unescape(raw);
        }
    }
}
