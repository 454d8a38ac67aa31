//! Event time: parsing the timestamp formats that telemetry shippers write, to UTC nanoseconds.
//!
//! [`Timestamp::parse`] is on the per-event hot path, so it works directly on bytes, allocates
//! nothing, and does a single forward pass. It accepts:
//!
//! * RFC 3339 / ISO 8601 date-times `YYYY-MM-DDTHH:MM:SS[.fffffffff][zone]`, with `T`, `t` or a
//!   single space as separator, `.` or `,` before the fraction, and zone `Z`, `z`, `±HH:MM`,
//!   `±HHMM`, `±HH` or none (no zone means UTC: Sysmon's `UtcTime` is written that way).
//!   Fractions longer than 9 digits (`evtx_dump` writes 7, some tools more) are truncated to
//!   nanoseconds.
//! * A bare date `YYYY-MM-DD`, meaning midnight UTC.
//! * An epoch count, optionally negative, optionally with a `.` fraction, whose unit is guessed
//!   from its magnitude (see [`Timestamp::parse`]).
//!
//! Leap seconds: `SS = 60` is accepted at any minute (with an offset, a leap second can fall at
//! any local minute) and read as `:59.999999999` of that minute, whatever fraction follows it.
//! That keeps the event ordered after everything in second 59 and before the next minute, which
//! is what matters for windowed detection; Unix time has no way to name the second itself.

use std::fmt;

const NANOS_PER_SEC: i64 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;

/// `10^k` for `k` in `0..=9`, for scaling short fractions up to nanoseconds.
const POW10: [u32; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

/// A point in time, as nanoseconds since the Unix epoch (UTC).
///
/// The representable range is 1677-09-21T00:12:43.145224192Z ..= 2262-04-11T23:47:16.854775807Z;
/// parsing anything outside it yields `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// A timestamp's calendar fields (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// ISO 8601 week number, 1 to 53.
    pub iso_week: u32,
}

impl Timestamp {
    /// Parses a timestamp as found in event fields; `None` if `text` is not one of the accepted
    /// formats (see the module docs), names an impossible date or time, or lies outside the
    /// representable range. Surrounding ASCII whitespace is ignored. Never panics.
    ///
    /// Epoch counts are read by magnitude of the integer part `n`: `|n| < 10^11` is seconds,
    /// `< 10^14` milliseconds, `< 10^17` microseconds, anything larger nanoseconds. A `.`
    /// fraction is a fraction of that unit (`1615685979.5` is half a second past, and
    /// `1615685979123.5` half a millisecond past); digits below one nanosecond are dropped,
    /// i.e. the value is truncated towards zero.
    #[must_use]
    pub fn parse(text: &[u8]) -> Option<Timestamp> {
        let b = text.trim_ascii();
        // Only a date-time has a '-' at index 4; an epoch count never does (its only '-' is a
        // leading sign), so this one check routes every input.
        let nanos = if b.len() >= 10 && b[4] == b'-' {
            parse_date_time(b)?
        } else {
            parse_epoch(b)?
        };
        Some(Timestamp(nanos))
    }

    /// The timestamp `n` nanoseconds after the Unix epoch.
    #[must_use]
    #[inline]
    pub const fn from_unix_nanos(n: i64) -> Timestamp {
        Timestamp(n)
    }

    /// Nanoseconds since the Unix epoch (negative before 1970).
    #[must_use]
    #[inline]
    pub const fn as_unix_nanos(self) -> i64 {
        self.0
    }

    /// `self + d` nanoseconds, or `None` if that leaves the representable range.
    #[must_use]
    #[inline]
    /// The calendar date and time of day (UTC), with the ISO 8601 week number.
    pub fn civil(self) -> Civil {
        let secs = self.0.div_euclid(1_000_000_000);
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        // ISO week: the week (Monday first) holding the year's first Thursday is week 1.
        let weekday = (days + 3).rem_euclid(7); // 0 = Monday (1970-01-01 was a Thursday)
        let thursday = days - weekday + 3;
        let (week_year, _, _) = civil_from_days(thursday);
        let week = (thursday - days_from_civil(week_year, 1, 1)) / 7 + 1;
        Civil {
            year,
            month,
            day,
            hour: (of_day / 3600) as u32,
            minute: (of_day / 60 % 60) as u32,
            second: (of_day % 60) as u32,
            iso_week: week as u32,
        }
    }

    pub const fn checked_add_nanos(self, d: i64) -> Option<Timestamp> {
        match self.0.checked_add(d) {
            Some(n) => Some(Timestamp(n)),
            None => None,
        }
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, e.g. `2021-03-14T01:40:13.660Z`: no fraction for whole seconds, else
    /// the shortest of 3, 6 or 9 digits that is exact, so `parse` gives back the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Euclidean division floors, so times before 1970 get a positive sub-second part.
        let secs = self.0.div_euclid(NANOS_PER_SEC);
        let nanos = self.0.rem_euclid(NANOS_PER_SEC);
        let (year, month, day) = civil_from_days(secs.div_euclid(SECS_PER_DAY));
        let sod = secs.rem_euclid(SECS_PER_DAY);
        let (hh, mm, ss) = (sod / 3600, sod / 60 % 60, sod % 60);
        // An i64 of nanoseconds spans only years 1677..=2262, so the year always has 4 digits;
        // the expanded ISO 8601 form keeps this total should that ever change.
        if (0..=9999).contains(&year) {
            write!(f, "{year:04}")?;
        } else {
            write!(f, "{year:+06}")?;
        }
        write!(f, "-{month:02}-{day:02}T{hh:02}:{mm:02}:{ss:02}")?;
        if nanos % 1_000_000 != 0 {
            if nanos % 1_000 == 0 {
                write!(f, ".{:06}", nanos / 1_000)?;
            } else {
                write!(f, ".{nanos:09}")?;
            }
        } else if nanos != 0 {
            write!(f, ".{:03}", nanos / 1_000_000)?;
        }
        f.write_str("Z")
    }
}

/// `YYYY-MM-DD` or `YYYY-MM-DD(T|t| )HH:MM:SS[(.|,)digits][zone]`, already trimmed, at least
/// 10 bytes long. Returns nanoseconds since the epoch.
fn parse_date_time(b: &[u8]) -> Option<i64> {
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if b[7] != b'-' || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    if b.len() == 10 {
        return to_nanos(days * SECS_PER_DAY, 0);
    }

    if b.len() < 19 || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let mut second = digits(b, 17, 2)?;
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }

    let mut rest = &b[19..];
    let mut frac = 0;
    if let [b'.' | b',', tail @ ..] = rest {
        let (f, used) = fraction(tail)?;
        frac = f;
        rest = &tail[used..];
    }
    if second == 60 {
        // Leap second: see the module docs.
        second = 59;
        frac = 999_999_999;
    }

    let offset_secs = match rest {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), zone @ ..] => {
            let (h, m) = match zone.len() {
                2 => (digits(zone, 0, 2)?, 0),
                4 => (digits(zone, 0, 2)?, digits(zone, 2, 2)?),
                5 if zone[2] == b':' => (digits(zone, 0, 2)?, digits(zone, 3, 2)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let off = i64::from(h * 3600 + m * 60);
            if *sign == b'-' { -off } else { off }
        }
        _ => return None,
    };

    // Local time minus its offset is UTC. Seconds fit i64 easily for 4-digit years.
    let secs = days * SECS_PER_DAY + i64::from(hour * 3600 + minute * 60 + second) - offset_secs;
    to_nanos(secs, frac)
}

/// A local date and time with its UTC offset (in seconds east of UTC), for formats that
/// write the parts apart (access logs). `None` for an impossible date or time; a leap
/// second reads as in [`Timestamp::parse`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn from_parts(
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    frac: u32,
    offset_secs: i64,
) -> Option<Timestamp> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
        || frac >= 1_000_000_000
    {
        return None;
    }
    let (second, frac) = if second == 60 {
        (59, 999_999_999)
    } else {
        (second, frac)
    };
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * SECS_PER_DAY + i64::from(hour * 3600 + minute * 60 + second) - offset_secs;
    to_nanos(secs, frac).map(Timestamp)
}

/// `secs` seconds plus `frac` (< 10^9) nanoseconds, if representable. Done in i128 because
/// years 0000..=9999 reach far past the i64 range, and because near `i64::MIN` the floored
/// second alone is out of range even when adding the fraction brings it back in.
#[inline]
fn to_nanos(secs: i64, frac: u32) -> Option<i64> {
    i64::try_from(i128::from(secs) * i128::from(NANOS_PER_SEC) + i128::from(frac)).ok()
}

/// An epoch count `-?digits(.digits)?`, unit chosen by magnitude (see [`Timestamp::parse`]).
fn parse_epoch(b: &[u8]) -> Option<i64> {
    let (negative, b) = match b {
        [b'-', tail @ ..] => (true, tail),
        _ => (false, b),
    };
    let int_len = b
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(b.len());
    // 19 digits hold every i64 magnitude, and cannot overflow u64 (max ~1.8e19). Longer runs
    // (even zero-padded ones) are rejected outright, which also bounds the work on junk.
    if int_len == 0 || int_len > 19 {
        return None;
    }
    let magnitude = b[..int_len]
        .iter()
        .fold(0u64, |acc, &c| acc * 10 + u64::from(c - b'0'));

    let frac = match &b[int_len..] {
        [] => 0,
        [b'.', tail @ ..] => match fraction(tail)? {
            (f, used) if used == tail.len() => u64::from(f),
            _ => return None,
        },
        _ => return None,
    };

    let unit: u64 = if magnitude < 100_000_000_000 {
        1_000_000_000 // < 10^11: seconds
    } else if magnitude < 100_000_000_000_000 {
        1_000_000 // < 10^14: milliseconds
    } else if magnitude < 100_000_000_000_000_000 {
        1_000 // < 10^17: microseconds
    } else {
        1 // nanoseconds
    };
    // `frac` is in units of 10^-9 of `unit`: scale it to nanoseconds, truncating.
    let frac_nanos = frac * unit / 1_000_000_000;
    let total = i128::from(magnitude) * i128::from(unit) + i128::from(frac_nanos);
    i64::try_from(if negative { -total } else { total }).ok()
}

/// Reads the run of ASCII digits at the start of `b` as a decimal fraction, returning it in
/// nanoseconds (digits past the ninth are consumed but dropped) and the run's length.
/// `None` if there is no digit at all.
#[inline]
fn fraction(b: &[u8]) -> Option<(u32, usize)> {
    let len = b
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(b.len());
    if len == 0 {
        return None;
    }
    let kept = len.min(9);
    let value = b[..kept]
        .iter()
        .fold(0u32, |acc, &c| acc * 10 + u32::from(c - b'0'));
    Some((value * POW10[9 - kept], len))
}

/// The `n`-digit (n <= 4) decimal number at `b[at..at + n]`, or `None` if any byte there is
/// not an ASCII digit or missing.
#[inline]
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let field = b.get(at..at + n)?;
    let mut value = 0;
    for &c in field {
        if !c.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(c - b'0');
    }
    Some(value)
}

#[inline]
fn is_leap_year(y: u32) -> bool {
    y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400))
}

#[inline]
fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if is_leap_year(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1..=12, day valid for it).
///
/// Howard Hinnant's `days_from_civil`: shifting the year to start on March 1st puts the leap
/// day last, so the day of year follows from the month alone through `(153 * mp + 2) / 5`,
/// and the calendar repeats exactly every 400-year era of 146097 days.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = i64::from((m + 9) % 12); // March = 0 .. February = 11
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468 // 719468 = days from 0000-03-01 to 1970-01-01
}

/// Inverse of [`days_from_civil`]: (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    // Both fit u32 by the ranges above.
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<i64> {
        Timestamp::parse(s.as_bytes()).map(Timestamp::as_unix_nanos)
    }

    fn show(n: i64) -> String {
        Timestamp(n).to_string()
    }

    // Expected values below were computed independently with Python's `datetime`.

    #[test]
    fn rfc3339() {
        assert_eq!(
            p("2021-03-14T01:40:13.660Z"),
            Some(1_615_686_013_660_000_000)
        );
        assert_eq!(
            p("2021-03-14t01:40:13,660z"),
            Some(1_615_686_013_660_000_000)
        );
        assert_eq!(
            p("2021-03-14T01:40:13.66Z"),
            Some(1_615_686_013_660_000_000)
        );
        assert_eq!(
            p("2021-03-14T01:40:13.660123Z"),
            Some(1_615_686_013_660_123_000)
        );
        assert_eq!(p("2021-03-14T06:39:39Z"), Some(1_615_703_979_000_000_000));
        assert_eq!(p("2038-01-19T03:14:08Z"), Some(2_147_483_648_000_000_000));
        assert_eq!(
            p("1901-12-13T20:45:52.000000001Z"),
            Some(-2_147_483_647_999_999_999)
        );
        // evtx_dump: 7 fraction digits.
        assert_eq!(
            p("2019-05-24T01:33:53.1124866Z"),
            Some(1_558_661_633_112_486_600)
        );
        // More than 9 digits: truncated, not rounded.
        assert_eq!(
            p("2021-03-14T01:40:13.1234567899999Z"),
            Some(1_615_686_013_123_456_789)
        );
        let long = format!("2021-03-14T01:40:13.123456789{}Z", "9".repeat(10_000));
        assert_eq!(p(&long), Some(1_615_686_013_123_456_789));
    }

    #[test]
    fn no_zone_is_utc() {
        // Sysmon UtcTime.
        assert_eq!(
            p("2021-03-14 06:39:39.829"),
            Some(1_615_703_979_829_000_000)
        );
        assert_eq!(p("2021-03-14T06:39:39"), Some(1_615_703_979_000_000_000));
    }

    #[test]
    fn zone_offsets() {
        let utc = Some(1_615_703_979_000_000_000); // 2021-03-14T06:39:39Z
        for s in [
            "2021-03-14T08:39:39+02:00",
            "2021-03-14T08:39:39+0200",
            "2021-03-14T08:39:39+02",
            "2021-03-14T01:09:39-05:30",
            "2021-03-14T01:09:39-0530",
            "2021-03-15T06:38:39+23:59",
            "2021-03-13T06:40:39-23:59",
            "2021-03-14T06:39:39+00:00",
            "2021-03-14T06:39:39-00:00",
            "2021-03-14T06:39:39-00",
        ] {
            assert_eq!(p(s), utc, "{s}");
        }
        assert_eq!(
            p("2021-03-14T08:39:39.829+02:00"),
            Some(1_615_703_979_829_000_000)
        );
    }

    #[test]
    fn date_only() {
        assert_eq!(p("2021-03-14"), Some(1_615_680_000_000_000_000));
        assert_eq!(p("1969-12-31"), Some(-86_400_000_000_000));
        assert_eq!(p("1970-01-01"), Some(0));
        assert_eq!(p("2000-02-29"), Some(951_782_400_000_000_000));
    }

    #[test]
    fn leap_years() {
        assert_eq!(p("2020-02-29T12:00:00Z"), Some(1_582_977_600_000_000_000));
        assert_eq!(p("2021-02-29"), None);
        assert_eq!(p("1900-02-29"), None); // divisible by 100, not 400
        assert_eq!(p("2000-02-30"), None);
        assert!(p("2004-02-29").is_some());
    }

    #[test]
    fn leap_second_is_last_nanosecond_of_minute() {
        let last = Some(1_483_228_799_999_999_999); // 2016-12-31T23:59:59.999999999Z
        assert_eq!(p("2016-12-31T23:59:60Z"), last);
        assert_eq!(p("2016-12-31T23:59:60.5Z"), last);
        assert_eq!(p("2017-01-01T05:29:60+05:30"), last);
        assert!(p("2016-12-31T23:59:59.9Z") < last);
        assert!(last < p("2017-01-01T00:00:00Z"));
    }

    #[test]
    fn range_edges() {
        assert_eq!(p("1677-09-21T00:12:43.145224192Z"), Some(i64::MIN));
        assert_eq!(p("2262-04-11T23:47:16.854775807Z"), Some(i64::MAX));
        assert_eq!(p("1677-09-21T00:12:43.145224191Z"), None);
        assert_eq!(p("2262-04-11T23:47:16.854775808Z"), None);
        assert_eq!(p("2262-04-12T00:47:16.854775807+01:00"), Some(i64::MAX));
        assert_eq!(p("0000-01-01"), None);
        assert_eq!(p("9999-12-31T23:59:59.999999999-23:59"), None);
    }

    #[test]
    fn epoch_counts() {
        assert_eq!(p("1615685979"), Some(1_615_685_979_000_000_000));
        assert_eq!(p("1615685979123"), Some(1_615_685_979_123_000_000));
        assert_eq!(p("1615685979123456"), Some(1_615_685_979_123_456_000));
        assert_eq!(p("1615685979123456789"), Some(1_615_685_979_123_456_789));
        assert_eq!(p("-1615685979"), Some(-1_615_685_979_000_000_000));
        assert_eq!(p("1615685979.123"), Some(1_615_685_979_123_000_000));
        assert_eq!(p("1615685979.1234567891"), Some(1_615_685_979_123_456_789));
        assert_eq!(p("-1.5"), Some(-1_500_000_000));
        assert_eq!(p("1615685979123.5"), Some(1_615_685_979_123_500_000));
        assert_eq!(p("1615685979123456789.9"), Some(1_615_685_979_123_456_789));
        assert_eq!(p("0"), Some(0));
        assert_eq!(p("-0"), Some(0));
        assert_eq!(p("0001"), Some(1_000_000_000));
        // Magnitude boundaries.
        assert_eq!(p("9223372036"), Some(9_223_372_036_000_000_000));
        assert_eq!(p("9223372037"), None); // seconds, but past 2262
        assert_eq!(p("99999999999"), None);
        assert_eq!(p("100000000000"), Some(100_000_000_000_000_000)); // 10^11 ms
        assert_eq!(p("9223372036854"), Some(9_223_372_036_854_000_000)); // ms
        assert_eq!(p("99999999999999"), None); // ms, but past 2262
        assert_eq!(p("100000000000000"), Some(100_000_000_000_000_000)); // 10^14 µs
        assert_eq!(p("100000000000000000"), Some(100_000_000_000_000_000)); // 10^17 ns
        assert_eq!(p("9223372036854775807"), Some(i64::MAX));
        assert_eq!(p("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(p("9223372036854775808"), None);
        assert_eq!(p("-9223372036854775809"), None);
    }

    #[test]
    fn whitespace() {
        assert_eq!(
            p("  2021-03-14T01:40:13.660Z\r\n"),
            Some(1_615_686_013_660_000_000)
        );
        assert_eq!(p("\t1615685979 "), Some(1_615_685_979_000_000_000));
        assert_eq!(p(" 2021-03-14 "), Some(1_615_680_000_000_000_000));
    }

    #[test]
    fn invalid() {
        for s in [
            "",
            "   ",
            "-",
            "+",
            "--1",
            "+1",
            "1.",
            ".5",
            "-.5",
            "1e9",
            "1.5.5",
            "1,5",
            "0x10",
            "12 34",
            "garbage",
            "2021-02-30",
            "2021-04-31",
            "2021-13-01",
            "2021-00-10",
            "2021-01-00",
            "2021-1-01",
            "2021-01-1",
            "2021/03/14",
            "2021-03-14T",
            "2021-03-14T01:40",
            "2021-03-14T24:00:01Z",
            "2021-03-14T24:00:00Z",
            "2021-03-14T23:60:00Z",
            "2021-03-14T23:59:61Z",
            "2021-03-14T1:40:13Z",
            "2021-03-14T01:40:1Z",
            "2021-03-14X01:40:13Z",
            "2021-03-14  01:40:13",
            "2021-03-14T01-40-13Z",
            "2021-03-14T01:40:13.Z",
            "2021-03-14T01:40:13.",
            "2021-03-14T01:40:13,",
            "2021-03-14T01:40:13ZZ",
            "2021-03-14T01:40:13 Z",
            "2021-03-14T01:40:13+",
            "2021-03-14T01:40:13+2",
            "2021-03-14T01:40:13+020",
            "2021-03-14T01:40:13+02:",
            "2021-03-14T01:40:13+02:0",
            "2021-03-14T01:40:13+02:00:00",
            "2021-03-14T01:40:13+24:00",
            "2021-03-14T01:40:13+23:60",
            "2021-03-14T01:40:13+2a:00",
            "2021-03-14T01:40:13UTC",
            "+2021-03-14",
            "12021-03-14",
            "2021-03-14Z",
            "２０２１-03-14",
            "2021-03-14\0",
            "99999999999999999999",
            "-99999999999999999999",
        ] {
            assert_eq!(p(s), None, "{s:?}");
        }
        assert_eq!(p(&"1".repeat(10_000)), None);
        assert_eq!(p(&"0".repeat(10_000)), None);
        assert_eq!(p(&format!("1.{}x", "1".repeat(10_000))), None);
        assert_eq!(Timestamp::parse(&[0xff, 0xfe, b'1']), None);
    }

    #[test]
    fn no_panic_on_prefixes_and_byte_soup() {
        let valid = b"2021-03-14T01:40:13.1124866+05:30";
        for end in 0..=valid.len() {
            let _ = Timestamp::parse(&valid[..end]);
            let _ = Timestamp::parse(&valid[end..]);
        }
        let alphabet = b"0123456789-+:.,TtZz \x00\xff";
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let mut buf = [0u8; 40];
        for _ in 0..50_000 {
            let len = (rng.next() % 41) as usize;
            for c in &mut buf[..len] {
                *c = alphabet[(rng.next() % alphabet.len() as u64) as usize];
            }
            if let Some(t) = Timestamp::parse(&buf[..len]) {
                // Whatever parses must display and re-parse to the same value.
                assert_eq!(Timestamp::parse(t.to_string().as_bytes()), Some(t));
            }
        }
    }

    #[test]
    fn display() {
        assert_eq!(show(0), "1970-01-01T00:00:00Z");
        assert_eq!(show(1), "1970-01-01T00:00:00.000000001Z");
        assert_eq!(show(-1), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(show(-1_000_000_000), "1969-12-31T23:59:59Z");
        assert_eq!(show(-31_536_000_000_000_000), "1969-01-01T00:00:00Z");
        assert_eq!(show(1_615_686_013_660_000_000), "2021-03-14T01:40:13.660Z");
        assert_eq!(
            show(1_615_686_013_660_123_000),
            "2021-03-14T01:40:13.660123Z"
        );
        assert_eq!(
            show(1_615_686_013_660_123_456),
            "2021-03-14T01:40:13.660123456Z"
        );
        assert_eq!(show(1_615_686_013_000_000_000), "2021-03-14T01:40:13Z");
        assert_eq!(show(i64::MIN), "1677-09-21T00:12:43.145224192Z");
        assert_eq!(show(i64::MAX), "2262-04-11T23:47:16.854775807Z");
    }

    #[test]
    fn civil_fields_and_iso_weeks() {
        let c = |s: &str| Timestamp::parse(s.as_bytes()).unwrap().civil();
        let t = c("2026-11-23T09:08:07Z");
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute, t.second),
            (2026, 11, 23, 9, 8, 7)
        );
        // Values checked with Python's date.isocalendar().
        assert_eq!(c("2026-11-23T00:00:00Z").iso_week, 48);
        assert_eq!(c("2021-01-03T00:00:00Z").iso_week, 53);
        assert_eq!(c("2021-01-04T00:00:00Z").iso_week, 1);
        assert_eq!(c("2024-12-30T00:00:00Z").iso_week, 1);
        assert_eq!(c("1969-12-31T23:59:59Z").day, 31);
    }

    #[test]
    fn accessors() {
        let t = Timestamp::from_unix_nanos(42);
        assert_eq!(t.as_unix_nanos(), 42);
        assert_eq!(t.checked_add_nanos(-50), Some(Timestamp(-8)));
        assert_eq!(Timestamp(i64::MAX).checked_add_nanos(1), None);
        assert_eq!(Timestamp(i64::MIN).checked_add_nanos(-1), None);
    }

    #[test]
    fn round_trip_fixed() {
        for n in [
            0,
            1,
            -1,
            999_999_999,
            -999_999_999,
            1_000_000,
            -1_000,
            i64::MIN,
            i64::MIN + 1,
            i64::MAX,
            i64::MAX - 1,
            -86_400_000_000_000,
            -2_208_988_800_000_000_000, // 1900-01-01
            -5_364_662_400_000_000_000, // 1800-01-01
            951_782_400_000_000_000,    // 2000-02-29
            4_107_542_400_000_000_000,  // 2100-03-01
            7_258_118_400_000_000_000,  // 2200-01-01
            1_615_686_013_660_000_000,
            1_558_661_633_112_486_600,
        ] {
            assert_eq!(p(&show(n)), Some(n), "{n} -> {}", show(n));
        }
    }

    /// Marsaglia's xorshift64: enough spread for property loops, no crates needed.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn round_trip_random() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for i in 0..200_000u32 {
            let mut n = rng.next() as i64;
            // Also exercise the 0-, 3- and 6-digit fraction forms.
            match i % 4 {
                1 => n -= n % 1_000_000_000,
                2 => n -= n % 1_000_000,
                3 => n -= n % 1_000,
                _ => {}
            }
            let s = show(n);
            assert_eq!(p(&s), Some(n), "{n} -> {s}");
        }
    }

    #[test]
    fn civil_days_agree() {
        // Both directions agree day by day over years 0000..=10000 (far beyond the i64
        // nanosecond range), and each successive day is the calendar's next date.
        let first = days_from_civil(0, 1, 1);
        assert_eq!(first, -719_528);
        let mut prev = civil_from_days(first);
        assert_eq!(prev, (0, 1, 1));
        for z in first + 1..=days_from_civil(10_000, 12, 31) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
            let (py, pm, pd) = prev;
            let next = if pd < days_in_month(py as u32, pm) {
                (py, pm, pd + 1)
            } else if pm < 12 {
                (py, pm + 1, 1)
            } else {
                (py + 1, 1, 1)
            };
            assert_eq!((y, m, d), next, "day {z}");
            prev = (y, m, d);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }
}
