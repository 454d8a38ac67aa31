//! The literal prefilter: before any JSON is parsed, a line is skipped when it contains
//! none of the literals the rules need (see [`literals`]). Like ripgrep's matchers it may
//! say "candidate" wrongly, never "skip" wrongly: a line is always a candidate when
//!
//! * a rule has no usable literal (the prefilter is then off: every line is parsed);
//! * it holds a `\u00XX` escape of an ASCII character, which could spell a literal
//!   differently (escapes of other characters cannot touch the ASCII-only literals);
//! * it does not look like one JSON object (first byte `{`, last `}`), so that malformed
//!   and non-JSON lines still reach the parser and are rejected or read with a reason.
//!
//! A literal with a `/` is looked for both as written and with every `/` escaped (`\/`):
//! JSON encoders escape either every slash (PHP's default) or none. Event data embedded
//! as a JSON string (Sentinel's `EventData`) is escaped a second time: there
//! `frontend\\httpproxy` reads `frontend\\\\httpproxy`, which does not contain the
//! first, so a literal is searched for by its longest run between backslashes, or else in
//! its twice-escaped forms too (see [`forms`]).
//!
//! Case-insensitive search stays at SIMD speed: on CPUs with AVX-512 VBMI the caseless
//! window searcher reads the raw bytes (see [`caseless`]); elsewhere the block is
//! lowercased once into a scratch buffer and searched with lowercase literals by Teddy.

#[allow(unsafe_code)]
mod caseless;
mod forms;
mod grams;
pub(crate) mod literals;
mod search;

use crate::ir::{Expr, Predicate};
use crate::sigma::logsource::Route;
use literals::{Requirement, rule_requirement};
use search::Searcher;

/// Bytes of a block lowercased and searched at a time (then cut at the next newline).
const SLICE: usize = 128 << 10;

/// The bytes that start a JSON `\u` escape of a code point below 0x100.
const ESCAPE: &[u8] = b"\\u00";

/// The JSON `\u` escapes that can spell an ASCII character, as literals (`\u0000` to
/// `\u007F` start with these).
const ASCII_ESCAPES: [&[u8]; 8] = [
    b"\\u000", b"\\u001", b"\\u002", b"\\u003", b"\\u004", b"\\u005", b"\\u006", b"\\u007",
];

/// A set of literals searched for in raw JSON lines, soundly: [`LiteralGate::may_hold`]
/// says "no" only when no JSON string of the line can hold any of the literals.
#[derive(Debug)]
pub(crate) struct LiteralGate {
    searcher: Searcher,
    /// Index of the `\u00` pattern among the searcher's literals, whose next digit says
    /// whether it is an ASCII escape; `None` when the searcher has the ASCII escapes as
    /// literals of their own (every hit counts then).
    escape: Option<usize>,
}

impl LiteralGate {
    /// The gate for `literals` in raw JSON form (lowercase, `\` doubled: see
    /// [`literals::raw_literal`]); `None` when the searcher cannot be built.
    pub fn new<'l>(literals: impl IntoIterator<Item = &'l [u8]>) -> Option<LiteralGate> {
        let mut searched: Vec<Vec<u8>> = Vec::new();
        for literal in literals {
            searched.extend(forms::searched(literal));
        }
        searched.sort();
        searched.dedup();
        // Longest first: measured, it gives Teddy's buckets fewer false fingerprint hits
        // than sorted order (0.21 s against 0.50 s for the pack's 25 literals over 1 GB).
        searched.sort_by_key(|l| std::cmp::Reverse(l.len()));
        let mut with_escapes: Vec<&[u8]> = searched.iter().map(Vec::as_slice).collect();
        with_escapes.extend(ASCII_ESCAPES);
        if let Some(searcher) = Searcher::caseless(&with_escapes) {
            return Some(LiteralGate {
                searcher,
                escape: None,
            });
        }
        // The escape comes last.
        let escape = searched.len();
        searched.push(ESCAPE.to_vec());
        let searched: Vec<&[u8]> = searched.iter().map(Vec::as_slice).collect();
        Some(LiteralGate {
            searcher: Searcher::new(&searched)?,
            escape: Some(escape),
        })
    }

    /// Whether [`may_hold`](LiteralGate::may_hold) and the scan need the line lowercased.
    pub fn needs_lowercase(&self) -> bool {
        self.searcher.needs_lowercase()
    }

    /// Which searcher runs, for reports.
    pub fn searcher_kind(&self) -> &'static str {
        self.searcher.kind()
    }

    /// The position of a literal (or ASCII escape) in the first line of `searched` (the
    /// bytes, lowercased if [`needs_lowercase`](LiteralGate::needs_lowercase)) that has
    /// one at or after `from`.
    fn next_hit(&self, searched: &[u8], mut from: usize) -> Option<usize> {
        while from < searched.len() {
            let found = self.searcher.find(searched, from)?;
            if Some(found.pattern) != self.escape {
                return Some(found.start);
            }
            // `\u00X?`: an ASCII character when X is 0-7. Others cannot hide a literal.
            if searched
                .get(found.end)
                .is_some_and(|digit| (b'0'..=b'7').contains(digit))
            {
                return Some(found.start);
            }
            from = found.start + 1;
        }
        None
    }

    /// Whether `line` (its bytes in `searched`, lowercased if
    /// [`needs_lowercase`](LiteralGate::needs_lowercase)) may hold one of the literals: it
    /// has one, or an ASCII escape, or is not one JSON object.
    pub fn may_hold(&self, line: &[u8], searched: &[u8]) -> bool {
        self.next_hit(searched, 0).is_some() || !looks_like_an_object(line)
    }
}

/// The compiled prefilter of a rule set.
#[derive(Debug)]
pub(crate) struct Prefilter {
    /// `None` when some rule needs every line: then nothing is skipped.
    gate: Option<LiteralGate>,
    /// What each detection rule needs, in rule order (for `--explain-prefilter`).
    pub requirements: Vec<Requirement>,
}

/// Per-thread buffer for the lowercased block.
#[derive(Debug, Default)]
pub(crate) struct PrefilterScratch {
    lowered: Vec<u8>,
}

impl Prefilter {
    /// The prefilter for detection rules given as (condition, route) pairs.
    pub fn new<'r>(
        rules: impl Iterator<Item = (&'r Expr, &'r Route)>,
        predicates: &[Predicate],
    ) -> Prefilter {
        let requirements: Vec<Requirement> = rules
            .map(|(condition, route)| rule_requirement(condition, route, predicates))
            .collect();
        let usable = !requirements.is_empty()
            && requirements
                .iter()
                .all(|r| matches!(r, Requirement::OneOf(_)));
        let literals = requirements.iter().flat_map(|r| match r {
            Requirement::OneOf(set) => set.as_slice(),
            Requirement::Any => &[],
        });
        let gate = if usable {
            LiteralGate::new(literals.map(Vec::as_slice))
        } else {
            None
        };
        Prefilter { gate, requirements }
    }

    /// Which searcher runs, for reports.
    pub fn searcher_kind(&self) -> Option<&'static str> {
        self.gate.as_ref().map(LiteralGate::searcher_kind)
    }

    /// Whether any line can be skipped at all.
    pub fn is_active(&self) -> bool {
        self.gate.is_some()
    }

    /// Calls `line(start, end, candidate)` for each line of `block` (complete lines, each
    /// ending with `\n`; `end` excludes it), in order.
    pub fn scan(
        &self,
        block: &[u8],
        scratch: &mut PrefilterScratch,
        mut line: impl FnMut(usize, usize, bool),
    ) {
        let Some(gate) = &self.gate else {
            every_line(block, line);
            return;
        };
        // A slice of lines at a time, so that its lowercase copy stays in cache between
        // lowering and searching.
        let mut offset = 0;
        let mut bypass = Bypass::default();
        while offset < block.len() {
            let cut = (offset + SLICE).min(block.len());
            let end = match memchr::memchr(b'\n', &block[cut - 1..]) {
                Some(i) => cut + i,
                None => block.len(),
            };
            let slice = &block[offset..end];
            if bypass.skip_search() {
                every_line(slice, |start, end, candidate| {
                    line(offset + start, offset + end, candidate)
                });
                offset = end;
                continue;
            }
            let mut skipped = false;
            let searched = if gate.needs_lowercase() {
                lower_into(&mut scratch.lowered, slice)
            } else {
                slice
            };
            let mut next = gate.next_hit(searched, 0);
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', slice) {
                let candidate = match next {
                    Some(hit) if hit < end => {
                        next = gate.next_hit(searched, end + 1);
                        true
                    }
                    _ => !looks_like_an_object(&slice[start..end]),
                };
                skipped |= !candidate;
                line(offset + start, offset + end, candidate);
                start = end + 1;
            }
            bypass.searched(skipped);
            offset = end;
        }
    }

    /// Whether one line (without its terminator) is a candidate.
    pub fn is_candidate(&self, line: &[u8], scratch: &mut PrefilterScratch) -> bool {
        let Some(gate) = &self.gate else {
            return true;
        };
        let searched = if gate.needs_lowercase() {
            lower_into(&mut scratch.lowered, line)
        } else {
            line
        };
        gate.may_hold(line, searched)
    }
}

/// When to stop searching a block whose lines are all candidates anyway (a rule set where
/// most lines hold a literal, like SigmaHQ's `rules/windows` on process starts): after a
/// searched slice that skipped no line, the next 1, 2, 4, ... up to [`Bypass::MAX`] slices
/// are passed whole, then one is searched again; a slice that skips a line starts over.
/// Passing lines unsearched only makes more candidates, so it is always sound. It starts
/// afresh with each block, so that verdicts depend on the block alone, not on the blocks a
/// thread happened to scan before.
#[derive(Debug, Default)]
struct Bypass {
    /// Slices passed whole after the last search that skipped none.
    streak: u32,
    /// Slices still to pass whole.
    left: u32,
}

impl Bypass {
    const MAX: u32 = 64;

    /// Whether the next slice is passed whole, unsearched.
    fn skip_search(&mut self) -> bool {
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        true
    }

    /// A slice was searched; `skipped` whether some line of it was skipped.
    fn searched(&mut self, skipped: bool) {
        self.streak = if skipped {
            0
        } else {
            (self.streak * 2).clamp(1, Self::MAX)
        };
        self.left = self.streak;
    }
}

/// Calls `line(start, end, true)` for each line of `block` (complete lines, each ending
/// with `\n`; `end` excludes it): every line a candidate.
pub(crate) fn every_line(block: &[u8], mut line: impl FnMut(usize, usize, bool)) {
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', block) {
        line(start, end, true);
        start = end + 1;
    }
}

/// `bytes` lowercased into `buffer`.
pub(crate) fn lower_into<'b>(buffer: &'b mut Vec<u8>, bytes: &[u8]) -> &'b [u8] {
    buffer.clear();
    buffer.extend(bytes.iter().map(u8::to_ascii_lowercase));
    buffer
}

/// A cheap shape check for lines about to be skipped: one JSON object, `{ ... }`.
fn looks_like_an_object(line: &[u8]) -> bool {
    let line = line.trim_ascii();
    line.first() == Some(&b'{') && line.last() == Some(&b'}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Literal, Pattern, PredId, Test};
    use tripline_ingest::FieldId;

    fn prefilter(literals: &[&str]) -> Prefilter {
        let predicates = vec![Predicate {
            field: FieldId(0),
            test: Test::Patterns {
                patterns: literals
                    .iter()
                    .map(|l| {
                        Pattern::Exact(Literal {
                            bytes: l.as_bytes().into(),
                            cased: false,
                        })
                    })
                    .collect(),
                all: false,
            },
        }];
        let condition = Expr::Pred(PredId(0));
        let route = Route::default();
        Prefilter::new([(&condition, &route)].into_iter(), &predicates)
    }

    fn verdicts(p: &Prefilter, text: impl AsRef<str>) -> Vec<bool> {
        let text = text.as_ref();
        let mut out = Vec::new();
        p.scan(
            text.as_bytes(),
            &mut PrefilterScratch::default(),
            |_, _, c| out.push(c),
        );
        out
    }

    #[test]
    fn lines_without_literals_are_skipped_case_insensitively() {
        let p = prefilter(&[r"\w3wp.exe"]);
        let text = concat!(
            r#"{"ParentImage":"C:\\Windows\\System32\\inetsrv\\W3WP.EXE"}"#,
            "\n",
            r#"{"ParentImage":"C:\\Windows\\explorer.exe"}"#,
            "\n",
            r#"{"x":"w3wp.exe without the backslash"}"#,
            "\n",
            r#"{"x":"w3wp"}"#,
            "\n",
        );
        // The search looks for `w3wp.exe` (punctuation trimmed): the third line is a
        // candidate the rule will reject — wrong candidates are allowed, wrong skips not.
        assert_eq!(verdicts(&p, text), [true, false, true, false]);
    }

    #[test]
    fn ascii_escapes_and_odd_shapes_are_never_skipped() {
        let p = prefilter(&["whoami"]);
        let text = concat!(
            r#"{"c":"\u0077hoami"}"#,
            "\n", // an escaped 'w'
            r#"{"p":"Microsoft\u00ae"}"#,
            "\n", // a non-ASCII escape cannot hide 'whoami'
            r#"{"truncated":"#,
            "\n",
            "\n",
            "127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326\n",
            r#"  {"ok":1}  "#,
            "\n",
        );
        assert_eq!(verdicts(&p, text), [true, false, true, true, true, false]);
    }

    #[test]
    fn a_literal_with_slashes_is_found_escaped_too() {
        let p = prefilter(&["/var/www/"]);
        let text = concat!(
            r#"{"f":"\/var\/www\/shell.php"}"#,
            "\n",
            r#"{"f":"/var/www/shell.php"}"#,
            "\n",
            r#"{"f":"\/etc\/passwd"}"#,
            "\n",
            r#"{"f":"/etc/passwd"}"#,
            "\n",
        );
        assert_eq!(verdicts(&p, text), [true, true, false, false]);
    }

    #[test]
    fn literals_are_found_in_event_data_embedded_as_a_string() {
        let p = prefilter(&[r"\FrontEnd\HttpProxy\", "/var/www/"]);
        // Sentinel's EventData: the event's own JSON, as the text of a string.
        let text = concat!(
            r#"{"EventData":"{\"TargetFilename\":\"C:\\\\x\\\\FrontEnd\\\\HttpProxy\\\\a.aspx\"}"}"#,
            "\n",
            r#"{"EventData":"{\"TargetFilename\":\"\/var\/www\/a.php\"}"}"#,
            "\n",
            r#"{"EventData":"{\"TargetFilename\":\"\\\/var\\\/www\\\/a.php\"}"}"#,
            "\n",
            r#"{"EventData":"{\"TargetFilename\":\"C:\\\\x\\\\FrontEnd\\\\a.aspx\"}"}"#,
            "\n",
        );
        assert_eq!(verdicts(&p, text), [true, true, true, false]);
    }

    #[test]
    fn a_rule_without_literals_turns_the_prefilter_off() {
        let p = prefilter(&[""]);
        assert!(!p.is_active());
        assert_eq!(verdicts(&p, "{\"a\":1}\n{\"b\":2}\n"), [true, true]);
    }

    /// `count` lines of about 1 KB, naming `whoami` when `hit`.
    fn lines(count: usize, hit: bool) -> String {
        let word = if hit { "whoami" } else { "dir" };
        let line = format!("{{\"c\":\"{word} {}\"}}\n", "x".repeat(1000));
        line.repeat(count)
    }

    #[test]
    fn blocks_where_every_line_is_a_candidate_are_passed_unsearched_but_soundly() {
        let p = prefilter(&["whoami"]);
        let mut scratch = PrefilterScratch::default();
        // 6 MB of candidates, then 6 MB without the literal, then candidates again.
        let text = lines(6000, true) + &lines(6000, false) + &lines(500, true);
        let got = verdicts(&p, &text);
        let single: Vec<bool> = text
            .lines()
            .map(|l| p.is_candidate(l.as_bytes(), &mut scratch))
            .collect();
        assert_eq!(got.len(), single.len());
        // Never a skip where the line may hold a literal.
        assert!(got.iter().zip(&single).all(|(bulk, one)| *bulk || !*one));
        // The unsearched stretch ends: after 6 MB of candidates (47 slices of 128 KiB,
        // the last search at the 37th), 32 slices pass whole, then searching resumes and
        // skips the rest of the lines without the literal.
        let skipped = got[6000..12000].iter().filter(|c| !**c).count();
        assert!(skipped > 2000, "{skipped} skipped after the candidates");
        assert!(skipped < 6000, "the candidates' slices did not pass whole");
        assert!(got[..6000].iter().chain(&got[12000..]).all(|c| *c));
        // A block of lines without the literal is searched throughout: all skipped.
        assert!(verdicts(&p, lines(3000, false)).iter().all(|c| !*c));
    }

    #[test]
    fn single_lines_get_the_same_verdict() {
        let p = prefilter(&["whoami"]);
        let mut scratch = PrefilterScratch::default();
        assert!(p.is_candidate(br#"{"c":"WHOAMI"}"#, &mut scratch));
        assert!(!p.is_candidate(br#"{"c":"dir"}"#, &mut scratch));
    }
}
