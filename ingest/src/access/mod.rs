//! Web-server access logs: Apache/nginx `combined` and `common` lines, IIS W3C extended
//! lines named by the latest `#Fields:` directive, and nginx JSON access logs, all read
//! into the fields of Sigma's `webserver` taxonomy (`c-ip`, `cs-method`, `cs-uri-stem`, ...).
//!
//! Values are spans into the line; only values that need unescaping, and the URL-decoded
//! alternate forms of request fields, are written to the parser's buffer.

mod clf;
mod decode;
mod nginx;
mod request;
mod w3c;

use std::fmt;
use std::sync::Arc;

pub(crate) use nginx::NginxSlots;
pub(crate) use w3c::State as W3cState;

use crate::json::{Kind, Loc, PathTrie, RawValue, SlotId, Slots};
use crate::reject::{AccessLogError, Reject};
use crate::timestamp::Timestamp;

/// Which access-log format a line was read as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessFormat {
    /// NCSA combined: `host ident user [time] "request" status bytes "referer" "agent"`
    /// (Apache's and nginx's default), possibly followed by further fields.
    #[default]
    Combined,
    /// NCSA common: the combined format without referer and user agent.
    Common,
    /// W3C extended (IIS): space-separated fields named by the latest `#Fields:` directive.
    W3c,
    /// An nginx JSON access log (`remote_addr`, `request`, `status`, ...).
    NginxJson,
}

impl AccessFormat {
    pub const ALL: [AccessFormat; 4] = [
        AccessFormat::Combined,
        AccessFormat::Common,
        AccessFormat::W3c,
        AccessFormat::NginxJson,
    ];

    /// A stable name, used in alerts and tests.
    pub fn key(self) -> &'static str {
        match self {
            AccessFormat::Combined => "combined",
            AccessFormat::Common => "common",
            AccessFormat::W3c => "w3c",
            AccessFormat::NginxJson => "nginx_json",
        }
    }
}

impl fmt::Display for AccessFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The webserver fields an access-log line fills, by their Sigma (W3C) names. A field a
/// rule set wants is recorded into the plan's slot for that name as a root key, the slot
/// JSON would fill; `request` is the raw request line (nginx's `$request`).
pub(crate) const FIELDS: [&str; FIELD_COUNT] = [
    "date",
    "time",
    "c-ip",
    "cs-username",
    "s-sitename",
    "s-computername",
    "s-ip",
    "s-port",
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "cs-uri",
    "cs-version",
    "sc-status",
    "sc-substatus",
    "sc-win32-status",
    "sc-bytes",
    "cs-bytes",
    "time-taken",
    "cs-host",
    "cs-user-agent",
    "cs-referer",
    "cs-cookie",
    "request",
];
pub(crate) const FIELD_COUNT: usize = 24;

/// Indexes into [`FIELDS`].
pub(crate) mod field {
    pub const DATE: usize = 0;
    pub const TIME: usize = 1;
    pub const C_IP: usize = 2;
    pub const CS_USERNAME: usize = 3;
    pub const S_SITENAME: usize = 4;
    pub const S_COMPUTERNAME: usize = 5;
    pub const S_IP: usize = 6;
    pub const S_PORT: usize = 7;
    pub const CS_METHOD: usize = 8;
    pub const CS_URI_STEM: usize = 9;
    pub const CS_URI_QUERY: usize = 10;
    pub const CS_URI: usize = 11;
    pub const CS_VERSION: usize = 12;
    pub const SC_STATUS: usize = 13;
    pub const SC_SUBSTATUS: usize = 14;
    pub const SC_WIN32_STATUS: usize = 15;
    pub const SC_BYTES: usize = 16;
    pub const CS_BYTES: usize = 17;
    pub const TIME_TAKEN: usize = 18;
    pub const CS_HOST: usize = 19;
    pub const CS_USER_AGENT: usize = 20;
    pub const CS_REFERER: usize = 21;
    pub const CS_COOKIE: usize = 22;
    pub const REQUEST: usize = 23;
}

/// Fields whose values must be unsigned numbers (or `-`) for a line to be read.
const NUMERIC: [usize; 6] = [
    field::SC_STATUS,
    field::SC_SUBSTATUS,
    field::SC_WIN32_STATUS,
    field::SC_BYTES,
    field::CS_BYTES,
    field::TIME_TAKEN,
];

/// The index in [`FIELDS`] of a field name.
pub(crate) fn field_index(name: &[u8]) -> Option<usize> {
    FIELDS.iter().position(|f| f.as_bytes() == name)
}

/// What the plan holds for access logs: the slot of each webserver field (when a rule
/// wants it) and the slots of the nginx JSON keys.
#[derive(Debug)]
pub(crate) struct AccessPlan {
    pub slots: [Option<SlotId>; FIELD_COUNT],
    /// The fields with a slot, and their slots: what a line records.
    wanted: Vec<(usize, SlotId)>,
    pub nginx: NginxSlots,
}

impl AccessPlan {
    /// Creates the nginx key slots; call [`AccessPlan::resolve`] once every field is planned.
    pub fn new(trie: &mut PathTrie) -> AccessPlan {
        AccessPlan {
            slots: [None; FIELD_COUNT],
            wanted: Vec::new(),
            nginx: NginxSlots::new(trie),
        }
    }

    /// Looks up the slot of every webserver field that access-log events want (`wanted`:
    /// the slots their field candidates name).
    pub fn resolve(&mut self, trie: &PathTrie, wanted: &[SlotId]) {
        for (slot, name) in self.slots.iter_mut().zip(FIELDS) {
            *slot = trie
                .root_slot(name.as_bytes())
                .filter(|s| wanted.contains(s));
        }
        self.wanted = (0..FIELD_COUNT)
            .filter_map(|f| self.slots[f].map(|slot| (f, slot)))
            .collect();
    }

    /// The webserver field recorded into `slot`, if any.
    pub fn field_of(&self, slot: SlotId) -> Option<usize> {
        self.slots.iter().position(|s| *s == Some(slot))
    }
}

/// A URL-decoded form of one field of the current line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Alternate {
    pub field: u8,
    pub value: RawValue,
}

/// The webserver fields of the line being parsed, and their decoded forms.
#[derive(Debug)]
pub(crate) struct AccessLine {
    pub format: AccessFormat,
    pub values: [RawValue; FIELD_COUNT],
    pub alternates: Vec<Alternate>,
}

impl Default for AccessLine {
    fn default() -> Self {
        AccessLine {
            format: AccessFormat::Combined,
            values: [RawValue::MISSING; FIELD_COUNT],
            alternates: Vec::new(),
        }
    }
}

impl AccessLine {
    fn reset(&mut self, format: AccessFormat) {
        self.format = format;
        self.values = [RawValue::MISSING; FIELD_COUNT];
        self.alternates.clear();
    }

    /// Sets `field` unless it already has a value.
    fn offer(&mut self, field: usize, value: RawValue) {
        if self.values[field].is_missing() {
            self.values[field] = value;
        }
    }

    /// Strings beyond the line's own text for keyword searches: unescaped copies of the
    /// request fields and their decoded forms (those of `cs-uri` stand for its parts).
    pub fn extra_strings(&self) -> impl Iterator<Item = RawValue> + '_ {
        let copies = decode::DECODED
            .iter()
            .map(|(f, _)| self.values[*f])
            .filter(|v| v.loc == Loc::Unescaped);
        let has_uri_forms = self
            .alternates
            .iter()
            .any(|a| usize::from(a.field) == field::CS_URI);
        let alternates = self
            .alternates
            .iter()
            .filter(move |a| {
                let f = usize::from(a.field);
                !(has_uri_forms && (f == field::CS_URI_STEM || f == field::CS_URI_QUERY))
            })
            .map(|a| a.value);
        copies.chain(alternates)
    }
}

/// Applies a W3C directive line to the state in force. The state may be shared (a block's
/// starting state with the reader that follows the input ahead): it is copied, not
/// changed in place.
pub(crate) fn apply_directive(state: &mut Arc<W3cState>, line: &[u8]) -> Result<(), Reject> {
    let mut next = (**state).clone();
    w3c::directive(&mut next, line)?;
    *state = Arc::new(next);
    Ok(())
}

/// Access-log parsing buffers, and the current line.
#[derive(Debug, Default)]
pub(crate) struct AccessState {
    pub line: AccessLine,
    /// A copy of a value being decoded when it lives in the buffer decoding writes to.
    scratch: Vec<u8>,
}

/// What a text (non-JSON) line turned out to be.
pub(crate) enum TextLine {
    /// A W3C directive (`#Fields:`, `#Software:`, ...): neither an event nor an error.
    Header,
    /// An access-log entry, with its time when it has one.
    Entry(Option<Timestamp>),
}

impl AccessState {
    /// Reads a line that is not JSON: a W3C directive (which updates `w3c`), or an
    /// access-log entry whose fields are recorded into `slots`. Values needing a copy go
    /// to `buffer`.
    pub fn parse_text(
        &mut self,
        w3c: &mut Arc<W3cState>,
        plan: &AccessPlan,
        trie: &PathTrie,
        line: &[u8],
        buffer: &mut Vec<u8>,
        slots: &mut Slots,
    ) -> Result<TextLine, Reject> {
        if line.first() == Some(&b'#') {
            return apply_directive(w3c, line).map(|()| TextLine::Header);
        }
        // In an input with a W3C header, W3C lines come first (and need no search for the
        // `[` of a CLF head); a CLF line among them fails W3C reading and is read as CLF.
        let w3c = w3c
            .has_fields()
            .then(|| w3c::parse(w3c, &mut self.line, trie, line, buffer, slots));
        let time = match w3c {
            Some(Ok(time)) => time,
            w3c => match (clf::head(line), w3c) {
                (Some(head), _) => clf::parse(head, &mut self.line, line, buffer)?,
                (None, Some(Err(reason))) => return Err(reason),
                (None, _) if w3c::starts_with_date(line) => {
                    return Err(Reject::AccessLog(AccessLogError::W3cNoFields));
                }
                (None, _) => return Err(Reject::AccessLog(AccessLogError::UnknownFormat)),
            },
        };
        check_numbers(&self.line, line, buffer)?;
        self.finish(plan, line, buffer, slots);
        Ok(TextLine::Entry(time))
    }

    /// Reads the webserver fields of an nginx JSON line whose keys are in `slots`.
    pub fn read_nginx(
        &mut self,
        plan: &AccessPlan,
        line: &[u8],
        buffer: &mut Vec<u8>,
        slots: &mut Slots,
    ) -> Option<Timestamp> {
        let time = nginx::read(&plan.nginx, &mut self.line, line, buffer, slots);
        self.finish(plan, line, buffer, slots);
        time
    }

    /// Records the wanted fields into their slots and computes the decoded forms.
    fn finish(&mut self, plan: &AccessPlan, line: &[u8], buffer: &mut Vec<u8>, slots: &mut Slots) {
        for &(f, slot) in &plan.wanted {
            let value = self.line.values[f];
            if !value.is_missing() {
                slots.set(slot, value);
            }
        }
        decode::alternates(&mut self.line, plan, line, buffer, &mut self.scratch);
    }
}

/// The bytes of a value recorded for the current line.
pub(crate) fn text<'a>(line: &'a [u8], buffer: &'a [u8], v: RawValue) -> &'a [u8] {
    let source = match v.loc {
        Loc::Unescaped => buffer,
        Loc::Line | Loc::Nested => line,
    };
    &source[v.start as usize..(v.start + v.len) as usize]
}

/// A string value at `start..end` of the line (or of the buffer, with `loc`), or missing
/// for `-` and empty values, which access logs write for "none".
pub(crate) fn value(loc: Loc, source: &[u8], start: usize, end: usize) -> RawValue {
    let bytes = &source[start..end];
    if bytes.is_empty() || bytes == b"-" {
        return RawValue::MISSING;
    }
    match (u32::try_from(start), u32::try_from(end - start)) {
        (Ok(start), Ok(len)) => RawValue {
            kind: Kind::String,
            loc,
            start,
            len,
        },
        _ => RawValue::MISSING,
    }
}

/// A part (`from..to` of its text) of a recorded value.
pub(crate) fn part(v: RawValue, from: usize, to: usize) -> RawValue {
    if from >= to {
        return RawValue::MISSING;
    }
    RawValue {
        kind: Kind::String,
        loc: v.loc,
        start: v.start + from as u32,
        len: (to - from) as u32,
    }
}

fn check_numbers(access: &AccessLine, line: &[u8], buffer: &[u8]) -> Result<(), Reject> {
    for f in NUMERIC {
        let v = access.values[f];
        if !v.is_missing() && !text(line, buffer, v).iter().all(u8::is_ascii_digit) {
            return Err(Reject::AccessLog(AccessLogError::BadField));
        }
    }
    Ok(())
}

/// Fills `cs-uri` from the request's parts, or the parts from `cs-uri`, whichever the
/// format wrote. A synthesised `cs-uri` (`stem?query`) is a copy in `buffer`.
pub(crate) fn complete_uri(access: &mut AccessLine, line: &[u8], buffer: &mut Vec<u8>) {
    let values = &mut access.values;
    let uri = values[field::CS_URI];
    if !uri.is_missing() {
        let bytes = text(line, buffer, uri);
        let split = memchr::memchr(b'?', bytes);
        let stem_end = split.unwrap_or(bytes.len());
        let stem = part(uri, 0, stem_end);
        let query = split.map_or(RawValue::MISSING, |q| part(uri, q + 1, bytes.len()));
        access.offer(field::CS_URI_STEM, stem);
        access.offer(field::CS_URI_QUERY, query);
        return;
    }
    let (stem, query) = (values[field::CS_URI_STEM], values[field::CS_URI_QUERY]);
    if query.is_missing() {
        values[field::CS_URI] = stem;
        return;
    }
    let start = buffer.len();
    if !stem.is_missing() {
        append(buffer, line, stem);
    }
    buffer.push(b'?');
    append(buffer, line, query);
    values[field::CS_URI] = value(Loc::Unescaped, buffer, start, buffer.len());
}

/// Appends a recorded value's bytes to `buffer`, which may itself hold them.
pub(crate) fn append(buffer: &mut Vec<u8>, line: &[u8], v: RawValue) {
    let range = v.start as usize..(v.start + v.len) as usize;
    if v.loc == Loc::Unescaped {
        buffer.extend_from_within(range);
    } else {
        buffer.extend_from_slice(&line[range]);
    }
}

#[cfg(test)]
mod tests;
