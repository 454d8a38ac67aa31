//! The HTTP request line an access log records (`GET /a?b=c HTTP/1.1`): its method,
//! target and protocol version.

use super::{AccessLine, field, part, text};
use crate::json::RawValue;

/// Records the method, target (`cs-uri`) and version of the request line `request` (a
/// recorded value), when it has the shape `METHOD target [HTTP/x]`. Anything else (`-`,
/// the bytes of a TLS handshake sent to a plain-HTTP port) is kept as the raw `request`
/// only: such lines are scanner noise worth seeing, not malformed logs.
pub(crate) fn split_into(access: &mut AccessLine, line: &[u8], buffer: &[u8], request: RawValue) {
    if request.is_missing() {
        return;
    }
    access.offer(field::REQUEST, request);
    let bytes = text(line, buffer, request);
    // Methods and versions are short: plain scans, no vectorised search set-up.
    let Some(method_end) = bytes.iter().position(|b| !is_token(*b)) else {
        return;
    };
    if method_end == 0 || bytes[method_end] != b' ' {
        return;
    }
    let target_start = method_end + 1;
    let mut target_end = bytes.len();
    let mut version = RawValue::MISSING;
    let tail = bytes
        .len()
        .saturating_sub(MAX_VERSION + 1)
        .max(target_start);
    if let Some(last_space) = bytes[tail..].iter().rposition(|b| *b == b' ')
        && bytes[tail + last_space + 1..].starts_with(b"HTTP/")
    {
        target_end = tail + last_space;
        version = part(request, target_end + 1, bytes.len());
    }
    if target_start >= target_end {
        return;
    }
    access.offer(field::CS_METHOD, part(request, 0, method_end));
    access.offer(field::CS_URI, part(request, target_start, target_end));
    access.offer(field::CS_VERSION, version);
}

/// The longest protocol version looked for at the end of a request (`HTTP/1.1`,
/// `HTTP/2.0`, with room to spare).
const MAX_VERSION: usize = 12;

/// An HTTP token character (RFC 9110), the characters of a method.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{Kind, Loc};

    fn split(request: &str) -> [Option<String>; 3] {
        let line = request.as_bytes();
        let mut access = AccessLine::default();
        let whole = RawValue {
            kind: Kind::String,
            loc: Loc::Line,
            start: 0,
            len: line.len() as u32,
        };
        split_into(&mut access, line, &[], whole);
        [field::CS_METHOD, field::CS_URI, field::CS_VERSION].map(|f| {
            let v = access.values[f];
            (!v.is_missing()).then(|| String::from_utf8_lossy(text(line, &[], v)).into_owned())
        })
    }

    #[test]
    fn request_lines_split_into_method_target_and_version() {
        let s = |x: &str| Some(x.to_owned());
        assert_eq!(
            split("GET /a?b=c HTTP/1.1"),
            [s("GET"), s("/a?b=c"), s("HTTP/1.1")]
        );
        assert_eq!(split("GET /index.html"), [s("GET"), s("/index.html"), None]);
        // A target with spaces (clients that do not encode them) stays whole.
        assert_eq!(
            split("GET /a b c HTTP/1.0"),
            [s("GET"), s("/a b c"), s("HTTP/1.0")]
        );
        assert_eq!(split("-"), [None, None, None]);
        assert_eq!(split("\u{16}\u{3}\u{1}\u{0}"), [None, None, None]);
        assert_eq!(split("GET  HTTP/1.1"), [None, None, None]);
        assert_eq!(split("G<T /x HTTP/1.1"), [None, None, None]);
    }
}
