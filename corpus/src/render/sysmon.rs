//! Sysmon's event data (events 1, 3, 5 and 11), shared by every shape that carries
//! Windows events: typed values for `evtx_dump`, strings for the shippers.

use super::{Digest, Scratch, account, guid_words, push_braced_guid, push_digest, text};
use crate::host::Host;
use crate::json::{Json, push_hex};
use crate::model::{Event, Kind, Proc};
use crate::time::{Layout, push_time};

/// How the event data is written.
#[derive(Clone, Copy)]
pub struct Style {
    /// Numbers and booleans as JSON values (`evtx_dump`), or everything as strings.
    pub typed: bool,
    /// The layout of `UtcTime` and `CreationUtcTime`.
    pub time: Layout,
}

pub fn event_id(kind: &Kind) -> u64 {
    match kind {
        Kind::Start { .. } => 1,
        Kind::Net { .. } => 3,
        Kind::End { .. } => 5,
        Kind::File { .. } => 11,
    }
}

/// The event's `Version` in the System section.
pub fn version(kind: &Kind) -> u64 {
    match kind {
        Kind::Start { .. } | Kind::Net { .. } => 5,
        Kind::End { .. } => 3,
        Kind::File { .. } => 2,
    }
}

/// The task name shippers show (`event.action` in Winlogbeat).
pub fn task_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Start { .. } => "Process Create (rule: ProcessCreate)",
        Kind::Net { .. } => "Network connection detected (rule: NetworkConnect)",
        Kind::End { .. } => "Process terminated (rule: ProcessTerminate)",
        Kind::File { .. } => "File created (rule: FileCreate)",
    }
}

fn number(j: &mut Json<'_>, style: Style, key: &str, value: u64) {
    if style.typed {
        j.num(key, value);
    } else {
        j.num_str(key, value);
    }
}

fn flag(j: &mut Json<'_>, style: Style, key: &str, value: bool) {
    let v = match (value, style.typed) {
        (true, true) => "true",
        (false, true) => "false",
        (true, false) => "\"true\"",
        (false, false) => "\"false\"",
    };
    j.raw(key, v);
}

fn time(j: &mut Json<'_>, key: &str, at: i64, layout: Layout, tmp: &mut Vec<u8>) {
    tmp.clear();
    push_time(tmp, at, layout);
    j.str(key, tmp);
}

fn process_guid(j: &mut Json<'_>, key: &str, host: &Host, proc: &Proc, tmp: &mut Vec<u8>) {
    let (hi, lo) = guid_words(host, proc);
    tmp.clear();
    push_braced_guid(tmp, hi, lo, false);
    j.str(key, tmp);
}

/// The event data members, written into an open object.
pub fn event_data(j: &mut Json<'_>, event: &Event, host: &Host, style: Style, s: &mut Scratch) {
    let tmp = &mut s.a;
    j.str("RuleName", b"-");
    time(j, "UtcTime", event.time, style.time, tmp);
    let proc = event.kind.proc();
    process_guid(j, "ProcessGuid", host, proc, tmp);
    number(j, style, "ProcessId", u64::from(proc.pid));
    text(j, "Image", &proc.image, tmp);
    match &event.kind {
        Kind::Start { proc, parent } => {
            let bin = proc.bin;
            j.str("FileVersion", bin.version.as_bytes());
            j.str("Description", bin.description.as_bytes());
            j.str("Product", bin.product.as_bytes());
            j.str("Company", bin.company.as_bytes());
            j.str("OriginalFileName", bin.original_file_name.as_bytes());
            text(j, "CommandLine", &proc.cmd, tmp);
            text(j, "CurrentDirectory", &proc.cwd, tmp);
            account(j, "User", &proc.user, tmp);
            tmp.clear();
            let logon = proc.user.logon_id();
            push_braced_guid(
                tmp,
                host.id & 0xffff_ffff_0000_0000 | (logon >> 8),
                logon << 48,
                false,
            );
            j.str("LogonGuid", tmp);
            tmp.clear();
            tmp.extend_from_slice(b"0x");
            push_hex(tmp, logon, if logon > 0xfff { 6 } else { 3 }, false);
            j.str("LogonId", tmp);
            number(
                j,
                style,
                "TerminalSessionId",
                u64::from(!proc.user.is_service()) * 2,
            );
            j.str("IntegrityLevel", proc.integrity().name().as_bytes());
            tmp.clear();
            tmp.extend_from_slice(b"SHA1=");
            push_digest(tmp, bin, Digest::Sha1, true);
            tmp.extend_from_slice(b",MD5=");
            push_digest(tmp, bin, Digest::Md5, true);
            tmp.extend_from_slice(b",SHA256=");
            push_digest(tmp, bin, Digest::Sha256, true);
            tmp.extend_from_slice(b",IMPHASH=");
            push_digest(tmp, bin, Digest::Imphash, true);
            j.str("Hashes", tmp);
            process_guid(j, "ParentProcessGuid", host, parent, tmp);
            number(j, style, "ParentProcessId", u64::from(parent.pid));
            text(j, "ParentImage", &parent.image, tmp);
            text(j, "ParentCommandLine", &parent.cmd, tmp);
            account(j, "ParentUser", &parent.user, tmp);
        }
        Kind::End { proc, .. } => account(j, "User", &proc.user, tmp),
        Kind::File { proc, path } => {
            text(j, "TargetFilename", path, tmp);
            time(j, "CreationUtcTime", event.time, style.time, tmp);
            account(j, "User", &proc.user, tmp);
        }
        Kind::Net { proc, net } => {
            account(j, "User", &proc.user, tmp);
            j.str("Protocol", if net.udp { b"udp" } else { b"tcp" });
            flag(j, style, "Initiated", net.outbound);
            let (local, remote) = ((host.ip, net.local_port), (net.remote_ip, net.remote_port));
            let (source, dest) = if net.outbound {
                (local, remote)
            } else {
                (remote, local)
            };
            let dest_name = if net.outbound && !net.remote_name.is_empty() {
                net.remote_name
            } else {
                "-"
            };
            endpoint(j, style, "Source", source, "-", tmp);
            endpoint(j, style, "Destination", dest, dest_name, tmp);
        }
    }
}

fn endpoint(
    j: &mut Json<'_>,
    style: Style,
    side: &str,
    (ip, port): ([u8; 4], u16),
    name: &str,
    tmp: &mut Vec<u8>,
) {
    let key = |field: &str| -> &'static str {
        match (side, field) {
            ("Source", "v6") => "SourceIsIpv6",
            ("Source", "ip") => "SourceIp",
            ("Source", "host") => "SourceHostname",
            ("Source", "port") => "SourcePort",
            ("Source", _) => "SourcePortName",
            (_, "v6") => "DestinationIsIpv6",
            (_, "ip") => "DestinationIp",
            (_, "host") => "DestinationHostname",
            (_, "port") => "DestinationPort",
            _ => "DestinationPortName",
        }
    };
    flag(j, style, key("v6"), false);
    super::ip(j, key("ip"), ip, tmp);
    j.str(key("host"), name.as_bytes());
    number(j, style, key("port"), u64::from(port));
    let port_name = match port {
        80 => "http",
        443 => "https",
        53 => "domain",
        88 => "kerberos",
        389 => "ldap",
        445 => "microsoft-ds",
        25 => "smtp",
        _ => "-",
    };
    j.str(key("name"), port_name.as_bytes());
}

/// The record number of the host's `seq`-th event: a per-host base plus the sequence.
pub fn record_id(host: &Host, seq: u64) -> u64 {
    10_000 + (host.id >> 44) + seq
}
