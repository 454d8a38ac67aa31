//! Raw web-server access logs (`--schema apache|nginx-json|iis`): one public web server's
//! log, with Log4Shell and SQL-injection scenarios among visitors, API clients, health
//! checks, crawlers and scanners.

mod format;
mod traffic;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

use crate::disorder::Disorder;
use crate::expect::Rules;
use crate::fleet::{Amount, FleetConfig, Summary};
use crate::rng::Rng;
use crate::scenario::ScenarioKind;
use crate::schema::Schema;
use crate::slab::Slab;
use crate::truth::TruthRecord;
use traffic::Request;

const SITE: &str = "www.corp.example";

/// The server whose log it is, by format.
fn server(schema: Schema) -> &'static str {
    match schema {
        Schema::Iis => "web01.corp.example",
        Schema::NginxJson => "nginx01.corp.example",
        _ => "php01.corp.example",
    }
}

/// A scenario's kind, note and lines.
type Note = (ScenarioKind, String, Vec<u64>);

/// The log being written: lines in a block, counted for the truth.
struct Log {
    schema: Schema,
    block: Vec<u8>,
    tmp: Vec<u8>,
    lines: u64,
    bytes: u64,
}

impl Log {
    fn emit(&mut self, request: &Request, notes: &mut [Note]) {
        let before = self.block.len();
        format::line(self.schema, request, &mut self.block, &mut self.tmp);
        self.lines += 1;
        self.bytes += (self.block.len() - before) as u64;
        if let Some(note) = notes.get_mut(request.scenario as usize) {
            note.2.push(self.lines);
        }
    }
}

struct Planned {
    index: u32,
    kind: ScenarioKind,
    time: i64,
}

fn plan(config: &FleetConfig, count: usize, rng: &mut Rng) -> Vec<Planned> {
    let span = config.duration;
    let earliest = config.start + span / 30;
    let latest = config.end() - span / 20;
    let mut plan: Vec<Planned> = (0..count)
        .map(|i| Planned {
            index: i as u32,
            kind: if i % 2 == 0 {
                ScenarioKind::Log4Shell
            } else {
                ScenarioKind::SqlInjection
            },
            time: earliest + rng.below((latest - earliest).max(1) as u64) as i64,
        })
        .collect();
    // Latest first, popped from the end.
    plan.sort_by_key(|p| Reverse((p.time, p.index)));
    plan
}

pub fn generate(
    config: &FleetConfig,
    schema: Schema,
    mut out: impl Write,
    file: &str,
) -> io::Result<Summary> {
    let mut rng = Rng::derive(config.seed, 0xacce_5510);
    let events = config.expected_events();
    let count = config.scenarios.unwrap_or((events as usize / 2_500).max(2));
    let mut planned = plan(config, count, &mut rng);
    let mut notes: Vec<Note> = Vec::new();
    let gap = config.duration as f64 / events.max(1) as f64;
    let mut next_benign = config.start;
    let mut pending: BinaryHeap<Reverse<(i64, u64, u32)>> = BinaryHeap::new();
    let mut order = 0u64;
    let mut slab: Slab<Request> = Slab::default();
    let mut staged = Vec::new();
    let mut disorder = Disorder::new(config.shuffle_window, config.seed);
    let mut log = Log {
        schema,
        block: Vec::with_capacity(1 << 20),
        tmp: Vec::new(),
        lines: format::header_lines(schema),
        bytes: 0,
    };
    format::header(schema, config.start, &mut log.block);
    log.bytes = log.block.len() as u64;
    let mut generated = 0u64;
    loop {
        let done = match config.amount {
            Amount::Events(n) => generated >= n,
            Amount::Bytes(b) => log.bytes >= b,
        };
        if done {
            break;
        }
        let scenario_at = planned.last().map_or(i64::MAX, |p| p.time);
        let episode_at = next_benign.min(scenario_at);
        let Some(&Reverse((time, _, slot))) =
            pending.peek().filter(|Reverse((t, _, _))| *t <= episode_at)
        else {
            staged.clear();
            if let Some(p) = planned.pop_if(|p| p.time <= next_benign) {
                let mut srng = Rng::derive(config.seed, 0x5ce_0000_0000 + u64::from(p.index));
                let note = match p.kind {
                    ScenarioKind::Log4Shell => {
                        traffic::log4shell(&mut srng, p.time, p.index, &mut staged)
                    }
                    _ => traffic::sql_injection(&mut srng, p.time, p.index, &mut staged),
                };
                notes.resize(
                    notes.len().max(p.index as usize + 1),
                    (p.kind, String::new(), Vec::new()),
                );
                notes[p.index as usize] = (p.kind, note, Vec::new());
            } else {
                traffic::episode(&mut rng, next_benign, SITE, &mut staged);
                let step = staged.len().max(1) as f64 * rng.exp1() * gap;
                next_benign = next_benign.saturating_add(step as i64 + 1);
            }
            for request in staged.drain(..) {
                order += 1;
                let time = request.time;
                pending.push(Reverse((time, order, slab.insert(request))));
            }
            continue;
        };
        pending.pop();
        generated += 1;
        disorder.push(time, slot);
        while let Some(slot) = disorder.ready(time) {
            if let Some(request) = slab.take(slot) {
                log.emit(&request, &mut notes);
            }
        }
        if log.block.len() >= 1 << 20 {
            out.write_all(&log.block)?;
            log.block.clear();
        }
    }
    while let Some(slot) = disorder.ready(i64::MAX) {
        if let Some(request) = slab.take(slot) {
            log.emit(&request, &mut notes);
        }
    }
    out.write_all(&log.block)?;
    out.flush()?;
    let truth = notes
        .into_iter()
        .enumerate()
        .filter(|(_, (_, _, lines))| !lines.is_empty())
        .map(|(i, (kind, note, lines))| TruthRecord {
            scenario: format!("{}-{i:04}", kind.key()),
            kind: kind.key().to_owned(),
            host: server(schema).to_owned(),
            schema: schema.key().to_owned(),
            file: file.to_owned(),
            lines,
            rules: match kind {
                ScenarioKind::Log4Shell => Rules::JNDI_LOOKUP,
                _ => Rules::SQL_INJECTION,
            }
            .names()
            .map(str::to_owned)
            .collect(),
            note,
        })
        .collect();
    Ok(Summary {
        lines: log.lines,
        bytes: log.bytes,
        truth,
    })
}
