//! Events held by the correlation state, compact: the source and summary of an event in
//! one allocation of bytes (about 200 bytes for a Sysmon event instead of the
//! ~1 KB of an [`EventRecord`] with its owned strings), decoded back into an
//! [`EventRecord`] only when an alert is built.

use tripline_ingest::{
    AccessFormat, EventKind, EventSummary, ParentSummary, ProcessSummary, RequestSummary, Schema,
    Timestamp,
};

use super::key::put_len;
use crate::alert::{EventRecord, SourceRef};

/// One event held by the correlation state. Owned, not shared: copied in the rare case
/// that a match lists an event its window keeps (`temporal_ordered`, `temporal`), so that
/// holding and freeing one takes no atomic operation. Layout: line (u64 LE), file name
/// (varint length, bytes), then the summary as written by [`encode_summary`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HeldEvent(Box<[u8]>);

impl HeldEvent {
    pub fn new(record: &EventRecord) -> HeldEvent {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&record.source.line.to_le_bytes());
        put_bytes(&mut out, record.source.file.as_bytes());
        encode_summary(&record.event, &mut out);
        HeldEvent(out.into_boxed_slice())
    }

    pub fn line(&self) -> u64 {
        let (line, _) = self
            .0
            .split_first_chunk::<8>()
            .expect("a held event has a line");
        u64::from_le_bytes(*line)
    }

    /// The source file's name (compared as bytes: the same order as `str`).
    pub fn file(&self) -> &[u8] {
        Reader(&self.0[8..]).bytes()
    }

    /// Heap bytes of the allocation.
    pub fn heap_bytes(&self) -> usize {
        self.0.len().next_multiple_of(8)
    }

    /// The event as alerts list it.
    pub fn record(&self) -> EventRecord {
        let mut r = Reader(&self.0[8..]);
        let file = String::from_utf8_lossy(r.bytes()).into();
        EventRecord {
            source: SourceRef {
                file,
                line: self.line(),
            },
            event: decode_summary(&mut r),
        }
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

struct Reader<'b>(&'b [u8]);

impl<'b> Reader<'b> {
    fn byte(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().expect("held events decode");
        self.0 = rest;
        *b
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let (a, rest) = self.0.split_first_chunk::<N>().expect("held events decode");
        self.0 = rest;
        *a
    }

    fn len(&mut self) -> usize {
        let mut n = 0usize;
        let mut shift = 0;
        loop {
            let b = self.byte();
            n |= usize::from(b & 0x7f) << shift;
            if b < 0x80 {
                return n;
            }
            shift += 7;
        }
    }

    fn bytes(&mut self) -> &'b [u8] {
        let len = self.len();
        let (bytes, rest) = self.0.split_at(len);
        self.0 = rest;
        bytes
    }

    fn string(&mut self) -> String {
        // Written from `String`s: valid UTF-8 (lossy only as a fallback).
        String::from_utf8_lossy(self.bytes()).into_owned()
    }
}

/// The optional strings of a summary, in the order of the presence bits.
fn strings(s: &EventSummary) -> [&Option<String>; STRINGS] {
    // Destructured without `..`: a field added to a summary fails to compile here until
    // it is encoded too.
    let EventSummary {
        schema: _,
        kind: _,
        format: _,
        timestamp: _,
        host,
        channel,
        event_id: _,
        process,
        parent,
        file_path,
        request,
    } = s;
    let ProcessSummary {
        name,
        path,
        command_line,
        original_file_name,
        user,
        sha256,
    } = process;
    let ParentSummary {
        name: parent_name,
        path: parent_path,
        command_line: parent_command_line,
        args: _,
    } = parent;
    let RequestSummary {
        client_ip,
        user: web_user,
        method,
        uri,
        version,
        status,
        bytes,
        referer,
        user_agent,
        host: http_host,
    } = request;
    [
        host,
        channel,
        name,
        path,
        command_line,
        original_file_name,
        user,
        sha256,
        parent_name,
        parent_path,
        parent_command_line,
        file_path,
        client_ip,
        web_user,
        method,
        uri,
        version,
        status,
        bytes,
        referer,
        user_agent,
        http_host,
    ]
}

/// The optional strings of a summary.
const STRINGS: usize = 22;

fn index<T: PartialEq>(all: &[T], x: &T) -> u8 {
    all.iter()
        .position(|a| a == x)
        .expect("ALL lists every variant") as u8
}

const TIMESTAMP: u8 = 1;
const EVENT_ID: u8 = 2;
const ARGS: u8 = 4;

/// Header (schema, kind, format + 1 or 0, flags), the time and event id when present,
/// a bit per present string, the strings, then the parent's arguments.
fn encode_summary(s: &EventSummary, out: &mut Vec<u8>) {
    out.push(index(&Schema::ALL, &s.schema));
    out.push(index(&EventKind::ALL, &s.kind));
    out.push(s.format.map_or(0, |f| index(&AccessFormat::ALL, &f) + 1));
    let flags = if s.timestamp.is_some() { TIMESTAMP } else { 0 }
        | if s.event_id.is_some() { EVENT_ID } else { 0 }
        | if s.parent.args.is_empty() { 0 } else { ARGS };
    out.push(flags);
    if let Some(t) = s.timestamp {
        out.extend_from_slice(&t.as_unix_nanos().to_le_bytes());
    }
    if let Some(id) = s.event_id {
        out.extend_from_slice(&id.to_le_bytes());
    }
    let strings = strings(s);
    let present = strings
        .iter()
        .enumerate()
        .fold(0u32, |bits, (i, v)| bits | (u32::from(v.is_some()) << i));
    out.extend_from_slice(&present.to_le_bytes());
    for value in strings.into_iter().flatten() {
        put_bytes(out, value.as_bytes());
    }
    if !s.parent.args.is_empty() {
        put_len(out, s.parent.args.len());
        for arg in &s.parent.args {
            put_bytes(out, arg.as_bytes());
        }
    }
}

fn decode_summary(r: &mut Reader<'_>) -> EventSummary {
    let [schema, kind, format, flags] = r.array::<4>();
    let mut s = EventSummary {
        schema: Schema::ALL[usize::from(schema)],
        kind: EventKind::ALL[usize::from(kind)],
        format: format
            .checked_sub(1)
            .map(|f| AccessFormat::ALL[usize::from(f)]),
        timestamp: (flags & TIMESTAMP != 0)
            .then(|| Timestamp::from_unix_nanos(i64::from_le_bytes(r.array::<8>()))),
        event_id: (flags & EVENT_ID != 0).then(|| u32::from_le_bytes(r.array::<4>())),
        host: None,
        channel: None,
        process: ProcessSummary::default(),
        parent: ParentSummary::default(),
        file_path: None,
        request: RequestSummary::default(),
    };
    let present = u32::from_le_bytes(r.array::<4>());
    let values: Vec<Option<String>> = (0..STRINGS)
        .map(|i| (present & (1 << i) != 0).then(|| r.string()))
        .collect();
    let mut values = values.into_iter();
    let mut next = || values.next().flatten();
    s.host = next();
    s.channel = next();
    s.process = ProcessSummary {
        name: next(),
        path: next(),
        command_line: next(),
        original_file_name: next(),
        user: next(),
        sha256: next(),
    };
    s.parent.name = next();
    s.parent.path = next();
    s.parent.command_line = next();
    s.file_path = next();
    s.request = RequestSummary {
        client_ip: next(),
        user: next(),
        method: next(),
        uri: next(),
        version: next(),
        status: next(),
        bytes: next(),
        referer: next(),
        user_agent: next(),
        host: next(),
    };
    if flags & ARGS != 0 {
        s.parent.args = (0..r.len()).map(|_| r.string()).collect();
    }
    s
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn full(n: usize) -> EventRecord {
        let s = |name: &str| Some(format!("{name}-{}", "x".repeat(n)));
        EventRecord {
            source: SourceRef {
                file: Arc::from("logs/a.json"),
                line: u64::MAX - 3,
            },
            event: EventSummary {
                schema: Schema::AccessLog,
                kind: EventKind::WebRequest,
                format: Some(AccessFormat::NginxJson),
                timestamp: Some(Timestamp::from_unix_nanos(-5)),
                host: s("host"),
                channel: s("channel"),
                event_id: Some(u32::MAX),
                process: ProcessSummary {
                    name: s("name"),
                    path: s("path"),
                    command_line: s("cmd"),
                    original_file_name: s("ofn"),
                    user: s("user"),
                    sha256: s("sha"),
                },
                parent: ParentSummary {
                    name: s("pname"),
                    path: s("ppath"),
                    command_line: s("pcmd"),
                    args: vec!["a".into(), String::new(), "ü".repeat(n)],
                },
                file_path: s("file"),
                request: RequestSummary {
                    client_ip: s("ip"),
                    user: s("u"),
                    method: s("m"),
                    uri: s("uri"),
                    version: s("v"),
                    status: s("st"),
                    bytes: s("b"),
                    referer: s("r"),
                    user_agent: s("ua"),
                    host: s("h"),
                },
            },
        }
    }

    #[test]
    fn records_round_trip() {
        for n in [0, 1, 200] {
            let record = full(n);
            let held = HeldEvent::new(&record);
            assert_eq!(held.record(), record);
            assert_eq!(held.line(), record.source.line);
            assert_eq!(held.file(), b"logs/a.json");
        }
        let sparse = EventRecord {
            source: SourceRef {
                file: Arc::from(""),
                line: 1,
            },
            event: EventSummary {
                schema: Schema::Flat,
                kind: EventKind::Other,
                format: None,
                timestamp: None,
                host: Some("web01".into()),
                channel: None,
                event_id: None,
                process: ProcessSummary::default(),
                parent: ParentSummary::default(),
                file_path: Some("C:\\inetpub\\wwwroot\\a.aspx".into()),
                request: RequestSummary::default(),
            },
        };
        let held = HeldEvent::new(&sparse);
        assert_eq!(held.record(), sparse);
        assert!(held.heap_bytes() < 80, "{}", held.heap_bytes());
    }

    #[test]
    fn every_variant_round_trips() {
        let mut record = full(0);
        for schema in Schema::ALL {
            for kind in EventKind::ALL {
                record.event.schema = schema;
                record.event.kind = kind;
                assert_eq!(HeldEvent::new(&record).record(), record);
            }
        }
        for format in AccessFormat::ALL.map(Some).into_iter().chain([None]) {
            record.event.format = format;
            assert_eq!(HeldEvent::new(&record).record(), record);
        }
    }
}
