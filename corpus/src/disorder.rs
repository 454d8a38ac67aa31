//! Time disorder (`--shuffle-window`): each line leaves at its event time plus a random
//! delay below the window, as shippers and web servers deliver them, so that replay sees
//! events out of order by up to the window.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::rng::Rng;

/// Items (slots) waiting to leave in order of arrival.
pub struct Disorder {
    window: i64,
    rng: Rng,
    heap: BinaryHeap<Reverse<(i64, u64, u32)>>,
    order: u64,
}

impl Disorder {
    pub fn new(window: i64, seed: u64) -> Disorder {
        Disorder {
            window: window.max(0),
            rng: Rng::derive(seed, 0x7368_7566),
            heap: BinaryHeap::new(),
            order: 0,
        }
    }

    /// An item whose event happened at `time`.
    pub fn push(&mut self, time: i64, slot: u32) {
        let delay = if self.window > 0 {
            self.rng.below(self.window as u64) as i64
        } else {
            0
        };
        self.order += 1;
        self.heap
            .push(Reverse((time.saturating_add(delay), self.order, slot)));
    }

    /// The next item that may leave once no later item can arrive before `now` (items
    /// are pushed in event-time order, so every later one arrives at `now` or after).
    pub fn ready(&mut self, now: i64) -> Option<u32> {
        match self.heap.peek() {
            Some(&Reverse((arrival, _, slot))) if arrival <= now => {
                self.heap.pop();
                Some(slot)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_window_order_is_kept() {
        let mut d = Disorder::new(0, 1);
        let mut out = Vec::new();
        for (i, t) in [5, 5, 7, 9].into_iter().enumerate() {
            d.push(t, i as u32);
            while let Some(s) = d.ready(t) {
                out.push(s);
            }
        }
        assert_eq!(out, [0, 1, 2, 3]);
    }

    #[test]
    fn a_window_disorders_within_its_bound_and_loses_nothing() {
        let mut d = Disorder::new(100, 2);
        let mut out = Vec::new();
        let times: Vec<i64> = (0..1_000).map(|i| i * 10).collect();
        for (i, &t) in times.iter().enumerate() {
            d.push(t, i as u32);
            while let Some(s) = d.ready(t) {
                out.push(s);
            }
        }
        while let Some(s) = d.ready(i64::MAX) {
            out.push(s);
        }
        let mut sorted = out.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..1_000).collect::<Vec<u32>>());
        assert_ne!(out, sorted, "some disorder");
        // An item never leaves after one whose event is a window later.
        for (pos, &s) in out.iter().enumerate() {
            for &later in &out[pos + 1..] {
                assert!(times[later as usize] + 100 > times[s as usize]);
            }
        }
    }
}
