//! Where correlation state lives: on the scanner's thread, or split over shard threads by
//! a stable hash of the group key, each shard owning its groups outright (no locks:
//! observations go to their shard in batches over channels, alerts come back the same
//! way). Correlation alerts are released in the order of the observations that completed
//! them, whatever the number of shards; what completes together at a punctuation or at
//! the end goes out in event-time order.

use std::collections::{BTreeMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use tripline_ingest::Timestamp;

use super::matched::{Match, sort_for_output};
use super::state::CorrelationState;
use super::suppress::DetectionSuppressor;
use super::{CorrelationLimits, Observation};
use crate::alert::Alert;
use crate::ruleset::RuleSet;
use crate::stats::CorrelationStats;

/// Observations per batch sent to a shard.
pub(crate) const BATCH: usize = 1024;
/// Batches queued per shard before the sender waits.
const QUEUE: usize = 8;

/// The correlation state of a scan, and the suppression of its detection alerts.
pub(crate) struct Correlator {
    mode: Mode,
    detections: Option<DetectionSuppressor>,
}

enum Mode {
    Inline(CorrelationState),
    Sharded(Shards),
}

impl Correlator {
    pub fn new(rules: &Arc<RuleSet>, limits: CorrelationLimits) -> Correlator {
        let mode = if limits.shards > 0 {
            Mode::Sharded(Shards::new(rules, limits))
        } else {
            Mode::Inline(CorrelationState::new(limits))
        };
        Correlator {
            mode,
            detections: limits.suppress.map(DetectionSuppressor::new),
        }
    }

    /// A detection alert: emitted unless suppressed (then counted). With shards it waits
    /// for the correlation alerts of the observations before it, so that the output is
    /// the same as on one thread.
    pub fn detection(
        &mut self,
        alert: Alert,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(Alert),
    ) {
        let admitted = self.detections.as_mut().is_none_or(|s| s.admit(&alert));
        match &mut self.mode {
            Mode::Inline(_) if admitted => emit(alert),
            Mode::Inline(_) => stats.suppressed_alerts += 1,
            Mode::Sharded(shards) if admitted => {
                shards.detections += 1;
                let key = (shards.next, 0, 0, shards.detections);
                shards.ready.insert(key, alert);
                shards.release(emit);
            }
            Mode::Sharded(shards) => {
                shards.own.suppressed_alerts += 1;
                shards.total(stats);
            }
        }
    }

    /// Feeds an observation; emits the correlation alerts that are known (at once
    /// inline; with shards, those released so far).
    pub fn observe(
        &mut self,
        rules: &RuleSet,
        observation: Observation,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(Alert),
    ) {
        match &mut self.mode {
            Mode::Inline(state) => state.observe(rules, observation, stats, &mut |m| {
                emit(m.into_alert(rules))
            }),
            Mode::Sharded(shards) => shards.observe(rules, observation, stats, emit),
        }
    }

    /// Waits until every observation fed so far is evaluated and its alerts emitted.
    pub fn sync(&mut self, stats: &mut CorrelationStats, emit: &mut impl FnMut(Alert)) {
        if let Mode::Sharded(shards) = &mut self.mode {
            shards.sync(stats, emit);
        }
    }

    /// A punctuation: event time has reached `time` for every group.
    pub fn advance(
        &mut self,
        time: Timestamp,
        rules: &RuleSet,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(Alert),
    ) {
        match &mut self.mode {
            Mode::Inline(state) => {
                state.advance_all(time, rules, stats, &mut |m| emit(m.into_alert(rules)))
            }
            Mode::Sharded(shards) => shards.barrier(Message::Advance(time), stats, emit),
        }
    }

    /// Ends the input: completes everything pending.
    pub fn finish(
        &mut self,
        rules: &RuleSet,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(Alert),
    ) {
        match &mut self.mode {
            Mode::Inline(state) => state.finish(rules, stats, &mut |m| emit(m.into_alert(rules))),
            Mode::Sharded(shards) => shards.barrier(Message::Finish, stats, emit),
        }
    }
}

enum Message {
    /// Observations, each with its position in the scan's sequence of observations.
    Batch(Vec<(u64, Observation)>),
    Advance(Timestamp),
    Finish,
}

struct Reply {
    shard: usize,
    /// Whether this answers a batch (or a punctuation / the end).
    batch: bool,
    matches: Vec<(u64, Match)>,
    /// The shard's statistics so far.
    stats: CorrelationStats,
    panic: Option<Box<dyn std::any::Any + Send>>,
}

struct Shards {
    rules: Arc<RuleSet>,
    inboxes: Vec<Sender<Message>>,
    replies: Receiver<Reply>,
    threads: Vec<JoinHandle<()>>,
    buffers: Vec<Vec<(u64, Observation)>>,
    /// Per shard, the first position of each batch sent and not yet answered.
    sent: Vec<VecDeque<u64>>,
    next: u64,
    /// Alerts by (observation position, 0 for a detection alert raised before it or 1
    /// for a correlation alert it completed, shard, rank), until no shard can precede them.
    ready: BTreeMap<(u64, u8, usize, usize), Alert>,
    shard_stats: Vec<CorrelationStats>,
    /// Detection alerts so far (their rank among alerts of the same position).
    detections: usize,
    /// Counted on the scanner's thread (suppressed detection alerts).
    own: CorrelationStats,
}

impl Shards {
    fn new(rules: &Arc<RuleSet>, limits: CorrelationLimits) -> Shards {
        let n = limits.shards;
        let per_shard = CorrelationLimits {
            max_state: match limits.max_state {
                super::StateBudget::Keys(k) => super::StateBudget::Keys((k / n as u64).max(1)),
                super::StateBudget::Bytes(b) => super::StateBudget::Bytes((b / n as u64).max(1)),
                unbounded => unbounded,
            },
            ..limits
        };
        let (reply_tx, replies) = unbounded();
        let mut inboxes = Vec::new();
        let mut threads = Vec::new();
        for shard in 0..n {
            let (tx, rx) = bounded(QUEUE);
            inboxes.push(tx);
            let rules = rules.clone();
            let replies = reply_tx.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("tripline-shard-{shard}"))
                    .spawn(move || own_shard(shard, &rules, per_shard, &rx, &replies))
                    .expect("a shard thread can be started"),
            );
        }
        Shards {
            rules: rules.clone(),
            inboxes,
            replies,
            threads,
            buffers: (0..n).map(|_| Vec::new()).collect(),
            sent: vec![VecDeque::new(); n],
            next: 0,
            ready: BTreeMap::new(),
            shard_stats: vec![CorrelationStats::default(); n],
            detections: 0,
            own: CorrelationStats::default(),
        }
    }

    fn shard_of(&self, rules: &RuleSet, observation: &Observation) -> usize {
        let n = self.inboxes.len() as u64;
        let feed = observation.feed;
        let hash = match (
            rules.correlations[feed.correlation as usize].chain,
            &observation.group,
        ) {
            (Some(chain), _) => u64::from(chain),
            (None, Some(group)) => group.shard_hash(u64::from(feed.correlation)),
            (None, None) => 0,
        };
        (hash % n) as usize
    }

    fn observe(
        &mut self,
        rules: &RuleSet,
        observation: Observation,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(Alert),
    ) {
        let shard = self.shard_of(rules, &observation);
        self.buffers[shard].push((self.next, observation));
        self.next += 1;
        if self.buffers[shard].len() >= BATCH {
            self.send(shard);
            self.receive(false, stats);
            self.release(emit);
        }
    }

    fn send(&mut self, shard: usize) {
        let batch = std::mem::take(&mut self.buffers[shard]);
        if let Some((first, _)) = batch.first() {
            self.sent[shard].push_back(*first);
            if self.inboxes[shard].send(Message::Batch(batch)).is_err() {
                unreachable!("shards live as long as the correlator");
            }
        }
    }

    /// Takes the replies that have arrived (`wait`: at least one, blocking).
    fn receive(&mut self, wait: bool, stats: &mut CorrelationStats) -> Vec<Reply> {
        let mut barrier = Vec::new();
        let mut first = wait;
        loop {
            let reply = if first {
                first = false;
                match self.replies.recv() {
                    Ok(r) => r,
                    Err(_) => unreachable!("shards live as long as the correlator"),
                }
            } else {
                match self.replies.try_recv() {
                    Ok(r) => r,
                    Err(_) => break,
                }
            };
            if let Some(panic) = reply.panic {
                // A shard panicked: a bug; surface it on the caller's thread.
                resume_unwind(panic);
            }
            self.shard_stats[reply.shard] = reply.stats;
            if reply.batch {
                self.sent[reply.shard].pop_front();
                for (rank, (position, m)) in reply.matches.into_iter().enumerate() {
                    let alert = m.into_alert(&self.rules);
                    self.ready.insert((position, 1, reply.shard, rank), alert);
                }
            } else {
                barrier.push(Reply {
                    stats: CorrelationStats::default(),
                    ..reply
                });
            }
        }
        self.total(stats);
        barrier
    }

    fn total(&self, stats: &mut CorrelationStats) {
        let mut total = self.own.clone();
        for s in &self.shard_stats {
            total.merge(s);
        }
        *stats = total;
    }

    /// Emits the alerts no shard can still precede.
    fn release(&mut self, emit: &mut impl FnMut(Alert)) {
        let bound = (0..self.inboxes.len())
            .filter_map(|s| {
                let sent = self.sent[s].front().copied();
                let buffered = self.buffers[s].first().map(|(p, _)| *p);
                sent.into_iter().chain(buffered).min()
            })
            .min()
            .unwrap_or(u64::MAX);
        while let Some(entry) = self.ready.first_entry() {
            if entry.key().0 >= bound {
                break;
            }
            emit(entry.remove());
        }
    }

    fn sync(&mut self, stats: &mut CorrelationStats, emit: &mut impl FnMut(Alert)) {
        for shard in 0..self.inboxes.len() {
            self.send(shard);
        }
        while self.sent.iter().any(|s| !s.is_empty()) {
            self.receive(true, stats);
        }
        self.release(emit);
    }

    /// Sends a punctuation or the end to every shard after the pending batches, and emits
    /// what they complete, in event-time order.
    fn barrier(
        &mut self,
        message: Message,
        stats: &mut CorrelationStats,
        emit: &mut impl FnMut(Alert),
    ) {
        self.sync(stats, emit);
        for inbox in &self.inboxes {
            let message = match &message {
                Message::Advance(t) => Message::Advance(*t),
                _ => Message::Finish,
            };
            if inbox.send(message).is_err() {
                unreachable!("shards live as long as the correlator");
            }
        }
        let mut answers = Vec::new();
        while answers.len() < self.inboxes.len() {
            answers.extend(self.receive(true, stats));
        }
        let mut matches: Vec<Match> = answers
            .into_iter()
            .flat_map(|r| r.matches.into_iter().map(|(_, m)| m))
            .collect();
        sort_for_output(&mut matches);
        // Made into alerts one at a time: a whole fleet may complete at the end.
        for m in matches {
            emit(m.into_alert(&self.rules));
        }
    }
}

impl Drop for Shards {
    fn drop(&mut self) {
        self.inboxes.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A shard thread: owns its part of the state until the correlator closes.
fn own_shard(
    shard: usize,
    rules: &RuleSet,
    limits: CorrelationLimits,
    inbox: &Receiver<Message>,
    replies: &Sender<Reply>,
) {
    let mut state = CorrelationState::new(limits);
    let mut stats = CorrelationStats::default();
    for message in inbox {
        let mut matches = Vec::new();
        let batch = matches!(message, Message::Batch(_));
        let outcome = catch_unwind(AssertUnwindSafe(|| match message {
            Message::Batch(mut batch) => {
                state.observe_batch(rules, &mut batch, &mut stats, &mut |position, m| {
                    matches.push((*position, m))
                });
            }
            Message::Advance(time) => {
                state.advance_all(time, rules, &mut stats, &mut |m| matches.push((0, m)))
            }
            Message::Finish => state.finish(rules, &mut stats, &mut |m| matches.push((0, m))),
        }));
        let reply = Reply {
            shard,
            batch,
            matches,
            stats: stats.clone(),
            panic: outcome.err(),
        };
        if replies.send(reply).is_err() {
            return;
        }
    }
}
