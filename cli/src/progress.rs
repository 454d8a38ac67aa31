//! Progress on stderr for long scans: only on a terminal, never with --quiet.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::report::bytes;

/// Redraws one status line at most a few times a second.
pub struct Progress {
    enabled: bool,
    started: Instant,
    last_draw: Option<Instant>,
    /// Total size of the inputs, when every one is a plain file of known size.
    total_bytes: Option<u64>,
    files_total: usize,
}

/// What the status line shows.
pub struct Snapshot {
    pub bytes_done: u64,
    pub files_done: usize,
    pub events: u64,
    pub alerts: u64,
}

const REDRAW: Duration = Duration::from_millis(250);

impl Progress {
    pub fn new(quiet: bool, total_bytes: Option<u64>, files_total: usize) -> Progress {
        Progress {
            enabled: !quiet && std::io::stderr().is_terminal(),
            started: Instant::now(),
            last_draw: None,
            total_bytes,
            files_total,
        }
    }

    pub fn update(&mut self, s: &Snapshot) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if self.last_draw.is_some_and(|t| now - t < REDRAW) {
            return;
        }
        self.last_draw = Some(now);
        let secs = (now - self.started).as_secs_f64().max(1e-3);
        let mut line = format!(
            "{} read, files {}/{}, {:.0} events/s, {} alerts",
            bytes(s.bytes_done),
            s.files_done,
            self.files_total,
            s.events as f64 / secs,
            s.alerts
        );
        if let Some(total) = self.total_bytes.filter(|t| *t > 0 && s.bytes_done > 0) {
            let left = total.saturating_sub(s.bytes_done) as f64 / (s.bytes_done as f64 / secs);
            line.push_str(&format!(
                ", {:.0}% of {}, about {}s left",
                100.0 * s.bytes_done as f64 / total as f64,
                bytes(total),
                left.round() as u64
            ));
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
    }

    /// Stops estimating the time left (an input turned out to be compressed).
    pub fn forget_total(&mut self) {
        self.total_bytes = None;
    }

    /// Clears the status line.
    pub fn finish(&mut self) {
        if self.enabled && self.last_draw.is_some() {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}
