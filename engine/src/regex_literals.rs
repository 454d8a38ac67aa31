//! The literals a regular expression cannot match without: a set of byte strings, ASCII
//! lowercased, one of which every text the expression matches holds (in any case). A
//! predicate made of regular expressions can then be triggered, and skipped, through
//! the field automata and the prefilter like a literal one ([`crate::fieldindex`]).
//!
//! The expression is parsed with the flags it is compiled with, and its syntax tree
//! walked: a concatenation holds the texts its runs of fixed characters spell, an
//! alternation one of its branches' literals, a repetition of at least one its body's.
//! A character class counts as fixed text only when it is a few characters: `(?i)k` is
//! `k`, `K` or the Kelvin sign `K`, which lowercasing `K` does not give, so all three
//! are kept. Anything the walk does not understand requires nothing, which is sound.

use regex_syntax::hir::{Class, Hir, HirKind};

/// At most this many strings in one set: a run of case-folded letters or an alternation
/// of many words is cut short rather than enumerated.
const MAX_SET: usize = 64;

/// At most this many characters in a class taken as fixed text.
const MAX_CLASS: u32 = 4;

/// The flags a Sigma `re` value is compiled with (see `sigma::detection`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Flags {
    pub case_insensitive: bool,
    pub multi_line: bool,
    pub dot_matches_new_line: bool,
}

/// Literals (lowercased, each at least two bytes) one of which every match of `pattern`
/// holds; empty when the expression needs none the walk can name, or does not parse.
pub(crate) fn required_literals(pattern: &str, flags: Flags) -> Vec<Vec<u8>> {
    let Ok(hir) = regex_syntax::ParserBuilder::new()
        .case_insensitive(flags.case_insensitive)
        .multi_line(flags.multi_line)
        .dot_matches_new_line(flags.dot_matches_new_line)
        .utf8(false)
        .build()
        .parse(pattern)
    else {
        return Vec::new();
    };
    let mut literals = needs(&hir).required.unwrap_or_default();
    literals.sort();
    literals.dedup();
    // A text holding `-enc` holds `-e`: the shorter one is all the set needs.
    let kept: Vec<Vec<u8>> = literals
        .iter()
        .filter(|long| {
            !literals
                .iter()
                .any(|short| short.len() < long.len() && contains(long, short))
        })
        .cloned()
        .collect();
    kept
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What one node of the tree matches.
struct Needs {
    /// Every text the node can match, when they are few (and so each is fixed).
    exact: Option<Vec<Vec<u8>>>,
    /// Literals one of which every match holds, when the walk found usable ones.
    required: Option<Vec<Vec<u8>>>,
}

impl Needs {
    const NOTHING: Needs = Needs {
        exact: None,
        required: None,
    };

    fn exact(texts: Vec<Vec<u8>>) -> Needs {
        Needs {
            required: usable(&texts).then(|| texts.clone()),
            exact: Some(texts),
        }
    }
}

fn needs(hir: &Hir) -> Needs {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Needs::exact(vec![Vec::new()]),
        HirKind::Literal(literal) => Needs::exact(vec![literal.0.to_ascii_lowercase()]),
        HirKind::Class(class) => class_texts(class).map_or(Needs::NOTHING, Needs::exact),
        HirKind::Capture(capture) => needs(&capture.sub),
        HirKind::Repetition(repetition) => {
            let body = needs(&repetition.sub);
            match (repetition.min, repetition.max) {
                (1, Some(1)) => body,
                (0, _) => Needs::NOTHING,
                _ => Needs {
                    exact: None,
                    required: body.required,
                },
            }
        }
        HirKind::Alternation(branches) => {
            let branches: Vec<Needs> = branches.iter().map(needs).collect();
            let union = |sets: Option<Vec<&Vec<Vec<u8>>>>| {
                let mut all: Vec<Vec<u8>> = sets?.into_iter().flatten().cloned().collect();
                all.sort();
                all.dedup();
                (all.len() <= MAX_SET).then_some(all)
            };
            let exact = union(branches.iter().map(|b| b.exact.as_ref()).collect());
            let required = union(branches.iter().map(|b| b.required.as_ref()).collect())
                .filter(|all| usable(all));
            Needs { exact, required }
        }
        HirKind::Concat(parts) => concat(parts),
    }
}

/// A concatenation: the runs of fixed parts spell fixed texts side by side; the best of
/// those and of the other parts' own literals is what the whole requires.
fn concat(parts: &[Hir]) -> Needs {
    let mut best: Option<Vec<Vec<u8>>> = None;
    let mut consider = |candidate: Option<Vec<Vec<u8>>>| {
        if let Some(candidate) = candidate.filter(|c| usable(c))
            && best.as_ref().is_none_or(|b| cost(&candidate) < cost(b))
        {
            best = Some(candidate);
        }
    };
    let mut run: Vec<Vec<u8>> = vec![Vec::new()];
    let mut whole_is_one_run = true;
    for part in parts {
        let part = needs(part);
        match part.exact {
            Some(texts) if run.len() * texts.len() <= MAX_SET => {
                run = run
                    .iter()
                    .flat_map(|head| {
                        texts.iter().map(move |tail| {
                            let mut joined = head.clone();
                            joined.extend_from_slice(tail);
                            joined
                        })
                    })
                    .collect();
                run.sort();
                run.dedup();
            }
            Some(texts) => {
                // Too many spellings: what came so far is one requirement, this part
                // starts the next.
                consider(Some(std::mem::replace(&mut run, texts)));
                whole_is_one_run = false;
            }
            None => {
                consider(Some(std::mem::replace(&mut run, vec![Vec::new()])));
                consider(part.required);
                whole_is_one_run = false;
            }
        }
    }
    if whole_is_one_run {
        return Needs::exact(run);
    }
    consider(Some(run));
    Needs {
        exact: None,
        required: best,
    }
}

/// The texts (lowercased) of a class of at most [`MAX_CLASS`] characters.
fn class_texts(class: &Class) -> Option<Vec<Vec<u8>>> {
    let (ranges, unicode): (Vec<(u32, u32)>, bool) = match class {
        Class::Unicode(class) => (
            class
                .ranges()
                .iter()
                .map(|r| (r.start().into(), r.end().into()))
                .collect(),
            true,
        ),
        Class::Bytes(class) => (
            class
                .ranges()
                .iter()
                .map(|r| (r.start().into(), r.end().into()))
                .collect(),
            false,
        ),
    };
    let count: u32 = ranges.iter().map(|(start, end)| end - start + 1).sum();
    if count > MAX_CLASS {
        return None;
    }
    let mut texts = Vec::new();
    for code in ranges.into_iter().flat_map(|(start, end)| start..=end) {
        let text = if unicode {
            let mut buffer = [0; 4];
            char::from_u32(code)?
                .encode_utf8(&mut buffer)
                .as_bytes()
                .to_vec()
        } else {
            vec![code as u8]
        };
        texts.push(text.to_ascii_lowercase());
    }
    texts.sort();
    texts.dedup();
    Some(texts)
}

/// Whether a set is worth requiring: no text in it is shorter than two bytes (a single
/// byte is in nearly every value) and it is not too large.
fn usable(set: &[Vec<u8>]) -> bool {
    !set.is_empty() && set.len() <= MAX_SET && set.iter().all(|text| text.len() >= 2)
}

/// How often a set is expected to be found: lower is more selective (judged, like the
/// prefilter's literals, in raw JSON form).
fn cost(set: &[Vec<u8>]) -> f64 {
    use crate::prefilter::literals::{literal_cost, raw_literal};
    set.iter()
        .map(|text| raw_literal(text).map_or(1.0, |raw| literal_cost(&raw)))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literals(pattern: &str, case_insensitive: bool) -> Vec<String> {
        let flags = Flags {
            case_insensitive,
            multi_line: false,
            dot_matches_new_line: false,
        };
        required_literals(pattern, flags)
            .into_iter()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .collect()
    }

    #[test]
    fn runs_of_fixed_text_are_required() {
        assert_eq!(literals(r"\\temp\\[^\\]+\.ps1$", false), [r"\temp\"]);
        assert_eq!(literals(r"^C:\\Windows\\.*\.EXE$", false), [r"c:\windows\"]);
        assert_eq!(
            literals(r"(cmd|PowerShell)\.exe", false),
            ["cmd.exe", "powershell.exe"]
        );
        assert_eq!(literals(r"[Ww]hoami", false), ["whoami"]);
        assert_eq!(
            literals(r"(?:-e|-enc)[a-z]* +[A-Za-z0-9+/=]{40,}", false),
            ["-e"]
        );
    }

    #[test]
    fn nothing_is_required_where_a_match_can_avoid_every_literal() {
        assert!(literals(r"a|bcd", false).is_empty());
        assert!(literals(r"(abc)?", false).is_empty());
        assert!(literals(r".*", false).is_empty());
        assert!(literals(r"[a-z]{3}\d+", false).is_empty());
        assert!(literals(r"(unclosed", false).is_empty());
    }

    #[test]
    fn repetitions_of_at_least_one_require_their_body() {
        assert_eq!(literals(r"x(abc)+y", false), ["abc"]);
        assert_eq!(literals(r"(ab){2,}", false), ["ab"]);
    }

    #[test]
    fn case_folding_keeps_the_non_ascii_forms_of_k_and_s() {
        // `(?i)k` also matches the Kelvin sign, which ASCII lowercasing leaves as it is.
        let kelvin = "\u{212a}";
        let found = literals("(?i)kit", false);
        assert!(found.contains(&"kit".to_string()), "{found:?}");
        assert!(found.contains(&format!("{kelvin}it")), "{found:?}");
        assert_eq!(literals("iex", true), ["iex"]);
    }

    /// Every text a regular expression matches holds one of its required literals, on
    /// texts built from its own pieces (so that many of them match).
    #[test]
    fn every_match_holds_a_required_literal() {
        let patterns: [(&str, &[&str]); 6] = [
            (
                r"(?i)invoke-(expression|webrequest)",
                &["invoke-", "Expression", "WEBREQUEST", "x", "Invoke"],
            ),
            (
                r"\\(cmd|powershell)\.exe\s+/c",
                &["\\cmd", "\\PowerShell", ".exe", " ", "/c"],
            ),
            (
                r"[Nn]et\d?\s+user.*/add",
                &["Net", "net1", "user", " ", "/add", "x"],
            ),
            (r"(?i)(iex|i`ex)\s*\(", &["iex", "I`EX", "(", " ", "i"]),
            (r"^(ab|cd)+(ef|gh)$", &["ab", "cd", "ef", "gh", "a"]),
            (
                r"(?i)mimi[kK]atz",
                &["MIMI", "\u{212a}atz", "katz", "mimi", "x"],
            ),
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (pattern, pieces) in patterns {
            let required = required_literals(
                pattern,
                Flags {
                    case_insensitive: false,
                    multi_line: false,
                    dot_matches_new_line: false,
                },
            );
            assert!(!required.is_empty(), "{pattern}");
            let regex = regex::bytes::Regex::new(pattern).unwrap();
            let mut matched = 0;
            for _ in 0..50_000 {
                let mut text = String::new();
                for _ in 0..(next() % 6 + 1) {
                    text.push_str(pieces[(next() % pieces.len() as u64) as usize]);
                }
                if !regex.is_match(text.as_bytes()) {
                    continue;
                }
                matched += 1;
                let lowered = text.as_bytes().to_ascii_lowercase();
                assert!(
                    required.iter().any(|l| contains(&lowered, l)),
                    "{pattern} matched {text:?} without any of {required:?}"
                );
            }
            assert!(matched >= 20, "{pattern} matched only {matched} texts");
        }
    }
}
