//! The generator's configuration and entry points: a [`Fleet`] of hosts with its planned
//! scenarios, generated as one stream of lines into any writer.

use std::io::{self, Write};

use crate::host::{self, Host};
use crate::scenario::{self, Planned, ScenarioKind};
use crate::schema::Schema;
use crate::time::{DAY, parse_time};
use crate::truth::TruthRecord;

/// How much to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amount {
    /// Exactly this many lines (events).
    Events(u64),
    /// At least this many bytes (then what the time-disorder buffer holds).
    Bytes(u64),
}

/// Which schema the hosts write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaChoice {
    /// Every host the same schema. An access-log schema means one web server's log.
    One(Schema),
    /// Each host one endpoint schema, as a heterogeneous fleet has.
    Mix,
}

/// Everything that decides the output: the same configuration gives the same bytes.
#[derive(Clone, Debug)]
pub struct FleetConfig {
    pub seed: u64,
    pub hosts: usize,
    pub amount: Amount,
    /// Start of the time range (nanoseconds since the Unix epoch).
    pub start: i64,
    /// Length of the time range; event rates are set so that the amount spans it.
    pub duration: i64,
    pub schema: SchemaChoice,
    /// Lines leave in time order delayed by up to this much (0: in time order).
    pub shuffle_window: i64,
    /// How many scenarios to inject (`None`: one per 2,500 events, at least one per kind).
    pub scenarios: Option<usize>,
    /// Starts every host name, so that files generated apart and scanned together do not
    /// share hosts (and correlation state).
    pub host_prefix: String,
    /// Percent of the hosts that are web servers (`None`: the default, web-heavy mix).
    pub web_percent: Option<u32>,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            seed: 1,
            hosts: 50,
            amount: Amount::Events(10_000),
            start: parse_time("2026-11-20T00:00:00Z").unwrap_or(0),
            duration: DAY,
            schema: SchemaChoice::Mix,
            shuffle_window: 0,
            scenarios: None,
            host_prefix: String::new(),
            web_percent: None,
        }
    }
}

/// Typical line lengths, to turn a byte amount into an event rate.
fn average_line(schema: Option<Schema>) -> u64 {
    match schema {
        Some(Schema::EvtxSecurity) => 1_000,
        Some(Schema::Flat) | Some(Schema::Ecs) | Some(Schema::MdeStreaming) => 1_700,
        Some(Schema::Apache) | Some(Schema::Iis) => 220,
        Some(Schema::NginxJson) => 380,
        _ => 1_300,
    }
}

impl FleetConfig {
    /// The number of events the rates are set for.
    pub fn expected_events(&self) -> u64 {
        match self.amount {
            Amount::Events(n) => n,
            Amount::Bytes(b) => (b / average_line(self.single_schema())).max(1),
        }
    }

    fn single_schema(&self) -> Option<Schema> {
        match self.schema {
            SchemaChoice::One(s) => Some(s),
            SchemaChoice::Mix => None,
        }
    }

    pub fn end(&self) -> i64 {
        self.start + self.duration
    }
}

/// The lines written and the scenarios injected.
#[derive(Clone, Debug)]
pub struct Summary {
    pub lines: u64,
    pub bytes: u64,
    pub truth: Vec<TruthRecord>,
}

/// A fleet of hosts and the scenarios planned on it.
#[derive(Clone, Debug)]
pub struct Fleet {
    config: FleetConfig,
    hosts: Vec<Host>,
    plan: Vec<Planned>,
}

impl Fleet {
    pub fn new(config: FleetConfig) -> Fleet {
        let hosts = host::plan(
            config.hosts.max(1),
            config.single_schema(),
            config.seed,
            &config.host_prefix,
            config.web_percent,
        );
        let count = config.scenarios.unwrap_or_else(|| {
            let events = config.expected_events() as usize;
            (events / 2_500).max(ScenarioKind::ENDPOINT.len())
        });
        let plan = match config.schema {
            SchemaChoice::One(s) if s.is_access_log() => Vec::new(),
            _ => scenario::plan(&hosts, count, config.start, config.end(), config.seed),
        };
        Fleet {
            config,
            hosts,
            plan,
        }
    }

    pub fn config(&self) -> &FleetConfig {
        &self.config
    }

    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    pub fn planned(&self) -> &[Planned] {
        &self.plan
    }

    /// Writes the fleet's lines to `out` (buffered in large blocks: no `BufWriter`
    /// needed); `file` is the name the ground truth gives the output.
    pub fn generate(&self, out: impl Write, file: &str) -> io::Result<Summary> {
        match self.config.schema {
            SchemaChoice::One(s) if s.is_access_log() => {
                crate::accesslog::generate(&self.config, s, out, file)
            }
            _ => crate::stream::generate(self, out, file),
        }
    }

    /// The lines in memory, with their ground truth.
    pub fn generate_vec(&self, file: &str) -> (Vec<u8>, Vec<TruthRecord>) {
        let mut out = Vec::new();
        match self.generate(&mut out, file) {
            Ok(summary) => (out, summary.truth),
            // Writing into a vector cannot fail.
            Err(_) => (out, Vec::new()),
        }
    }
}
