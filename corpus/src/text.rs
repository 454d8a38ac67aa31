//! Text with random parts (command lines, file paths), kept as a template, an argument and
//! a seed so that events stay small `Copy` values and render the same text every time.
//!
//! Placeholders: `{a}` the argument; `{x8}`/`{X8}` hex digits (lower/upper case); `{d4}`
//! decimal digits; `{n2-40}` a number in a range; `{g}`/`{G}` a GUID; `{w}` a file-name
//! word; `{ip}` a public IPv4 address; `{=one|two|three}` one of the alternatives; `{1}` to
//! `{9}` repeat what the first to ninth random placeholder wrote. `{{` and `}}` are literal braces.
//!
//! Two templates with the same seed and the same placeholders in the same order write the
//! same values: a command line and the file it writes can agree on a random name.

use crate::json::{push_guid, push_hex, push_u64};
use crate::rng::Rng;

/// A possibly templated piece of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Text {
    tpl: &'static str,
    arg: &'static str,
    seed: u64,
    plain: bool,
    /// Literal text around the expansion, split at `{}` (a shell wrapping a command).
    wrap: &'static str,
}

const WORDS: [&str; 24] = [
    "report",
    "invoice",
    "export",
    "summary",
    "upload",
    "archive",
    "backup",
    "image",
    "thumb",
    "statement",
    "order",
    "scan",
    "draft",
    "notes",
    "data",
    "build",
    "release",
    "update",
    "template",
    "label",
    "receipt",
    "photo",
    "quote",
    "audit",
];

impl Text {
    /// Text without placeholders.
    pub const fn lit(text: &'static str) -> Text {
        Text {
            tpl: text,
            arg: "",
            seed: 0,
            plain: true,
            wrap: "",
        }
    }

    /// A template, its `{a}` argument and the seed of its random parts.
    pub fn tpl(tpl: &'static str, arg: &'static str, seed: u64) -> Text {
        Text {
            tpl,
            arg,
            seed,
            plain: !tpl.contains(['{', '}']),
            wrap: "",
        }
    }

    /// The same text inside `wrap`, a literal with `{}` where the text goes:
    /// `cmd.exe /c {}` around a command makes the shell's command line.
    pub fn wrapped(self, wrap: &'static str) -> Text {
        Text { wrap, ..self }
    }

    /// The `{a}` argument.
    pub fn arg(&self) -> &'static str {
        self.arg
    }

    /// Appends the text.
    pub fn write(&self, out: &mut Vec<u8>) {
        let (before, after) = self.wrap.split_once("{}").unwrap_or((self.wrap, ""));
        out.extend_from_slice(before.as_bytes());
        if self.plain {
            out.extend_from_slice(self.tpl.as_bytes());
        } else {
            expand(self.tpl, self.arg, &mut Rng::new(self.seed), out);
        }
        out.extend_from_slice(after.as_bytes());
    }

    /// The text as a new string (for tests and the truth file's notes, not the hot path).
    pub fn render_string(self) -> String {
        let mut out = Vec::new();
        self.write(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

fn expand(tpl: &str, arg: &str, rng: &mut Rng, out: &mut Vec<u8>) {
    let bytes = tpl.as_bytes();
    let mut i = 0;
    // Where each placeholder's output went, for `{1}`..`{9}`.
    let mut marks = [(0usize, 0usize); 9];
    let mut count = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'}' {
            // `}}` is one brace; a lone `}` is kept as written.
            out.push(b'}');
            i += if bytes.get(i + 1) == Some(&b'}') {
                2
            } else {
                1
            };
            continue;
        }
        if b != b'{' {
            let next = bytes[i..]
                .iter()
                .position(|&c| c == b'{' || c == b'}')
                .map_or(bytes.len(), |p| i + p);
            out.extend_from_slice(&bytes[i..next]);
            i = next;
            continue;
        }
        if bytes.get(i + 1) == Some(&b'{') {
            out.push(b'{');
            i += 2;
            continue;
        }
        let Some(close) = tpl[i..].find('}').map(|p| i + p) else {
            out.extend_from_slice(&bytes[i..]);
            return;
        };
        let spec = &tpl[i + 1..close];
        let start = out.len();
        match spec.as_bytes() {
            [d @ b'1'..=b'9'] => {
                let (from, to) = marks[(d - b'1') as usize];
                out.extend_from_within(from..to);
            }
            b"a" => out.extend_from_slice(arg.as_bytes()),
            _ => {
                placeholder(spec, arg, rng, out);
                if count < marks.len() {
                    marks[count] = (start, out.len());
                    count += 1;
                }
            }
        }
        i = close + 1;
    }
}

fn placeholder(spec: &str, arg: &str, rng: &mut Rng, out: &mut Vec<u8>) {
    let digits = |rest: &str| rest.parse::<u32>().ok().filter(|&n| n > 0);
    let head = spec.as_bytes().first().copied();
    let rest = spec.get(1..).unwrap_or("");
    match (head, spec) {
        (_, "a") => out.extend_from_slice(arg.as_bytes()),
        (_, "g") => push_guid(out, rng.next_u64(), rng.next_u64(), false),
        (_, "G") => push_guid(out, rng.next_u64(), rng.next_u64(), true),
        (_, "w") => out.extend_from_slice(rng.pick(&WORDS).as_bytes()),
        (_, "ip") => push_public_ip(out, rng),
        (Some(b'='), _) => {
            let n = rest.split('|').count() as u64;
            let chosen = rng.below(n) as usize;
            let option = rest.split('|').nth(chosen).unwrap_or("");
            out.extend_from_slice(option.as_bytes());
        }
        (Some(c @ (b'x' | b'X')), _) if digits(rest).is_some() => {
            let mut left = digits(rest).unwrap_or(1);
            while left > 0 {
                let n = left.min(16);
                push_hex(out, rng.next_u64(), n, c == b'X');
                left -= n;
            }
        }
        (Some(b'd'), _) if digits(rest).is_some() => {
            for _ in 0..digits(rest).unwrap_or(1) {
                out.push(b'0' + rng.below(10) as u8);
            }
        }
        (Some(b'n'), _) if range(rest).is_some() => {
            let (lo, hi) = range(rest).unwrap_or((0, 0));
            push_u64(out, rng.range(lo, hi));
        }
        _ => {
            // Not a placeholder (`{Get-Item}` in a PowerShell line): kept as written.
            out.push(b'{');
            out.extend_from_slice(spec.as_bytes());
            out.push(b'}');
        }
    }
}

/// `lo-hi` with `lo <= hi`.
fn range(spec: &str) -> Option<(u64, u64)> {
    let (lo, hi) = spec.split_once('-')?;
    let (lo, hi): (u64, u64) = (lo.parse().ok()?, hi.parse().ok()?);
    (lo <= hi).then_some((lo, hi))
}

/// An address outside the private, loopback, link-local, multicast and reserved ranges.
pub fn push_public_ip(out: &mut Vec<u8>, rng: &mut Rng) {
    let first = loop {
        let a = rng.range(11, 223);
        if !matches!(a, 100 | 127 | 169 | 172 | 192 | 198 | 203) {
            break a;
        }
    };
    push_u64(out, first);
    for _ in 0..3 {
        out.push(b'.');
        push_u64(out, rng.range(1, 254));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_copied() {
        let t = Text::lit(r"C:\Windows\System32\cmd.exe");
        assert_eq!(t.render_string(), r"C:\Windows\System32\cmd.exe");
    }

    #[test]
    fn placeholders_expand_the_same_way_for_the_same_seed() {
        let tpl = r"w3wp.exe -ap {a} -a \\.\pipe\iisipm{g} {x8}{X4} {d3} {n5-7} {=one|two} {w} {ip} {{x}}";
        let a = Text::tpl(tpl, "DefaultAppPool", 9).render_string();
        let b = Text::tpl(tpl, "DefaultAppPool", 9).render_string();
        let c = Text::tpl(tpl, "DefaultAppPool", 10).render_string();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let parts: Vec<&str> = a.split(' ').collect();
        assert_eq!(parts[2], "DefaultAppPool");
        assert!(parts[4].starts_with(r"\\.\pipe\iisipm") && parts[4].len() == 15 + 36);
        assert_eq!(parts[5].len(), 12);
        assert!(
            parts[5][..8]
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        );
        assert!(
            parts[5][8..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        );
        assert_eq!(parts[6].len(), 3);
        assert!(["5", "6", "7"].contains(&parts[7]));
        assert!(["one", "two"].contains(&parts[8]));
        assert!(WORDS.contains(&parts[9]));
        assert_eq!(parts[10].split('.').count(), 4);
        assert_eq!(parts[11], "{x}");
    }

    #[test]
    fn back_references_repeat_values() {
        let a = Text::tpl("in {w}-{d4}.jpg out {1}-{2}-small.jpg {3}", "", 5).render_string();
        let parts: Vec<&str> = a.split(' ').collect();
        assert_eq!(
            parts[1].trim_end_matches(".jpg"),
            parts[3].trim_end_matches("-small.jpg")
        );
        assert_eq!(parts[4], "");
        let b = Text::tpl("{w}-{d4}-other", "", 5).render_string();
        assert!(b.starts_with(parts[1].trim_end_matches(".jpg")));
    }

    #[test]
    fn wrapped_text_keeps_its_expansion() {
        let inner = Text::tpl("whoami {d3}", "", 3);
        let outer = inner.wrapped(r#"cmd.exe /c "{}""#).render_string();
        assert_eq!(outer, format!(r#"cmd.exe /c "{}""#, inner.render_string()));
    }

    #[test]
    fn unknown_placeholders_and_stray_braces_are_kept() {
        let t = Text::tpl("& {Get-Item} {dir} {x} {n3} {unknown} }", "", 1).render_string();
        assert_eq!(t, "& {Get-Item} {dir} {x} {n3} {unknown} }");
    }
}
