//! Correlation state against a naive reference, on an arbitrary sequence of events for
//! the built-in `web_root_file_then_shell` (a script written under a web root, then a
//! web-server shell on the same host within 1 h): with a lateness bound covering every
//! event, the alerts are the same in time order and in the fuzzer's arrival order, and
//! they are exactly the reference's: one per shell that has a script write on its host
//! (case-insensitively) no later than it and at most 1 h before, paired with the latest.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tripline_engine::{Alert, CorrelationLimits, ScanConfig};
use tripline_fuzz::{builtin, scan};

const HOSTS: [&str; 4] = ["WEB01", "web01", "web02", "Exch"];
const HOUR: i64 = 3_600;
const BASE: i64 = 1_795_168_800; // 2026-11-20T10:00:00Z

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Kind {
    ScriptWrite,
    Shell,
    /// A process start that no rule of the correlation takes.
    Noise,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct Event {
    host: u8,
    kind: Kind,
    /// Seconds after `BASE`, spread over a few hours so that the timespan matters.
    offset: u16,
}

#[derive(Arbitrary, Debug)]
struct Input {
    events: Vec<Event>,
    /// Arrival order: each event goes to a position derived from these.
    shuffle: Vec<u16>,
}

fn time(event: &Event) -> i64 {
    BASE + i64::from(event.offset) / 4
}

/// RFC 3339 for a time on 2026-11-20 (the offsets stay within that day).
fn rfc3339(seconds: i64) -> String {
    let of_day = seconds.rem_euclid(86_400);
    format!(
        "2026-11-20T{:02}:{:02}:{:02}Z",
        of_day / 3_600,
        of_day / 60 % 60,
        of_day % 60
    )
}

fn line(event: &Event) -> String {
    let host = HOSTS[event.host as usize % HOSTS.len()];
    let at = rfc3339(time(event));
    let head = format!(
        r#"{{"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"{host}","@timestamp":"{at}","#
    );
    match event.kind {
        Kind::ScriptWrite => {
            head + r#""EventID":11,"Image":"C:\\Windows\\System32\\inetsrv\\w3wp.exe","TargetFilename":"C:\\inetpub\\wwwroot\\s.aspx"}"#
        }
        Kind::Shell => {
            head + r#""EventID":1,"ParentImage":"C:\\Windows\\System32\\inetsrv\\w3wp.exe","Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd /c ver"}"#
        }
        Kind::Noise => {
            head + r#""EventID":1,"ParentImage":"C:\\Windows\\explorer.exe","Image":"C:\\Windows\\System32\\notepad.exe"}"#
        }
    }
}

/// A correlation alert as (host lowercased, times of its events).
fn correlation_keys(alerts: &[Alert]) -> Vec<(String, Vec<String>)> {
    let mut keys: Vec<_> = alerts
        .iter()
        .filter(|a| a.rule.label() == "web_root_file_then_shell")
        .map(|a| {
            let host = a.host.clone().unwrap_or_default().to_lowercase();
            let times = a
                .events
                .iter()
                .map(|e| format!("{:?}", e.event.timestamp))
                .collect();
            (host, times)
        })
        .collect();
    keys.sort();
    keys
}

/// The obviously correct answer, from the whole sequence at once.
fn reference(events: &[Event]) -> Vec<(String, Vec<i64>)> {
    let host = |e: &Event| HOSTS[e.host as usize % HOSTS.len()].to_lowercase();
    let mut out: Vec<_> = events
        .iter()
        .filter(|e| matches!(e.kind, Kind::Shell))
        .filter_map(|shell| {
            let write = events
                .iter()
                .filter(|w| matches!(w.kind, Kind::ScriptWrite) && host(w) == host(shell))
                .map(time)
                .filter(|&t| t <= time(shell) && t >= time(shell) - HOUR)
                .max()?;
            Some((host(shell), vec![write, time(shell)]))
        })
        .collect();
    out.sort();
    out
}

fn scan_lines(events: &[Event]) -> Vec<Alert> {
    let mut text = String::new();
    for event in events {
        text.push_str(&line(event));
        text.push('\n');
    }
    let config = ScanConfig {
        correlation: CorrelationLimits {
            max_lateness: 24 * HOUR * 1_000_000_000,
            ..CorrelationLimits::default()
        },
        ..ScanConfig::default()
    };
    scan(&builtin(), config, &[text.as_bytes()]).0
}

fuzz_target!(|input: Input| {
    let events: Vec<Event> = input.events.into_iter().take(64).collect();
    let mut sorted = events.clone();
    sorted.sort_by_key(time);
    let mut arrival = events.clone();
    for (i, &to) in input.shuffle.iter().enumerate().take(arrival.len()) {
        let to = to as usize % arrival.len();
        arrival.swap(i, to);
    }
    let in_order = correlation_keys(&scan_lines(&sorted));
    let shuffled = correlation_keys(&scan_lines(&arrival));
    assert_eq!(
        in_order, shuffled,
        "arrival order changed the correlation alerts"
    );
    let expected: Vec<(String, Vec<String>)> = reference(&events)
        .into_iter()
        .map(|(host, times)| {
            let times = times
                .into_iter()
                .map(|t| {
                    format!(
                        "{:?}",
                        Some(tripline_ingest::Timestamp::from_unix_nanos(
                            t * 1_000_000_000
                        ))
                    )
                })
                .collect();
            (host, times)
        })
        .collect();
    assert_eq!(
        in_order, expected,
        "the correlation differs from the reference"
    );
});
