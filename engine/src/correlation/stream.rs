//! A stream of the correlation state: one correlation's group (its window and waiting
//! events in one ring, [`Window`]), or a whole chain of correlations (one reorder buffer
//! for the chain, a window per correlation and group), with its watermark; and the
//! evaluation of the events that become final, with what a match does (suppression,
//! output, feeding the correlations over it).

use std::collections::VecDeque;
use std::sync::Arc;

use hashbrown::HashMap;

use super::held::HeldEvent;
use super::matched::Match;
use super::prefetch::prefetch_address;
use super::window::{Entry, Window};
use super::{Contribution, CorrelationLimits, GroupKey};
use crate::ruleset::{CorrelationRule, RuleSet, StepSource};
use crate::stats::CorrelationStats;

/// An event waiting in a chain's reorder buffer, with the correlation and group it is for.
#[derive(Debug)]
pub(crate) struct Pending {
    target: Box<(u32, GroupKey)>,
    entry: Entry,
}

impl Pending {
    fn heap_bytes(&self) -> usize {
        self.entry.heap_bytes()
            + std::mem::size_of::<(u32, GroupKey)>()
            + self.target.1.heap_bytes()
    }
}

/// Bytes a waiting event takes in a chain's reorder buffer (besides what it holds).
pub(crate) const PENDING_BYTES: usize = std::mem::size_of::<Pending>();

/// The state of a chain of correlations, kept under one watermark so that an alert
/// reaches the correlations it feeds in order.
#[derive(Debug, Default)]
pub(crate) struct Chain {
    /// Sorted in evaluation order.
    pending: VecDeque<Pending>,
    /// Heap bytes held by the waiting events.
    pending_bytes: usize,
    windows: HashMap<(u32, GroupKey), Window>,
}

#[derive(Debug)]
pub(crate) enum Events {
    One(Window),
    Chain(Box<Chain>),
}

/// A group, or a chain: stored in the map's slot with its key, so that finding a group
/// reads one slot. Aligned to a cache line, so that a slot spans two lines, not three.
#[derive(Debug)]
#[repr(align(64))]
pub(crate) struct Stream {
    /// The correlation's index; for a chain, the number of correlations + the chain's.
    pub id: u32,
    pub key: GroupKey,
    pub watermark: i64,
    /// When the stream was last fed (an observation count), for evicting the oldest.
    pub touched: u64,
    pub events: Events,
}

/// What evaluating an event needs besides the stream.
pub(crate) struct Context<'a, E> {
    pub rules: &'a RuleSet,
    pub limits: &'a CorrelationLimits,
    pub stats: &'a mut CorrelationStats,
    pub emit: &'a mut E,
}

impl Stream {
    pub fn new(id: u32, key: GroupKey, rule: &CorrelationRule) -> Stream {
        Stream {
            id,
            key,
            watermark: i64::MIN,
            touched: 0,
            events: match rule.chain {
                None => Events::One(Window::new(rule.kind)),
                Some(_) => Events::Chain(Box::default()),
            },
        }
    }

    /// Heap bytes held by the buffers and windows, and the events in them.
    pub fn held_bytes(&self) -> usize {
        match &self.events {
            Events::One(w) => w.held_bytes(),
            Events::Chain(chain) => {
                std::mem::size_of::<Chain>()
                    + chain.pending.capacity() * PENDING_BYTES
                    + chain.pending_bytes
                    + chain.windows.capacity()
                        * (std::mem::size_of::<((u32, GroupKey), Window)>() + 1)
                    + chain
                        .windows
                        .iter()
                        .map(|((_, k), w)| k.heap_bytes() + w.held_bytes())
                        .sum::<usize>()
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        match &self.events {
            Events::One(w) => w.is_empty(),
            Events::Chain(chain) => chain.pending.is_empty() && chain.windows.is_empty(),
        }
    }

    /// Events held, waiting or in windows.
    pub fn held_events(&self) -> usize {
        match &self.events {
            Events::One(w) => w.held(),
            Events::Chain(chain) => {
                chain.pending.len() + chain.windows.values().map(Window::held).sum::<usize>()
            }
        }
    }

    /// The time of the earliest waiting event.
    pub fn earliest_waiting(&self) -> Option<i64> {
        match &self.events {
            Events::One(w) => w.next_time(),
            Events::Chain(chain) => chain.pending.front().map(|p| p.entry.time),
        }
    }

    /// Records an event (for a chain, with the correlation and group it is for): a late
    /// one is evaluated at once against the window as it is, an on-time one waits; then
    /// what is final (or over the per-group cap) is evaluated.
    pub fn observe<E: FnMut(Match)>(
        &mut self,
        cx: &mut Context<'_, E>,
        entry: Entry,
        target: Option<Box<(u32, GroupKey)>>,
    ) {
        let lateness = cx.limits.max_lateness;
        let cap = cx.limits.max_events_per_group;
        let time = entry.time;
        let late = time.saturating_add(lateness) <= self.watermark;
        if late {
            cx.stats.late_events += 1;
        }
        match &mut self.events {
            Events::One(w) => {
                if late {
                    evaluate(cx, self.id, &self.key, w, Some(entry));
                    return;
                }
                w.wait(entry, self.watermark);
                // The per-group cap: the oldest waiting events are evaluated early.
                while w.waiting() > cap {
                    cx.stats.early_evaluations += 1;
                    evaluate(cx, self.id, &self.key, w, None);
                }
            }
            Events::Chain(chain) => {
                let target = target.expect("events of a chain have targets");
                let p = Pending { target, entry };
                if late {
                    dispatch(cx, chain, p);
                    return;
                }
                chain.wait(p, self.watermark);
                while chain.pending.len() > cap {
                    let oldest = chain.pop().expect("over the cap");
                    cx.stats.early_evaluations += 1;
                    dispatch(cx, chain, oldest);
                }
            }
        }
        self.watermark = self.watermark.max(time);
        self.complete(cx, lateness);
    }

    /// Evaluates, in order, the waiting events the watermark has passed by `lateness`
    /// (`i64::MIN`: all of them).
    pub fn complete<E: FnMut(Match)>(&mut self, cx: &mut Context<'_, E>, lateness: i64) {
        let final_until = if lateness == i64::MIN {
            i64::MAX
        } else {
            self.watermark.saturating_sub(lateness)
        };
        match &mut self.events {
            Events::One(w) => {
                while w.next_time().is_some_and(|t| t <= final_until) {
                    evaluate(cx, self.id, &self.key, w, None);
                }
            }
            Events::Chain(chain) => {
                while chain
                    .pending
                    .front()
                    .is_some_and(|p| p.entry.time <= final_until)
                {
                    let p = chain.pop().expect("checked");
                    dispatch(cx, chain, p);
                }
            }
        }
    }

    /// Frees what can no longer be part of a match (window events older than the
    /// timespan before the earliest event still to be evaluated), spare room, and
    /// suppression that has run out.
    pub fn sweep(&mut self, rules: &RuleSet, lateness: i64) {
        let horizon = self.watermark.saturating_sub(lateness);
        let earliest = self.earliest_waiting().map_or(horizon, |t| t.min(horizon));
        let prune = |id: u32, w: &mut Window| {
            let timespan = rules.correlations[id as usize].timespan;
            w.prune(earliest.saturating_sub(timespan));
            w.expire_suppression(horizon);
            w.shrink();
        };
        match &mut self.events {
            Events::One(w) => prune(self.id, w),
            Events::Chain(chain) => {
                if chain.pending.is_empty() {
                    chain.pending = VecDeque::new();
                }
                chain
                    .windows
                    .iter_mut()
                    .for_each(|((id, _), w)| prune(*id, w));
                chain.windows.retain(|_, w| !w.is_empty());
            }
        }
    }

    /// Prefetches the stream's slot.
    pub fn prefetch_slot(&self) {
        let start: *const u8 = (self as *const Stream).cast();
        for offset in (0..std::mem::size_of::<Stream>()).step_by(64) {
            prefetch_address(start.wrapping_add(offset));
        }
    }

    /// Prefetches what observing an event of the stream reads first.
    pub fn prefetch(&self) {
        match &self.events {
            Events::One(w) => w.prefetch(),
            Events::Chain(_) => {}
        }
    }
}

impl Chain {
    /// Inserts an on-time event (not before the watermark by the lateness bound).
    fn wait(&mut self, p: Pending, watermark: i64) {
        self.pending_bytes += p.heap_bytes();
        if self.pending.capacity() == 0 {
            self.pending.reserve_exact(1);
        }
        // Later than every waiting event: the back, without reading it.
        if p.entry.time > watermark {
            self.pending.push_back(p);
            return;
        }
        let after = |q: &Pending| q.entry.order(&p.entry) != std::cmp::Ordering::Greater;
        let at = if self.pending.back().is_none_or(after) {
            self.pending.len()
        } else {
            self.pending.partition_point(after)
        };
        self.pending.insert(at, p);
    }

    fn pop(&mut self) -> Option<Pending> {
        let p = self.pending.pop_front()?;
        self.pending_bytes -= p.heap_bytes();
        Some(p)
    }
}

/// Evaluates a group's next waiting event, or (`now`) an event against the window as it
/// is; emits a match. A single group's correlation feeds no other (those are chains).
fn evaluate<E: FnMut(Match)>(
    cx: &mut Context<'_, E>,
    id: u32,
    group: &GroupKey,
    window: &mut Window,
    now: Option<Entry>,
) {
    let rule = &cx.rules.correlations[id as usize];
    debug_assert!(
        rule.feeds.is_empty(),
        "correlations that feed others are chains"
    );
    let (time, matched) = match now {
        None => (
            window.next_time().expect("an event to evaluate"),
            window.evaluate_next(rule, cx.stats),
        ),
        Some(entry) => (entry.time, window.evaluate_now(rule, entry, cx.stats)),
    };
    cap_window(cx, window);
    if let Some(events) = matched {
        matched_events(cx, id, group, window, time, events);
    }
}

/// Past the per-group cap, the window's oldest events are evicted (and counted).
fn cap_window<E>(cx: &mut Context<'_, E>, window: &mut Window) {
    while window.len() > cx.limits.max_events_per_group {
        window.pop_front();
        cx.stats.evicted_events += 1;
    }
}

/// A match of correlation `id` for `group`, completed at `time`: emitted unless the rule
/// only feeds others, or is suppressed. Returns its events, shared, when it feeds other
/// correlations.
fn matched_events<E: FnMut(Match)>(
    cx: &mut Context<'_, E>,
    id: u32,
    group: &GroupKey,
    window: &mut Window,
    time: i64,
    events: Vec<HeldEvent>,
) -> Option<Arc<[HeldEvent]>> {
    let rule = &cx.rules.correlations[id as usize];
    let mut emit = rule.generates;
    if let Some(span) = rule.suppress.or(cx.limits.suppress)
        && emit
    {
        if time < window.suppressed_until {
            cx.stats.suppressed_alerts += 1;
            emit = false;
        } else {
            window.suppressed_until = time.saturating_add(span);
        }
    }
    let shared: Option<Arc<[HeldEvent]>> = (!rule.feeds.is_empty()).then(|| Arc::from(&events[..]));
    if emit {
        (cx.emit)(Match {
            correlation: id,
            rule_id: rule.id,
            time,
            group: group.clone(),
            events,
        });
    }
    shared
}

/// Evaluates one event of a chain in its correlation's window; a match feeds the
/// correlations over it at once.
fn dispatch<E: FnMut(Match)>(cx: &mut Context<'_, E>, chain: &mut Chain, first: Pending) {
    // Alerts of correlations that feed others make more work (no allocation otherwise).
    let mut work = Vec::new();
    let mut next = Some(first);
    while let Some(Pending { target, entry }) = next.take().or_else(|| work.pop()) {
        let (id, group) = *target;
        let rule = &cx.rules.correlations[id as usize];
        let window = chain
            .windows
            .entry((id, group.clone()))
            .or_insert_with(|| Window::new(rule.kind));
        let time = entry.time;
        let matched = window.evaluate_now(rule, entry, cx.stats);
        cap_window(cx, window);
        let Some(events) = matched else { continue };
        let Some(events) = matched_events(cx, id, &group, window, time, events) else {
            continue;
        };
        for feed in &rule.feeds {
            let parent = &cx.rules.correlations[feed.correlation as usize];
            let StepSource::Correlation { group_index } = &parent.steps[feed.step as usize].source
            else {
                continue;
            };
            if let Some(parent_group) = group.select(group_index) {
                work.push(Pending {
                    target: Box::new((feed.correlation, parent_group)),
                    entry: Entry {
                        time,
                        step: feed.step,
                        value: None,
                        contribution: Contribution::Alert(events.clone()),
                    },
                });
            }
        }
    }
}
