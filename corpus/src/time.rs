//! Event time: nanoseconds since the Unix epoch (UTC), written in the layouts the shippers
//! use, and parsed from the command line (`2026-11-20T00:00:00Z`, `90s`, `6h`, `2d`).

use crate::json::push_padded;

pub const SECOND: i64 = 1_000_000_000;
pub const MINUTE: i64 = 60 * SECOND;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;
pub const MILLI: i64 = 1_000_000;

/// How a time is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `2026-11-20T08:55:12.4183022Z` (Windows `SystemTime`, Defender).
    Iso7,
    /// `2026-11-20T08:55:12.418Z` (Elastic, Winlogbeat, Sentinel).
    Iso3,
    /// `2026-11-20 08:55:12.418` (Sysmon `UtcTime`).
    Sysmon,
    /// `20/Nov/2026:08:55:12 +0000` (Apache and nginx access logs).
    Clf,
    /// `2026-11-20T08:55:12+00:00` (nginx `$time_iso8601`).
    IsoSeconds,
    /// `2026-11-20 08:55:12` (IIS W3C `date time`).
    W3c,
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) to days since 1970-01-01 (Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Appends `time` in `layout`.
pub fn push_time(out: &mut Vec<u8>, time: i64, layout: Layout) {
    let days = time.div_euclid(DAY);
    let in_day = time.rem_euclid(DAY);
    let (year, month, day) = civil_from_days(days);
    let secs = (in_day / SECOND) as u64;
    let (h, m, s) = (secs / 3_600, secs / 60 % 60, secs % 60);
    let frac = (in_day % SECOND) as u64;
    let year = year.clamp(0, 9_999) as u64;
    let hms = |out: &mut Vec<u8>| {
        push_padded(out, h, 2);
        out.push(b':');
        push_padded(out, m, 2);
        out.push(b':');
        push_padded(out, s, 2);
    };
    let date = |out: &mut Vec<u8>| {
        push_padded(out, year, 4);
        out.push(b'-');
        push_padded(out, u64::from(month), 2);
        out.push(b'-');
        push_padded(out, u64::from(day), 2);
    };
    match layout {
        Layout::Iso7 | Layout::Iso3 | Layout::Sysmon => {
            date(out);
            out.push(if layout == Layout::Sysmon { b' ' } else { b'T' });
            hms(out);
            out.push(b'.');
            if layout == Layout::Iso7 {
                push_padded(out, frac / 100, 7);
                out.push(b'Z');
            } else {
                push_padded(out, frac / 1_000_000, 3);
                if layout == Layout::Iso3 {
                    out.push(b'Z');
                }
            }
        }
        Layout::Clf => {
            push_padded(out, u64::from(day), 2);
            out.push(b'/');
            out.extend_from_slice(MONTHS[(month - 1) as usize]);
            out.push(b'/');
            push_padded(out, year, 4);
            out.push(b':');
            hms(out);
            out.extend_from_slice(b" +0000");
        }
        Layout::IsoSeconds => {
            date(out);
            out.push(b'T');
            hms(out);
            out.extend_from_slice(b"+00:00");
        }
        Layout::W3c => {
            date(out);
            out.push(b' ');
            hms(out);
        }
    }
}

/// Parses an RFC 3339 UTC time with whole seconds (`2026-11-20T00:00:00Z`) or a date
/// (`2026-11-20`, midnight).
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, clock) = match text.split_once(['T', ' ']) {
        Some((d, c)) => (d, Some(c.strip_suffix('Z').unwrap_or(c))),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut secs = 0i64;
    if let Some(clock) = clock {
        let mut hms = clock.split(':');
        let h: i64 = hms.next()?.parse().ok()?;
        let m: i64 = hms.next()?.parse().ok()?;
        let s: i64 = hms.next().unwrap_or("0").parse().ok()?;
        if hms.next().is_some() || h > 23 || m > 59 || s > 59 {
            return None;
        }
        secs = h * 3_600 + m * 60 + s;
    }
    Some(days_from_civil(year, month, day) * DAY + secs * SECOND)
}

/// Parses `90s`, `15m`, `6h`, `2d` (or a bare number of seconds) into nanoseconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().ok()?;
    let unit = match unit {
        "" | "s" => SECOND,
        "m" => MINUTE,
        "h" => HOUR,
        "d" => DAY,
        _ => return None,
    };
    number.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(time: i64, layout: Layout) -> String {
        let mut out = Vec::new();
        push_time(&mut out, time, layout);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn layouts() {
        let t = parse_time("2026-11-20T08:55:12Z").unwrap() + 418_302_299;
        assert_eq!(show(t, Layout::Iso7), "2026-11-20T08:55:12.4183022Z");
        assert_eq!(show(t, Layout::Iso3), "2026-11-20T08:55:12.418Z");
        assert_eq!(show(t, Layout::Sysmon), "2026-11-20 08:55:12.418");
        assert_eq!(show(t, Layout::Clf), "20/Nov/2026:08:55:12 +0000");
        assert_eq!(show(t, Layout::IsoSeconds), "2026-11-20T08:55:12+00:00");
        assert_eq!(show(t, Layout::W3c), "2026-11-20 08:55:12");
        assert_eq!(show(0, Layout::Iso3), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn calendar_round_trips_over_leap_years() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(
            parse_time("2024-02-29").unwrap() + DAY,
            parse_time("2024-03-01T00:00:00Z").unwrap()
        );
        assert_eq!(
            parse_time("2026-11-20T00:00:00Z"),
            Some(1_795_132_800 * SECOND)
        );
        assert_eq!(parse_time("2026-13-01"), None);
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(90 * SECOND));
        assert_eq!(parse_duration("5m"), Some(5 * MINUTE));
        assert_eq!(parse_duration("6h"), Some(6 * HOUR));
        assert_eq!(parse_duration("2d"), Some(2 * DAY));
        assert_eq!(parse_duration("0"), Some(0));
        assert_eq!(parse_duration("1w"), None);
        assert_eq!(parse_duration(""), None);
    }
}
