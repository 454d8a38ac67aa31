//! Event schemas and kinds: which shipper wrote a document, and what happened in it
//! (a process started, a file was created, ...), decided from a few marker fields.

use std::fmt;

/// The shape of an event document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Schema {
    /// `evtx_dump` JSON: `{"Event": {"System": {...}, "EventData": {...}}}`.
    Evtx,
    /// Winlogbeat: `winlog.channel`, `winlog.event_id`, `winlog.event_data.*`.
    Winlogbeat,
    /// Flat Windows JSON: `EventID`, `Channel`, event data at the top level (NXLog,
    /// OTRF, Azure Sentinel `SecurityEvent`/`WindowsEvent`).
    Flat,
    /// Elastic Common Schema (Elastic Defend, Elastic Agent).
    Ecs,
    /// Microsoft Defender advanced-hunting rows (`DeviceProcessEvents`, ...).
    Mde,
    /// The same rows inside the streaming-API envelope (`properties`).
    MdeStreaming,
}

impl Schema {
    pub const ALL: [Schema; 6] = [
        Schema::Evtx,
        Schema::Winlogbeat,
        Schema::Flat,
        Schema::Ecs,
        Schema::Mde,
        Schema::MdeStreaming,
    ];

    /// A stable name, used in statistics and alerts.
    pub fn key(self) -> &'static str {
        match self {
            Schema::Evtx => "evtx",
            Schema::Winlogbeat => "winlogbeat",
            Schema::Flat => "flat",
            Schema::Ecs => "ecs",
            Schema::Mde => "mde",
            Schema::MdeStreaming => "mde_streaming",
        }
    }

    /// The section of the field map that describes this schema.
    pub(crate) fn map_section(self) -> &'static str {
        match self {
            Schema::MdeStreaming => "mde",
            other => other.key(),
        }
    }

    /// Path prefix under which this schema's documents hold the mapped fields.
    pub(crate) fn envelope(self) -> Option<&'static str> {
        match self {
            Schema::MdeStreaming => Some("properties"),
            _ => None,
        }
    }

    /// Whether documents of this schema are Windows event log records (channel, event id).
    pub fn is_windows_event(self) -> bool {
        matches!(self, Schema::Evtx | Schema::Winlogbeat | Schema::Flat)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// What an event records, as far as routing rules is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    ProcessStart,
    ProcessEnd,
    FileCreate,
    Network,
    /// A request served by a web server (an access-log entry).
    WebRequest,
    Other,
}

impl EventKind {
    pub const ALL: [EventKind; 6] = [
        EventKind::ProcessStart,
        EventKind::ProcessEnd,
        EventKind::FileCreate,
        EventKind::Network,
        EventKind::WebRequest,
        EventKind::Other,
    ];

    pub fn key(self) -> &'static str {
        match self {
            EventKind::ProcessStart => "process_start",
            EventKind::ProcessEnd => "process_end",
            EventKind::FileCreate => "file_create",
            EventKind::Network => "network",
            EventKind::WebRequest => "web_request",
            EventKind::Other => "other",
        }
    }

    pub fn from_key(key: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Which marker paths a document has, for schema detection.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Markers {
    pub evtx_system_object: bool,
    pub winlog_object: bool,
    pub advanced_hunting_category: bool,
    pub properties_object: bool,
    pub device_name: bool,
    pub mde_row_field: bool,
    pub event_id: bool,
    pub windows_flat_field: bool,
    pub timestamp: bool,
    pub ecs_object: bool,
}

/// Decides a document's schema from its markers; `None` when it is of no known schema.
pub(crate) fn detect(m: &Markers) -> Option<Schema> {
    if m.evtx_system_object {
        Some(Schema::Evtx)
    } else if m.winlog_object {
        Some(Schema::Winlogbeat)
    } else if m.advanced_hunting_category && m.properties_object {
        Some(Schema::MdeStreaming)
    } else if m.device_name && m.mde_row_field {
        Some(Schema::Mde)
    } else if m.event_id && m.windows_flat_field {
        Some(Schema::Flat)
    } else if m.timestamp && m.ecs_object {
        Some(Schema::Ecs)
    } else {
        None
    }
}

/// The few values that decide an event's kind.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct KindInputs<'a> {
    pub channel: Option<&'a [u8]>,
    pub provider: Option<&'a [u8]>,
    pub event_id: Option<u32>,
    /// ECS `event.category` / `event.type`.
    pub ecs_category: Option<EcsWords<'a>>,
    pub ecs_type: Option<EcsWords<'a>>,
    pub action: Option<&'a [u8]>,
}

/// An ECS keyword field that may be a string or an array of strings (raw JSON text).
#[derive(Clone, Copy, Debug)]
pub(crate) enum EcsWords<'a> {
    One(&'a [u8]),
    Array(&'a [u8]),
}

impl EcsWords<'_> {
    pub fn contains(&self, word: &str) -> bool {
        match self {
            EcsWords::One(s) => s.eq_ignore_ascii_case(word.as_bytes()),
            EcsWords::Array(raw) => {
                let mut found = false;
                crate::json::array_elements_of(raw, |element| {
                    found |= element.eq_ignore_ascii_case(word.as_bytes());
                });
                found
            }
        }
    }
}

const SYSMON_CHANNEL: &[u8] = b"Microsoft-Windows-Sysmon/Operational";
const SYSMON_PROVIDER: &[u8] = b"Microsoft-Windows-Sysmon";

pub(crate) fn classify(schema: Schema, k: &KindInputs<'_>) -> EventKind {
    match schema {
        Schema::Evtx | Schema::Winlogbeat | Schema::Flat => classify_windows(k),
        Schema::Ecs => classify_ecs(k),
        Schema::Mde | Schema::MdeStreaming => classify_mde(k),
    }
}

fn classify_windows(k: &KindInputs<'_>) -> EventKind {
    let is =
        |field: Option<&[u8]>, name: &[u8]| field.is_some_and(|v| v.eq_ignore_ascii_case(name));
    let sysmon =
        is(k.channel, SYSMON_CHANNEL) || (k.channel.is_none() && is(k.provider, SYSMON_PROVIDER));
    let security = is(k.channel, b"Security");
    match (sysmon, security, k.event_id) {
        (true, _, Some(1)) => EventKind::ProcessStart,
        (true, _, Some(5)) => EventKind::ProcessEnd,
        (true, _, Some(3)) => EventKind::Network,
        (true, _, Some(11)) => EventKind::FileCreate,
        (_, true, Some(4688)) => EventKind::ProcessStart,
        (_, true, Some(4689)) => EventKind::ProcessEnd,
        _ => EventKind::Other,
    }
}

fn classify_ecs(k: &KindInputs<'_>) -> EventKind {
    let category = |w: &str| k.ecs_category.is_some_and(|c| c.contains(w));
    let event_type = |w: &str| k.ecs_type.is_some_and(|t| t.contains(w));
    if category("process") {
        if event_type("start") {
            return EventKind::ProcessStart;
        }
        if event_type("end") {
            return EventKind::ProcessEnd;
        }
    }
    if category("file") && event_type("creation") {
        return EventKind::FileCreate;
    }
    if category("network") && (event_type("start") || event_type("connection")) {
        return EventKind::Network;
    }
    // Filebeat's nginx/apache/iis modules and Elastic Agent web integrations.
    if category("web") {
        return EventKind::WebRequest;
    }
    EventKind::Other
}

fn classify_mde(k: &KindInputs<'_>) -> EventKind {
    let Some(action) = k.action else {
        return EventKind::Other;
    };
    match action {
        b"ProcessCreated" => EventKind::ProcessStart,
        b"FileCreated" => EventKind::FileCreate,
        b"ConnectionSuccess"
        | b"ConnectionAttempt"
        | b"ConnectionRequest"
        | b"InboundConnectionAccepted" => EventKind::Network,
        _ => EventKind::Other,
    }
}
