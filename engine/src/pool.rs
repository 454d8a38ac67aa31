//! The worker pool behind a multi-threaded [`Scanner`](crate::Scanner): the caller's
//! thread cuts input into jobs (blocks of complete lines) without reading them, worker
//! threads prefilter, number (see [`chain`](crate::chain)), parse and evaluate them, and
//! the caller's thread replays their results in input order through the same code as a
//! single-threaded scan — so the output does not depend on the number of threads. Jobs
//! in flight are bounded, and so is memory.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use tripline_ingest::{Block, Framed, Line, Piece, Reject, SourceContext};

use crate::alert::Alert;
use crate::chain::{Baton, Handover, Link};
use crate::correlation::Observation;
use crate::ruleset::RuleSet;
use crate::scanner::Rejected;
use crate::stats::ScanStats;
use crate::worker::{Actions, Worker};

/// One unit of work: a piece of one input.
struct Job {
    seq: u64,
    source: Arc<str>,
    /// The host of the input's events that name none.
    host: Option<Arc<str>>,
    prefilter: bool,
    max_line: usize,
    link: Link,
    work: Work,
}

/// A job's lines; the chain numbers them.
enum Work {
    /// Complete lines.
    Block(Shared),
    /// A line that straddled two reads.
    Line(Vec<u8>),
    TooLong(u64),
}

/// Complete lines handed to a worker without a copy: `bytes[start..end]` of a buffer.
pub(crate) enum Shared {
    /// A buffer the worker gives back (for reuse) when done.
    Owned(Vec<u8>, usize, usize),
    /// Bytes shared with the caller (a memory map), dropped when done.
    Shared(Arc<dyn AsRef<[u8]> + Send + Sync>, usize, usize),
}

impl Shared {
    fn lines(&self) -> &[u8] {
        match self {
            Shared::Owned(bytes, start, end) => &bytes[*start..*end],
            Shared::Shared(bytes, start, end) => &(**bytes).as_ref()[*start..*end],
        }
    }
}

/// Where a piece of input comes from and how to scan it.
#[derive(Clone, Copy)]
pub(crate) struct Origin<'a> {
    pub source: &'a Arc<str>,
    /// The host of the input's events that name none.
    pub host: Option<&'a Arc<str>>,
    pub prefilter: bool,
    pub max_line: usize,
}

/// A job's results, to replay in order.
pub(crate) struct Done {
    seq: u64,
    pub stats: ScanStats,
    pub actions: Vec<Action>,
    /// The job's buffer, returned for reuse; or the panic a worker hit.
    outcome: Result<Vec<u8>, Box<dyn std::any::Any + Send>>,
}

/// What a worker saw, in order.
pub(crate) enum Action {
    Alert(Alert),
    Observe(Observation),
    Reject(OwnedReject),
}

pub(crate) struct OwnedReject {
    pub source: Arc<str>,
    pub line: u64,
    pub reason: Reject,
    pub bytes: Vec<u8>,
}

impl OwnedReject {
    pub fn as_rejected(&self) -> Rejected<'_> {
        Rejected {
            source: &self.source,
            line: self.line,
            reason: self.reason,
            bytes: &self.bytes,
        }
    }
}

/// Records a worker's actions for replay.
struct Recorder {
    stats: ScanStats,
    actions: Vec<Action>,
}

impl Actions for Recorder {
    fn stats(&mut self) -> &mut ScanStats {
        &mut self.stats
    }

    fn alert(&mut self, alert: Alert) {
        self.actions.push(Action::Alert(alert));
    }

    fn observe(&mut self, observation: Observation) {
        self.actions.push(Action::Observe(observation));
    }

    fn reject(&mut self, rejected: &Rejected<'_>) {
        self.actions.push(Action::Reject(OwnedReject {
            source: Arc::from(rejected.source),
            line: rejected.line,
            reason: rejected.reason,
            bytes: rejected.bytes.to_vec(),
        }));
    }
}

pub(crate) struct Pool {
    jobs: Option<Sender<Job>>,
    results: Receiver<Done>,
    threads: Vec<JoinHandle<()>>,
    next_seq: u64,
    next_replay: u64,
    /// Results that arrived before their turn.
    early: BTreeMap<u64, Done>,
    in_flight: usize,
    max_in_flight: usize,
    spare_buffers: Vec<Vec<u8>>,
    /// The hand-over the next job waits for.
    last: Arc<Baton>,
}

impl Pool {
    pub fn new(rules: Arc<RuleSet>, threads: usize) -> Pool {
        let max_in_flight = 2 * threads + 2;
        let (job_tx, job_rx) = bounded::<Job>(max_in_flight);
        let (done_tx, done_rx) = unbounded::<Done>();
        let threads = (0..threads)
            .map(|i| {
                let rules = rules.clone();
                let jobs = job_rx.clone();
                let done = done_tx.clone();
                std::thread::Builder::new()
                    .name(format!("tripline-worker-{i}"))
                    .spawn(move || work(&rules, &jobs, &done))
                    .expect("a worker thread can be started")
            })
            .collect();
        Pool {
            jobs: Some(job_tx),
            results: done_rx,
            threads,
            next_seq: 0,
            next_replay: 0,
            early: BTreeMap::new(),
            in_flight: 0,
            max_in_flight,
            spare_buffers: Vec::new(),
            last: start_of_input(),
        }
    }

    /// Starts a new input: its first job's lines are numbered from 1, in a fresh context.
    pub fn begin_source(&mut self) {
        self.last = start_of_input();
    }

    /// Lines of the current input handed out so far; waits for the jobs in flight to
    /// have counted theirs.
    pub fn source_lines(&self) -> u64 {
        self.last.wait().map_or(0, |h| h.next_line - 1)
    }

    /// Hands a piece of input from `source` to the workers (copying it); replays the
    /// results that are ready, waiting when too many jobs are in flight.
    pub fn submit(&mut self, piece: Piece<'_>, origin: Origin<'_>, replay: &mut impl FnMut(Done)) {
        let work = match piece {
            Piece::Block(block) => {
                let mut bytes = self.spare_buffers.pop().unwrap_or_default();
                bytes.clear();
                bytes.extend_from_slice(block.bytes);
                let end = bytes.len();
                Work::Block(Shared::Owned(bytes, 0, end))
            }
            Piece::Line(Framed::Line(line)) => Work::Line(line.bytes.to_vec()),
            Piece::Line(Framed::TooLong { length, .. }) => Work::TooLong(length),
        };
        self.send(work, origin, replay);
    }

    /// Hands `bytes` (complete lines) to the workers without copying.
    pub fn submit_shared(
        &mut self,
        bytes: Shared,
        origin: Origin<'_>,
        replay: &mut impl FnMut(Done),
    ) {
        self.send(Work::Block(bytes), origin, replay);
    }

    /// A buffer for the caller's next read: a spent one, or a new one.
    pub fn spare_buffer(&mut self) -> Vec<u8> {
        self.spare_buffers.pop().unwrap_or_default()
    }

    /// Takes back a buffer [`spare_buffer`](Pool::spare_buffer) gave out but that was
    /// not used.
    pub fn give_back(&mut self, buffer: Vec<u8>) {
        if buffer.capacity() > 0 {
            self.spare_buffers.push(buffer);
        }
    }

    fn send(&mut self, work: Work, origin: Origin<'_>, replay: &mut impl FnMut(Done)) {
        let link = Link {
            from: self.last.clone(),
            to: Baton::new(),
        };
        self.last = link.to.clone();
        let job = Job {
            seq: self.next_seq,
            source: origin.source.clone(),
            host: origin.host.cloned(),
            prefilter: origin.prefilter,
            max_line: origin.max_line,
            link,
            work,
        };
        self.next_seq += 1;
        while self.in_flight >= self.max_in_flight {
            self.wait_one(replay);
        }
        if let Some(jobs) = &self.jobs
            && jobs.send(job).is_err()
        {
            unreachable!("workers live as long as the pool");
        }
        self.in_flight += 1;
        while let Ok(done) = self.results.try_recv() {
            self.arrived(done, replay);
        }
    }

    /// Waits for every job in flight and replays its results.
    pub fn drain(&mut self, replay: &mut impl FnMut(Done)) {
        while self.in_flight > 0 {
            self.wait_one(replay);
        }
    }

    fn wait_one(&mut self, replay: &mut impl FnMut(Done)) {
        match self.results.recv() {
            Ok(done) => self.arrived(done, replay),
            Err(_) => unreachable!("workers live as long as the pool"),
        }
    }

    fn arrived(&mut self, done: Done, replay: &mut impl FnMut(Done)) {
        self.in_flight -= 1;
        self.early.insert(done.seq, done);
        while let Some(mut done) = self.early.remove(&self.next_replay) {
            self.next_replay += 1;
            match std::mem::replace(&mut done.outcome, Ok(Vec::new())) {
                Ok(buffer) => {
                    if buffer.capacity() > 0 {
                        self.spare_buffers.push(buffer);
                    }
                }
                // A worker panicked: a bug; surface it on the caller's thread.
                Err(panic) => resume_unwind(panic),
            }
            replay(done);
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.jobs = None;
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// The hand-over before an input's first job: lines numbered from 1, a fresh context.
fn start_of_input() -> Arc<Baton> {
    Baton::passed(Handover {
        next_line: 1,
        context: SourceContext::default(),
    })
}

/// A worker thread: runs jobs until the pool closes.
fn work(rules: &RuleSet, jobs: &Receiver<Job>, done: &Sender<Done>) {
    let mut worker = Worker::default();
    for job in jobs {
        let mut recorder = Recorder {
            stats: ScanStats::default(),
            actions: Vec::new(),
        };
        let Job {
            seq,
            source,
            host,
            prefilter,
            max_line,
            link,
            work,
        } = job;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let piece = match &work {
                // Numbered from 0 here; `process` numbers them from the hand-over.
                Work::Block(bytes) => Piece::Block(Block::new(bytes.lines(), 0, max_line)),
                Work::Line(bytes) => Piece::Line(Framed::Line(Line { number: 0, bytes })),
                Work::TooLong(length) => Piece::Line(Framed::TooLong {
                    number: 0,
                    length: *length,
                }),
            };
            let selected = worker.select(rules, prefilter, piece);
            let Some(start) = link.from.wait() else {
                // The job before panicked: its panic surfaces first, this result is moot.
                return;
            };
            let mut after = start.context.clone();
            if selected.directives {
                after.follow(&piece);
            }
            link.pass(Handover {
                next_line: start.next_line + selected.lines,
                context: after,
            });
            let mut context = start.context;
            context.set_host(host);
            worker.set_context(&context);
            worker.process(
                rules,
                &source,
                piece,
                start.next_line,
                &selected,
                &mut recorder,
            );
        }));
        drop(link);
        let outcome = outcome.map(|()| match work {
            Work::Block(Shared::Owned(bytes, ..)) => bytes,
            _ => Vec::new(),
        });
        let result = Done {
            seq,
            stats: recorder.stats,
            actions: recorder.actions,
            outcome,
        };
        if done.send(result).is_err() {
            return;
        }
    }
}
