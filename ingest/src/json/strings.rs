//! Walking every string value of a document (not its keys), for keyword searches.

use super::quote::find_quote_or_backslash;
use super::unescape_into;

/// Calls `f` with each string value of the JSON text `input` (unescaped), stopping at the
/// first for which it returns `true`; returns whether one did. The text was validated
/// when it was parsed; on malformed text the walk just ends early.
pub(crate) fn any_string_value(input: &[u8], f: &mut dyn FnMut(&[u8]) -> bool) -> bool {
    let mut buffer = Vec::new();
    let mut at = 0;
    while let Some(offset) = memchr::memchr(b'"', &input[at..]) {
        let start = at + offset + 1;
        // Find the closing quote, skipping escapes.
        let mut end = start;
        let mut escaped = false;
        loop {
            let Some(found) = find_quote_or_backslash(input, end) else {
                return false;
            };
            end = found;
            if input[end] == b'"' {
                break;
            }
            escaped = true;
            end += 2;
            if end >= input.len() {
                return false;
            }
        }
        at = end + 1;
        // A key is followed by ':'; anything else is a value.
        let next = input[at..].iter().find(|b| !b.is_ascii_whitespace());
        if next == Some(&b':') {
            continue;
        }
        let raw = &input[start..end];
        let found = if escaped {
            buffer.clear();
            unescape_into(raw, &mut buffer);
            f(&buffer)
        } else {
            f(raw)
        };
        if found {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_values_not_keys() {
        let mut seen = Vec::new();
        any_string_value(
            br#"{"a":"x","b":{"c":["y\\z",1,"w"]},"d" : "q\"r"}"#,
            &mut |s| {
                seen.push(String::from_utf8_lossy(s).into_owned());
                false
            },
        );
        assert_eq!(seen, ["x", r"y\z", "w", "q\"r"]);
    }

    #[test]
    fn stops_at_the_first_hit_and_survives_garbage() {
        let mut n = 0;
        assert!(any_string_value(
            br#"{"a":"x","b":"hit","c":"z"}"#,
            &mut |s| {
                n += 1;
                s == b"hit"
            }
        ));
        assert_eq!(n, 2);
        assert!(!any_string_value(br#"{"a":"unterminated\"#, &mut |_| true));
    }
}
