//! The scanner: validates a whole JSON document in one pass and records the values
//! found at the trie's paths.
//!
//! Recursion only follows wanted objects, so it is bounded by the trie's depth; every
//! other value is skipped by an iterative loop that keeps one bit per nesting level,
//! so any nesting depth is handled without growing the call stack.

use std::sync::LazyLock;

use super::quote::find_quote_or_backslash;
use super::{KeyProbe, Kind, Loc, PathTrie, ROOT, RawValue, Slots, unescape_into};
use crate::reject::JsonError;

/// Why a document was not scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DocError {
    /// Valid JSON whose top level is not an object.
    NotAnObject,
    Json(JsonError),
}

impl From<JsonError> for DocError {
    fn from(e: JsonError) -> Self {
        DocError::Json(e)
    }
}

/// Buffers a scan writes into, reused from line to line.
#[derive(Debug, Default)]
pub(crate) struct Scanner {
    /// Unescaped string values, addressed by [`Loc::Unescaped`] spans.
    pub unescaped: Vec<u8>,
    /// One bit per nesting level of the value being skipped: set for arrays.
    levels: Vec<u64>,
    /// An object key that had escapes, unescaped for the trie lookup.
    key: Vec<u8>,
}

impl Scanner {
    /// Scans `input` (a whole document), recording into `slots` the values at the
    /// trie's paths. Spans are tagged with `loc`.
    pub fn scan(
        &mut self,
        input: &[u8],
        loc: Loc,
        trie: &PathTrie,
        slots: &mut Slots,
    ) -> Result<(), DocError> {
        let mut cursor = Cursor {
            input,
            pos: 0,
            loc,
            trie,
            slots,
            buffers: self,
        };
        cursor.document()
    }
}

/// Calls `element` for each element of a JSON array's raw text (as recorded for an
/// array value): its kind and bytes (string content without quotes, still escaped, with
/// a flag saying whether it has escapes; the literal for numbers; raw text otherwise).
pub(crate) fn array_elements(raw: &[u8], mut element: impl FnMut(Kind, &[u8], bool)) {
    // Nothing is recorded here: an empty trie, shared, so that the walk allocates nothing
    // (the slots and buffers below stay empty).
    static NO_PATHS: LazyLock<PathTrie> = LazyLock::new(PathTrie::new);
    let mut slots = Slots::default();
    let mut buffers = Scanner::default();
    let mut cursor = Cursor {
        input: raw,
        pos: 0,
        loc: Loc::Line,
        trie: &NO_PATHS,
        slots: &mut slots,
        buffers: &mut buffers,
    };
    // The text was validated when it was recorded, so errors only end the walk early.
    cursor.ws();
    if !cursor.eat(b'[') {
        return;
    }
    loop {
        cursor.ws();
        if cursor.eat(b']') {
            return;
        }
        let start = cursor.pos;
        match cursor.peek() {
            Some(b'"') => match cursor.string() {
                Ok((s, e, escaped)) => element(Kind::String, &raw[s..e], escaped),
                Err(_) => return,
            },
            Some(first) => {
                if cursor.skip_value().is_err() {
                    return;
                }
                let kind = match first {
                    b'{' => Kind::Object,
                    b'[' => Kind::Array,
                    b't' => Kind::True,
                    b'f' => Kind::False,
                    b'n' => Kind::Null,
                    _ => Kind::Number,
                };
                element(kind, &raw[start..cursor.pos], false);
            }
            None => return,
        }
        cursor.ws();
        if !cursor.eat(b',') {
            return;
        }
    }
}

struct Cursor<'i, 's> {
    input: &'i [u8],
    pos: usize,
    loc: Loc,
    trie: &'s PathTrie,
    slots: &'s mut Slots,
    buffers: &'s mut Scanner,
}

impl Cursor<'_, '_> {
    fn document(&mut self) -> Result<(), DocError> {
        self.ws();
        match self.peek() {
            Some(b'{') => self.object(ROOT)?,
            Some(_) => {
                self.skip_value()?;
                self.ws();
                if self.pos != self.input.len() {
                    return Err(JsonError::TrailingData.into());
                }
                return Err(DocError::NotAnObject);
            }
            None => return Err(JsonError::Truncated.into()),
        }
        self.ws();
        if self.pos != self.input.len() {
            return Err(JsonError::TrailingData.into());
        }
        Ok(())
    }

    /// An object whose keys are looked up under trie node `node`. At `{`.
    fn object(&mut self, node: u32) -> Result<(), JsonError> {
        self.pos += 1;
        self.ws();
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            let (start, end, escaped) = self.string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            let child = if escaped {
                self.buffers.key.clear();
                unescape_into(&self.input[start..end], &mut self.buffers.key);
                self.trie.child(node, &self.buffers.key)
            } else {
                let probe = KeyProbe::in_text(self.input, start, end);
                self.trie.probe_child(node, &probe, &self.input[start..end])
            };
            match child {
                Some(child) => self.wanted_value(child)?,
                None => self.skip_value()?,
            }
            self.ws();
            match self.next_byte() {
                Some(b',') => self.ws(),
                Some(b'}') => return Ok(()),
                Some(_) => return Err(JsonError::UnexpectedByte),
                None => return Err(JsonError::Truncated),
            }
        }
    }

    /// A value at a wanted path: recorded if the node has a slot, descended into if it
    /// is an object and the node has children.
    fn wanted_value(&mut self, node: u32) -> Result<(), JsonError> {
        let trie = self.trie;
        let slot = trie.get(node).slot;
        let descend = !trie.get(node).children.is_empty() || trie.get(node).any_key.is_some();
        let start = self.pos;
        let (kind, loc, span_start, span_end) = match self.peek() {
            Some(b'"') => {
                let (s, e, escaped) = self.string()?;
                if escaped && slot.is_some() {
                    let buffer = &mut self.buffers.unescaped;
                    let from = buffer.len();
                    unescape_into(&self.input[s..e], buffer);
                    (Kind::String, Loc::Unescaped, from, buffer.len())
                } else {
                    (Kind::String, self.loc, s, e)
                }
            }
            Some(b'{') => {
                if descend {
                    self.object(node)?;
                } else {
                    self.skip_value()?;
                }
                (Kind::Object, self.loc, start, self.pos)
            }
            Some(b'[') => {
                self.skip_value()?;
                (Kind::Array, self.loc, start, self.pos)
            }
            Some(b't') => {
                self.literal(b"true")?;
                (Kind::True, self.loc, start, self.pos)
            }
            Some(b'f') => {
                self.literal(b"false")?;
                (Kind::False, self.loc, start, self.pos)
            }
            Some(b'n') => {
                self.literal(b"null")?;
                (Kind::Null, self.loc, start, self.pos)
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                (Kind::Number, self.loc, start, self.pos)
            }
            Some(_) => return Err(JsonError::UnexpectedByte),
            None => return Err(JsonError::Truncated),
        };
        if let Some(slot) = slot {
            // Spans fit in u32: lines are limited well below 4 GiB, and longer values
            // are recorded as missing rather than wrapped.
            if let (Ok(start), Ok(len)) = (
                u32::try_from(span_start),
                u32::try_from(span_end - span_start),
            ) {
                self.slots.set(
                    slot,
                    RawValue {
                        kind,
                        loc,
                        start,
                        len,
                    },
                );
            }
        }
        Ok(())
    }

    /// Skips one value of any depth, validating it. Iterative: one bit per open level.
    fn skip_value(&mut self) -> Result<(), JsonError> {
        let mut depth = 0usize;
        'value: loop {
            self.ws();
            match self.peek() {
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'{') => {
                    self.pos += 1;
                    self.ws();
                    if !self.eat(b'}') {
                        self.push_level(depth, false);
                        depth += 1;
                        self.key_and_colon()?;
                        continue 'value;
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.ws();
                    if !self.eat(b']') {
                        self.push_level(depth, true);
                        depth += 1;
                        continue 'value;
                    }
                }
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(_) => return Err(JsonError::UnexpectedByte),
                None => return Err(JsonError::Truncated),
            }
            // A value is complete: close as many levels as the input closes.
            loop {
                if depth == 0 {
                    return Ok(());
                }
                self.ws();
                let in_array = self.level_is_array(depth - 1);
                match self.next_byte() {
                    Some(b',') => {
                        if !in_array {
                            self.ws();
                            self.key_and_colon()?;
                        }
                        continue 'value;
                    }
                    Some(b']') if in_array => depth -= 1,
                    Some(b'}') if !in_array => depth -= 1,
                    Some(_) => return Err(JsonError::UnexpectedByte),
                    None => return Err(JsonError::Truncated),
                }
            }
        }
    }

    fn push_level(&mut self, depth: usize, is_array: bool) {
        let (word, bit) = (depth / 64, depth % 64);
        let levels = &mut self.buffers.levels;
        if levels.len() <= word {
            levels.resize(word + 1, 0);
        }
        if is_array {
            levels[word] |= 1 << bit;
        } else {
            levels[word] &= !(1 << bit);
        }
    }

    fn level_is_array(&self, depth: usize) -> bool {
        self.buffers.levels[depth / 64] & (1 << (depth % 64)) != 0
    }

    fn key_and_colon(&mut self) -> Result<(), JsonError> {
        self.string()?;
        self.ws();
        self.expect(b':')
    }

    /// A string at `"`: returns its content span and whether it holds escapes. Raw
    /// control bytes inside strings are tolerated (shippers write them; JSON forbids them).
    fn string(&mut self) -> Result<(usize, usize, bool), JsonError> {
        match self.peek() {
            Some(b'"') => {}
            Some(_) => return Err(JsonError::UnexpectedByte),
            None => return Err(JsonError::Truncated),
        }
        let input = self.input;
        let start = self.pos + 1;
        let mut at = start;
        let mut escaped = false;
        loop {
            let Some(found) = find_quote_or_backslash(input, at) else {
                return Err(JsonError::Truncated);
            };
            at = found;
            if input[at] == b'"' {
                self.pos = at + 1;
                return Ok((start, at, escaped));
            }
            escaped = true;
            match input.get(at + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => at += 2,
                Some(b'u') => {
                    let Some(hex) = input.get(at + 2..at + 6) else {
                        return Err(JsonError::Truncated);
                    };
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return Err(JsonError::BadEscape);
                    }
                    at += 6;
                }
                Some(_) => return Err(JsonError::BadEscape),
                None => return Err(JsonError::Truncated),
            }
        }
    }

    fn number(&mut self) -> Result<(), JsonError> {
        let input = self.input;
        let mut at = self.pos;
        let digits = |at: &mut usize| {
            let from = *at;
            while input.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at > from
        };
        if input.get(at) == Some(&b'-') {
            at += 1;
        }
        match input.get(at) {
            Some(b'0') => at += 1,
            Some(b'1'..=b'9') => {
                digits(&mut at);
            }
            _ => return Err(JsonError::BadNumber),
        }
        if input.get(at) == Some(&b'.') {
            at += 1;
            if !digits(&mut at) {
                return Err(JsonError::BadNumber);
            }
        }
        if matches!(input.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(input.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            if !digits(&mut at) {
                return Err(JsonError::BadNumber);
            }
        }
        self.pos = at;
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), JsonError> {
        let rest = &self.input[self.pos..];
        if rest.starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else if word.starts_with(rest) {
            Err(JsonError::Truncated)
        } else {
            Err(JsonError::UnexpectedByte)
        }
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.input.get(self.pos) {
            self.pos += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    #[inline]
    fn next_byte(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    #[inline]
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), JsonError> {
        match self.next_byte() {
            Some(x) if x == b => Ok(()),
            Some(_) => Err(JsonError::UnexpectedByte),
            None => Err(JsonError::Truncated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trie_with(paths: &[&str]) -> (PathTrie, Vec<u32>) {
        let mut trie = PathTrie::new();
        let slots = paths
            .iter()
            .map(|p| trie.slot(&p.split('.').collect::<Vec<_>>()))
            .collect();
        (trie, slots)
    }

    fn scan(doc: &str, paths: &[&str]) -> Result<Vec<Option<String>>, DocError> {
        let (trie, ids) = trie_with(paths);
        let mut slots = Slots::default();
        slots.reset(trie.slot_count());
        let mut scanner = Scanner::default();
        scanner.scan(doc.as_bytes(), Loc::Line, &trie, &mut slots)?;
        Ok(ids
            .iter()
            .map(|&id| {
                let v = slots.get(id);
                if v.is_missing() {
                    return None;
                }
                let (s, e) = (v.start as usize, (v.start + v.len) as usize);
                let bytes = match v.loc {
                    Loc::Unescaped => &scanner.unescaped[s..e],
                    _ => &doc.as_bytes()[s..e],
                };
                Some(String::from_utf8_lossy(bytes).into_owned())
            })
            .collect())
    }

    #[test]
    fn records_wanted_paths_only() {
        let doc = r#"{"a":{"b":"x","c":[1,{"d":2}]},"e":12.5e3,"f":true,"g":null,"h":{"i":{}}}"#;
        let got = scan(doc, &["a.b", "a.c", "e", "f", "g", "h", "a.zz", "a"]).unwrap();
        assert_eq!(
            got,
            vec![
                Some("x".into()),
                Some(r#"[1,{"d":2}]"#.into()),
                Some("12.5e3".into()),
                Some("true".into()),
                Some("null".into()),
                Some(r#"{"i":{}}"#.into()),
                None,
                Some(r#"{"b":"x","c":[1,{"d":2}]}"#.into()),
            ]
        );
    }

    #[test]
    fn strings_with_escapes_are_unescaped_and_keys_too() {
        let doc = r#"{"Im\u0061ge":"C:\\Windows\\cmd.exe","x":"a\"b"}"#;
        let got = scan(doc, &["Image", "x"]).unwrap();
        assert_eq!(
            got,
            vec![Some(r"C:\Windows\cmd.exe".into()), Some("a\"b".into())]
        );
    }

    #[test]
    fn a_star_segment_matches_any_key() {
        let doc = r#"{"UserData":{"LogFileCleared":{"SubjectUserName":"bob"}},"Other":{"x":{"SubjectUserName":"no"}}}"#;
        assert_eq!(
            scan(
                doc,
                &["UserData.*.SubjectUserName", "Other.y.SubjectUserName"]
            )
            .unwrap(),
            vec![Some("bob".into()), None]
        );
    }

    #[test]
    fn first_duplicate_key_wins() {
        assert_eq!(
            scan(r#"{"a":1,"a":2}"#, &["a"]).unwrap(),
            vec![Some("1".into())]
        );
    }

    #[test]
    fn malformed_documents_are_classified() {
        use JsonError::*;
        let cases: &[(&str, DocError)] = &[
            (r#"{"a":1"#, DocError::Json(Truncated)),
            (r#"{"a":"x"#, DocError::Json(Truncated)),
            (r#"{"a":tru"#, DocError::Json(Truncated)),
            (r#"{"a":1}}"#, DocError::Json(TrailingData)),
            (r#"{"a":1,}"#, DocError::Json(UnexpectedByte)),
            (r#"{"a" 1}"#, DocError::Json(UnexpectedByte)),
            (r#"{"a":01}"#, DocError::Json(UnexpectedByte)),
            (r#"{"a":-}"#, DocError::Json(BadNumber)),
            (r#"{"a":1.}"#, DocError::Json(BadNumber)),
            (r#"{"a":"\x"}"#, DocError::Json(BadEscape)),
            (r#"{"a":"\u12G4"}"#, DocError::Json(BadEscape)),
            (r#"{"a":[1 2]}"#, DocError::Json(UnexpectedByte)),
            (r#"{"a":[1,2}"#, DocError::Json(UnexpectedByte)),
            (r#"{"x":{"y":[}}"#, DocError::Json(UnexpectedByte)),
            (r#"[1,2]"#, DocError::NotAnObject),
            (r#""str""#, DocError::NotAnObject),
            (r#"42"#, DocError::NotAnObject),
            ("", DocError::Json(Truncated)),
            ("\0\0\0", DocError::Json(UnexpectedByte)),
        ];
        for (doc, expected) in cases {
            assert_eq!(
                scan(doc, &["a"]).unwrap_err(),
                *expected,
                "document {doc:?}"
            );
            // The same document with nothing wanted is judged the same way.
            assert_eq!(
                scan(doc, &[]).unwrap_err(),
                *expected,
                "document {doc:?} (no paths)"
            );
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let depth = 100_000;
        let mut doc = String::from(r#"{"a":"#);
        for i in 0..depth {
            doc.push_str(if i % 2 == 0 { "[" } else { r#"{"k":"# });
        }
        doc.push('1');
        for i in (0..depth).rev() {
            doc.push(if i % 2 == 0 { ']' } else { '}' });
        }
        doc.push_str(r#","b":"end"}"#);
        assert_eq!(scan(&doc, &["b"]).unwrap(), vec![Some("end".into())]);
        // Unbalanced at the same depth is still caught.
        let truncated = &doc[..doc.len() - 20];
        assert!(scan(truncated, &["b"]).is_err());
    }

    #[test]
    fn whitespace_and_control_bytes_are_tolerated_where_harmless() {
        let doc = " {\t\"a\" : \"x\u{1}y\" , \"b\":[ ] } ";
        assert_eq!(
            scan(doc, &["a", "b"]).unwrap(),
            vec![Some("x\u{1}y".into()), Some("[ ]".into())]
        );
    }

    #[test]
    fn array_elements_walks_scalars() {
        let mut seen = Vec::new();
        array_elements(
            br#"[ "a\\b", 12, true, {"x":1}, ["y"], null ]"#,
            |k, b, esc| seen.push((k, String::from_utf8_lossy(b).into_owned(), esc)),
        );
        assert_eq!(
            seen,
            vec![
                (Kind::String, r"a\\b".into(), true),
                (Kind::Number, "12".into(), false),
                (Kind::True, "true".into(), false),
                (Kind::Object, r#"{"x":1}"#.into(), false),
                (Kind::Array, r#"["y"]"#.into(), false),
                (Kind::Null, "null".into(), false),
            ]
        );
    }
}
