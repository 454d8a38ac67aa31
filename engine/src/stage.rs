//! Single stages of the scan, for benchmarks and `tripline bench`: each runs one stage of
//! the pipeline over a block of complete lines (or, for correlation, over the observations
//! made from them) and returns what it counted, so that the cost of a stage can be
//! measured apart from the others.

use std::sync::Arc;

use tripline_ingest::{Block, Framed, Parsed, Parser, Piece};

use crate::alert::Alert;
use crate::correlation::shards::BATCH;
use crate::correlation::state::CorrelationState;
use crate::correlation::{CorrelationLimits, Observation};
use crate::prefilter::PrefilterScratch;
use crate::ruleset::RuleSet;
use crate::scanner::Rejected;
use crate::stats::{CorrelationStats, ScanStats};
use crate::worker::{Actions, Worker};

/// Reused buffers for running stages.
#[derive(Debug, Default)]
pub struct StageScratch {
    prefilter: PrefilterScratch,
    parser: Parser,
    worker: Worker,
}

/// The prefilter alone: how many lines of `block` (complete lines, each ending with
/// `\n`) are candidates.
pub fn prefilter(rules: &RuleSet, block: &[u8], scratch: &mut StageScratch) -> u64 {
    let mut candidates = 0;
    rules
        .prefilter
        .scan(block, &mut scratch.prefilter, |_, _, candidate| {
            candidates += u64::from(candidate)
        });
    candidates
}

/// Parsing alone (every line, no prefilter): how many lines are events (not rejects or
/// access-log headers).
pub fn parse(rules: &RuleSet, block: &[u8], scratch: &mut StageScratch) -> u64 {
    let mut events = 0;
    for framed in Block::new(block, 1, usize::MAX).lines() {
        if let Framed::Line(line) = framed
            && let Ok(Parsed::Event(_)) = scratch.parser.parse(&rules.plan, line.bytes)
        {
            events += 1;
        }
    }
    events
}

/// Everything the worker threads do — parsing, rule evaluation, building alerts — on
/// every line (no prefilter), without correlation or output: how many alerts and
/// correlation observations there are.
pub fn evaluate(rules: &RuleSet, block: &[u8], scratch: &mut StageScratch) -> u64 {
    let mut counter = Counter::default();
    run_worker(rules, block, scratch, &mut counter);
    counter.results
}

/// The correlation observations of some input: what the correlation stage consumes,
/// built once (see [`observations`]) so that the stage can be measured alone.
#[derive(Clone, Debug, Default)]
pub struct Observations(Vec<(u64, Observation)>);

impl Observations {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A copy of these observations, each `offset` nanoseconds later.
    pub fn shifted(&self, offset: i64) -> Observations {
        Observations(
            self.0
                .iter()
                .map(|(position, o)| {
                    let time = o.time.map(|t| t + offset);
                    (*position, Observation { time, ..o.clone() })
                })
                .collect(),
        )
    }
}

/// Everything before correlation, on every line of `block` (no prefilter): the
/// observations its events make, appended to `out`, in input order.
pub fn observations(
    rules: &RuleSet,
    block: &[u8],
    scratch: &mut StageScratch,
    out: &mut Observations,
) {
    let mut counter = Counter {
        keep: true,
        ..Counter::default()
    };
    run_worker(rules, block, scratch, &mut counter);
    let start = out.0.len() as u64;
    out.0.extend((start..).zip(counter.observations));
}

/// What a worker thread does with `block`, every line evaluated (no prefilter).
fn run_worker(rules: &RuleSet, block: &[u8], scratch: &mut StageScratch, counter: &mut Counter) {
    let source: Arc<str> = Arc::from("stage");
    scratch.worker.piece(
        rules,
        false,
        &source,
        Piece::Block(Block::new(block, 1, usize::MAX)),
        counter,
    );
}

/// The correlation stage alone, as one shard runs it: one state, kept from one call of
/// [`feed`](CorrelationStage::feed) to the next (a shard's steady state), fed a long
/// stream made of the same observations again and again, each time later.
#[derive(Debug)]
pub struct CorrelationStage {
    state: CorrelationState,
    stats: CorrelationStats,
}

impl CorrelationStage {
    pub fn new(limits: CorrelationLimits) -> CorrelationStage {
        CorrelationStage {
            state: CorrelationState::new(limits),
            stats: CorrelationStats::default(),
        }
    }

    /// Feeds (takes) `observations`, as a shard receives them; returns how many
    /// correlations matched (became final). With `alerts`, each match is also made into
    /// the [`Alert`] the output would get. The emptied buffer is left to the caller.
    pub fn feed(&mut self, rules: &RuleSet, observations: &mut Observations, alerts: bool) -> u64 {
        let mut matches = 0u64;
        // In batches, as a shard receives them.
        let mut batch = Vec::with_capacity(BATCH);
        let mut all = observations.0.drain(..);
        loop {
            batch.extend(all.by_ref().take(BATCH));
            if batch.is_empty() {
                break;
            }
            self.state
                .observe_batch(rules, &mut batch, &mut self.stats, &mut |_, m| {
                    matches += 1;
                    if alerts {
                        std::hint::black_box(m.into_alert(rules));
                    }
                });
        }
        matches
    }

    /// The state's counters so far.
    pub fn stats(&self) -> &CorrelationStats {
        &self.stats
    }

    /// Ends the input: returns how many correlations its pending events completed.
    pub fn finish(&mut self, rules: &RuleSet) -> u64 {
        let mut matches = 0u64;
        self.state
            .finish(rules, &mut self.stats, &mut |_| matches += 1);
        matches
    }
}

#[derive(Default)]
struct Counter {
    stats: ScanStats,
    results: u64,
    /// Whether to keep the observations (else only count them).
    keep: bool,
    observations: Vec<Observation>,
}

impl Actions for Counter {
    fn stats(&mut self) -> &mut ScanStats {
        &mut self.stats
    }

    fn alert(&mut self, _: Alert) {
        self.results += 1;
    }

    fn observe(&mut self, observation: Observation) {
        self.results += 1;
        if self.keep {
            self.observations.push(observation);
        }
    }

    fn reject(&mut self, _: &Rejected<'_>) {}
}
