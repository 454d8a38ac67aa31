//! The output schemas (the shapes Tripline's ingest reads, plus raw access logs) and what
//! each can carry: Security 4688 has no parent command line, Defender no process end...

use std::fmt;
use std::str::FromStr;

/// An output shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Schema {
    /// `evtx_dump` JSON of Sysmon events 1, 3, 5 and 11.
    Evtx,
    /// `evtx_dump` JSON of Security events 4688 and 4689 (process creation auditing).
    EvtxSecurity,
    /// Winlogbeat with the Sysmon module.
    Winlogbeat,
    /// Flat Windows JSON (NXLog / OTRF style) of Sysmon events.
    Flat,
    /// Azure Sentinel `WindowsEvent` rows, Sysmon event data as a JSON string.
    Sentinel,
    /// Elastic Defend (ECS): process, file and network events.
    Ecs,
    /// Defender advanced-hunting rows (`DeviceProcessEvents`, `DeviceFileEvents`,
    /// `DeviceNetworkEvents`).
    Mde,
    /// The same rows in the streaming-API envelope.
    MdeStreaming,
    /// Apache combined access log (one web server).
    Apache,
    /// nginx access log written as JSON (`log_format ... escape=json`).
    NginxJson,
    /// IIS W3C extended log with its `#Fields:` header.
    Iis,
}

/// What a schema can carry, as far as the built-in rules are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps {
    pub file_events: bool,
    pub network_events: bool,
    pub process_end: bool,
    /// The PE original file name of a started process (catches renamed binaries).
    pub original_file_name: bool,
    /// The parent's command line on a process start.
    pub parent_command_line: bool,
}

impl Schema {
    /// Every schema, endpoint ones first.
    pub const ALL: [Schema; 11] = [
        Schema::Evtx,
        Schema::EvtxSecurity,
        Schema::Winlogbeat,
        Schema::Flat,
        Schema::Sentinel,
        Schema::Ecs,
        Schema::Mde,
        Schema::MdeStreaming,
        Schema::Apache,
        Schema::NginxJson,
        Schema::Iis,
    ];

    /// The endpoint (JSON event) schemas: those a mixed fleet is made of.
    pub const ENDPOINT: [Schema; 8] = [
        Schema::Evtx,
        Schema::EvtxSecurity,
        Schema::Winlogbeat,
        Schema::Flat,
        Schema::Sentinel,
        Schema::Ecs,
        Schema::Mde,
        Schema::MdeStreaming,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Schema::Evtx => "evtx",
            Schema::EvtxSecurity => "evtx-security",
            Schema::Winlogbeat => "winlogbeat",
            Schema::Flat => "flat",
            Schema::Sentinel => "sentinel",
            Schema::Ecs => "ecs",
            Schema::Mde => "mde",
            Schema::MdeStreaming => "mde-streaming",
            Schema::Apache => "apache",
            Schema::NginxJson => "nginx-json",
            Schema::Iis => "iis",
        }
    }

    pub fn is_access_log(self) -> bool {
        matches!(self, Schema::Apache | Schema::NginxJson | Schema::Iis)
    }

    /// A file extension for a file of this schema.
    pub fn extension(self) -> &'static str {
        match self {
            Schema::Evtx | Schema::EvtxSecurity => "jsonl",
            Schema::Flat | Schema::Sentinel => "json",
            Schema::Apache | Schema::Iis => "log",
            _ => "ndjson",
        }
    }

    pub fn caps(self) -> Caps {
        let all = Caps {
            file_events: true,
            network_events: true,
            process_end: true,
            original_file_name: true,
            parent_command_line: true,
        };
        match self {
            Schema::EvtxSecurity => Caps {
                file_events: false,
                network_events: false,
                process_end: true,
                original_file_name: false,
                parent_command_line: false,
            },
            Schema::Mde | Schema::MdeStreaming => Caps {
                process_end: false,
                ..all
            },
            Schema::Apache | Schema::NginxJson | Schema::Iis => Caps {
                file_events: false,
                network_events: false,
                process_end: false,
                original_file_name: false,
                parent_command_line: false,
            },
            _ => all,
        }
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// An unknown schema name.
#[derive(Debug, thiserror::Error)]
#[error("unknown schema `{0}` (expected one of: mix, {names})", names = names())]
pub struct UnknownSchema(pub String);

fn names() -> String {
    Schema::ALL.map(Schema::key).join(", ")
}

impl FromStr for Schema {
    type Err = UnknownSchema;

    fn from_str(s: &str) -> Result<Schema, UnknownSchema> {
        Schema::ALL
            .into_iter()
            .find(|schema| schema.key() == s)
            .ok_or_else(|| UnknownSchema(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for schema in Schema::ALL {
            assert_eq!(schema.key().parse::<Schema>().unwrap(), schema);
        }
        let err = "xml".parse::<Schema>().unwrap_err().to_string();
        assert!(err.contains("mix, evtx, evtx-security"), "{err}");
    }
}
