//! W3C extended log lines (IIS): space-separated values named by the latest `#Fields:`
//! directive of the input, `-` for none, `+` for a space in `cs(User-Agent)` and
//! `cs(Cookie)`. The header may change mid-file; each line follows the latest one.

use memchr::memchr;

use super::{AccessFormat, AccessLine, complete_uri, field, field_index, text, value};
use crate::json::{Loc, PathTrie, Slots};
use crate::reject::{AccessLogError, Reject};
use crate::timestamp::{Timestamp, from_parts};

/// The directives in force for the current input.
#[derive(Clone, Debug, Default)]
pub(crate) struct State {
    /// The columns of the latest `#Fields:`, if any.
    columns: Option<Vec<Column>>,
    /// The date of the latest `#Date:`, for lines without a `date` field.
    date: Option<(u32, u32, u32)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Column {
    /// A webserver field (index into `FIELDS`).
    Field(usize),
    /// Another column, by its normalised name (looked up as a root key).
    Other(Box<[u8]>),
}

impl State {
    pub fn has_fields(&self) -> bool {
        self.columns.is_some()
    }
}

/// Reads a `#` directive line. `#Fields:` and `#Date:` change the state; `#Software:`,
/// `#Version:`, `#Start-Date:`, `#End-Date:` and `#Remark:` are accepted as they are.
pub(crate) fn directive(state: &mut State, line: &[u8]) -> Result<(), Reject> {
    let unknown = Reject::AccessLog(AccessLogError::UnknownFormat);
    let body = &line[1..];
    let colon = memchr(b':', body).ok_or(unknown)?;
    let (name, rest) = (&body[..colon], body[colon + 1..].trim_ascii());
    let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
    if is("Fields") {
        let columns: Vec<Column> = rest
            .split(|b| *b == b' ' || *b == b'\t')
            .filter(|n| !n.is_empty())
            .map(column)
            .collect();
        if columns.is_empty() {
            return Err(Reject::AccessLog(AccessLogError::BadField));
        }
        state.columns = Some(columns);
        Ok(())
    } else if is("Date") {
        state.date = Some(date(rest.get(..10).unwrap_or(rest)).ok_or(bad_time())?);
        Ok(())
    } else if ["Software", "Version", "Start-Date", "End-Date", "Remark"]
        .iter()
        .any(|n| is(n))
    {
        Ok(())
    } else {
        Err(unknown)
    }
}

/// A column name as Sigma spells it: lowercase, `cs(User-Agent)` as `cs-user-agent`.
fn column(name: &[u8]) -> Column {
    let mut normal: Vec<u8> = name.to_ascii_lowercase();
    if let Some(open) = memchr(b'(', &normal)
        && normal.last() == Some(&b')')
    {
        normal.pop();
        normal[open] = b'-';
    }
    match field_index(&normal) {
        Some(f) => Column::Field(f),
        None => Column::Other(normal.into()),
    }
}

/// Whether `line` starts with a W3C date (`YYYY-MM-DD `): a data line, for telling
/// "no `#Fields:` yet" apart from an unknown format.
pub(crate) fn starts_with_date(line: &[u8]) -> bool {
    line.len() > 10 && line[10] == b' ' && date(&line[..10]).is_some()
}

/// Reads a data line by the `#Fields:` in force into `access` (webserver fields) and
/// `slots` (other columns a rule wants); returns its time.
pub(crate) fn parse(
    state: &State,
    access: &mut AccessLine,
    trie: &PathTrie,
    line: &[u8],
    buffer: &mut Vec<u8>,
    slots: &mut Slots,
) -> Result<Option<Timestamp>, Reject> {
    let columns = state
        .columns
        .as_deref()
        .ok_or(Reject::AccessLog(AccessLogError::W3cNoFields))?;
    let count_differs = Reject::AccessLog(AccessLogError::W3cFieldCount);
    access.reset(AccessFormat::W3c);
    // One pass over the separators; a line with more or fewer values than columns is
    // rejected (what was recorded of it is dropped with it).
    let mut spaces = Spaces::new(line);
    let mut start = 0;
    for (i, column) in columns.iter().enumerate() {
        let end = match spaces.next() {
            Some(space) => space,
            None if i + 1 == columns.len() => line.len(),
            None => return Err(count_differs),
        };
        if i + 1 == columns.len() && end != line.len() {
            return Err(count_differs);
        }
        match column {
            Column::Field(f) if (*f == field::CS_USER_AGENT || *f == field::CS_COOKIE) => {
                access.values[*f] = spaced(line, start, end, buffer);
            }
            Column::Field(f) => access.values[*f] = value(Loc::Line, line, start, end),
            Column::Other(name) => {
                if let Some(slot) = trie.root_slot(name) {
                    let v = value(Loc::Line, line, start, end);
                    if !v.is_missing() {
                        slots.set(slot, v);
                    }
                }
            }
        }
        start = end + 1;
    }
    let time = time(state, access, line)?;
    complete_uri(access, line, buffer);
    Ok(time)
}

/// The positions of the spaces of a line, eight bytes at a time. W3C lines have a space
/// every 10-20 bytes, too often for a vectorised search to pay for its set-up per hit.
struct Spaces<'l> {
    line: &'l [u8],
    /// Offset of the word `mask` was taken from.
    base: usize,
    /// One bit (the top bit of a byte) per space of the current word not yet returned.
    mask: u64,
}

impl<'l> Spaces<'l> {
    fn new(line: &'l [u8]) -> Spaces<'l> {
        let mut spaces = Spaces {
            line,
            base: 0,
            mask: 0,
        };
        spaces.mask = spaces.word_mask(0);
        spaces
    }

    /// The spaces among the eight bytes at `at` (fewer at the end of the line).
    fn word_mask(&self, at: usize) -> u64 {
        let mut word = [0u8; 8];
        match self.line.get(at..at + 8) {
            Some(full) => word.copy_from_slice(full),
            None => {
                let rest = self.line.get(at..).unwrap_or_default();
                word[..rest.len()].copy_from_slice(rest);
            }
        }
        // Spaces become zero bytes (padding past the line becomes 0x20, never zero); set
        // the top bit of exactly the zero bytes (no borrow between bytes, unlike x - 0x01..).
        let x = u64::from_le_bytes(word) ^ 0x2020_2020_2020_2020;
        let low = 0x7F7F_7F7F_7F7F_7F7F;
        !(((x & low) + low) | x | low)
    }
}

impl Iterator for Spaces<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.base += 8;
            if self.base >= self.line.len() {
                return None;
            }
            self.mask = self.word_mask(self.base);
        }
        let bit = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(self.base + bit / 8)
    }
}

/// A value in which IIS wrote `+` for each space: the span, or a copy with spaces.
fn spaced(line: &[u8], start: usize, end: usize, buffer: &mut Vec<u8>) -> crate::json::RawValue {
    let raw = &line[start..end];
    if memchr(b'+', raw).is_none() {
        return value(Loc::Line, line, start, end);
    }
    let from = buffer.len();
    buffer.extend_from_slice(raw);
    for b in &mut buffer[from..] {
        if *b == b'+' {
            *b = b' ';
        }
    }
    value(Loc::Unescaped, buffer, from, buffer.len())
}

/// The line's time: its `date` (or the `#Date:` directive's) and `time` fields, in UTC
/// as IIS writes them.
fn time(state: &State, access: &AccessLine, line: &[u8]) -> Result<Option<Timestamp>, Reject> {
    let (date_value, time_value) = (access.values[field::DATE], access.values[field::TIME]);
    let day = if date_value.is_missing() {
        state.date
    } else {
        Some(date(text(line, &[], date_value)).ok_or(bad_time())?)
    };
    if time_value.is_missing() {
        return Ok(None);
    }
    let t = text(line, &[], time_value);
    let (Some((year, month, day)), Some(hms)) = (day, clock(t)) else {
        return Err(bad_time());
    };
    let (hour, minute, second, frac) = hms;
    from_parts(year, month, day, hour, minute, second, frac, 0)
        .map(Some)
        .ok_or(bad_time())
}

fn bad_time() -> Reject {
    Reject::AccessLog(AccessLogError::BadTime)
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() {
        return None;
    }
    b.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

/// `YYYY-MM-DD` as (year, month, day); the calendar is checked later.
fn date(b: &[u8]) -> Option<(u32, u32, u32)> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&b[..4])?, digits(&b[5..7])?, digits(&b[8..])?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

/// `HH:MM:SS[.fff]` as (hour, minute, second, nanoseconds).
fn clock(b: &[u8]) -> Option<(u32, u32, u32, u32)> {
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (h, m, s) = (digits(&b[..2])?, digits(&b[3..5])?, digits(&b[6..8])?);
    let frac = match &b[8..] {
        [] => 0,
        [b'.', f @ ..] if !f.is_empty() && f.len() <= 9 => {
            digits(f)? * 10u32.pow(9 - f.len() as u32)
        }
        _ => return None,
    };
    Some((h, m, s, frac))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_are_normalised() {
        assert_eq!(
            column(b"cs(User-Agent)"),
            Column::Field(field::CS_USER_AGENT)
        );
        assert_eq!(column(b"cs(Referer)"), Column::Field(field::CS_REFERER));
        assert_eq!(column(b"c-ip"), Column::Field(field::C_IP));
        assert_eq!(
            column(b"S-ComputerName"),
            Column::Field(field::S_COMPUTERNAME)
        );
        assert_eq!(
            column(b"cs(X-Forwarded-For)"),
            Column::Other(b"cs-x-forwarded-for"[..].into())
        );
    }

    #[test]
    fn directives() {
        let mut state = State::default();
        assert!(
            directive(
                &mut state,
                b"#Software: Microsoft Internet Information Services 10.0"
            )
            .is_ok()
        );
        assert!(!state.has_fields());
        assert!(directive(&mut state, b"#Date: 2026-11-20 10:00:00").is_ok());
        assert_eq!(state.date, Some((2026, 11, 20)));
        assert!(directive(&mut state, b"#Fields: date time c-ip").is_ok());
        assert_eq!(state.columns.as_ref().map(Vec::len), Some(3));
        let reason = |line: &[u8]| directive(&mut State::default(), line).unwrap_err().key();
        assert_eq!(reason(b"#Fields:"), "access_log_bad_field");
        assert_eq!(reason(b"#Date: yesterday"), "access_log_bad_time");
        assert_eq!(reason(b"# just a comment"), "unknown_line_format");
        assert_eq!(reason(b"#Nope: x"), "unknown_line_format");
    }

    #[test]
    fn spaces_are_found_in_every_position() {
        for len in 0..40 {
            for seed in 0..8u64 {
                let line: Vec<u8> = (0..len)
                    .map(|i| {
                        if (i as u64 * 7 + seed).is_multiple_of(5) {
                            b' '
                        } else {
                            b'a' + (i % 26) as u8
                        }
                    })
                    .collect();
                let want: Vec<usize> = memchr::memchr_iter(b' ', &line).collect();
                assert_eq!(Spaces::new(&line).collect::<Vec<_>>(), want, "{line:?}");
            }
        }
        // Bytes next to a space (0x1F, 0x21, 0xA0) are not spaces.
        let line = b"\x1f \x21\xa0 ";
        assert_eq!(Spaces::new(line).collect::<Vec<_>>(), [1, 4]);
    }

    #[test]
    fn clocks_and_dates() {
        assert_eq!(clock(b"10:00:01"), Some((10, 0, 1, 0)));
        assert_eq!(clock(b"10:00:01.5"), Some((10, 0, 1, 500_000_000)));
        assert_eq!(clock(b"10:00"), None);
        assert_eq!(clock(b"10:00:01."), None);
        assert_eq!(date(b"2026-11-20"), Some((2026, 11, 20)));
        assert_eq!(date(b"2026-13-20"), None);
        assert!(starts_with_date(b"2026-11-20 10:00:00 GET"));
        assert!(!starts_with_date(b"2026-11-20"));
    }
}
