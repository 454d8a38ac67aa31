//! The envelopes of Sysmon events: `evtx_dump` JSON, Winlogbeat, flat Windows JSON
//! (NXLog / OTRF) and Azure Sentinel's `WindowsEvent` rows, as in `corpus/handwritten/`.

use super::sysmon::{Style, event_data, event_id, record_id, task_name, version};
use super::{Scratch, host_guid};
use crate::host::Host;
use crate::json::Json;
use crate::model::Event;
use crate::rng::mix64;
use crate::time::{Layout, MILLI, push_time};

const CHANNEL: &[u8] = b"Microsoft-Windows-Sysmon/Operational";
const PROVIDER: &[u8] = b"Microsoft-Windows-Sysmon";

fn time(j: &mut Json<'_>, key: &str, at: i64, layout: Layout, tmp: &mut Vec<u8>) {
    tmp.clear();
    push_time(tmp, at, layout);
    j.str(key, tmp);
}

/// The Sysmon service's process and thread ids on a host.
fn sysmon_ids(host: &Host) -> (u64, u64) {
    let h = mix64(host.id);
    (1_000 + 4 * (h % 1_500), 1_000 + 4 * ((h >> 20) % 2_500))
}

/// What differs between the `System` sections of Sysmon and Security events.
pub(super) struct System<'a> {
    pub provider: &'a [u8],
    pub guid: &'a [u8],
    pub id: u64,
    pub version: u64,
    pub level: u64,
    pub task: u64,
    pub keywords: &'a [u8],
    pub channel: &'a [u8],
    pub execution: (u64, u64),
    /// `Security.#attributes.UserID`, or `null` without one.
    pub user_id: Option<&'a [u8]>,
}

/// Opens an `evtx_dump` document and writes its `System` section; the caller writes
/// `EventData` and closes the two objects left open.
pub(super) fn evtx_system(
    j: &mut Json<'_>,
    event: &Event,
    host: &Host,
    sys: &System<'_>,
    tmp: &mut Vec<u8>,
) {
    j.begin();
    j.object("Event");
    j.object("#attributes");
    j.str(
        "xmlns",
        b"http://schemas.microsoft.com/win/2004/08/events/event",
    );
    j.end();
    j.object("System");
    j.object("Provider");
    j.object("#attributes");
    j.str("Name", sys.provider);
    j.str("Guid", sys.guid);
    j.end();
    j.end();
    j.num("EventID", sys.id);
    j.num("Version", sys.version);
    j.num("Level", sys.level);
    j.num("Task", sys.task);
    j.num("Opcode", 0);
    j.str("Keywords", sys.keywords);
    j.object("TimeCreated");
    j.object("#attributes");
    time(j, "SystemTime", event.time, Layout::Iso7, tmp);
    j.end();
    j.end();
    j.num("EventRecordID", record_id(host, event.seq));
    j.raw("Correlation", "null");
    j.object("Execution");
    j.object("#attributes");
    j.num("ProcessID", sys.execution.0);
    j.num("ThreadID", sys.execution.1);
    j.end();
    j.end();
    j.str("Channel", sys.channel);
    j.str("Computer", host.computer.as_bytes());
    match sys.user_id {
        Some(sid) => {
            j.object("Security");
            j.object("#attributes");
            j.str("UserID", sid);
            j.end();
            j.end();
        }
        None => j.raw("Security", "null"),
    }
    j.end();
}

pub fn evtx(event: &Event, host: &Host, out: &mut Vec<u8>, s: &mut Scratch) {
    let mut j = Json::compact(out);
    let id = event_id(&event.kind);
    let system = System {
        provider: PROVIDER,
        guid: b"{5770385f-c22a-43e0-bf4c-06f5698ffbd9}",
        id,
        version: version(&event.kind),
        level: 4,
        task: id,
        keywords: b"0x8000000000000000",
        channel: CHANNEL,
        execution: sysmon_ids(host),
        user_id: Some(b"S-1-5-18"),
    };
    evtx_system(&mut j, event, host, &system, &mut s.a);
    j.object("EventData");
    let style = Style {
        typed: true,
        time: Layout::Sysmon,
    };
    event_data(&mut j, event, host, style, s);
    j.end();
    j.end();
    j.end();
}

pub fn winlogbeat(event: &Event, host: &Host, out: &mut Vec<u8>, s: &mut Scratch) {
    let mut j = Json::compact(out);
    let id = event_id(&event.kind);
    let task = task_name(&event.kind).as_bytes();
    j.begin();
    time(&mut j, "@timestamp", event.time, Layout::Iso3, &mut s.a);
    j.object("agent");
    j.str("type", b"winlogbeat");
    j.str(
        "version",
        if host.winlogbeat_7 {
            b"7.17.24"
        } else {
            b"8.15.0"
        },
    );
    j.str("name", host.short.as_bytes());
    host_guid(&mut j, "id", host, 1, &mut s.a);
    host_guid(&mut j, "ephemeral_id", host, 2, &mut s.a);
    j.end();
    j.object("ecs");
    j.str(
        "version",
        if host.winlogbeat_7 {
            b"1.12.0"
        } else {
            b"8.0.0"
        },
    );
    j.end();
    j.object("event");
    j.num_str("code", id);
    j.str("kind", b"event");
    j.str("provider", PROVIDER);
    j.str("module", b"sysmon");
    let shipped = event.time + 1_200 * MILLI + (mix64(event.seq) % 900) as i64 * MILLI;
    time(&mut j, "created", shipped, Layout::Iso3, &mut s.a);
    j.str("action", task);
    j.end();
    j.object("host");
    j.str("name", host.short.as_bytes());
    j.end();
    j.object("log");
    j.str("level", b"information");
    j.end();
    j.object("winlog");
    j.str("channel", CHANNEL);
    if host.winlogbeat_7 {
        j.num("event_id", id);
    } else {
        j.num_str("event_id", id);
    }
    j.str("computer_name", host.computer.as_bytes());
    j.str("provider_name", PROVIDER);
    j.str("provider_guid", b"{5770385f-c22a-43e0-bf4c-06f5698ffbd9}");
    j.num("record_id", record_id(host, event.seq));
    j.str("api", b"wineventlog");
    j.str("task", task);
    j.str("opcode", b"Info");
    j.object("process");
    let (pid, tid) = sysmon_ids(host);
    j.num("pid", pid);
    j.object("thread");
    j.num("id", tid);
    j.end();
    j.end();
    j.object("event_data");
    let style = Style {
        typed: false,
        time: Layout::Sysmon,
    };
    event_data(&mut j, event, host, style, s);
    j.end();
    j.end();
    j.end();
}

pub fn flat(event: &Event, host: &Host, out: &mut Vec<u8>, s: &mut Scratch) {
    let mut j = Json::python(out);
    let id = event_id(&event.kind);
    j.begin();
    j.str("SourceName", PROVIDER);
    j.str("ProviderGuid", b"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}");
    j.str("Level", b"4");
    j.str("Keywords", b"0x8000000000000000");
    j.str("Channel", CHANNEL);
    j.str("Hostname", host.computer.as_bytes());
    time(&mut j, "TimeCreated", event.time, Layout::Iso3, &mut s.a);
    time(&mut j, "@timestamp", event.time, Layout::Iso3, &mut s.a);
    j.num("EventID", id);
    j.num_str("Task", id);
    let style = Style {
        typed: false,
        time: Layout::Sysmon,
    };
    event_data(&mut j, event, host, style, s);
    j.end();
}

const TENANT: &[u8] = b"7c4e2b18-5a9d-4f63-b0e1-2d8c6a9f4b37";

pub fn sentinel(event: &Event, host: &Host, out: &mut Vec<u8>, s: &mut Scratch) {
    let id = event_id(&event.kind);
    let mut inner = std::mem::take(&mut s.inner);
    inner.clear();
    {
        let mut data = Json::compact(&mut inner);
        data.begin();
        let style = Style {
            typed: false,
            time: Layout::Iso7,
        };
        event_data(&mut data, event, host, style, s);
        data.end();
    }
    let mut j = Json::compact(out);
    j.begin();
    j.str("TenantId", TENANT);
    j.str("SourceSystem", b"OpsManager");
    let ingested = event.time + 5 * MILLI + (mix64(event.seq) % 40) as i64 * MILLI;
    time(&mut j, "TimeGenerated", ingested, Layout::Iso3, &mut s.a);
    j.str("Provider", PROVIDER);
    j.str("Channel", CHANNEL);
    j.str("Computer", host.computer.as_bytes());
    j.num("Task", id);
    j.num("EventLevel", 4);
    j.str("EventLevelName", b"Information");
    j.str("EventData", &inner);
    j.num("EventID", id);
    super::event_guid(&mut j, "EventOriginId", event, &mut s.a);
    j.str(
        "ManagementGroupName",
        b"AOI-7c4e2b18-5a9d-4f63-b0e1-2d8c6a9f4b37",
    );
    j.str("Type", b"WindowsEvent");
    s.a.clear();
    s.a.extend_from_slice(
        b"/subscriptions/3b9f1c2e-8d4a-4e71-9c05-6a2f7e1d8b40/resourcegroups/rg-prod-",
    );
    s.a.extend_from_slice(host.role.key().as_bytes());
    s.a.extend_from_slice(b"/providers/microsoft.compute/virtualmachines/");
    s.a.extend_from_slice(host.short.as_bytes());
    j.str("_ResourceId", &s.a);
    j.end();
    s.inner = inner;
}
