//! Microsoft Defender for Endpoint advanced-hunting rows (`DeviceProcessEvents`,
//! `DeviceFileEvents`, `DeviceNetworkEvents`), bare or in the streaming-API envelope.
//! Defender has no process-end rows; the generator does not make them for these hosts.

use super::{Digest, Scratch, digest, file_name, text};
use crate::host::Host;
use crate::json::{Json, push_hex};
use crate::model::{Event, Integrity, Kind, Proc};
use crate::rng::mix64;
use crate::time::{Layout, MILLI, push_time};

fn time(j: &mut Json<'_>, key: &str, at: i64, tmp: &mut Vec<u8>) {
    tmp.clear();
    push_time(tmp, at, Layout::Iso7);
    j.str(key, tmp);
}

fn lower(j: &mut Json<'_>, key: &str, value: &str, tmp: &mut Vec<u8>) {
    tmp.clear();
    tmp.extend(value.bytes().map(|b| b.to_ascii_lowercase()));
    j.str(key, tmp);
}

/// `AccountDomain`, `AccountName`, `AccountSid` with `prefix`.
fn account(j: &mut Json<'_>, prefix: &str, proc: &Proc, tmp: &mut Vec<u8>) {
    let key = |field: &'static str| -> &'static str {
        match (prefix, field) {
            ("", "d") => "AccountDomain",
            ("", "n") => "AccountName",
            ("", _) => "AccountSid",
            (_, "d") => "InitiatingProcessAccountDomain",
            (_, "n") => "InitiatingProcessAccountName",
            _ => "InitiatingProcessAccountSid",
        }
    };
    lower(j, key("d"), proc.user.domain, tmp);
    lower(j, key("n"), proc.user.name, tmp);
    tmp.clear();
    proc.user.push_sid(tmp);
    j.str(key("s"), tmp);
}

fn integrity(proc: &Proc) -> &'static [u8] {
    match proc.integrity() {
        Integrity::System => b"System",
        Integrity::High => b"High",
        Integrity::Medium => b"Medium",
    }
}

/// The acting process's `InitiatingProcess*` columns (file and network rows).
fn initiating(j: &mut Json<'_>, proc: &Proc, s: &mut Scratch) {
    account(j, "InitiatingProcess", proc, &mut s.a);
    s.a.clear();
    proc.image.write(&mut s.a);
    j.str("InitiatingProcessFileName", file_name(&s.a));
    s.a.make_ascii_lowercase();
    j.str("InitiatingProcessFolderPath", &s.a);
    j.num("InitiatingProcessId", u64::from(proc.pid));
    text(j, "InitiatingProcessCommandLine", &proc.cmd, &mut s.a);
    digest(
        j,
        "InitiatingProcessSHA256",
        proc.bin,
        Digest::Sha256,
        &mut s.a,
    );
    j.str(
        "InitiatingProcessVersionInfoOriginalFileName",
        proc.bin.original_file_name.as_bytes(),
    );
    j.str("InitiatingProcessIntegrityLevel", integrity(proc));
}

fn table(kind: &Kind) -> &'static [u8] {
    match kind {
        Kind::File { .. } => b"DeviceFileEvents",
        Kind::Net { .. } => b"DeviceNetworkEvents",
        Kind::Start { .. } | Kind::End { .. } => b"DeviceProcessEvents",
    }
}

pub fn row(event: &Event, host: &Host, out: &mut Vec<u8>, s: &mut Scratch, streaming: bool) {
    let mut j = Json::compact(out);
    j.begin();
    if streaming {
        let published = event.time + 2_000 * MILLI + (mix64(event.seq) % 500) as i64 * MILLI;
        time(&mut j, "time", published, &mut s.a);
        j.str("tenantId", b"7c4e2b18-5a9d-4f63-b0e1-2d8c6a9f4b37");
        j.str("operationName", b"Publish");
        s.a.clear();
        s.a.extend_from_slice(b"AdvancedHunting-");
        s.a.extend_from_slice(table(&event.kind));
        j.str("category", &s.a);
        j.object("properties");
    }
    time(&mut j, "Timestamp", event.time, &mut s.a);
    s.a.clear();
    push_hex(&mut s.a, mix64(host.id ^ 5), 16, false);
    push_hex(&mut s.a, mix64(host.id ^ 6), 16, false);
    push_hex(&mut s.a, mix64(host.id ^ 7), 8, false);
    j.str("DeviceId", &s.a);
    j.str("DeviceName", host.fqdn.as_bytes());
    match &event.kind {
        Kind::Start { proc, parent } | Kind::End { proc, parent } => {
            process(&mut j, event, proc, parent, s)
        }
        Kind::File { proc, path } => {
            j.str("ActionType", b"FileCreated");
            s.b.clear();
            path.write(&mut s.b);
            j.str("FileName", file_name(&s.b));
            j.str("FolderPath", &s.b);
            s.a.clear();
            let bits = mix64(event.seq ^ host.id);
            push_hex(&mut s.a, bits, 16, false);
            push_hex(&mut s.a, mix64(bits), 16, false);
            push_hex(&mut s.a, mix64(bits ^ 1), 8, false);
            j.str("SHA1", &s.a);
            s.a.clear();
            for i in 0..4 {
                push_hex(&mut s.a, mix64(bits ^ (i + 2)), 16, false);
            }
            j.str("SHA256", &s.a);
            j.num("FileSize", 512 + bits % 400_000);
            initiating(&mut j, proc, s);
        }
        Kind::Net { proc, net } => {
            j.str(
                "ActionType",
                if net.outbound {
                    b"ConnectionSuccess"
                } else {
                    b"InboundConnectionAccepted"
                },
            );
            super::ip(&mut j, "RemoteIP", net.remote_ip, &mut s.a);
            j.num("RemotePort", u64::from(net.remote_port));
            j.str("RemoteUrl", net.remote_name.as_bytes());
            super::ip(&mut j, "LocalIP", host.ip, &mut s.a);
            j.num("LocalPort", u64::from(net.local_port));
            j.str("Protocol", if net.udp { b"Udp" } else { b"Tcp" });
            j.str("LocalIPType", b"Private");
            let private = net.remote_ip[0] == 10;
            j.str("RemoteIPType", if private { b"Private" } else { b"Public" });
            initiating(&mut j, proc, s);
        }
    }
    j.num("ReportId", 9_000 + event.seq);
    if streaming {
        j.end();
    }
    j.end();
}

fn process(j: &mut Json<'_>, event: &Event, proc: &Proc, parent: &Proc, s: &mut Scratch) {
    j.str("ActionType", b"ProcessCreated");
    s.b.clear();
    proc.image.write(&mut s.b);
    j.str("FileName", file_name(&s.b));
    j.str("FolderPath", &s.b);
    let bin = proc.bin;
    digest(j, "SHA1", bin, Digest::Sha1, &mut s.a);
    digest(j, "SHA256", bin, Digest::Sha256, &mut s.a);
    digest(j, "MD5", bin, Digest::Md5, &mut s.a);
    j.str("ProcessVersionInfoCompanyName", bin.company.as_bytes());
    j.str("ProcessVersionInfoProductName", bin.product.as_bytes());
    let version = bin.version.split(' ').next().unwrap_or(bin.version);
    j.str("ProcessVersionInfoProductVersion", version.as_bytes());
    j.str(
        "ProcessVersionInfoOriginalFileName",
        bin.original_file_name.as_bytes(),
    );
    j.str(
        "ProcessVersionInfoFileDescription",
        bin.description.as_bytes(),
    );
    j.num("ProcessId", u64::from(proc.pid));
    text(j, "ProcessCommandLine", &proc.cmd, &mut s.a);
    j.str("ProcessIntegrityLevel", integrity(proc));
    let elevation: &[u8] = if proc.integrity() == Integrity::High && !proc.user.is_service() {
        b"TokenElevationTypeFull"
    } else {
        b"TokenElevationTypeDefault"
    };
    j.str("ProcessTokenElevation", elevation);
    time(j, "ProcessCreationTime", event.time, &mut s.a);
    account(j, "", proc, &mut s.a);
    j.num("LogonId", proc.user.logon_id());
    account(j, "InitiatingProcess", parent, &mut s.a);
    digest(
        j,
        "InitiatingProcessSHA1",
        parent.bin,
        Digest::Sha1,
        &mut s.a,
    );
    digest(
        j,
        "InitiatingProcessSHA256",
        parent.bin,
        Digest::Sha256,
        &mut s.a,
    );
    digest(j, "InitiatingProcessMD5", parent.bin, Digest::Md5, &mut s.a);
    s.a.clear();
    parent.image.write(&mut s.a);
    j.str("InitiatingProcessFileName", file_name(&s.a));
    j.num("InitiatingProcessId", u64::from(parent.pid));
    text(j, "InitiatingProcessCommandLine", &parent.cmd, &mut s.b);
    s.a.make_ascii_lowercase();
    j.str("InitiatingProcessFolderPath", &s.a);
    j.num("InitiatingProcessParentId", u64::from(parent.parent_pid));
    let grandparent = parent.parent_bin.name();
    j.str("InitiatingProcessParentFileName", grandparent.as_bytes());
    j.str("InitiatingProcessIntegrityLevel", integrity(parent));
}
