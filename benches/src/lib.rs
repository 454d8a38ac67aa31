//! Inputs for the benchmarks: a small seeded generator of Sysmon process-creation lines
//! (flat Windows JSON, ~1 KB each) with a known number of web-shell children, and of web
//! access logs ([`access`]), until the corpus crate's fleet generator takes over.

pub mod access;

/// A generated input and what the built-in pack must find in it.
pub struct Input {
    pub bytes: Vec<u8>,
    pub lines: u64,
    /// Lines where a web server starts a shell: each raises one built-in alert.
    pub web_shell_lines: u64,
}

const PARENTS: [&str; 6] = [
    r"C:\\Windows\\System32\\svchost.exe",
    r"C:\\Windows\\explorer.exe",
    r"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
    r"C:\\Windows\\System32\\services.exe",
    r"C:\\Windows\\System32\\inetsrv\\w3wp.exe",
    r"C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\MSExchangeHMWorker.exe",
];
const CHILDREN: [&str; 6] = [
    r"C:\\Windows\\System32\\conhost.exe",
    r"C:\\Windows\\System32\\csc.exe",
    r"C:\\Windows\\System32\\netsh.exe",
    r"C:\\Windows\\System32\\backgroundTaskHost.exe",
    r"C:\\Windows\\System32\\cmd.exe",
    r"C:\\Windows\\System32\\RuntimeBroker.exe",
];

/// `lines` process-creation events from a seeded xorshift generator: deterministic.
pub fn sysmon_flat(lines: u64, seed: u64) -> Input {
    let mut state = seed | 1;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let mut bytes = Vec::with_capacity(lines as usize * 1100);
    let mut web_shell_lines = 0;
    for i in 0..lines {
        // One line in 64 has a web-server parent; one in 4 of those starts cmd.exe.
        let web = next(64) == 0;
        let parent = if web {
            PARENTS[4]
        } else {
            PARENTS[next(4) as usize]
        };
        let child = if web && next(4) == 0 {
            web_shell_lines += 1;
            CHILDREN[4]
        } else if web {
            CHILDREN[next(2) as usize]
        } else {
            CHILDREN[[0, 2, 3, 5][next(4) as usize]]
        };
        let pid = 1000 + next(60_000);
        let line = format!(
            concat!(
                r#"{{"SourceName":"Microsoft-Windows-Sysmon","Channel":"Microsoft-Windows-Sysmon/Operational","#,
                r#""Hostname":"host{host:04}.corp.example","@timestamp":"2026-11-20T{h:02}:{m:02}:{s:02}.{ms:03}Z","#,
                r#""EventID":1,"RuleName":"-","UtcTime":"2026-11-20 {h:02}:{m:02}:{s:02}.{ms:03}","#,
                r#""ProcessGuid":"{{6004D249-{a:04X}-604D-{b:04X}-000000000900}}","ProcessId":"{pid}","#,
                r#""Image":"{child}","FileVersion":"10.0.17763.1 (WinBuild.160101.0800)","#,
                r#""Description":"Windows component","Product":"Microsoft® Windows® Operating System","#,
                r#""Company":"Microsoft Corporation","OriginalFileName":"component.exe","#,
                r#""CommandLine":"\"{child}\" /run {i}","CurrentDirectory":"C:\\Windows\\system32\\","#,
                r#""User":"NT AUTHORITY\\SYSTEM","LogonGuid":"{{6004D249-FD95-604C-E703-000000000000}}","#,
                r#""LogonId":"0x3e7","TerminalSessionId":"0","IntegrityLevel":"System","#,
                r#""Hashes":"SHA256={hash:064X}","ParentProcessGuid":"{{6004D249-0957-604D-6019-000000000900}}","#,
                r#""ParentProcessId":"{ppid}","ParentImage":"{parent}","ParentCommandLine":"\"{parent}\" -k netsvcs -p"}}"#,
                "\n"
            ),
            host = next(500),
            h = (i / 3600) % 24,
            m = (i / 60) % 60,
            s = i % 60,
            ms = next(1000),
            a = next(0x10000),
            b = next(0x10000),
            pid = pid,
            child = child,
            i = i,
            hash = next(u64::MAX) as u128 * 0x1_0000_0001,
            ppid = pid / 2,
            parent = parent,
        );
        bytes.extend_from_slice(line.as_bytes());
    }
    Input {
        bytes,
        lines,
        web_shell_lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_is_deterministic_and_plants_web_shells() {
        let a = sysmon_flat(5000, 42);
        let b = sysmon_flat(5000, 42);
        assert_eq!(a.bytes, b.bytes);
        assert!(a.web_shell_lines > 5);
        assert_eq!(
            a.bytes.iter().filter(|b| **b == b'\n').count() as u64,
            a.lines
        );
    }
}
