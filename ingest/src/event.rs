//! Events: a parsed line's schema, kind and time, with lazy access to the planned
//! fields as slices of the line (or of a reused buffer for unescaped strings), and for
//! access-log requests, their URL-decoded forms.

use std::sync::Arc;

use crate::access::{AccessFormat, AccessLine, AccessState, TextLine};
use crate::context::SourceContext;
use crate::json::{
    DocError, Kind, Loc, RawValue, Scanner, SlotId, Slots, any_string_value, array_elements_of,
};
use crate::plan::{FieldId, FieldPlan};
use crate::reject::Reject;
use crate::schema::{EcsWords, EventKind, KindInputs, Markers, Schema, classify, detect};
use crate::timestamp::Timestamp;

/// Turns lines into [`Event`]s. Holds the buffers a parse writes into, so one parser per
/// thread allocates nothing per line once they have grown; and, per input, the state
/// that W3C directives set (call [`Parser::begin_source`] when an input starts).
#[derive(Debug, Default)]
pub struct Parser {
    slots: Slots,
    scanner: Scanner,
    /// The event-data JSON document some shippers embed in a string field.
    embedded: Vec<u8>,
    access: AccessState,
    /// The W3C directives in force and the input's host.
    context: SourceContext,
}

/// What a line turned out to be.
#[derive(Clone, Copy, Debug)]
pub enum Parsed<'p> {
    Event(Event<'p>),
    /// A W3C log directive (`#Fields:`, `#Software:`, `#Date:`, ...): it says how the next
    /// lines of its input read, and is neither an event nor an error.
    Header,
}

impl<'p> Parsed<'p> {
    /// The event, if the line was one.
    pub fn event(self) -> Option<Event<'p>> {
        match self {
            Parsed::Event(e) => Some(e),
            Parsed::Header => None,
        }
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }

    /// Starts a new input: forgets the W3C `#Fields:` in force and the source host.
    pub fn begin_source(&mut self) {
        self.context = SourceContext::default();
    }

    /// The host of the current input's events that do not name one (Apache `combined`
    /// lines never do): what [`Event::host`] and the `Computer` field give for them.
    pub fn set_source_host(&mut self, host: Option<Arc<str>>) {
        self.context.set_host(host);
    }

    /// The context the next line is read in.
    pub fn context(&self) -> &SourceContext {
        &self.context
    }

    /// Reads the next lines in `context`: for a parser that takes over an input in the
    /// middle (see [`SourceContext`]).
    pub fn set_context(&mut self, context: &SourceContext) {
        self.context.clone_from(context);
    }

    /// Parses one line. A line starting with `{` (or `[`, `"`) is JSON: it is validated as
    /// one object, its planned fields recorded, its schema detected and its kind
    /// classified. Any other line is read as an access-log line (Apache/nginx `combined`
    /// or `common`, or W3C by the input's latest `#Fields:`), or is a W3C directive. A
    /// line that cannot be an event is rejected with the reason; nothing is guessed.
    pub fn parse<'p>(
        &'p mut self,
        plan: &'p FieldPlan,
        line: &'p [u8],
    ) -> Result<Parsed<'p>, Reject> {
        let line = line.strip_prefix(BOM).unwrap_or(line);
        let Some(first) = line
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        else {
            return Err(Reject::EmptyLine);
        };
        self.slots.reset(plan.trie.slot_count());
        self.scanner.unescaped.clear();
        self.embedded.clear();
        if matches!(first, b'{' | b'[' | b'"') {
            return self.parse_json(plan, line).map(Parsed::Event);
        }
        let time = match self.access.parse_text(
            &mut self.context.w3c,
            &plan.access,
            &plan.trie,
            line,
            &mut self.scanner.unescaped,
            &mut self.slots,
        )? {
            TextLine::Header => return Ok(Parsed::Header),
            TextLine::Entry(time) => time,
        };
        let mut event = self.event(plan, line, Schema::AccessLog);
        event.kind = EventKind::WebRequest;
        event.timestamp = time;
        Ok(Parsed::Event(event))
    }

    fn parse_json<'p>(
        &'p mut self,
        plan: &'p FieldPlan,
        line: &'p [u8],
    ) -> Result<Event<'p>, Reject> {
        self.scanner
            .scan(line, Loc::Line, &plan.trie, &mut self.slots)
            .map_err(|e| match e {
                DocError::NotAnObject => Reject::NotAnObject,
                DocError::Json(e) => Reject::MalformedJson(e),
            })?;
        let schema = detect(&self.markers(plan, line)).ok_or(Reject::UnknownSchema)?;
        if let Some(slot) = plan.schemas[schema.index()].embedded_eventdata {
            self.scan_embedded(plan, line, self.slots.get(slot));
        }
        let access_time = if schema == Schema::AccessLog {
            self.access.read_nginx(
                &plan.access,
                line,
                &mut self.scanner.unescaped,
                &mut self.slots,
            )
        } else {
            None
        };
        let mut event = self.event(plan, line, schema);
        let channel = event.bytes(FieldId::CHANNEL);
        let event_id = event.event_id();
        event.kind = classify(schema, &event.kind_inputs(channel, event_id));
        event.variant = plan.schemas[schema.index()]
            .variants
            .iter()
            .position(|v| {
                v.when
                    .as_ref()
                    .is_some_and(|w| w.matches(channel, event_id, event.kind))
            })
            .unwrap_or(0) as u8;
        event.timestamp =
            access_time.or_else(|| event.bytes(FieldId::TIMESTAMP).and_then(Timestamp::parse));
        Ok(event)
    }

    /// The event of the line just scanned, before its kind and time are known.
    fn event<'p>(&'p self, plan: &'p FieldPlan, line: &'p [u8], schema: Schema) -> Event<'p> {
        Event {
            plan,
            line,
            unescaped: &self.scanner.unescaped,
            embedded: &self.embedded,
            slots: &self.slots,
            schema,
            kind: EventKind::Other,
            variant: 0,
            timestamp: None,
            access: (schema == Schema::AccessLog).then_some(&self.access.line),
            source_host: self.context.host.as_deref().map(str::as_bytes),
        }
    }

    fn markers(&self, plan: &FieldPlan, line: &[u8]) -> Markers {
        let m = &plan.markers;
        let kind = |slot| self.slots.get(slot).kind;
        let present = |slot| !self.slots.get(slot).is_missing();
        let category = self.slots.get(m.category);
        Markers {
            evtx_system_object: kind(m.evtx_system) == Kind::Object,
            winlog_object: kind(m.winlog) == Kind::Object,
            advanced_hunting_category: category.kind == Kind::String
                && category.loc == Loc::Line
                && span(line, category).starts_with(b"AdvancedHunting-"),
            properties_object: kind(m.properties) == Kind::Object,
            device_name: present(m.device_name),
            mde_row_field: m.mde_row.iter().any(|s| present(*s)),
            event_id: present(m.event_id),
            windows_flat_field: m.windows_flat.iter().any(|s| present(*s)),
            timestamp: present(m.at_timestamp),
            ecs_object: m.ecs.iter().any(|s| kind(*s) == Kind::Object),
            nginx_access: plan.access.nginx.detect(&self.slots),
        }
    }

    /// Reads the event data embedded as a JSON string (Azure Sentinel `WindowsEvent`).
    /// Best effort: a malformed embedded document leaves the fields it did not reach missing.
    fn scan_embedded(&mut self, plan: &FieldPlan, line: &[u8], value: RawValue) {
        if value.kind != Kind::String {
            return;
        }
        let text = match value.loc {
            Loc::Line => span(line, value),
            Loc::Unescaped => span(&self.scanner.unescaped, value),
            Loc::Nested => return,
        };
        if !text.trim_ascii_start().starts_with(b"{") {
            return;
        }
        self.embedded.extend_from_slice(text);
        let _ = self
            .scanner
            .scan(&self.embedded, Loc::Nested, &plan.trie, &mut self.slots);
    }
}

fn span(buffer: &[u8], v: RawValue) -> &[u8] {
    &buffer[v.start as usize..(v.start + v.len) as usize]
}

/// One parsed event. Field values borrow from the line and the parser's buffers.
#[derive(Clone, Copy, Debug)]
pub struct Event<'p> {
    plan: &'p FieldPlan,
    line: &'p [u8],
    unescaped: &'p [u8],
    embedded: &'p [u8],
    slots: &'p Slots,
    schema: Schema,
    kind: EventKind,
    variant: u8,
    timestamp: Option<Timestamp>,
    /// The webserver fields and their decoded forms, for access-log events.
    access: Option<&'p AccessLine>,
    source_host: Option<&'p [u8]>,
}

/// A field's value in an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldValue<'p> {
    Missing,
    Null,
    Bool(bool),
    /// The number's literal text.
    Number(&'p [u8]),
    /// The string's content, unescaped.
    String(&'p [u8]),
    Array(JsonArray<'p>),
    /// The object's raw JSON text.
    Object(&'p [u8]),
}

impl<'p> FieldValue<'p> {
    /// The value as text when it is a scalar: strings, numbers and booleans.
    pub fn as_bytes(&self) -> Option<&'p [u8]> {
        match *self {
            FieldValue::String(s) | FieldValue::Number(s) => Some(s),
            FieldValue::Bool(true) => Some(b"true"),
            FieldValue::Bool(false) => Some(b"false"),
            _ => None,
        }
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, FieldValue::Missing)
    }
}

/// A JSON array value, walked on demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonArray<'p> {
    raw: &'p [u8],
}

impl JsonArray<'_> {
    /// Calls `f` with each string element, unescaped.
    pub fn for_each_string(&self, f: impl FnMut(&[u8])) {
        array_elements_of(self.raw, f);
    }

    /// The raw JSON text.
    pub fn raw(&self) -> &[u8] {
        self.raw
    }
}

impl<'p> Event<'p> {
    pub fn schema(&self) -> Schema {
        self.schema
    }

    pub fn kind(&self) -> EventKind {
        self.kind
    }

    /// For access-log events, the format the line was read as.
    pub fn access_format(&self) -> Option<AccessFormat> {
        self.access.map(|a| a.format)
    }

    /// The event's time, when it has a parsable one.
    pub fn timestamp(&self) -> Option<Timestamp> {
        self.timestamp
    }

    /// The raw line the event was parsed from.
    pub fn line(&self) -> &'p [u8] {
        self.line
    }

    pub fn plan(&self) -> &'p FieldPlan {
        self.plan
    }

    /// Whether every string [`Event::any_string`] offers is a JSON string of the raw line,
    /// escaped once: not for access logs (text, decoded forms) nor for event data embedded
    /// as a string (escaped twice). A literal no string can hold is then absent from the
    /// line in its raw JSON form, unless the line spells it with `\u` escapes.
    pub fn strings_are_in_line(&self) -> bool {
        self.access.is_none() && self.embedded.is_empty()
    }

    /// Whether every string [`Event::any_string`] offers holds its plain text (printable
    /// ASCII but `\`, `"` and `/`) as the raw line does: JSON escaping, once or twice (event
    /// data embedded as a string), leaves such characters as they are, and writing one
    /// as a `\u` escape leaves `\u00` in the line. Not for access logs (decoded forms).
    pub fn plain_text_is_in_line(&self) -> bool {
        self.access.is_none()
    }

    /// Whether `f` holds for any string value of the event (keys excluded), including those
    /// of an embedded event-data document; for keyword searches. A text access-log line is
    /// one string; access-log request fields are also offered URL-decoded.
    pub fn any_string(&self, mut f: impl FnMut(&[u8]) -> bool) -> bool {
        let Some(access) = self.access else {
            return any_string_value(self.line, &mut f)
                || (!self.embedded.is_empty() && any_string_value(self.embedded, &mut f));
        };
        let whole = if access.format == AccessFormat::NginxJson {
            any_string_value(self.line, &mut f)
        } else {
            f(self.line)
        };
        whole
            || access
                .extra_strings()
                .any(|v| f(span(self.buffer(v.loc), v)))
    }

    /// The value of a planned field: the first of its candidate paths present. An event
    /// without a host of its own has its input's host, if one was set, as `Computer`.
    pub fn get(&self, field: FieldId) -> FieldValue<'p> {
        match self.first_present(field) {
            Some((_, raw)) => self.resolve(raw),
            None => match self.source_host {
                Some(host) if field == FieldId::COMPUTER => FieldValue::String(host),
                _ => FieldValue::Missing,
            },
        }
    }

    fn first_present(&self, field: FieldId) -> Option<(SlotId, RawValue)> {
        self.plan
            .candidates(self.schema, self.variant, field)
            .iter()
            .map(|&slot| (slot, self.slots.get(slot)))
            .find(|(_, raw)| !raw.is_missing())
    }

    /// Whether some field of the event has alternate (URL-decoded) forms; when not,
    /// [`Event::forms`] is just [`Event::get`].
    pub fn has_alternates(&self) -> bool {
        self.access.is_some_and(|a| !a.alternates.is_empty())
    }

    /// A field's value, then its alternate forms: for the request fields of access-log
    /// events (`cs-uri`, `cs-uri-stem`, `cs-uri-query`, `cs-referer`, `cs-user-agent`,
    /// `cs-cookie`), percent-decoded once and, when that differs again, twice.
    pub fn forms(&self, field: FieldId) -> impl Iterator<Item = FieldValue<'p>> + 'p {
        let event = *self;
        let found = self.first_present(field);
        let canonical = match (found, self.access) {
            (Some((slot, _)), Some(a)) if !a.alternates.is_empty() => {
                self.plan.access.field_of(slot)
            }
            _ => None,
        };
        let alternates = match (canonical, self.access) {
            (Some(_), Some(a)) => a.alternates.as_slice(),
            _ => &[],
        };
        std::iter::once(self.get(field)).chain(
            alternates
                .iter()
                .filter(move |a| Some(usize::from(a.field)) == canonical)
                .map(move |a| event.resolve(a.value)),
        )
    }

    /// A scalar field's text (strings, numbers, booleans).
    pub fn bytes(&self, field: FieldId) -> Option<&'p [u8]> {
        self.get(field).as_bytes()
    }

    pub fn host(&self) -> Option<&'p [u8]> {
        self.bytes(FieldId::COMPUTER)
    }

    pub fn event_id(&self) -> Option<u32> {
        let text = self.bytes(FieldId::EVENT_ID)?;
        std::str::from_utf8(text).ok()?.trim().parse().ok()
    }

    fn buffer(&self, loc: Loc) -> &'p [u8] {
        match loc {
            Loc::Line => self.line,
            Loc::Unescaped => self.unescaped,
            Loc::Nested => self.embedded,
        }
    }

    fn resolve(&self, raw: RawValue) -> FieldValue<'p> {
        let bytes = span(self.buffer(raw.loc), raw);
        match raw.kind {
            Kind::Missing => FieldValue::Missing,
            Kind::Null => FieldValue::Null,
            Kind::True => FieldValue::Bool(true),
            Kind::False => FieldValue::Bool(false),
            Kind::Number => FieldValue::Number(bytes),
            Kind::String => FieldValue::String(bytes),
            Kind::Array => FieldValue::Array(JsonArray { raw: bytes }),
            Kind::Object => FieldValue::Object(bytes),
        }
    }

    fn kind_inputs(&self, channel: Option<&'p [u8]>, event_id: Option<u32>) -> KindInputs<'p> {
        let words = |field| match self.get(field) {
            FieldValue::String(s) => Some(EcsWords::One(s)),
            FieldValue::Array(a) => Some(EcsWords::Array(a.raw)),
            _ => None,
        };
        KindInputs {
            channel,
            provider: self.bytes(FieldId::PROVIDER),
            event_id,
            ecs_category: words(FieldId::CATEGORY),
            ecs_type: words(FieldId::TYPE),
            action: self.bytes(FieldId::ACTION),
        }
    }
}
