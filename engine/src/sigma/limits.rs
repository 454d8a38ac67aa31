//! Hostile rule text refused before it is parsed: texts too large, YAML flow collections
//! nested too deep (the YAML parser slows down quadratically with depth before its own
//! recursion limit stops it), chains of `not` (the condition parser recurses once per
//! `not`, so a long chain overflows the stack) and conditions of many operators (its time
//! grows with their square). Refusals name the rule as far as a plain look at the text
//! can tell ([`document_label`]).

/// Largest rule text (one file) accepted, in bytes.
pub(crate) const MAX_RULE_TEXT: usize = 8 << 20;
/// Deepest nesting of YAML flow collections (`[...]`, `{...}`) accepted.
pub(crate) const MAX_FLOW_DEPTH: usize = 64;
/// Longest chain of `not` (separated by spaces or opening parentheses) accepted.
pub(crate) const MAX_NOT_CHAIN: usize = 4;
/// Most `and`/`or` in one condition (SigmaHQ's rules have at most 35).
pub(crate) const MAX_CONDITION_OPERATORS: usize = 256;
/// Longest error reason kept from the parser: its messages may quote the whole input.
const MAX_REASON: usize = 400;

/// Why `text` is refused without being parsed, if it is.
pub(crate) fn check(text: &str) -> Result<(), String> {
    if text.len() > MAX_RULE_TEXT {
        return Err(format!(
            "rule text of {} bytes is larger than the limit of {MAX_RULE_TEXT} bytes",
            text.len()
        ));
    }
    let depth = flow_depth(text.as_bytes());
    if depth > MAX_FLOW_DEPTH {
        return Err(format!(
            "YAML collections nested {depth} deep, more than the limit of {MAX_FLOW_DEPTH}"
        ));
    }
    let chain = not_chain(text.as_bytes());
    if chain > MAX_NOT_CHAIN {
        return Err(format!(
            "a chain of {chain} `not` in a row, more than the limit of {MAX_NOT_CHAIN}"
        ));
    }
    let operators = condition_operators(text);
    if operators > MAX_CONDITION_OPERATORS {
        return Err(format!(
            "a condition of {operators} `and`/`or`, more than the limit of {MAX_CONDITION_OPERATORS}"
        ));
    }
    Ok(())
}

/// The most `and`/`or` words in one condition: from a `condition:` key to the end of its
/// value (the lines indented deeper than the key).
fn condition_operators(text: &str) -> usize {
    let mut most = 0;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let body = line.trim_start();
        let Some(value) = body.strip_prefix("condition:") else {
            continue;
        };
        let indent = line.len() - body.len();
        let mut count = operators(value);
        while let Some(next) =
            lines.next_if(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
        {
            count += operators(next);
        }
        most = most.max(count);
    }
    most
}

fn operators(text: &str) -> usize {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| *word == "and" || *word == "or")
        .count()
}

/// The deepest nesting of `[`/`{` outside quoted scalars and comments.
fn flow_depth(text: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut i = 0;
    while i < text.len() {
        let starts_token = i == 0
            || matches!(
                text[i - 1],
                b' ' | b'\t' | b'\n' | b'\r' | b'[' | b'{' | b',' | b':'
            );
        match text[i] {
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'#' if starts_token => i = line_end(text, i),
            b'\'' if starts_token => i = single_quoted_end(text, i + 1),
            b'"' if starts_token => i = double_quoted_end(text, i + 1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

fn line_end(text: &[u8], from: usize) -> usize {
    memchr::memchr(b'\n', &text[from..]).map_or(text.len(), |n| from + n)
}

/// The index of the quote closing a single-quoted scalar whose content starts at `from`
/// (`''` is an escaped quote).
fn single_quoted_end(text: &[u8], mut from: usize) -> usize {
    while let Some(n) = memchr::memchr(b'\'', &text[from..]) {
        let at = from + n;
        if text.get(at + 1) == Some(&b'\'') {
            from = at + 2;
        } else {
            return at;
        }
    }
    text.len()
}

/// The index of the quote closing a double-quoted scalar whose content starts at `from`.
fn double_quoted_end(text: &[u8], mut from: usize) -> usize {
    while let Some(n) = memchr::memchr2(b'"', b'\\', &text[from..]) {
        let at = from + n;
        if text[at] == b'\\' {
            from = at + 2;
            if from >= text.len() {
                break;
            }
        } else {
            return at;
        }
    }
    text.len()
}

/// The longest run of the word `not` separated only by whitespace and `(`.
fn not_chain(text: &[u8]) -> usize {
    let (mut run, mut longest) = (0usize, 0usize);
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if b.is_ascii_alphanumeric() || b == b'_' {
            let start = i;
            while i < text.len() && (text[i].is_ascii_alphanumeric() || text[i] == b'_') {
                i += 1;
            }
            if &text[start..i] == b"not" {
                run += 1;
                longest = longest.max(run);
            } else {
                run = 0;
            }
            continue;
        }
        if !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'(') {
            run = 0;
        }
        i += 1;
    }
    longest
}

/// How errors name the rule of a text that could not be parsed: its top-level `id`, else
/// `name`, else `title` (as compiled rules are named), for a text of one document.
pub(crate) fn document_label(text: &str) -> Option<String> {
    if text.contains("\n---") {
        return None;
    }
    let top = |key: &str| {
        text.lines().find_map(|line| {
            let value = line.strip_prefix(key)?.strip_prefix(':')?.trim();
            let value = value.trim_matches(|c| c == '\'' || c == '"');
            (!value.is_empty()).then(|| value.chars().take(120).collect::<String>())
        })
    };
    top("id").or_else(|| top("name")).or_else(|| top("title"))
}

/// A parser's error message, cut to a readable length.
pub(crate) fn shorten(reason: String) -> String {
    if reason.len() <= MAX_REASON {
        return reason;
    }
    let mut end = MAX_REASON;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &reason[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_depth_ignores_quotes_and_comments() {
        assert_eq!(flow_depth(b"a: [[1], {b: [2]}]"), 3);
        assert_eq!(flow_depth(b"a: '[[[['\nb: \"[[\\\"[[\" # [[[[\nc: [x]"), 1);
        assert_eq!(flow_depth(b"a: it's [x] 'y''[[' [z]"), 1);
        assert_eq!(flow_depth(&[b'['; 100]), 100);
    }

    #[test]
    fn not_chains_count_words_not_letters() {
        assert_eq!(not_chain(b"sel and not filter"), 1);
        assert_eq!(not_chain(b"not not (not\n not x) and not y"), 4);
        assert_eq!(not_chain(b"nothing not knot not_a note"), 1);
        assert_eq!(not_chain(b"not, not, not"), 1);
    }

    #[test]
    fn operators_are_counted_per_condition() {
        let text = "detection:\n  condition: a and b or\n    c and\n\n    d\n  x: e and f\n";
        assert_eq!(condition_operators(text), 3);
        let text = "  condition:\n    - a or b\n    - c or d or e\n  condition: a or b or c or d or e or f";
        assert_eq!(condition_operators(text), 5);
        assert_eq!(condition_operators("description: and or and or\n"), 0);
    }

    #[test]
    fn labels_come_from_top_level_keys() {
        assert_eq!(
            document_label("title: T\nname: n\nid: 'abc'\n").as_deref(),
            Some("abc")
        );
        assert_eq!(
            document_label("title: T\n  name: x\n").as_deref(),
            Some("T")
        );
        assert_eq!(document_label("title: a\n---\ntitle: b\n"), None);
        assert_eq!(shorten("é".repeat(300)).chars().count(), 201);
    }
}
