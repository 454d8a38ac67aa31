//! Writing JSON lines into a reused byte buffer: numbers, hex, escaped strings and the
//! commas between members, without a `String` or `format!` per field.

/// Appends the decimal digits of `n`.
pub fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Appends `n` as exactly `width` decimal digits (zero-padded; higher digits dropped).
pub fn push_padded(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

const LOWER: &[u8; 16] = b"0123456789abcdef";
const UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Appends the low `digits` hex digits of `value` (at most 16).
pub fn push_hex(out: &mut Vec<u8>, value: u64, digits: u32, upper: bool) {
    let table = if upper { UPPER } else { LOWER };
    for i in (0..digits).rev() {
        out.push(table[((value >> (i * 4)) & 0xf) as usize]);
    }
}

/// Appends a GUID's 32 hex digits in the 8-4-4-4-12 layout, without braces.
pub fn push_guid(out: &mut Vec<u8>, hi: u64, lo: u64, upper: bool) {
    push_hex(out, hi >> 32, 8, upper);
    out.push(b'-');
    push_hex(out, hi >> 16, 4, upper);
    out.push(b'-');
    push_hex(out, hi, 4, upper);
    out.push(b'-');
    push_hex(out, lo >> 48, 4, upper);
    out.push(b'-');
    push_hex(out, lo, 12, upper);
}

/// Bytes that need escaping inside a JSON string: 1 for a two-character escape, 2 for
/// `\u00XX`, 0 for none.
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = 2;
        i += 1;
    }
    table[b'"' as usize] = 1;
    table[b'\\' as usize] = 1;
    table[b'\n' as usize] = 1;
    table[b'\r' as usize] = 1;
    table[b'\t' as usize] = 1;
    table
};

/// Appends `s` escaped for the inside of a JSON string. With `ascii`, characters beyond
/// ASCII are written as `\uXXXX` escapes (as Python's `json.dumps` does by default).
pub fn push_escaped(out: &mut Vec<u8>, s: &[u8], ascii: bool) {
    let mut start = 0;
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        let kind = ESCAPE[b as usize];
        if kind == 0 && (b < 0x80 || !ascii) {
            i += 1;
            continue;
        }
        out.extend_from_slice(&s[start..i]);
        if b >= 0x80 {
            let (ch, len) = decode_utf8(&s[i..]);
            push_unicode_escape(out, ch);
            i += len;
            start = i;
            continue;
        }
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                out.extend_from_slice(b"\\u00");
                push_hex(out, u64::from(b), 2, false);
            }
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&s[start..]);
}

fn push_unicode_escape(out: &mut Vec<u8>, ch: u32) {
    let mut unit = |u: u32| {
        out.extend_from_slice(b"\\u");
        push_hex(out, u64::from(u), 4, false);
    };
    if ch >= 0x1_0000 {
        let v = ch - 0x1_0000;
        unit(0xd800 + (v >> 10));
        unit(0xdc00 + (v & 0x3ff));
    } else {
        unit(ch);
    }
}

/// Decodes one UTF-8 character (the generator only writes valid UTF-8); a stray byte
/// decodes as U+FFFD.
fn decode_utf8(s: &[u8]) -> (u32, usize) {
    let len = match s[0] {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return (0xfffd, 1),
    };
    match s.get(..len).and_then(|b| std::str::from_utf8(b).ok()) {
        Some(text) => (text.chars().next().map_or(0xfffd, u32::from), len),
        None => (0xfffd, 1),
    }
}

/// A JSON document being written into a buffer. Members are separated by looking at the
/// last byte written: no comma right after `{` or `[`, one everywhere else.
pub struct Json<'b> {
    pub buf: &'b mut Vec<u8>,
    /// `", "` and `": "` between members, as Python and NXLog write.
    spaced: bool,
    /// Non-ASCII characters as `\uXXXX`.
    ascii: bool,
}

impl<'b> Json<'b> {
    /// Compact JSON, UTF-8 passed through (what Go, Rust and .NET shippers write).
    pub fn compact(buf: &'b mut Vec<u8>) -> Json<'b> {
        Json {
            buf,
            spaced: false,
            ascii: false,
        }
    }

    /// `json.dumps` style: spaces after separators, non-ASCII escaped.
    pub fn python(buf: &'b mut Vec<u8>) -> Json<'b> {
        Json {
            buf,
            spaced: true,
            ascii: true,
        }
    }

    fn sep(&mut self) {
        match self.buf.last() {
            None | Some(b'{') | Some(b'[') => {}
            Some(_) => {
                self.buf.push(b',');
                if self.spaced {
                    self.buf.push(b' ');
                }
            }
        }
    }

    /// Writes the separator and `"key":`; the caller writes the value.
    pub fn key(&mut self, key: &str) {
        self.sep();
        self.buf.push(b'"');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf
            .extend_from_slice(if self.spaced { b"\": " } else { b"\":" });
    }

    pub fn begin(&mut self) {
        self.buf.push(b'{');
    }

    pub fn end(&mut self) {
        self.buf.push(b'}');
    }

    /// `"key":{` — close with [`Json::end`].
    pub fn object(&mut self, key: &str) {
        self.key(key);
        self.buf.push(b'{');
    }

    /// `"key":[` — close with [`Json::end_array`].
    pub fn array(&mut self, key: &str) {
        self.key(key);
        self.buf.push(b'[');
    }

    pub fn end_array(&mut self) {
        self.buf.push(b']');
    }

    /// A string value with its key.
    pub fn str(&mut self, key: &str, value: &[u8]) {
        self.key(key);
        self.quoted(value);
    }

    /// A string element of an array.
    pub fn elem(&mut self, value: &[u8]) {
        self.sep();
        self.quoted(value);
    }

    /// A quoted, escaped string without key or separator.
    pub fn quoted(&mut self, value: &[u8]) {
        self.buf.push(b'"');
        push_escaped(self.buf, value, self.ascii);
        self.buf.push(b'"');
    }

    pub fn num(&mut self, key: &str, value: u64) {
        self.key(key);
        push_u64(self.buf, value);
    }

    /// A number written as a string (`"4688"`), as some shippers do.
    pub fn num_str(&mut self, key: &str, value: u64) {
        self.key(key);
        self.buf.push(b'"');
        push_u64(self.buf, value);
        self.buf.push(b'"');
    }

    /// A value that is already JSON (`true`, `null`, a pre-escaped constant...).
    pub fn raw(&mut self, key: &str, json: &str) {
        self.key(key);
        self.buf.extend_from_slice(json.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_hex() {
        let mut out = Vec::new();
        push_u64(&mut out, 0);
        out.push(b' ');
        push_u64(&mut out, 18_446_744_073_709_551_615);
        out.push(b' ');
        push_padded(&mut out, 42, 4);
        out.push(b' ');
        push_hex(&mut out, 0xbeef, 6, false);
        out.push(b' ');
        push_guid(&mut out, 0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210, true);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "0 18446744073709551615 0042 00beef 01234567-89AB-CDEF-FEDC-BA9876543210"
        );
    }

    #[test]
    fn escaping_round_trips_through_serde_json() {
        let samples: [&str; 4] = [
            r#"C:\Windows\System32\cmd.exe /c "echo hi""#,
            "tab\tnew\nline\u{1}bell",
            "Microsoft® Windows® Operating System",
            "emoji 😀 and ü",
        ];
        for ascii in [false, true] {
            for s in samples {
                let mut out = Vec::new();
                let mut json = if ascii {
                    Json::python(&mut out)
                } else {
                    Json::compact(&mut out)
                };
                json.begin();
                json.str("v", s.as_bytes());
                json.num("n", 7);
                json.end();
                if ascii {
                    assert!(out.is_ascii(), "{}", String::from_utf8_lossy(&out));
                }
                let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
                assert_eq!(v["v"], s);
                assert_eq!(v["n"], 7);
            }
        }
    }

    #[test]
    fn members_are_separated_in_both_styles() {
        let mut out = Vec::new();
        let mut json = Json::compact(&mut out);
        json.begin();
        json.object("a");
        json.num_str("b", 1);
        json.raw("c", "true");
        json.end();
        json.array("d");
        json.elem(b"x");
        json.elem(b"y");
        json.end_array();
        json.end();
        assert_eq!(out, br#"{"a":{"b":"1","c":true},"d":["x","y"]}"#);
        let mut out = Vec::new();
        let mut json = Json::python(&mut out);
        json.begin();
        json.num("a", 1);
        json.str("b", "®".as_bytes());
        json.end();
        assert_eq!(out, br#"{"a": 1, "b": "\u00ae"}"#);
    }
}
