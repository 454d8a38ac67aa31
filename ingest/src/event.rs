//! Events: a parsed line's schema, kind and time, with lazy access to the planned
//! fields as slices of the line (or of a reused buffer for unescaped strings).

use serde::Serialize;

use crate::json::{
    DocError, Kind, Loc, RawValue, Scanner, Slots, any_string_value, array_elements_of,
};
use crate::plan::{FieldId, FieldPlan};
use crate::reject::Reject;
use crate::schema::{EcsWords, EventKind, KindInputs, Markers, Schema, classify, detect};
use crate::timestamp::Timestamp;

/// Turns lines into [`Event`]s. Holds the buffers a parse writes into, so one parser per
/// thread allocates nothing per line once they have grown.
#[derive(Debug, Default)]
pub struct Parser {
    slots: Slots,
    scanner: Scanner,
    /// The event-data JSON document some shippers embed in a string field.
    embedded: Vec<u8>,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }

    /// Parses one line: validates it as a JSON object, records the plan's fields,
    /// detects its schema and classifies it. A line that cannot be an event is rejected
    /// with the reason.
    pub fn parse<'p>(
        &'p mut self,
        plan: &'p FieldPlan,
        line: &'p [u8],
    ) -> Result<Event<'p>, Reject> {
        if line
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            return Err(Reject::EmptyLine);
        }
        self.slots.reset(plan.trie.slot_count());
        self.scanner.unescaped.clear();
        self.embedded.clear();
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
        let mut event = Event {
            plan,
            line,
            unescaped: &self.scanner.unescaped,
            embedded: &self.embedded,
            slots: &self.slots,
            schema,
            kind: EventKind::Other,
            variant: 0,
            timestamp: None,
        };
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
        event.timestamp = event.bytes(FieldId::TIMESTAMP).and_then(Timestamp::parse);
        Ok(event)
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

    /// Whether `f` holds for any string value of the event (keys excluded), including those
    /// of an embedded event-data document; for keyword searches.
    pub fn any_string(&self, mut f: impl FnMut(&[u8]) -> bool) -> bool {
        any_string_value(self.line, &mut f)
            || (!self.embedded.is_empty() && any_string_value(self.embedded, &mut f))
    }

    /// The value of a planned field: the first of its candidate paths present.
    pub fn get(&self, field: FieldId) -> FieldValue<'p> {
        for &slot in self.plan.candidates(self.schema, self.variant, field) {
            let raw = self.slots.get(slot);
            if !raw.is_missing() {
                return self.resolve(raw);
            }
        }
        FieldValue::Missing
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

    fn resolve(&self, raw: RawValue) -> FieldValue<'p> {
        let buffer = match raw.loc {
            Loc::Line => self.line,
            Loc::Unescaped => self.unescaped,
            Loc::Nested => self.embedded,
        };
        let bytes = span(buffer, raw);
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

    /// The normalised view of this event, owned, for alerts.
    pub fn summary(&self) -> EventSummary {
        let text = |field| self.bytes(field).map(lossy);
        let image = text(FieldId::IMAGE);
        let parent_image = text(FieldId::PARENT_IMAGE);
        let mut parent_args = Vec::new();
        if let FieldValue::Array(args) = self.get(FieldId::PARENT_ARGS) {
            args.for_each_string(|a| parent_args.push(lossy(a)));
        }
        EventSummary {
            schema: self.schema,
            kind: self.kind,
            timestamp: self.timestamp,
            host: text(FieldId::COMPUTER),
            channel: text(FieldId::CHANNEL),
            event_id: self.event_id(),
            process: ProcessSummary {
                name: text(FieldId::PROCESS_NAME).or_else(|| image.as_deref().map(base_name)),
                path: image,
                command_line: text(FieldId::COMMAND_LINE),
                original_file_name: text(FieldId::ORIGINAL_FILE_NAME),
                user: text(FieldId::USER),
                sha256: text(FieldId::SHA256).or_else(|| {
                    self.bytes(FieldId::HASHES)
                        .and_then(sha256_from_hashes)
                        .map(lossy)
                }),
            },
            parent: ParentSummary {
                name: text(FieldId::PARENT_NAME).or_else(|| parent_image.as_deref().map(base_name)),
                path: parent_image,
                command_line: text(FieldId::PARENT_COMMAND_LINE),
                args: parent_args,
            },
            file_path: text(FieldId::TARGET_FILENAME),
        }
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The last component of a Windows or POSIX path.
pub fn base_name(path: &str) -> String {
    path.rsplit(['\\', '/']).next().unwrap_or(path).to_owned()
}

/// The SHA-256 in a Sysmon `Hashes` value (`SHA1=...,MD5=...,SHA256=...,IMPHASH=...`).
fn sha256_from_hashes(hashes: &[u8]) -> Option<&[u8]> {
    hashes.split(|b| *b == b',').find_map(|part| {
        let (name, value) = part.split_at(part.iter().position(|b| *b == b'=')?);
        name.trim_ascii()
            .eq_ignore_ascii_case(b"SHA256")
            .then(|| value[1..].trim_ascii())
    })
}

/// An event's normalised fields, owned: what alerts show of each contributing event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventSummary {
    #[serde(serialize_with = "serialize_key")]
    pub schema: Schema,
    #[serde(serialize_with = "serialize_key")]
    pub kind: EventKind,
    #[serde(
        rename = "@timestamp",
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_time"
    )]
    pub timestamp: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<u32>,
    #[serde(skip_serializing_if = "ProcessSummary::is_empty")]
    pub process: ProcessSummary,
    #[serde(skip_serializing_if = "ParentSummary::is_empty")]
    pub parent: ParentSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProcessSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_file_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl ProcessSummary {
    fn is_empty(&self) -> bool {
        *self == ProcessSummary::default()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ParentSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
}

impl ParentSummary {
    fn is_empty(&self) -> bool {
        *self == ParentSummary::default()
    }
}

fn serialize_key<S: serde::Serializer, T: std::fmt::Display>(
    v: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn serialize_time<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(t),
        None => s.serialize_none(),
    }
}
