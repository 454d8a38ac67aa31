//! Windows Security auditing of process creation and exit (4688, 4689) as `evtx_dump`
//! JSON: no parent command line, no PE metadata, hexadecimal process ids, and SYSTEM's
//! processes attributed to the machine account.

use super::Scratch;
use super::windows::{System, evtx_system};
use crate::catalog::Sid;
use crate::host::Host;
use crate::json::{Json, push_hex};
use crate::model::{Event, Kind, Proc};
use crate::rng::mix64;

/// `Subject*` members: the account the process runs as, SYSTEM shown as `HOST$`.
fn subject(j: &mut Json<'_>, host: &Host, proc: &Proc, tmp: &mut Vec<u8>) {
    tmp.clear();
    proc.user.push_sid(tmp);
    j.str("SubjectUserSid", tmp);
    tmp.clear();
    if proc.user.sid == Sid::System {
        host.machine_account(tmp);
        j.str("SubjectUserName", tmp);
        j.str(
            "SubjectDomainName",
            crate::catalog::NETBIOS_DOMAIN.as_bytes(),
        );
    } else {
        j.str("SubjectUserName", proc.user.name.as_bytes());
        j.str("SubjectDomainName", proc.user.domain.as_bytes());
    }
    hex(j, "SubjectLogonId", proc.user.logon_id(), tmp);
}

fn hex(j: &mut Json<'_>, key: &str, value: u64, tmp: &mut Vec<u8>) {
    tmp.clear();
    tmp.extend_from_slice(b"0x");
    let digits = (64 - value.leading_zeros()).div_ceil(4).max(1);
    push_hex(tmp, value, digits, false);
    j.str(key, tmp);
}

pub fn evtx(event: &Event, host: &Host, out: &mut Vec<u8>, s: &mut Scratch) {
    let (id, version, task) = match event.kind {
        Kind::End { .. } => (4689, 0, 13313),
        _ => (4688, 2, 13312),
    };
    let tmp = &mut s.a;
    let mut j = Json::compact(out);
    let system = System {
        provider: b"Microsoft-Windows-Security-Auditing",
        guid: b"{54849625-5478-4994-a5ba-3e3b0328c30d}",
        id,
        version,
        level: 0,
        task,
        keywords: b"0x8020000000000000",
        channel: b"Security",
        execution: (4, 4 * (1_000 + mix64(host.id ^ event.seq) % 2_000)),
        user_id: None,
    };
    evtx_system(&mut j, event, host, &system, tmp);
    j.object("EventData");
    match &event.kind {
        Kind::End { proc, .. } => {
            subject(&mut j, host, proc, tmp);
            j.str("Status", b"0x0");
            hex(&mut j, "ProcessId", u64::from(proc.pid), tmp);
            super::text(&mut j, "ProcessName", &proc.image, tmp);
        }
        Kind::Start { proc, parent } => {
            subject(&mut j, host, proc, tmp);
            hex(&mut j, "NewProcessId", u64::from(proc.pid), tmp);
            super::text(&mut j, "NewProcessName", &proc.image, tmp);
            let elevation: &[u8] = match proc.integrity() {
                crate::model::Integrity::Medium => b"%%1938",
                crate::model::Integrity::High if !proc.user.is_service() => b"%%1937",
                _ => b"%%1936",
            };
            j.str("TokenElevationType", elevation);
            hex(&mut j, "ProcessId", u64::from(parent.pid), tmp);
            super::text(&mut j, "CommandLine", &proc.cmd, tmp);
            j.str("TargetUserSid", b"S-1-0-0");
            j.str("TargetUserName", b"-");
            j.str("TargetDomainName", b"-");
            j.str("TargetLogonId", b"0x0");
            super::text(&mut j, "ParentProcessName", &parent.image, tmp);
            j.str("MandatoryLabel", proc.integrity().label_sid().as_bytes());
        }
        // Security auditing has no file or network events; the generator does not make them.
        Kind::File { .. } | Kind::Net { .. } => {}
    }
    j.end();
    j.end();
    j.end();
}
