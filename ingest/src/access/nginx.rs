//! nginx JSON access logs (`log_format ... escape=json '{"remote_addr":"$remote_addr",...}'`):
//! a JSON object with `remote_addr`, `request` or `request_uri`, and `status`, whose keys
//! are nginx variable names. They are read by the JSON scanner, then renamed here to the
//! webserver fields; `request` is split like a text log's request line.

use super::{AccessFormat, AccessLine, clf, complete_uri, field, request, text};
use crate::json::{Kind, Loc, PathTrie, RawValue, SlotId, Slots};
use crate::timestamp::Timestamp;

/// nginx variables and the webserver field each one fills, in order of preference.
const KEYS: [(&str, usize); 20] = [
    ("remote_addr", field::C_IP),
    ("remote_user", field::CS_USERNAME),
    ("request_method", field::CS_METHOD),
    ("request_uri", field::CS_URI),
    ("server_protocol", field::CS_VERSION),
    ("status", field::SC_STATUS),
    ("body_bytes_sent", field::SC_BYTES),
    ("bytes_sent", field::SC_BYTES),
    ("request_length", field::CS_BYTES),
    ("http_referer", field::CS_REFERER),
    ("http_user_agent", field::CS_USER_AGENT),
    ("http_cookie", field::CS_COOKIE),
    ("http_host", field::CS_HOST),
    ("host", field::CS_HOST),
    ("hostname", field::S_COMPUTERNAME),
    ("server_name", field::S_SITENAME),
    ("server_addr", field::S_IP),
    ("server_port", field::S_PORT),
    // `$uri` and `$args` are nginx's normalised, decoded path and the query: used only
    // when the original request target was not logged.
    ("uri", field::CS_URI_STEM),
    ("args", field::CS_URI_QUERY),
];

/// How many of [`KEYS`], at its end, only stand in for the request target.
const FALLBACKS: usize = 2;

/// The slots of the nginx keys, always in the plan: they identify nginx JSON lines.
#[derive(Debug)]
pub(crate) struct NginxSlots {
    keys: [SlotId; KEYS.len()],
    remote_addr: SlotId,
    request: SlotId,
    request_uri: SlotId,
    status: SlotId,
    query_string: SlotId,
    /// Keys that may hold the request time, in order of preference: ISO 8601, epoch
    /// seconds, or `$time_local` (`10/Oct/2000:13:55:36 -0700`) under any of them.
    times: [SlotId; 6],
}

impl NginxSlots {
    pub fn new(trie: &mut PathTrie) -> NginxSlots {
        let mut slot = |name: &str| trie.slot(&[name]);
        NginxSlots {
            keys: KEYS.map(|(name, _)| slot(name)),
            remote_addr: slot("remote_addr"),
            request: slot("request"),
            request_uri: slot("request_uri"),
            status: slot("status"),
            query_string: slot("query_string"),
            times: [
                "time_iso8601",
                "time_local",
                "msec",
                "time",
                "@timestamp",
                "timestamp",
            ]
            .map(&mut slot),
        }
    }

    /// Whether a document's keys make it an nginx access-log line.
    pub fn detect(&self, slots: &Slots) -> bool {
        let present = |slot| !slots.get(slot).is_missing();
        present(self.remote_addr)
            && (present(self.request) || present(self.request_uri))
            && present(self.status)
    }
}

/// Fills `access` from an nginx JSON line's recorded keys; returns its time.
pub(crate) fn read(
    nginx: &NginxSlots,
    access: &mut AccessLine,
    line: &[u8],
    buffer: &mut Vec<u8>,
    slots: &Slots,
) -> Option<Timestamp> {
    access.reset(AccessFormat::NginxJson);
    let primary = KEYS.len() - FALLBACKS;
    for (slot, (_, f)) in nginx.keys.iter().zip(KEYS).take(primary) {
        access.offer(f, scalar(slots, line, buffer, *slot));
    }
    let request = scalar(slots, line, buffer, nginx.request);
    request::split_into(access, line, buffer, request);
    if !access.values[field::CS_URI].is_missing() {
        complete_uri(access, line, buffer);
    }
    for (slot, (_, f)) in nginx.keys.iter().zip(KEYS).skip(primary) {
        access.offer(f, scalar(slots, line, buffer, *slot));
    }
    access.offer(
        field::CS_URI_QUERY,
        scalar(slots, line, buffer, nginx.query_string),
    );
    if access.values[field::CS_URI].is_missing() {
        complete_uri(access, line, buffer);
    }
    nginx.times.iter().find_map(|slot| {
        let v = scalar(slots, line, buffer, *slot);
        let t = (!v.is_missing()).then(|| text(line, buffer, v))?;
        Timestamp::parse(t).or_else(|| clf::parse_time(t))
    })
}

/// A recorded string or number of the top-level document; `""` and `-` (nginx's "not
/// set") are missing.
fn scalar(slots: &Slots, line: &[u8], buffer: &[u8], slot: SlotId) -> RawValue {
    let v = slots.get(slot);
    let usable = matches!(v.kind, Kind::String | Kind::Number)
        && v.loc != Loc::Nested
        && !matches!(text(line, buffer, v), b"" | b"-");
    if usable { v } else { RawValue::MISSING }
}
