//! A web-shell fleet for the correlation benchmarks: many hosts, each writing a script
//! into its web root and then starting a shell from the web server, over and over — the
//! built-in `web_root_file_then_shell` correlation's own pattern, in event-time order;
//! and the same as the correlation stage's input ([`HalfHours`]).

use std::io::Write;

use tripline_engine::stage::{self, CorrelationStage, Observations, StageScratch};
use tripline_engine::{CorrelationLimits, RuleSet};
use tripline_ingest::Timestamp;

/// 2026-11-20T00:00:00Z in nanoseconds.
const START: i64 = 1_795_132_800 * 1_000_000_000;

/// Rounds are this far apart (5 minutes): a drop and the next shell are within the hour.
const ROUND: i64 = 300 * 1_000_000_000;

/// Writes `rounds` events per host for `hosts` hosts, 5 minutes apart: a script drop
/// (Sysmon 11) each round but every `shell_every`-th, which is a shell under w3wp
/// (Sysmon 1); within a round the hosts follow each other. Every shell completes one
/// sequence: `hosts * (rounds / shell_every)` alerts.
pub fn web_shell_fleet(
    hosts: u64,
    rounds: u64,
    shell_every: u64,
    out: &mut impl Write,
) -> std::io::Result<()> {
    for round in 0..rounds {
        for host in 0..hosts {
            let time = START + round as i64 * ROUND + (host as i64 * ROUND) / hosts as i64;
            let time = Timestamp::from_unix_nanos(time);
            if (round + 1) % shell_every != 0 {
                writeln!(
                    out,
                    r#"{{"EventID":11,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"web{host:07}.corp.local","@timestamp":"{time}","Image":"C:\\Windows\\System32\\inetsrv\\w3wp.exe","TargetFilename":"C:\\inetpub\\wwwroot\\aspnet_client\\s{round}.aspx"}}"#
                )?;
            } else {
                writeln!(
                    out,
                    r#"{{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"web{host:07}.corp.local","@timestamp":"{time}","ParentImage":"C:\\Windows\\System32\\inetsrv\\w3wp.exe","Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd.exe /c whoami"}}"#
                )?;
            }
        }
    }
    Ok(())
}

/// [`web_shell_fleet`] in memory.
pub fn web_shell_fleet_vec(hosts: u64, rounds: u64, shell_every: u64) -> Vec<u8> {
    let mut out = Vec::new();
    web_shell_fleet(hosts, rounds, shell_every, &mut out).expect("writing to memory");
    out
}

/// The correlation stage bench's input, made once: per host 5 script drops, then a shell,
/// 5 minutes apart (half an hour of `hosts` hosts) as observations; each
/// [`next_half_hour`](HalfHours::next_half_hour) is a copy of it half an hour later than the one before, so
/// that one state fed them again and again stays warm (a shard's steady state: events
/// older than timespan + lateness are freed as new ones come).
pub struct HalfHours {
    base: Observations,
    offset: i64,
}

impl HalfHours {
    /// Rounds (of 5 minutes) per half hour.
    pub const ROUNDS: u64 = 6;

    pub fn new(rules: &RuleSet, hosts: u64) -> HalfHours {
        let bytes = web_shell_fleet_vec(hosts, Self::ROUNDS, Self::ROUNDS);
        let mut base = Observations::default();
        stage::observations(rules, &bytes, &mut StageScratch::default(), &mut base);
        assert_eq!(base.len() as u64, hosts * Self::ROUNDS);
        HalfHours { base, offset: 0 }
    }

    /// Observations per half hour.
    pub fn len(&self) -> usize {
        self.base.len()
    }

    pub fn is_empty(&self) -> bool {
        self.base.is_empty()
    }

    /// The next half hour.
    pub fn next_half_hour(&mut self) -> Observations {
        let shifted = self.base.shifted(self.offset);
        self.offset += 1800 * 1_000_000_000;
        shifted
    }

    /// A stage warmed up as the bench runs it: after 4 half hours, each half hour's
    /// shells complete (become final) one per host.
    pub fn warm_stage(&mut self, rules: &RuleSet, alerts: bool) -> CorrelationStage {
        let mut stage = CorrelationStage::new(CorrelationLimits::default());
        for _ in 0..4 {
            stage.feed(rules, &mut self.next_half_hour(), alerts);
        }
        stage
    }
}
