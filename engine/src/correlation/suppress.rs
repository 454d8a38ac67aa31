//! Suppression of detection alerts: an alert of the same rule and host within the window
//! (in event time) of the last one emitted is suppressed and counted. Detection alerts
//! come out in input order, so which of a burst is kept follows arrival order.
//! (Correlation alerts are suppressed per group inside their window, in event time.)

use hashbrown::HashMap;

use crate::alert::Alert;

#[derive(Debug)]
pub(crate) struct DetectionSuppressor {
    window: i64,
    /// (rule, lowercased host) → event time of the last emitted alert.
    last: HashMap<(u32, Box<str>), i64>,
    latest: i64,
    /// Entries before the next pruning of expired ones.
    prune_at: usize,
}

const PRUNE_FROM: usize = 1 << 16;

impl DetectionSuppressor {
    pub fn new(window: i64) -> DetectionSuppressor {
        DetectionSuppressor {
            window,
            last: HashMap::new(),
            latest: i64::MIN,
            prune_at: PRUNE_FROM,
        }
    }

    /// Whether `alert` goes out (and if so, it starts a new window for its key).
    /// Alerts without a time are never suppressed.
    pub fn admit(&mut self, alert: &Alert) -> bool {
        let Some(time) = alert.timestamp.map(|t| t.as_unix_nanos()) else {
            return true;
        };
        let host = alert.host.as_deref().unwrap_or("").to_ascii_lowercase();
        let key = (alert.rule_id.0, host.into_boxed_str());
        if let Some(last) = self.last.get(&key)
            && time.abs_diff(*last) < self.window.unsigned_abs()
        {
            return false;
        }
        self.last.insert(key, time);
        self.latest = self.latest.max(time);
        if self.last.len() >= self.prune_at {
            let horizon = self.latest.saturating_sub(self.window);
            self.last.retain(|_, t| *t >= horizon);
            self.prune_at = (self.last.len() * 2).max(PRUNE_FROM);
        }
        true
    }
}
