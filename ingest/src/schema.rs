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
    /// Web-server access logs: Apache/nginx `combined` and `common` lines, IIS W3C
    /// extended lines, nginx JSON (see [`AccessFormat`](crate::AccessFormat)).
    AccessLog,
}

impl Schema {
    pub const ALL: [Schema; 7] = [
        Schema::Evtx,
        Schema::Winlogbeat,
        Schema::Flat,
        Schema::Ecs,
        Schema::Mde,
        Schema::MdeStreaming,
        Schema::AccessLog,
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
            Schema::AccessLog => "access_log",
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

/// What an event records. Rules on ECS and Defender events are routed by kind; Windows
/// event records are routed by their channel and event id (see the engine's log-source
/// table), and classified here for statistics and alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    ProcessStart,
    ProcessEnd,
    /// Another process's memory opened (Sysmon 10).
    ProcessAccess,
    /// A thread created in another process (Sysmon 8).
    RemoteThread,
    /// A DLL or other image loaded (Sysmon 7).
    ImageLoad,
    DriverLoad,
    FileCreate,
    /// A file deleted, or its deletion archived (Sysmon 23, 26).
    FileDelete,
    /// A file's content, time or name changed.
    FileChange,
    /// A registry key or value created, set, renamed or deleted (Sysmon 12-14).
    Registry,
    /// A named pipe created or connected (Sysmon 17, 18).
    Pipe,
    Network,
    /// A DNS query (Sysmon 22).
    Dns,
    /// A PowerShell script block or module log.
    Script,
    /// A request served by a web server (an access-log entry).
    WebRequest,
    Other,
}

impl EventKind {
    pub const ALL: [EventKind; 16] = [
        EventKind::ProcessStart,
        EventKind::ProcessEnd,
        EventKind::ProcessAccess,
        EventKind::RemoteThread,
        EventKind::ImageLoad,
        EventKind::DriverLoad,
        EventKind::FileCreate,
        EventKind::FileDelete,
        EventKind::FileChange,
        EventKind::Registry,
        EventKind::Pipe,
        EventKind::Network,
        EventKind::Dns,
        EventKind::Script,
        EventKind::WebRequest,
        EventKind::Other,
    ];

    pub fn key(self) -> &'static str {
        match self {
            EventKind::ProcessStart => "process_start",
            EventKind::ProcessEnd => "process_end",
            EventKind::ProcessAccess => "process_access",
            EventKind::RemoteThread => "remote_thread",
            EventKind::ImageLoad => "image_load",
            EventKind::DriverLoad => "driver_load",
            EventKind::FileCreate => "file_create",
            EventKind::FileDelete => "file_delete",
            EventKind::FileChange => "file_change",
            EventKind::Registry => "registry",
            EventKind::Pipe => "pipe",
            EventKind::Network => "network",
            EventKind::Dns => "dns",
            EventKind::Script => "script",
            EventKind::WebRequest => "web_request",
            EventKind::Other => "other",
        }
    }

    pub fn from_key(key: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// Words (lowercase) of which at least one appears, as written, in every ECS,
    /// Defender or nginx JSON document that `classify` gives this kind: the values (or
    /// for nginx, the key `remote_addr`) it decides on. A prefilter may skip such
    /// documents when none of the words is in the line. `None` when no such words exist
    /// (the kind is a fallback).
    pub fn markers(self) -> Option<&'static [&'static str]> {
        Some(match self {
            EventKind::ProcessStart => &["process", "processcreated"],
            EventKind::ProcessEnd => &["process"],
            EventKind::ProcessAccess => &["openprocessapicall"],
            EventKind::RemoteThread => &["createremotethreadapicall"],
            EventKind::ImageLoad => &["library", "imageloaded"],
            EventKind::DriverLoad => &["driver"],
            EventKind::FileCreate => &["file", "filecreated"],
            EventKind::FileDelete => &["file", "filedeleted"],
            EventKind::FileChange => &["file", "filemodified", "filerenamed"],
            EventKind::Registry => &["registry"],
            EventKind::Pipe => &["namedpipeevent"],
            EventKind::Network => &["network", "connection"],
            EventKind::Dns => &["network", "dnsqueryresponse"],
            EventKind::Script => &["powershellcommand"],
            // Quoted: the category is the whole string `web`, the key `remote_addr` (the
            // bare words are everywhere: host names, paths, "WebClient").
            EventKind::WebRequest => &["\"web\"", "\"remote_addr\""],
            EventKind::Other => return None,
        })
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
    /// `remote_addr`, `request` or `request_uri`, and `status`: nginx's variable names.
    pub nginx_access: bool,
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
    } else if m.nginx_access {
        Some(Schema::AccessLog)
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
        Schema::AccessLog => EventKind::WebRequest,
    }
}

fn classify_windows(k: &KindInputs<'_>) -> EventKind {
    let is =
        |field: Option<&[u8]>, name: &[u8]| field.is_some_and(|v| v.eq_ignore_ascii_case(name));
    let sysmon =
        is(k.channel, SYSMON_CHANNEL) || (k.channel.is_none() && is(k.provider, SYSMON_PROVIDER));
    let Some(id) = k.event_id else {
        return EventKind::Other;
    };
    if sysmon {
        return match id {
            1 => EventKind::ProcessStart,
            2 => EventKind::FileChange,
            3 => EventKind::Network,
            5 => EventKind::ProcessEnd,
            6 => EventKind::DriverLoad,
            7 => EventKind::ImageLoad,
            8 => EventKind::RemoteThread,
            10 => EventKind::ProcessAccess,
            11 => EventKind::FileCreate,
            12..=14 => EventKind::Registry,
            17 | 18 => EventKind::Pipe,
            22 => EventKind::Dns,
            23 | 26 => EventKind::FileDelete,
            _ => EventKind::Other,
        };
    }
    match id {
        4688 if is(k.channel, b"Security") => EventKind::ProcessStart,
        4689 if is(k.channel, b"Security") => EventKind::ProcessEnd,
        4103 | 4104
            if is(k.channel, b"Microsoft-Windows-PowerShell/Operational")
                || is(k.channel, b"PowerShellCore/Operational") =>
        {
            EventKind::Script
        }
        _ => EventKind::Other,
    }
}

fn classify_ecs(k: &KindInputs<'_>) -> EventKind {
    let category = |w: &str| k.ecs_category.is_some_and(|c| c.contains(w));
    let event_type = |w: &str| k.ecs_type.is_some_and(|t| t.contains(w));
    let action = |w: &[u8]| {
        k.action
            .is_some_and(|a| memchr::memmem::find(a, w).is_some())
    };
    if category("process") {
        if event_type("start") {
            return EventKind::ProcessStart;
        }
        if event_type("end") {
            return EventKind::ProcessEnd;
        }
    }
    if category("file") {
        if event_type("creation") {
            return EventKind::FileCreate;
        }
        if event_type("deletion") {
            return EventKind::FileDelete;
        }
        if event_type("change") {
            return EventKind::FileChange;
        }
    }
    if category("registry") {
        return EventKind::Registry;
    }
    if category("library") {
        return EventKind::ImageLoad;
    }
    if category("driver") {
        return EventKind::DriverLoad;
    }
    if category("network") {
        if event_type("protocol") || action(b"lookup") || action(b"dns") {
            return EventKind::Dns;
        }
        if event_type("start") || event_type("connection") {
            return EventKind::Network;
        }
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
        b"FileDeleted" => EventKind::FileDelete,
        b"FileModified" | b"FileRenamed" => EventKind::FileChange,
        b"RegistryKeyCreated"
        | b"RegistryKeyDeleted"
        | b"RegistryKeyRenamed"
        | b"RegistryValueSet"
        | b"RegistryValueDeleted" => EventKind::Registry,
        b"ImageLoaded" => EventKind::ImageLoad,
        b"DriverLoad" => EventKind::DriverLoad,
        b"OpenProcessApiCall" => EventKind::ProcessAccess,
        b"CreateRemoteThreadApiCall" => EventKind::RemoteThread,
        b"NamedPipeEvent" => EventKind::Pipe,
        b"DnsQueryResponse" => EventKind::Dns,
        b"PowerShellCommand" => EventKind::Script,
        b"ConnectionSuccess"
        | b"ConnectionAttempt"
        | b"ConnectionRequest"
        | b"InboundConnectionAccepted" => EventKind::Network,
        _ => EventKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value `classify_ecs` and `classify_mde` decide a kind on contains one of the
    /// kind's markers (lowercased), so a line without any marker cannot be of that kind.
    #[test]
    fn markers_cover_the_deciding_values() {
        let ecs = [
            (EventKind::ProcessStart, "process"),
            (EventKind::ProcessEnd, "process"),
            (EventKind::FileCreate, "file"),
            (EventKind::FileDelete, "file"),
            (EventKind::FileChange, "file"),
            (EventKind::Registry, "registry"),
            (EventKind::ImageLoad, "library"),
            (EventKind::DriverLoad, "driver"),
            (EventKind::Network, "network"),
            (EventKind::Dns, "network"),
            (EventKind::WebRequest, "web"),
        ];
        for (kind, category) in ecs {
            let words = KindInputs {
                ecs_category: Some(EcsWords::One(category.as_bytes())),
                ecs_type: Some(EcsWords::One(match kind {
                    EventKind::ProcessEnd => b"end",
                    EventKind::FileDelete => b"deletion",
                    EventKind::FileChange => b"change",
                    EventKind::FileCreate => b"creation",
                    EventKind::Dns => b"protocol",
                    _ => b"start",
                })),
                ..KindInputs::default()
            };
            assert_eq!(classify_ecs(&words), kind);
            let quoted = format!("\"{category}\"");
            let markers = kind.markers().unwrap();
            assert!(
                markers.contains(&category) || markers.contains(&quoted.as_str()),
                "{kind:?}"
            );
        }
        let mde = [
            "ProcessCreated",
            "FileCreated",
            "FileDeleted",
            "FileModified",
            "FileRenamed",
            "RegistryKeyCreated",
            "RegistryValueSet",
            "ImageLoaded",
            "DriverLoad",
            "OpenProcessApiCall",
            "CreateRemoteThreadApiCall",
            "NamedPipeEvent",
            "DnsQueryResponse",
            "PowerShellCommand",
            "ConnectionSuccess",
            "InboundConnectionAccepted",
        ];
        for action in mde {
            let kind = classify_mde(&KindInputs {
                action: Some(action.as_bytes()),
                ..KindInputs::default()
            });
            let lowered = action.to_ascii_lowercase();
            assert!(
                kind.markers().unwrap().iter().any(|m| lowered.contains(m)),
                "{action} -> {kind:?}"
            );
        }
    }
}
