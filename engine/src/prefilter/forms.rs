//! What the gate searches for each literal: its rare middle (see [`searched_part`]),
//! in every form JSON can write it (see [`escaped_forms`]).

use super::literals::literal_cost;

/// Everything searched for `literal` (raw form, lowercase): any of them in a line may
/// be the literal.
pub(super) fn searched(literal: &[u8]) -> Vec<Vec<u8>> {
    escaped_forms(searched_part(literal))
}

/// The part of a literal searched for: without leading and trailing punctuation, which
/// the first bytes of most literals share (`\\` of paths) and which would make the SIMD
/// searcher's fingerprints match everywhere. A substring of a required literal is still
/// required, so this keeps the prefilter sound. Quotes stay: only the kind markers have
/// them (`"web"`), and without them they would match everywhere.
fn searched_part(literal: &[u8]) -> &[u8] {
    let kept = |b: &u8| b.is_ascii_alphanumeric() || *b == b'"';
    let start = literal.iter().position(kept).unwrap_or(0);
    let end = literal
        .iter()
        .rposition(kept)
        .map_or(literal.len(), |e| e + 1);
    if end > start && end - start >= 3 {
        &literal[start..end]
    } else {
        literal
    }
}

/// What is searched for a raw-form literal (`\` written `\\`). Without a `/`, its
/// longest run between backslashes when that is as rare as a literal should be (6 bytes
/// or more, not part of a ubiquitous token: `clientaccess` of `\ClientAccess\owa\`, but
/// not `windows` of `\Windows\Temp\`): it reads the same however many times the text was
/// escaped. Otherwise every form it can take in a line: as it is, with its slashes
/// escaped, and either of those escaped again as the text of a JSON string holding
/// embedded event data (the engine reads one level of embedding; a string embedded
/// deeper is not parsed into fields).
fn escaped_forms(part: &[u8]) -> Vec<Vec<u8>> {
    let mut forms = vec![part.to_vec()];
    if !part.iter().any(|b| matches!(b, b'\\' | b'/')) {
        return forms;
    }
    if !part.contains(&b'/')
        && let Some(run) = part
            .split(|b| *b == b'\\')
            .max_by_key(|run| run.len())
            .filter(|run| run.len() >= 6 && literal_cost(run) < 1.0)
    {
        return vec![run.to_vec()];
    }
    let slashes_escaped = escape_each(part, b'/');
    for once in [part.to_vec(), slashes_escaped.clone()] {
        let twice = escape_each(&once, b'\\');
        forms.push(escape_each(&twice, b'/'));
        forms.push(twice);
    }
    forms.push(slashes_escaped);
    forms.sort();
    forms.dedup();
    forms
}

/// `literal` with every `byte` written after a backslash: `/` as `\/` (optional JSON
/// escaping), `\` as `\\` (the escaping of a JSON string holding the text).
fn escape_each(literal: &[u8], byte: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(literal.len() + 4);
    for b in literal {
        if *b == byte {
            out.push(b'\\');
        }
        out.push(*b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_backslashes_make_a_run_or_every_escaped_form() {
        let forms = |l: &str| {
            escaped_forms(l.as_bytes())
                .into_iter()
                .map(|f| String::from_utf8(f).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(forms(r"clientaccess\\owa"), ["clientaccess"]);
        assert_eq!(
            forms(r"windows\\temp"),
            [r"windows\\\\temp", r"windows\\temp"]
        );
        assert_eq!(forms("w3wp.exe"), ["w3wp.exe"]);
        assert_eq!(
            forms("var/www"),
            ["var/www", r"var\/www", r"var\\/www", r"var\\\/www"]
        );
    }
}
