//! Reports on stderr and in files: rejected lines, input errors, end-of-scan statistics.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

use tripline_engine::{Rejected, RuleSet, ScanStats};
use tripline_ingest::{EventKind, Reject, Schema};

/// How many rejected lines are shown on stderr before only counting them.
pub const REJECTS_SHOWN: u64 = 10;

/// Reports rejected lines: the first few on stderr, all of them to a file if asked.
pub struct RejectReporter {
    quiet: bool,
    shown: u64,
    file: Option<Box<dyn Write>>,
    pub file_error: Option<io::Error>,
}

impl RejectReporter {
    pub fn new(quiet: bool, file: Option<Box<dyn Write>>) -> RejectReporter {
        RejectReporter {
            quiet,
            shown: 0,
            file,
            file_error: None,
        }
    }

    pub fn report(&mut self, r: &Rejected<'_>) {
        if !self.quiet && self.shown < REJECTS_SHOWN {
            self.shown += 1;
            diagnostic!("tripline: {}:{}: {}", r.source, r.line, r.reason);
        }
        if let Some(file) = &mut self.file {
            let result = writeln!(
                file,
                "{}:{}: {}: {}",
                r.source,
                r.line,
                r.reason.key(),
                escape_prefix(r.bytes, 120)
            );
            if let Err(e) = result {
                self.file_error.get_or_insert(e);
                self.file = None;
            }
        }
    }

    pub fn finish(&mut self, stats: &ScanStats) {
        if let Some(file) = &mut self.file
            && let Err(e) = file.flush()
        {
            self.file_error.get_or_insert(e);
        }
        let hidden = stats.lines_rejected.saturating_sub(self.shown);
        if !self.quiet && hidden > 0 {
            let hint = if self.file.is_some() {
                ""
            } else {
                " (see them all with --rejects FILE)"
            };
            diagnostic!("tripline: ... and {hidden} more rejected lines{hint}");
        }
    }
}

/// The first `max` bytes of a line, printable: ASCII as is, everything else `\xNN`.
pub fn escape_prefix(bytes: &[u8], max: usize) -> String {
    let mut out = String::new();
    for &b in bytes.iter().take(max) {
        match b {
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    if bytes.len() > max {
        out.push('…');
    }
    out
}

/// The end-of-scan summary for people.
pub fn stats_text(
    stats: &ScanStats,
    rules: &RuleSet,
    elapsed: Duration,
    input_errors: usize,
) -> String {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "scanned {} inputs ({} could not be read): {} lines, {} in {:.2} s ({}/s, {} lines/s)",
        stats.inputs,
        input_errors,
        stats.lines_read,
        bytes(stats.bytes_read),
        secs,
        bytes((stats.bytes_read as f64 / secs) as u64),
        (stats.lines_read as f64 / secs) as u64
    );
    let _ = writeln!(
        s,
        "  lines: {} read = {} skipped by prefilter + {} evaluated + {} rejected + {} headers{}",
        stats.lines_read,
        stats.lines_skipped_by_prefilter,
        stats.lines_evaluated,
        stats.lines_rejected,
        stats.lines_header,
        if stats.balanced() {
            ""
        } else {
            "  (UNBALANCED: please report)"
        }
    );
    for schema in Schema::ALL {
        let row = &stats.events[schema as usize];
        if row.iter().sum::<u64>() == 0 {
            continue;
        }
        let kinds: Vec<String> = EventKind::ALL
            .iter()
            .filter(|k| row[**k as usize] > 0)
            .map(|k| format!("{} {}", k.key(), row[*k as usize]))
            .collect();
        let _ = writeln!(s, "  events {:<13} {}", schema.key(), kinds.join(", "));
    }
    let rejected: Vec<String> = Reject::ALL
        .iter()
        .filter(|r| stats.rejected[r.index()] > 0)
        .map(|r| format!("{} {}", r.key(), stats.rejected[r.index()]))
        .collect();
    if !rejected.is_empty() {
        let _ = writeln!(s, "  rejected: {}", rejected.join(", "));
    }
    let by_rule: Vec<String> = stats
        .alerts_by_rule
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| format!("{} {n}", rules.rules()[i].label()))
        .collect();
    let _ = writeln!(
        s,
        "  alerts: {}{}{}",
        stats.alerts(),
        if by_rule.is_empty() { "" } else { " — " },
        by_rule.join(", ")
    );
    let c = &stats.correlation;
    let _ = writeln!(
        s,
        "  correlation: {} late, {} without time, {} without group key, {} without value, \
         {} evaluated early, {} events and {} groups evicted, {} alerts suppressed; \
         peak {} groups, {}",
        c.late_events,
        c.untimed_events,
        c.ungrouped_events,
        c.valueless_events,
        c.early_evaluations,
        c.evicted_events,
        c.evicted_groups,
        c.suppressed_alerts,
        c.peak_groups,
        bytes(c.peak_state_bytes)
    );
    s
}

/// A byte count for people: `12.3 MB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_reports_on_one_printable_line() {
        assert_eq!(
            escape_prefix(b"a\\b\n\x00\xff", 100),
            "a\\\\b\\x0a\\x00\\xff"
        );
        assert_eq!(escape_prefix(b"abcdef", 3), "abc…");
    }

    #[test]
    fn byte_units() {
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(12_345_678), "12.3 MB");
    }
}
