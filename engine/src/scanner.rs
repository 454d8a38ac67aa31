//! The scanning API: feed bytes (in any chunking, from any number of sources), get alerts
//! pushed into a [`Sink`] as soon as they are known. The CLI is a client of this API.
//!
//! Order: detection alerts are pushed while the line that raised them is processed, in
//! input order; a correlation alert is pushed once its group's watermark (the latest
//! event time of that group) has passed the sequence's last event by the lateness
//! bound, or when [`Scanner::advance_watermark`] or [`Scanner::finish`] says so; alerts
//! completed together go out in event-time order.

use std::sync::Arc;

use tripline_ingest::{
    DEFAULT_MAX_LINE, Framed, Line, LineFramer, Piece, Reject, SourceContext, Timestamp,
};

use crate::alert::Alert;
use crate::correlation::{CorrelationLimits, Correlator, Observation};
use crate::pool::{Action, Done, Origin, Pool, Shared};
use crate::ruleset::RuleSet;
use crate::stats::ScanStats;
use crate::worker::{Actions, Worker};

/// Scanner settings.
#[derive(Clone, Copy, Debug)]
pub struct ScanConfig {
    /// Lines longer than this many bytes are rejected unread.
    pub max_line: usize,
    pub correlation: CorrelationLimits,
    /// Skip lines that contain none of the rules' literals before parsing them (see the
    /// README: it never changes the alerts, only the speed).
    pub prefilter: bool,
    /// Worker threads: 0 or 1 scans on the caller's thread; more start a pool. The
    /// output is the same for any number.
    pub threads: usize,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            max_line: DEFAULT_MAX_LINE,
            correlation: CorrelationLimits::default(),
            prefilter: true,
            threads: 1,
        }
    }
}

/// A line that was not evaluated, and why.
#[derive(Clone, Copy, Debug)]
pub struct Rejected<'a> {
    pub source: &'a str,
    pub line: u64,
    pub reason: Reject,
    /// The line's first bytes, at most [`REJECT_PREFIX`] (none for lines too long to keep).
    pub bytes: &'a [u8],
}

/// How many bytes of a rejected line [`Rejected`] keeps.
pub const REJECT_PREFIX: usize = 4096;

/// Where a scanner pushes its results.
pub trait Sink {
    fn alert(&mut self, alert: Alert);
    /// Called for every rejected line; ignored by default (they are counted anyway).
    fn reject(&mut self, rejected: &Rejected<'_>) {
        let _ = rejected;
    }
}

/// Collecting alerts into a vector.
impl Sink for Vec<Alert> {
    fn alert(&mut self, alert: Alert) {
        self.push(alert);
    }
}

/// Scans a stream of inputs. One scanner per thread; the rule set is shared.
///
/// ```
/// use std::sync::Arc;
/// use tripline_engine::{RuleSet, Scanner, ScanConfig, Alert};
///
/// let rules = Arc::new(RuleSet::builtin());
/// let mut scanner = Scanner::new(rules, ScanConfig::default());
/// let mut alerts: Vec<Alert> = Vec::new();
/// scanner.begin_source("stdin", &mut alerts);
/// // Bytes may arrive in any pieces; here a line is split in two.
/// scanner.feed(br#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"web01","@timestamp":"2026-11-20T10:00:00Z","#, &mut alerts);
/// scanner.feed(br#""ParentImage":"C:\\Windows\\System32\\inetsrv\\w3wp.exe","Image":"C:\\Windows\\System32\\whoami.exe"}
/// "#, &mut alerts);
/// scanner.finish(&mut alerts);
/// assert_eq!(alerts.len(), 1);
/// assert_eq!(alerts[0].rule.name.as_deref(), Some("web_server_suspicious_child"));
/// assert_eq!(alerts[0].evidence.as_deref(), Some("Reconnaissance"));
/// assert_eq!(alerts[0].events[0].source.line, 1);
/// ```
pub struct Scanner {
    rules: Arc<RuleSet>,
    prefilter: bool,
    max_line: usize,
    framer: LineFramer,
    mode: Mode,
    correlation: Correlator,
    stats: ScanStats,
    source: Arc<str>,
    /// The host of the current input's events that name none.
    host: Option<Arc<str>>,
}

/// The input being fed to a pool, and how to scan it.
struct CurrentInput<'s> {
    source: &'s Arc<str>,
    host: Option<&'s Arc<str>>,
    prefilter: bool,
    max_line: usize,
}

impl CurrentInput<'_> {
    fn origin(&self) -> Origin<'_> {
        Origin {
            source: self.source,
            host: self.host,
            prefilter: self.prefilter,
            max_line: self.max_line,
        }
    }
}

/// Where lines are scanned.
enum Mode {
    /// On the caller's thread.
    Inline(Box<Worker>),
    /// On worker threads, results replayed in order on the caller's thread.
    Pool(Pool),
}

impl Scanner {
    pub fn new(rules: Arc<RuleSet>, config: ScanConfig) -> Scanner {
        // With worker threads, the thread that feeds them does not read the bytes: the
        // jobs number their own lines (see `chain`).
        let (mode, framer) = if config.threads > 1 {
            let pool = Pool::new(rules.clone(), config.threads);
            (Mode::Pool(pool), LineFramer::uncounted(config.max_line))
        } else {
            (
                Mode::Inline(Box::default()),
                LineFramer::new(config.max_line),
            )
        };
        let correlation = Correlator::new(&rules, config.correlation);
        Scanner {
            rules,
            prefilter: config.prefilter,
            max_line: config.max_line,
            framer,
            mode,
            correlation,
            stats: ScanStats::default(),
            source: Arc::from("-"),
            host: None,
        }
    }

    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    /// Starts a new input named `name` (as alerts will show it); line numbers restart
    /// at 1. The previous input is ended first (its unterminated last line is scanned),
    /// so its bytes can never run into the new input's first line.
    ///
    /// Per-input state starts afresh: W3C access-log lines follow this input's own
    /// `#Fields:` directive, and the source host is unset.
    pub fn begin_source(&mut self, name: impl Into<Arc<str>>, sink: &mut impl Sink) {
        self.end_source(sink);
        self.stats.inputs += 1;
        self.source = name.into();
        self.host = None;
        match &mut self.mode {
            Mode::Inline(worker) => worker.set_context(&SourceContext::default()),
            Mode::Pool(pool) => pool.begin_source(),
        }
    }

    /// The host of the current input's events that do not name one (Apache `combined`
    /// lines never do), as alerts and `Computer` show it; `None` to leave them without.
    /// Call after [`Scanner::begin_source`], which unsets it.
    pub fn set_source_host(&mut self, host: Option<Arc<str>>) {
        self.host = host.clone();
        if let Mode::Inline(worker) = &mut self.mode {
            worker.set_source_host(host);
        }
    }

    /// Scans `bytes`, the next piece of the current input. With worker threads, the
    /// alerts of these bytes may come out later (by [`finish`](Scanner::finish) at the
    /// latest), in the same order.
    pub fn feed(&mut self, bytes: &[u8], sink: &mut impl Sink) {
        self.stats.bytes_read += bytes.len() as u64;
        self.frame(sink, |framer, each| framer.push_blocks(bytes, each));
    }

    /// Like [`feed`](Scanner::feed), for a buffer the scanner may keep: with worker
    /// threads the buffer's complete lines go to a worker as they are, without a copy.
    /// Returns a buffer to read the next bytes into (possibly one given back earlier,
    /// with its old contents; resize it as needed).
    pub fn feed_owned(&mut self, buffer: Vec<u8>, sink: &mut impl Sink) -> Vec<u8> {
        if !matches!(self.mode, Mode::Pool(_)) {
            self.feed(&buffer, sink);
            return buffer;
        }
        match self.frame_for_pool(&buffer, sink) {
            Some((start, end)) => self.submit_block(Shared::Owned(buffer, start, end), sink),
            None => buffer,
        }
    }

    /// Like [`feed`](Scanner::feed), for bytes the scanner may share with its worker
    /// threads for as long as they need them (a memory map of a file, say): the complete
    /// lines go to the workers as a slice of `bytes`, without a copy.
    pub fn feed_shared(&mut self, bytes: Arc<dyn AsRef<[u8]> + Send + Sync>, sink: &mut impl Sink) {
        if !matches!(self.mode, Mode::Pool(_)) {
            self.feed((*bytes).as_ref(), sink);
            return;
        }
        if let Some((start, end)) = self.frame_for_pool((*bytes).as_ref(), sink) {
            let spare = self.submit_block(Shared::Shared(bytes, start, end), sink);
            if let Mode::Pool(pool) = &mut self.mode {
                pool.give_back(spare);
            }
        }
    }

    /// Frames `bytes` for the pool: submits the line a previous feed started (copied), and
    /// says where the complete lines after it are.
    fn frame_for_pool(&mut self, bytes: &[u8], sink: &mut impl Sink) -> Option<(usize, usize)> {
        self.stats.bytes_read += bytes.len() as u64;
        let mut carried = Vec::new();
        let mut block = None;
        self.framer.push_blocks(bytes, |piece| match piece {
            Piece::Line(framed) => carried.push(owned(framed)),
            Piece::Block(b) => {
                let start = b.bytes.as_ptr() as usize - bytes.as_ptr() as usize;
                block = Some((start, start + b.bytes.len()));
            }
        });
        let (pool, mut direct, input) = self.pool_parts(sink);
        for (number, line, length) in carried {
            let framed = match length {
                Some(length) => Framed::TooLong { number, length },
                None => Framed::Line(Line {
                    number,
                    bytes: &line,
                }),
            };
            pool.submit(Piece::Line(framed), input.origin(), &mut |done| {
                direct.replay(done)
            });
        }
        block
    }

    /// Hands a block of complete lines to the workers; returns a spare buffer for the
    /// next read.
    fn submit_block(&mut self, bytes: Shared, sink: &mut impl Sink) -> Vec<u8> {
        let (pool, mut direct, input) = self.pool_parts(sink);
        pool.submit_shared(bytes, input.origin(), &mut |done| direct.replay(done));
        pool.spare_buffer()
    }

    /// The pool, the replay of its results into `sink`, and the current input, borrowed
    /// apart (with worker threads only).
    fn pool_parts<'s, S: Sink>(
        &'s mut self,
        sink: &'s mut S,
    ) -> (&'s mut Pool, Direct<'s, S>, CurrentInput<'s>) {
        let Scanner {
            rules,
            prefilter,
            max_line,
            mode,
            correlation,
            stats,
            source,
            host,
            ..
        } = self;
        let Mode::Pool(pool) = mode else {
            unreachable!("called with worker threads only");
        };
        let direct = Direct {
            rules,
            correlation,
            stats,
            sink,
        };
        let input = CurrentInput {
            source,
            host: host.as_ref(),
            prefilter: *prefilter,
            max_line: *max_line,
        };
        (pool, direct, input)
    }

    /// Ends the current input: scans its last line if it had no line terminator. Does
    /// nothing when the input ended with a newline or was already ended.
    pub fn end_source(&mut self, sink: &mut impl Sink) {
        self.frame(sink, |framer, each| {
            framer.finish(|framed| each(Piece::Line(framed)))
        });
    }

    /// Frames input with `framing` and scans each piece it yields.
    fn frame(
        &mut self,
        sink: &mut impl Sink,
        framing: impl FnOnce(&mut LineFramer, &mut dyn FnMut(Piece<'_>)),
    ) {
        let Scanner {
            rules,
            prefilter,
            max_line,
            framer,
            mode,
            correlation,
            stats,
            source,
            host,
        } = self;
        let mut direct = Direct {
            rules,
            correlation,
            stats,
            sink,
        };
        match mode {
            Mode::Inline(worker) => framing(framer, &mut |piece| {
                worker.piece(rules, *prefilter, source, piece, &mut direct)
            }),
            Mode::Pool(pool) => framing(framer, &mut |piece| {
                let origin = Origin {
                    source,
                    host: host.as_ref(),
                    prefilter: *prefilter,
                    max_line: *max_line,
                };
                pool.submit(piece, origin, &mut |done| direct.replay(done));
            }),
        }
    }

    /// Ends the scan: ends the current input, waits for the workers, and completes every
    /// pending correlation.
    pub fn finish(&mut self, sink: &mut impl Sink) {
        self.end_source(sink);
        self.wait(sink);
        let Scanner {
            rules,
            correlation,
            stats,
            ..
        } = self;
        // Straight to the sink: a whole fleet's correlations may complete here, and
        // buffering their alerts would double the peak memory.
        let mut correlation_stats = std::mem::take(&mut stats.correlation);
        correlation.finish(rules, &mut correlation_stats, &mut |a| {
            stats.count_alert(a.rule_id.0);
            sink.alert(a);
        });
        stats.correlation = correlation_stats;
    }

    /// Waits until every piece fed so far has been scanned and its alerts pushed.
    pub fn wait(&mut self, sink: &mut impl Sink) {
        let Scanner {
            rules,
            mode,
            correlation,
            stats,
            ..
        } = self;
        if let Mode::Pool(pool) = mode {
            let mut direct = Direct {
                rules,
                correlation,
                stats,
                sink,
            };
            pool.drain(&mut |done| direct.replay(done));
        }
        let mut completed = Vec::new();
        correlation.sync(&mut stats.correlation, &mut |a| completed.push(a));
        emit_all(stats, sink, completed);
    }

    /// Declares that event time has reached `time` for every group (a punctuation, for
    /// instance from the wall clock of a live stream): correlations waiting on quiet
    /// groups complete now instead of at the end of input.
    pub fn advance_watermark(&mut self, time: Timestamp, sink: &mut impl Sink) {
        self.wait(sink);
        let Scanner {
            rules,
            correlation,
            stats,
            ..
        } = self;
        let mut correlation_stats = std::mem::take(&mut stats.correlation);
        correlation.advance(time, rules, &mut correlation_stats, &mut |a| {
            stats.count_alert(a.rule_id.0);
            sink.alert(a);
        });
        stats.correlation = correlation_stats;
    }

    /// Complete lines of the current input framed so far. With worker threads the jobs
    /// count them: this waits until the jobs in flight have (not until they are scanned).
    pub fn source_lines(&self) -> u64 {
        match &self.mode {
            Mode::Inline(_) => self.framer.lines(),
            Mode::Pool(pool) => pool.source_lines(),
        }
    }

    /// The statistics so far (with worker threads: of the input scanned so far; call
    /// [`wait`](Scanner::wait) first for all of it).
    pub fn stats(&self) -> &ScanStats {
        &self.stats
    }
}

/// Pushes alerts the correlator let through, counting them.
fn emit_all(stats: &mut ScanStats, sink: &mut impl Sink, alerts: Vec<Alert>) {
    for alert in alerts {
        stats.count_alert(alert.rule_id.0);
        sink.alert(alert);
    }
}

/// An owned copy of a framed line: (number, bytes, length if too long).
fn owned(framed: Framed<'_>) -> (u64, Vec<u8>, Option<u64>) {
    match framed {
        Framed::Line(line) => (line.number, line.bytes.to_vec(), None),
        Framed::TooLong { number, length } => (number, Vec::new(), Some(length)),
    }
}

/// Applies a worker's actions as they come: alerts to the sink, observations to the
/// correlation state (whose completed sequences go to the sink at once).
struct Direct<'a, S: Sink> {
    rules: &'a RuleSet,
    correlation: &'a mut Correlator,
    stats: &'a mut ScanStats,
    sink: &'a mut S,
}

impl<S: Sink> Direct<'_, S> {
    /// Applies a pool job's results, in order.
    fn replay(&mut self, done: Done) {
        self.stats.merge(&done.stats);
        for action in done.actions {
            match action {
                Action::Alert(alert) => Actions::alert(self, alert),
                Action::Observe(observation) => self.observe(observation),
                Action::Reject(rejected) => self.sink.reject(&rejected.as_rejected()),
            }
        }
    }
}

impl<S: Sink> Actions for Direct<'_, S> {
    fn stats(&mut self) -> &mut ScanStats {
        self.stats
    }

    fn alert(&mut self, alert: Alert) {
        let mut ready = Vec::new();
        self.correlation
            .detection(alert, &mut self.stats.correlation, &mut |a| ready.push(a));
        emit_all(self.stats, self.sink, ready);
    }

    fn observe(&mut self, observation: Observation) {
        let mut completed = Vec::new();
        self.correlation.observe(
            self.rules,
            observation,
            &mut self.stats.correlation,
            &mut |a| completed.push(a),
        );
        emit_all(self.stats, self.sink, completed);
    }

    fn reject(&mut self, rejected: &Rejected<'_>) {
        self.sink.reject(rejected);
    }
}
