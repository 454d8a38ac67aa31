//! Value modifiers that transform values before matching, applied in the order the rule
//! writes them: `wide`/`utf16le`, `utf16be`, `utf16`, `base64`, `base64offset`, `windash`,
//! `expand`. A value is a list of [`Piece`]s (literal bytes and wildcards), so encodings
//! that produce bytes which are not UTF-8 (UTF-16) are matched as bytes.

use hashbrown::HashMap;
use rsigma_parser::{Modifier, SigmaString, SpecialChar, StringPart};

/// Part of a value: literal bytes or a wildcard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    Literal(Vec<u8>),
    /// `?`
    AnyOne,
    /// `*`
    AnyMany,
}

/// Most values one value may expand to (windash, expand, base64offset combined).
const MAX_VARIANTS: usize = 1024;

/// Placeholder values for `expand`, by placeholder name (without `%`).
pub type Placeholders = HashMap<String, Vec<String>>;

/// The pieces of a Sigma string value.
pub(crate) fn pieces(value: &SigmaString) -> Vec<Piece> {
    value
        .parts
        .iter()
        .map(|part| match part {
            StringPart::Plain(text) => Piece::Literal(text.as_bytes().to_vec()),
            StringPart::Special(SpecialChar::WildcardMulti) => Piece::AnyMany,
            StringPart::Special(SpecialChar::WildcardSingle) => Piece::AnyOne,
        })
        .collect()
}

/// Whether `modifier` is one this module applies.
pub(crate) fn transforms(modifier: Modifier) -> bool {
    matches!(
        modifier,
        Modifier::Wide
            | Modifier::Utf16be
            | Modifier::Utf16
            | Modifier::Base64
            | Modifier::Base64Offset
            | Modifier::WindAsh
            | Modifier::Expand
    )
}

/// Applies the value-transforming modifiers among `modifiers`, in order, to one value;
/// returns the values it stands for (several for `windash`, `base64offset`, `expand`).
pub(crate) fn apply(
    modifiers: &[Modifier],
    value: Vec<Piece>,
    placeholders: &Placeholders,
) -> Result<Vec<Vec<Piece>>, String> {
    let mut values = vec![value];
    for modifier in modifiers.iter().copied().filter(|m| transforms(*m)) {
        let mut next = Vec::new();
        for value in values {
            match modifier {
                Modifier::Wide => next.push(map_literals(value, |t| utf16(t, false, false))),
                Modifier::Utf16be => next.push(map_literals(value, |t| utf16(t, true, false))),
                Modifier::Utf16 => next.push(utf16_with_bom(value)),
                Modifier::Base64 => {
                    next.push(vec![Piece::Literal(base64(&plain(&value, "base64")?))])
                }
                Modifier::Base64Offset => {
                    let bytes = plain(&value, "base64offset")?;
                    next.extend(
                        base64_offsets(&bytes)
                            .into_iter()
                            .map(|v| vec![Piece::Literal(v)]),
                    );
                }
                Modifier::WindAsh => next.extend(windash(value)),
                Modifier::Expand => next.extend(expand(value, placeholders)?),
                _ => unreachable!("filtered to transforming modifiers"),
            }
            if next.len() > MAX_VARIANTS {
                return Err(format!(
                    "the modifiers expand one value to more than {MAX_VARIANTS} values"
                ));
            }
        }
        values = next;
    }
    Ok(values)
}

fn map_literals(value: Vec<Piece>, f: impl Fn(&[u8]) -> Vec<u8>) -> Vec<Piece> {
    value
        .into_iter()
        .map(|p| match p {
            Piece::Literal(t) => Piece::Literal(f(&t)),
            other => other,
        })
        .collect()
}

/// The value's bytes when it has no wildcards (encodings of wildcards mean nothing).
fn plain(value: &[Piece], modifier: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    for piece in value {
        match piece {
            Piece::Literal(t) => bytes.extend_from_slice(t),
            _ => return Err(format!("`{modifier}` cannot encode a value with wildcards")),
        }
    }
    Ok(bytes)
}

fn utf16(text: &[u8], big_endian: bool, _bom: bool) -> Vec<u8> {
    String::from_utf8_lossy(text)
        .encode_utf16()
        .flat_map(|unit| {
            if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            }
        })
        .collect()
}

/// `utf16`: little-endian with a byte order mark before the value.
fn utf16_with_bom(value: Vec<Piece>) -> Vec<Piece> {
    let mut out = vec![Piece::Literal(vec![0xFF, 0xFE])];
    for piece in map_literals(value, |t| utf16(t, false, true)) {
        match (out.last_mut(), piece) {
            (Some(Piece::Literal(prev)), Piece::Literal(t)) => prev.extend_from_slice(&t),
            (_, piece) => out.push(piece),
        }
    }
    out
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
    out
}

/// `base64offset`: the value's base64 form at each of the three alignments it can have
/// inside a longer encoded text, without the characters that depend on its neighbours.
fn base64_offsets(bytes: &[u8]) -> Vec<Vec<u8>> {
    // Encoding `i` filler bytes before the value shifts it by i bytes; the first
    // characters then also carry filler bits, and the last ones the next (unknown) bytes.
    const START: [usize; 3] = [0, 2, 3];
    const END_TRIM: [usize; 3] = [0, 3, 2];
    (0..3)
        .filter_map(|i| {
            let mut shifted = vec![b' '; i];
            shifted.extend_from_slice(bytes);
            let encoded = base64(&shifted);
            let end = encoded.len().checked_sub(END_TRIM[(bytes.len() + i) % 3])?;
            let piece = encoded.get(START[i]..end)?.to_vec();
            (!piece.is_empty()).then_some(piece)
        })
        .collect()
}

/// `windash`: every `-`, `/`, en dash, em dash or horizontal bar that starts a word (at the
/// start or after whitespace) takes each of the five forms.
fn windash(value: Vec<Piece>) -> Vec<Vec<Piece>> {
    const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];
    let mut variants: Vec<Vec<Piece>> = vec![Vec::new()];
    let mut word_start = true;
    let push = |v: &mut Vec<Piece>, text: &str| match v.last_mut() {
        Some(Piece::Literal(prev)) => prev.extend_from_slice(text.as_bytes()),
        _ => v.push(Piece::Literal(text.as_bytes().to_vec())),
    };
    for piece in value {
        let Piece::Literal(bytes) = piece else {
            word_start = false;
            variants.iter_mut().for_each(|v| v.push(piece.clone()));
            continue;
        };
        for c in String::from_utf8_lossy(&bytes).chars() {
            let forms: &[char] = if word_start && DASHES.contains(&c) {
                &DASHES
            } else {
                &[c]
            };
            word_start = c.is_whitespace();
            if forms.len() == 1 {
                variants
                    .iter_mut()
                    .for_each(|v| push(v, c.encode_utf8(&mut [0; 4])));
                continue;
            }
            variants = variants
                .into_iter()
                .flat_map(|v| {
                    forms.iter().map(move |f| {
                        let mut v = v.clone();
                        push(&mut v, f.encode_utf8(&mut [0; 4]));
                        v
                    })
                })
                .take(MAX_VARIANTS + 1)
                .collect();
        }
    }
    variants
}

/// `expand`: each `%name%` placeholder takes each of its configured values.
fn expand(value: Vec<Piece>, placeholders: &Placeholders) -> Result<Vec<Vec<Piece>>, String> {
    let mut variants: Vec<Vec<Piece>> = vec![Vec::new()];
    for piece in value {
        let Piece::Literal(bytes) = piece else {
            variants.iter_mut().for_each(|v| v.push(piece.clone()));
            continue;
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let (literal, placeholder, after) = match rest.find('%') {
                Some(start) => match rest[start + 1..].find('%') {
                    Some(len) => (
                        &rest[..start],
                        Some(&rest[start + 1..start + 1 + len]),
                        &rest[start + len + 2..],
                    ),
                    None => (rest, None, ""),
                },
                None => (rest, None, ""),
            };
            let choices: Vec<&str> = match placeholder {
                None => vec![""],
                Some(name) => placeholders
                    .get(name)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| {
                        format!("placeholder `%{name}%` has no values (supply them with --placeholders FILE)")
                    })?
                    .iter()
                    .map(String::as_str)
                    .collect(),
            };
            variants = variants
                .into_iter()
                .flat_map(|v| {
                    choices.iter().map(move |choice| {
                        let mut v = v.clone();
                        let text = format!("{literal}{choice}");
                        if !text.is_empty() {
                            match v.last_mut() {
                                Some(Piece::Literal(prev)) => {
                                    prev.extend_from_slice(text.as_bytes())
                                }
                                _ => v.push(Piece::Literal(text.into_bytes())),
                            }
                        }
                        v
                    })
                })
                .collect();
            if variants.len() > MAX_VARIANTS {
                return Err(format!("`expand` produces more than {MAX_VARIANTS} values"));
            }
            rest = after;
        }
    }
    Ok(variants)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Vec<Piece> {
        vec![Piece::Literal(s.as_bytes().to_vec())]
    }

    fn texts(values: Vec<Vec<Piece>>) -> Vec<String> {
        values
            .into_iter()
            .map(|v| match &v[..] {
                [Piece::Literal(t)] => String::from_utf8_lossy(t).into_owned(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded.as_bytes());
        }
    }

    #[test]
    fn base64offset_finds_the_value_at_every_alignment() {
        // The spec's example idea: the value at offsets 0, 1, 2 of a longer plaintext.
        let variants = base64_offsets(b"http://");
        assert_eq!(variants.len(), 3);
        for prefix in ["", "a", "ab", "abc", "abcd", "xyz12"] {
            for suffix in ["", "z", "zz", "/evil.example/x"] {
                let encoded = base64(format!("{prefix}http://{suffix}").as_bytes());
                assert!(
                    variants
                        .iter()
                        .any(|v| memchr::memmem::find(&encoded, v).is_some()),
                    "{prefix:?} {suffix:?}: {:?} in {:?}",
                    texts(
                        variants
                            .iter()
                            .map(|v| vec![Piece::Literal(v.clone())])
                            .collect()
                    ),
                    String::from_utf8_lossy(&encoded)
                );
            }
        }
        // SigmaHQ's well-known values for "http".
        assert_eq!(
            texts(
                base64_offsets(b"http")
                    .into_iter()
                    .map(|v| vec![Piece::Literal(v)])
                    .collect()
            ),
            ["aHR0c", "h0dH", "odHRw"]
        );
    }

    #[test]
    fn utf16_encodings() {
        let none = Placeholders::new();
        let wide = apply(&[Modifier::Wide], lit("cmd"), &none).unwrap();
        assert_eq!(wide, vec![vec![Piece::Literal(b"c\0m\0d\0".to_vec())]]);
        let be = apply(&[Modifier::Utf16be], lit("cmd"), &none).unwrap();
        assert_eq!(be, vec![vec![Piece::Literal(b"\0c\0m\0d".to_vec())]]);
        let bom = apply(&[Modifier::Utf16], lit("cmd"), &none).unwrap();
        assert_eq!(
            bom,
            vec![vec![Piece::Literal(b"\xff\xfec\0m\0d\0".to_vec())]]
        );
        // wide then base64offset: PowerShell -EncodedCommand content.
        let enc = apply(&[Modifier::Wide, Modifier::Base64Offset], lit("IEX"), &none).unwrap();
        let payload = base64(&utf16(b"x; IEX (New-Object Net.WebClient)", false, false));
        assert!(enc.iter().any(
            |v| matches!(&v[..], [Piece::Literal(t)] if memchr::memmem::find(&payload, t).is_some())
        ));
    }

    #[test]
    fn windash_variants_of_word_starting_dashes() {
        let none = Placeholders::new();
        let v = texts(apply(&[Modifier::WindAsh], lit(" -enc x-y"), &none).unwrap());
        assert_eq!(v.len(), 5);
        assert!(v.contains(&" /enc x-y".to_owned()));
        assert!(v.contains(&" \u{2015}enc x-y".to_owned()));
        assert!(apply(&[Modifier::WindAsh], lit(&" -a".repeat(10)), &none).is_err());
    }

    #[test]
    fn expand_takes_each_value_and_refuses_unknown_placeholders() {
        let mut placeholders = Placeholders::new();
        placeholders.insert("Admins".into(), vec!["alice".into(), "bob".into()]);
        let v = texts(apply(&[Modifier::Expand], lit("CORP\\%Admins%"), &placeholders).unwrap());
        assert_eq!(v, ["CORP\\alice", "CORP\\bob"]);
        let err = apply(&[Modifier::Expand], lit("%Nobody%"), &placeholders).unwrap_err();
        assert!(err.contains("%Nobody%"));
        assert_eq!(
            texts(apply(&[Modifier::Expand], lit("100%"), &placeholders).unwrap()),
            ["100%"]
        );
    }

    #[test]
    fn encodings_refuse_wildcards() {
        let value = vec![Piece::Literal(b"a".to_vec()), Piece::AnyMany];
        assert!(apply(&[Modifier::Base64], value, &Placeholders::new()).is_err());
    }
}
