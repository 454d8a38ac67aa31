//! Elastic Defend events (ECS): `endpoint.events.process` start and end,
//! `endpoint.events.file` creation and `endpoint.events.network` connections.

use super::{Digest, Scratch, digest, file_name, host_guid, text};
use crate::host::Host;
use crate::json::{Json, push_hex};
use crate::model::{Event, Kind, Proc};
use crate::rng::mix64;
use crate::time::{Layout, push_time};

fn time(j: &mut Json<'_>, key: &str, at: i64, tmp: &mut Vec<u8>) {
    tmp.clear();
    push_time(tmp, at, Layout::Iso3);
    j.str(key, tmp);
}

fn entity_id(j: &mut Json<'_>, key: &str, host: &Host, proc: &Proc, tmp: &mut Vec<u8>) {
    tmp.clear();
    let a = mix64(proc.uid ^ host.id);
    push_hex(tmp, a, 16, false);
    push_hex(tmp, mix64(a), 16, false);
    push_hex(tmp, mix64(a ^ 1), 8, false);
    j.str(key, tmp);
}

/// The words of a Windows command line, quotes removed (as `CommandLineToArgvW` does,
/// without its backslash rules, which command lines here do not need).
fn args(j: &mut Json<'_>, cmd: &[u8], tmp: &mut Vec<u8>) -> u64 {
    j.array("args");
    let mut count = 0;
    let mut i = 0;
    while i < cmd.len() {
        while i < cmd.len() && cmd[i] == b' ' {
            i += 1;
        }
        if i >= cmd.len() {
            break;
        }
        tmp.clear();
        let mut quoted = false;
        while i < cmd.len() && (quoted || cmd[i] != b' ') {
            if cmd[i] == b'"' {
                quoted = !quoted;
            } else {
                tmp.push(cmd[i]);
            }
            i += 1;
        }
        j.elem(tmp);
        count += 1;
    }
    j.end_array();
    count
}

fn command_line(j: &mut Json<'_>, proc: &Proc, s: &mut Scratch) {
    s.b.clear();
    proc.cmd.write(&mut s.b);
    j.str("command_line", &s.b);
    let n = args(j, &s.b, &mut s.a);
    j.num("args_count", n);
}

fn user(j: &mut Json<'_>, proc: &Proc, tmp: &mut Vec<u8>) {
    j.object("user");
    j.str("name", proc.user.name.as_bytes());
    j.str("domain", proc.user.domain.as_bytes());
    tmp.clear();
    proc.user.push_sid(tmp);
    j.str("id", tmp);
    j.end();
}

/// `executable`, `name`, `pid`, `entity_id` of a process.
fn identity(j: &mut Json<'_>, host: &Host, proc: &Proc, tmp: &mut Vec<u8>) {
    text(j, "executable", &proc.image, tmp);
    j.str("name", file_name(tmp));
    j.num("pid", u64::from(proc.pid));
    entity_id(j, "entity_id", host, proc, tmp);
}

pub fn line(event: &Event, host: &Host, out: &mut Vec<u8>, s: &mut Scratch) {
    let (dataset, category, kind, action): (&[u8], &[u8], &[u8], &[u8]) = match event.kind {
        Kind::Start { .. } => (b"endpoint.events.process", b"process", b"start", b"start"),
        Kind::End { .. } => (b"endpoint.events.process", b"process", b"end", b"end"),
        Kind::File { .. } => (b"endpoint.events.file", b"file", b"creation", b"creation"),
        Kind::Net { net, .. } => (
            b"endpoint.events.network",
            b"network",
            b"start",
            if net.outbound {
                b"connection_attempted"
            } else {
                b"connection_accepted"
            },
        ),
    };
    let mut j = Json::compact(out);
    j.begin();
    time(&mut j, "@timestamp", event.time, &mut s.a);
    j.object("agent");
    j.str("type", b"endpoint");
    j.str("version", b"8.15.3");
    host_guid(&mut j, "id", host, 3, &mut s.a);
    j.end();
    j.object("data_stream");
    j.str("type", b"logs");
    j.str("namespace", b"default");
    j.str("dataset", dataset);
    j.end();
    j.object("ecs");
    j.str("version", b"8.11.0");
    j.end();
    j.object("event");
    j.array("category");
    j.elem(category);
    j.end_array();
    j.array("type");
    j.elem(kind);
    j.end_array();
    j.str("kind", b"event");
    j.str("action", action);
    j.str("dataset", dataset);
    j.str("module", b"endpoint");
    super::event_hex(&mut j, "id", event, 20, &mut s.a);
    j.num("sequence", 300_000 + (host.id >> 48) + event.seq);
    time(&mut j, "created", event.time, &mut s.a);
    let outcome: &[u8] = if matches!(event.kind, Kind::End { .. }) {
        b"success"
    } else {
        b"unknown"
    };
    j.str("outcome", outcome);
    j.end();
    j.object("host");
    j.str("hostname", host.short.as_bytes());
    j.str("name", host.computer.as_bytes());
    host_guid(&mut j, "id", host, 4, &mut s.a);
    j.object("os");
    j.str("type", b"windows");
    j.str("family", b"windows");
    j.str("platform", b"windows");
    if host.role == crate::host::Role::Workstation {
        j.str("name", b"Windows 11 Enterprise");
        j.str("version", b"23H2");
        j.str("kernel", b"23H2 (10.0.22631.4460)");
    } else {
        j.str("name", b"Windows Server 2019 Datacenter");
        j.str("version", b"1809");
        j.str("kernel", b"1809 (10.0.17763.6414)");
    }
    j.end();
    j.end();
    match &event.kind {
        Kind::Start { proc, parent } | Kind::End { proc, parent } => {
            j.object("process");
            identity(&mut j, host, proc, &mut s.a);
            command_line(&mut j, proc, s);
            s.a.clear();
            proc.cwd.write(&mut s.a);
            if s.a.len() > 3 && s.a.last() == Some(&b'\\') {
                s.a.pop();
            }
            j.str("working_directory", &s.a);
            j.object("hash");
            digest(&mut j, "md5", proc.bin, Digest::Md5, &mut s.a);
            digest(&mut j, "sha1", proc.bin, Digest::Sha1, &mut s.a);
            digest(&mut j, "sha256", proc.bin, Digest::Sha256, &mut s.a);
            j.end();
            j.object("pe");
            j.str("original_file_name", proc.bin.original_file_name.as_bytes());
            j.str("company", proc.bin.company.as_bytes());
            j.str("description", proc.bin.description.as_bytes());
            j.str("file_version", proc.bin.version.as_bytes());
            j.str("product", proc.bin.product.as_bytes());
            j.end();
            j.object("Ext");
            j.object("token");
            let level: &[u8] = match proc.integrity() {
                crate::model::Integrity::System => b"system",
                crate::model::Integrity::High => b"high",
                crate::model::Integrity::Medium => b"medium",
            };
            j.str("integrity_level_name", level);
            j.end();
            j.end();
            if matches!(event.kind, Kind::End { .. }) {
                j.num("exit_code", 0);
            }
            j.object("parent");
            text(&mut j, "executable", &parent.image, &mut s.a);
            j.str("name", file_name(&s.a));
            command_line(&mut j, parent, s);
            j.num("pid", u64::from(parent.pid));
            entity_id(&mut j, "entity_id", host, parent, &mut s.a);
            j.end();
            j.end();
            user(&mut j, proc, &mut s.a);
        }
        Kind::File { proc, path } => {
            j.object("file");
            s.b.clear();
            path.write(&mut s.b);
            j.str("path", &s.b);
            let name = file_name(&s.b);
            j.str("name", name);
            if let Some(dot) = name.iter().rposition(|&b| b == b'.') {
                j.str("extension", &name[dot + 1..]);
            }
            j.str("directory", super::directory(&s.b));
            j.end();
            j.object("process");
            identity(&mut j, host, proc, &mut s.a);
            j.end();
            user(&mut j, proc, &mut s.a);
        }
        Kind::Net { proc, net } => {
            j.object("network");
            j.str(
                "direction",
                if net.outbound { b"egress" } else { b"ingress" },
            );
            j.str("transport", if net.udp { b"udp" } else { b"tcp" });
            j.str("type", b"ipv4");
            j.end();
            let (local, remote) = ((host.ip, net.local_port), (net.remote_ip, net.remote_port));
            let (source, dest) = if net.outbound {
                (local, remote)
            } else {
                (remote, local)
            };
            j.object("source");
            super::ip(&mut j, "ip", source.0, &mut s.a);
            j.num("port", u64::from(source.1));
            j.end();
            j.object("destination");
            super::ip(&mut j, "ip", dest.0, &mut s.a);
            j.num("port", u64::from(dest.1));
            if net.outbound && !net.remote_name.is_empty() {
                j.str("domain", net.remote_name.as_bytes());
            }
            j.end();
            j.object("process");
            identity(&mut j, host, proc, &mut s.a);
            j.end();
            user(&mut j, proc, &mut s.a);
        }
    }
    j.end();
}
