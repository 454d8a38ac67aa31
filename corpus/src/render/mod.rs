//! Events into lines: one module per family of shapes, with the helpers they share
//! (GUIDs, hashes, account names, file-name parts) writing into reused buffers.

mod ecs;
mod mde;
mod security;
mod sysmon;
mod windows;

use crate::catalog::{Bin, User};
use crate::host::Host;
use crate::json::{Json, push_guid, push_hex};
use crate::model::{Event, Proc};
use crate::rng::mix64;
use crate::schema::Schema;
use crate::text::Text;

/// Reused buffers for the parts of a line that are built before being escaped.
#[derive(Default)]
pub struct Scratch {
    pub a: Vec<u8>,
    pub b: Vec<u8>,
    /// A document embedded as a string (Sentinel's `EventData`).
    pub inner: Vec<u8>,
}

/// Appends `event` as one line (with its newline) in `host`'s schema.
pub fn render(event: &Event, host: &Host, out: &mut Vec<u8>, scratch: &mut Scratch) {
    match host.schema {
        Schema::Evtx => windows::evtx(event, host, out, scratch),
        Schema::EvtxSecurity => security::evtx(event, host, out, scratch),
        Schema::Winlogbeat => windows::winlogbeat(event, host, out, scratch),
        Schema::Flat => windows::flat(event, host, out, scratch),
        Schema::Sentinel => windows::sentinel(event, host, out, scratch),
        Schema::Ecs => ecs::line(event, host, out, scratch),
        Schema::Mde => mde::row(event, host, out, scratch, false),
        Schema::MdeStreaming => mde::row(event, host, out, scratch, true),
        // Access logs are written by their own generator, not from endpoint events.
        Schema::Apache | Schema::NginxJson | Schema::Iis => {}
    }
    out.push(b'\n');
}

/// A text field: expanded into `tmp`, then escaped into the document.
pub(crate) fn text(j: &mut Json<'_>, key: &str, value: &Text, tmp: &mut Vec<u8>) {
    tmp.clear();
    value.write(tmp);
    j.str(key, tmp);
}

/// `DOMAIN\name`.
pub(crate) fn push_account(out: &mut Vec<u8>, user: &User) {
    out.extend_from_slice(user.domain.as_bytes());
    out.push(b'\\');
    out.extend_from_slice(user.name.as_bytes());
}

pub(crate) fn account(j: &mut Json<'_>, key: &str, user: &User, tmp: &mut Vec<u8>) {
    tmp.clear();
    push_account(tmp, user);
    j.str(key, tmp);
}

/// The two halves of a process's GUID: the host's bits first, as Sysmon's GUIDs share
/// their first group per machine.
pub(crate) fn guid_words(host: &Host, proc: &Proc) -> (u64, u64) {
    (
        (host.id & 0xffff_ffff_0000_0000) | (proc.uid >> 32),
        mix64(proc.uid),
    )
}

/// `{xxxxxxxx-...}`.
pub(crate) fn push_braced_guid(out: &mut Vec<u8>, hi: u64, lo: u64, upper: bool) {
    out.push(b'{');
    push_guid(out, hi, lo, upper);
    out.push(b'}');
}

/// Hex digest parts of a program, from [`Bin::hash_words`].
#[derive(Clone, Copy)]
pub(crate) enum Digest {
    Md5,
    Sha1,
    Sha256,
    Imphash,
}

pub(crate) fn push_digest(out: &mut Vec<u8>, bin: &Bin, digest: Digest, upper: bool) {
    let words = bin.hash_words();
    let (range, digits): (std::ops::Range<usize>, u32) = match digest {
        Digest::Md5 => (0..2, 32),
        Digest::Sha1 => (2..5, 40),
        Digest::Sha256 => (5..9, 64),
        Digest::Imphash => (9..11, 32),
    };
    let mut left = digits;
    for w in &words[range] {
        let n = left.min(16);
        push_hex(out, *w, n, upper);
        left -= n;
    }
}

pub(crate) fn digest(j: &mut Json<'_>, key: &str, bin: &Bin, digest: Digest, tmp: &mut Vec<u8>) {
    tmp.clear();
    push_digest(tmp, bin, digest, false);
    j.str(key, tmp);
}

/// The part after the last `\` or `/`.
pub(crate) fn file_name(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'\\' || b == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// The part before the last `\` or `/`.
pub(crate) fn directory(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'\\' || b == b'/') {
        Some(i) => &path[..i],
        None => b"",
    }
}

/// A dotted IPv4 address.
pub(crate) fn push_ip(out: &mut Vec<u8>, ip: [u8; 4]) {
    for (i, octet) in ip.iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        crate::json::push_u64(out, u64::from(*octet));
    }
}

pub(crate) fn ip(j: &mut Json<'_>, key: &str, value: [u8; 4], tmp: &mut Vec<u8>) {
    tmp.clear();
    push_ip(tmp, value);
    j.str(key, tmp);
}

/// A stable GUID of a host (agent ids, tenant-scoped ids), lower case, no braces.
pub(crate) fn host_guid(j: &mut Json<'_>, key: &str, host: &Host, salt: u64, tmp: &mut Vec<u8>) {
    tmp.clear();
    let hi = mix64(host.id ^ mix64(salt));
    push_guid(tmp, hi, mix64(hi), false);
    j.str(key, tmp);
}

fn event_bits(event: &Event) -> u64 {
    mix64(event.seq ^ mix64(u64::from(event.host) ^ event.time as u64))
}

/// A random-looking GUID for one event, stable for the event.
pub(crate) fn event_guid(j: &mut Json<'_>, key: &str, event: &Event, tmp: &mut Vec<u8>) {
    tmp.clear();
    let bits = event_bits(event);
    push_guid(tmp, bits, mix64(bits), false);
    j.str(key, tmp);
}

/// A random-looking id for one event (hex digits), stable for the event.
pub(crate) fn event_hex(
    j: &mut Json<'_>,
    key: &str,
    event: &Event,
    digits: u32,
    tmp: &mut Vec<u8>,
) {
    tmp.clear();
    let mut state = event_bits(event);
    let mut left = digits;
    while left > 0 {
        let n = left.min(16);
        push_hex(tmp, state, n, false);
        state = mix64(state);
        left -= n;
    }
    j.str(key, tmp);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parts() {
        assert_eq!(file_name(br"C:\inetpub\wwwroot\a.aspx"), b"a.aspx");
        assert_eq!(
            directory(br"C:\inetpub\wwwroot\a.aspx"),
            br"C:\inetpub\wwwroot"
        );
        assert_eq!(file_name(b"System"), b"System");
        assert_eq!(directory(b"System"), b"");
    }

    #[test]
    fn digests_have_their_lengths() {
        for (digest, len) in [
            (Digest::Md5, 32),
            (Digest::Sha1, 40),
            (Digest::Sha256, 64),
            (Digest::Imphash, 32),
        ] {
            let mut out = Vec::new();
            push_digest(&mut out, &crate::catalog::CMD, digest, true);
            assert_eq!(out.len(), len);
            assert!(
                out.iter()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
            );
        }
    }
}
