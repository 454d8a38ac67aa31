//! NCSA `combined` and `common` lines (Apache's and nginx's defaults):
//! `host ident user [10/Oct/2000:13:55:36 -0700] "request" status bytes ["referer" "agent"]`.
//!
//! Quoted fields are read up to the first `"` not escaped by `\`; a field holding escapes
//! (Apache writes `\"`, `\\` and `\xhh`, nginx `\xHH`) is unescaped into the buffer.

use memchr::{memchr, memchr2};

use super::{AccessFormat, AccessLine, complete_uri, field, request, value};
use crate::json::Loc;
use crate::reject::{AccessLogError, Reject};
use crate::timestamp::{Timestamp, from_parts};

/// Where the head of a CLF line ends: `host ident user [`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Head {
    host_end: usize,
    ident_end: usize,
    /// The space before `[`.
    bracket: usize,
}

/// The head of a CLF line: three space-separated tokens (the user may hold spaces), then
/// ` [`; `None` when `line` does not start like one.
pub(crate) fn head(line: &[u8]) -> Option<Head> {
    // Host and ident are short: a plain scan beats a vectorised search's set-up.
    let host_end = line.iter().position(|b| *b == b' ')?;
    let ident_end = host_end + 1 + line[host_end + 1..].iter().position(|b| *b == b' ')?;
    let bracket = ident_end + memchr(b'[', &line[ident_end..])? - 1;
    (host_end > 0 && bracket > ident_end && line[bracket] == b' ').then_some(Head {
        host_end,
        ident_end,
        bracket,
    })
}

/// Reads a line with a CLF [`Head`] into `access`; returns its time.
pub(crate) fn parse(
    head: Head,
    access: &mut AccessLine,
    line: &[u8],
    buffer: &mut Vec<u8>,
) -> Result<Option<Timestamp>, Reject> {
    let truncated = Reject::AccessLog(AccessLogError::Truncated);
    let bad = Reject::AccessLog(AccessLogError::BadField);
    let Head {
        host_end,
        ident_end,
        bracket,
    } = head;
    access.reset(AccessFormat::Common);
    access.values[field::C_IP] = value(Loc::Line, line, 0, host_end);
    access.values[field::CS_USERNAME] = value(Loc::Line, line, ident_end + 1, bracket);

    let time_start = bracket + 2;
    // Times are 26 bytes long; look for `]` only when this one is not.
    let time_end = match line.get(time_start + TIME_LEN) {
        Some(b']') => time_start + TIME_LEN,
        _ => time_start + memchr(b']', &line[time_start..]).ok_or(truncated)?,
    };
    let time = parse_time(&line[time_start..time_end])
        .ok_or(Reject::AccessLog(AccessLogError::BadTime))?;

    let mut at = time_end + 1;
    let request = quoted(line, &mut at, buffer)?;
    request::split_into(access, line, buffer, request);
    access.values[field::SC_STATUS] = token(line, &mut at)?;
    if access.values[field::SC_STATUS].is_missing() {
        return Err(bad);
    }
    access.values[field::SC_BYTES] = token(line, &mut at)?;
    if at < line.len() {
        access.format = AccessFormat::Combined;
        access.values[field::CS_REFERER] = quoted(line, &mut at, buffer)?;
        access.values[field::CS_USER_AGENT] = quoted(line, &mut at, buffer)?;
        // Further fields (nginx's `main` adds "$http_x_forwarded_for") are not read.
        if at < line.len() && line[at] != b' ' {
            return Err(bad);
        }
    }
    complete_uri(access, line, buffer);
    Ok(Some(time))
}

/// A space, then a token up to the next space or the end; `at` moves past it.
fn token(line: &[u8], at: &mut usize) -> Result<crate::json::RawValue, Reject> {
    match line.get(*at) {
        Some(b' ') => {}
        Some(_) => return Err(Reject::AccessLog(AccessLogError::BadField)),
        None => return Err(Reject::AccessLog(AccessLogError::Truncated)),
    }
    let start = *at + 1;
    let end = line[start..]
        .iter()
        .position(|b| *b == b' ')
        .map_or(line.len(), |e| start + e);
    if start == end {
        return Err(Reject::AccessLog(AccessLogError::BadField));
    }
    *at = end;
    Ok(value(Loc::Line, line, start, end))
}

/// A space, then a `"`-quoted field; `at` moves past its closing quote. The value is a
/// span of the line, or an unescaped copy in `buffer` when it holds `\` escapes.
fn quoted(
    line: &[u8],
    at: &mut usize,
    buffer: &mut Vec<u8>,
) -> Result<crate::json::RawValue, Reject> {
    match line.get(*at..*at + 2) {
        Some(b" \"") => {}
        Some(_) => return Err(Reject::AccessLog(AccessLogError::BadField)),
        None => return Err(Reject::AccessLog(AccessLogError::Truncated)),
    }
    let start = *at + 2;
    let mut end = start;
    let mut escaped = false;
    loop {
        let Some(offset) = memchr2(b'"', b'\\', &line[end..]) else {
            return Err(Reject::AccessLog(AccessLogError::Truncated));
        };
        end += offset;
        if line[end] == b'"' {
            break;
        }
        escaped = true;
        end += 2;
        if end > line.len() {
            return Err(Reject::AccessLog(AccessLogError::Truncated));
        }
    }
    *at = end + 1;
    if !escaped {
        return Ok(value(Loc::Line, line, start, end));
    }
    let from = buffer.len();
    unescape_into(&line[start..end], buffer);
    Ok(value(Loc::Unescaped, buffer, from, buffer.len()))
}

/// Undoes Apache's and nginx's escapes: `\"`, `\\`, `\xhh`, `\n`, `\r`, `\t`. Any other
/// backslash is kept as it is.
fn unescape_into(escaped: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < escaped.len() {
        let Some(offset) = memchr(b'\\', &escaped[i..]) else {
            out.extend_from_slice(&escaped[i..]);
            return;
        };
        out.extend_from_slice(&escaped[i..i + offset]);
        i += offset;
        let (byte, used) = match escaped.get(i + 1) {
            Some(b'"') => (b'"', 2),
            Some(b'\\') => (b'\\', 2),
            Some(b'n') => (b'\n', 2),
            Some(b'r') => (b'\r', 2),
            Some(b't') => (b'\t', 2),
            Some(b'x') => match escaped.get(i + 2..i + 4).and_then(hex_byte) {
                Some(b) => (b, 4),
                None => (b'\\', 1),
            },
            _ => (b'\\', 1),
        };
        out.push(byte);
        i += used;
    }
}

fn hex_byte(two: &[u8]) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(two[0])? * 16 + digit(two[1])?) as u8)
}

/// The length of a CLF time.
const TIME_LEN: usize = 26;

/// `10/Oct/2000:13:55:36 -0700` (Apache's `%t`, nginx's `$time_local`).
pub(crate) fn parse_time(t: &[u8]) -> Option<Timestamp> {
    if t.len() != TIME_LEN || t[2] != b'/' || t[6] != b'/' || t[11] != b':' || t[20] != b' ' {
        return None;
    }
    if t[14] != b':' || t[17] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        t[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let month = MONTHS
        .iter()
        .position(|m| t[3..6].eq_ignore_ascii_case(m))? as u32
        + 1;
    let sign = match t[21] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (zone_hours, zone_minutes) = (num(22..24)?, num(24..26)?);
    if zone_hours > 23 || zone_minutes > 59 {
        return None;
    }
    let offset = sign * i64::from(zone_hours * 3600 + zone_minutes * 60);
    from_parts(
        num(7..11)?,
        month,
        num(0..2)?,
        num(12..14)?,
        num(15..17)?,
        num(18..20)?,
        0,
        offset,
    )
}

const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_with_offsets_read_as_utc() {
        let t = |s: &str| parse_time(s.as_bytes()).map(|t| t.to_string());
        assert_eq!(
            t("10/Oct/2000:13:55:36 -0700").as_deref(),
            Some("2000-10-10T20:55:36Z")
        );
        assert_eq!(
            t("29/Feb/2024:00:00:00 +0130").as_deref(),
            Some("2024-02-28T22:30:00Z")
        );
        for bad in [
            "29/Feb/2023:00:00:00 +0000",
            "10/Foo/2000:13:55:36 -0700",
            "10/Oct/2000:25:55:36 -0700",
            "10/Oct/2000:13:55:36 0700",
            "10/Oct/2000:13:55:36",
            "2000-10-10T13:55:36Z",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }

    #[test]
    fn escapes_are_undone() {
        let mut out = Vec::new();
        unescape_into(br#"a\"b\\c\x41\x7Bd\qe\x4"#, &mut out);
        assert_eq!(out, br#"a"b\cA{d\qe\x4"#);
    }

    #[test]
    fn heads() {
        assert!(head(b"1.2.3.4 - - [x").is_some());
        assert!(head(b"1.2.3.4 - frank smith [x").is_some());
        assert!(head(b"1.2.3.4 - [x").is_none());
        assert!(head(b" a b [x").is_none());
        assert!(head(b"a b c[x").is_none());
        assert!(head(b"[").is_none());
        assert!(head(b"2026-11-20 10:00:00 GET /").is_none());
    }
}
