//! The owned summary of an event that alerts carry: its normalised process, file and web
//! request fields, built only for events that raise an alert.

use serde::Serialize;

use crate::access::AccessFormat;
use crate::event::{Event, FieldValue};
use crate::plan::FieldId;
use crate::schema::{EventKind, Schema};
use crate::timestamp::Timestamp;

impl Event<'_> {
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
            schema: self.schema(),
            kind: self.kind(),
            format: self.access_format(),
            timestamp: self.timestamp(),
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
            request: RequestSummary {
                client_ip: text(FieldId::CLIENT_IP),
                user: text(FieldId::WEB_USER),
                method: text(FieldId::METHOD),
                uri: text(FieldId::URI).or_else(|| {
                    let stem = text(FieldId::URI_STEM);
                    match (stem, text(FieldId::URI_QUERY)) {
                        (stem, Some(query)) => {
                            Some(format!("{}?{query}", stem.unwrap_or_default()))
                        }
                        (stem, None) => stem,
                    }
                }),
                version: text(FieldId::HTTP_VERSION),
                status: text(FieldId::STATUS),
                bytes: text(FieldId::RESPONSE_BYTES),
                referer: text(FieldId::REFERER),
                user_agent: text(FieldId::USER_AGENT),
                host: text(FieldId::HTTP_HOST),
            },
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
    /// The access-log format the event was read from.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_opt_key"
    )]
    pub format: Option<AccessFormat>,
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
    /// The request, for web requests (access logs, ECS web events).
    #[serde(skip_serializing_if = "RequestSummary::is_empty")]
    pub request: RequestSummary,
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

/// A web request's fields, by what they mean (the Sigma names in parentheses).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RequestSummary {
    /// `c-ip`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    /// `cs-username`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `cs-method`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// `cs-uri`: the request target as sent (path and query).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// `cs-version`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `sc-status`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `sc-bytes`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<String>,
    /// `cs-referer`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referer: Option<String>,
    /// `cs-user-agent`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// `cs-host`: the Host header the client sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

impl RequestSummary {
    fn is_empty(&self) -> bool {
        *self == RequestSummary::default()
    }
}

fn serialize_opt_key<S: serde::Serializer, T: std::fmt::Display>(
    v: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
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
