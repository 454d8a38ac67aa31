//! The generation loop: every host's events in time order, merged across hosts, optionally
//! disordered within a window, rendered and written; the ground truth is decided as each
//! event is generated (in event time, per host) and its lines counted as they are written.
//!
//! Memory stays constant: events live in a slab until written, and only the events of
//! episodes in progress and of the disorder window are held.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

use crate::activity::{self, Ctx, Procs, Staged};
use crate::disorder::Disorder;
use crate::expect::{self, CORRELATION_WINDOW, Rules};
use crate::fleet::{Amount, Fleet, Summary};
use crate::host::Host;
use crate::model::{BENIGN, Event, Kind};
use crate::render::{Scratch, render};
use crate::rng::Rng;
use crate::scenario::{self, Planned};
use crate::slab::Slab;
use crate::time::HOUR;
use crate::truth::TruthRecord;

/// A scenario's ground truth as it accumulates.
struct Record {
    planned: Planned,
    note: String,
    lines: Vec<u64>,
    rules: Rules,
}

/// One host's generator.
struct HostRun {
    rng: Rng,
    procs: Procs,
    /// (time, order, slot) of generated events not yet handed out.
    pending: BinaryHeap<Reverse<(i64, u64, u32)>>,
    order: u64,
    next_benign: i64,
    /// Mean nanoseconds between the host's events.
    gap: f64,
    /// Episodes per hour.
    pace: f64,
    /// Planned scenarios, latest first.
    scenarios: Vec<Planned>,
    seq: u64,
    /// Time of the latest web-root script drop handed out.
    last_drop: Option<i64>,
}

impl HostRun {
    fn new(fleet: &Fleet, host: &Host, events: u64) -> HostRun {
        let config = fleet.config();
        let mut rng = Rng::derive(config.seed, 0x1_0000 + u64::from(host.index));
        let procs = activity::setup(host, &mut rng);
        let rate = events as f64 * host.weight / config.duration as f64;
        let gap = if rate > 0.0 { 1.0 / rate } else { f64::MAX };
        let first = config.start + (rng.unit() * gap.min(config.duration as f64)) as i64;
        let mut scenarios: Vec<Planned> = fleet
            .planned()
            .iter()
            .filter(|p| p.host == host.index)
            .copied()
            .collect();
        scenarios.sort_by_key(|p| Reverse((p.time, p.index)));
        HostRun {
            rng,
            procs,
            pending: BinaryHeap::new(),
            order: 0,
            next_benign: first,
            gap,
            pace: rate * HOUR as f64 / activity::EVENTS_PER_EPISODE,
            scenarios,
            seq: 0,
            last_drop: None,
        }
    }

    fn next_episode(&self) -> i64 {
        let scenario = self.scenarios.last().map_or(i64::MAX, |p| p.time);
        self.next_benign.min(scenario)
    }

    fn next_time(&self) -> i64 {
        let pending = self
            .pending
            .peek()
            .map_or(i64::MAX, |Reverse((t, _, _))| *t);
        pending.min(self.next_episode())
    }

    /// Generates episodes until the host's earliest event is known, and hands it out.
    fn next_event(&mut self, g: &mut Shared<'_>, host: &Host, seed: u64) -> u32 {
        loop {
            let episode = self.next_episode();
            if let Some(&Reverse((time, _, slot))) = self.pending.peek()
                && time <= episode
            {
                self.pending.pop();
                self.hand_out(g, host, slot);
                return slot;
            }
            g.staged.clear();
            let scenario = self
                .scenarios
                .last()
                .copied()
                .filter(|p| p.time <= self.next_benign);
            if let Some(planned) = scenario {
                self.scenarios.pop();
                let mut rng = Rng::derive(seed, 0x5ce_0000_0000 + u64::from(planned.index));
                let mut cx = Ctx {
                    rng: &mut rng,
                    host,
                    procs: &mut self.procs,
                    t: planned.time,
                    caps: host.schema.caps(),
                    scenario: planned.index,
                    pace: self.pace,
                    out: &mut g.staged,
                };
                let note = scenario::play(planned.kind, &mut cx);
                if let Some(record) = g.records.get_mut(planned.index as usize) {
                    record.note = note;
                }
            } else {
                let mut cx = Ctx {
                    rng: &mut self.rng,
                    host,
                    procs: &mut self.procs,
                    t: self.next_benign,
                    caps: host.schema.caps(),
                    scenario: BENIGN,
                    pace: self.pace,
                    out: &mut g.staged,
                };
                activity::episode(&mut cx);
                let events = g.staged.len().max(1) as f64;
                let step = (events * self.rng.exp1() * self.gap).min(i64::MAX as f64 / 4.0);
                self.next_benign = self.next_benign.saturating_add(step as i64 + 1);
            }
            for (time, kind, scenario) in g.staged.drain(..) {
                let slot = g.slab.insert(Event {
                    time,
                    host: host.index,
                    seq: 0,
                    scenario,
                    kind,
                });
                self.order += 1;
                self.pending.push(Reverse((time, self.order, slot)));
            }
        }
    }

    /// Numbers the event and decides what it must raise, in the host's event-time order.
    fn hand_out(&mut self, g: &mut Shared<'_>, host: &Host, slot: u32) {
        let caps = host.schema.caps();
        let Some(event) = g.slab.get_mut(slot) else {
            return;
        };
        event.seq = self.seq;
        self.seq += 1;
        let rules = match &event.kind {
            Kind::File { path, .. } => {
                g.tmp.clear();
                path.write(&mut g.tmp);
                if expect::is_web_root_script(&g.tmp) {
                    self.last_drop = Some(event.time);
                }
                Rules::NONE
            }
            Kind::Start { proc, parent } => {
                let (mut rules, shell) = expect::process_start(caps, parent, proc);
                let recent = self
                    .last_drop
                    .is_some_and(|d| event.time - d <= CORRELATION_WINDOW);
                if shell && recent {
                    rules |= Rules::FILE_THEN_SHELL;
                }
                rules
            }
            Kind::End { .. } | Kind::Net { .. } => Rules::NONE,
        };
        if let Some(record) = g.records.get_mut(event.scenario as usize) {
            record.rules |= rules;
        }
    }
}

/// State shared by the hosts' generators.
struct Shared<'a> {
    slab: &'a mut Slab<Event>,
    staged: Vec<Staged>,
    records: &'a mut Vec<Record>,
    tmp: Vec<u8>,
}

/// Renders and writes lines in large blocks, numbering them for the truth.
struct Emitter<'h, W: Write> {
    out: W,
    hosts: &'h [Host],
    block: Vec<u8>,
    scratch: Scratch,
    lines: u64,
    bytes: u64,
}

const BLOCK: usize = 1 << 20;

impl<W: Write> Emitter<'_, W> {
    fn emit(&mut self, event: &Event, records: &mut [Record]) -> io::Result<()> {
        let before = self.block.len();
        render(
            event,
            &self.hosts[event.host as usize],
            &mut self.block,
            &mut self.scratch,
        );
        self.bytes += (self.block.len() - before) as u64;
        self.lines += 1;
        if let Some(record) = records.get_mut(event.scenario as usize) {
            record.lines.push(self.lines);
        }
        if self.block.len() >= BLOCK {
            self.out.write_all(&self.block)?;
            self.block.clear();
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.write_all(&self.block)?;
        self.block.clear();
        self.out.flush()
    }
}

pub fn generate(fleet: &Fleet, out: impl Write, file: &str) -> io::Result<Summary> {
    let config = fleet.config();
    let hosts = fleet.hosts();
    let events = config.expected_events();
    let mut runs: Vec<HostRun> = hosts
        .iter()
        .map(|h| HostRun::new(fleet, h, events))
        .collect();
    let mut merge: BinaryHeap<Reverse<(i64, u32)>> = runs
        .iter()
        .enumerate()
        .map(|(i, run)| Reverse((run.next_time(), i as u32)))
        .collect();
    let mut slab = Slab::default();
    let mut records: Vec<Record> = fleet
        .planned()
        .iter()
        .map(|&planned| Record {
            planned,
            note: String::new(),
            lines: Vec::new(),
            rules: Rules::NONE,
        })
        .collect();
    let mut disorder = Disorder::new(config.shuffle_window, config.seed);
    let mut emitter = Emitter {
        out,
        hosts,
        block: Vec::with_capacity(BLOCK + 64 * 1024),
        scratch: Scratch::default(),
        lines: 0,
        bytes: 0,
    };
    let mut shared = Shared {
        slab: &mut slab,
        staged: Vec::new(),
        records: &mut records,
        tmp: Vec::new(),
    };
    let mut generated = 0u64;
    loop {
        let done = match config.amount {
            Amount::Events(n) => generated >= n,
            Amount::Bytes(b) => emitter.bytes >= b,
        };
        if done {
            break;
        }
        let Some(Reverse((_, h))) = merge.pop() else {
            break;
        };
        let run = &mut runs[h as usize];
        let slot = run.next_event(&mut shared, &hosts[h as usize], config.seed);
        merge.push(Reverse((run.next_time(), h)));
        generated += 1;
        let Some(time) = shared.slab.get_mut(slot).map(|e| e.time) else {
            continue;
        };
        disorder.push(time, slot);
        while let Some(slot) = disorder.ready(time) {
            if let Some(event) = shared.slab.take(slot) {
                emitter.emit(&event, shared.records)?;
            }
        }
    }
    while let Some(slot) = disorder.ready(i64::MAX) {
        if let Some(event) = shared.slab.take(slot) {
            emitter.emit(&event, shared.records)?;
        }
    }
    emitter.finish()?;
    let truth = records
        .into_iter()
        .filter(|r| !r.lines.is_empty())
        .map(|r| {
            let host = &hosts[r.planned.host as usize];
            TruthRecord {
                scenario: format!("{}-{:04}", r.planned.kind.key(), r.planned.index),
                kind: r.planned.kind.key().to_owned(),
                host: host.fqdn.clone(),
                schema: host.schema.key().to_owned(),
                file: file.to_owned(),
                lines: r.lines,
                rules: r.rules.names().map(str::to_owned).collect(),
                note: r.note,
            }
        })
        .collect();
    Ok(Summary {
        lines: emitter.lines,
        bytes: emitter.bytes,
        truth,
    })
}
