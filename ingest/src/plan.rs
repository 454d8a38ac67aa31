//! The field plan: the fields a rule set wants, compiled once into one path trie and,
//! for every schema and per-event variant, the slots that may hold each field.
//!
//! Field names become [`FieldId`]s here, when rules compile; nothing is looked up by
//! name per event.

use hashbrown::HashMap;

use crate::access::AccessPlan;
use crate::fieldmap::{FieldMap, SchemaMap, When};
use crate::json::{PathTrie, SlotId};
use crate::schema::{EventKind, Schema};

/// A field wanted by the rule set, as an index into the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldId(pub u32);

/// The normalised fields every plan has, in the order of their ids.
const STANDARD_FIELDS: [&str; 33] = [
    "Computer",
    "EventID",
    "Channel",
    "Provider_Name",
    "_Timestamp",
    "_Category",
    "_Type",
    "_Action",
    "_Table",
    "Image",
    "_ProcessName",
    "CommandLine",
    "OriginalFileName",
    "User",
    "Hashes",
    "_Sha256",
    "ParentImage",
    "_ParentName",
    "ParentCommandLine",
    "_ParentArgs",
    "TargetFilename",
    // Web requests, by their Sigma `webserver` names.
    "c-ip",
    "cs-username",
    "cs-method",
    "cs-uri",
    "cs-uri-stem",
    "cs-uri-query",
    "cs-version",
    "sc-status",
    "sc-bytes",
    "cs-referer",
    "cs-user-agent",
    "cs-host",
];

impl FieldId {
    pub const COMPUTER: FieldId = FieldId(0);
    pub const EVENT_ID: FieldId = FieldId(1);
    pub const CHANNEL: FieldId = FieldId(2);
    pub const PROVIDER: FieldId = FieldId(3);
    pub const TIMESTAMP: FieldId = FieldId(4);
    pub const CATEGORY: FieldId = FieldId(5);
    pub const TYPE: FieldId = FieldId(6);
    pub const ACTION: FieldId = FieldId(7);
    pub const TABLE: FieldId = FieldId(8);
    pub const IMAGE: FieldId = FieldId(9);
    pub const PROCESS_NAME: FieldId = FieldId(10);
    pub const COMMAND_LINE: FieldId = FieldId(11);
    pub const ORIGINAL_FILE_NAME: FieldId = FieldId(12);
    pub const USER: FieldId = FieldId(13);
    pub const HASHES: FieldId = FieldId(14);
    pub const SHA256: FieldId = FieldId(15);
    pub const PARENT_IMAGE: FieldId = FieldId(16);
    pub const PARENT_NAME: FieldId = FieldId(17);
    pub const PARENT_COMMAND_LINE: FieldId = FieldId(18);
    pub const PARENT_ARGS: FieldId = FieldId(19);
    pub const TARGET_FILENAME: FieldId = FieldId(20);
    pub const CLIENT_IP: FieldId = FieldId(21);
    pub const WEB_USER: FieldId = FieldId(22);
    pub const METHOD: FieldId = FieldId(23);
    pub const URI: FieldId = FieldId(24);
    pub const URI_STEM: FieldId = FieldId(25);
    pub const URI_QUERY: FieldId = FieldId(26);
    pub const HTTP_VERSION: FieldId = FieldId(27);
    pub const STATUS: FieldId = FieldId(28);
    pub const RESPONSE_BYTES: FieldId = FieldId(29);
    pub const REFERER: FieldId = FieldId(30);
    pub const USER_AGENT: FieldId = FieldId(31);
    pub const HTTP_HOST: FieldId = FieldId(32);
}

/// Collects the fields a rule set wants, then builds the [`FieldPlan`].
#[derive(Debug)]
pub struct FieldPlanBuilder {
    map: FieldMap,
    names: Vec<String>,
    index: HashMap<String, FieldId>,
}

impl FieldPlanBuilder {
    /// A builder resolving names through `map`; the normalised fields are always present.
    pub fn new(map: FieldMap) -> FieldPlanBuilder {
        let mut builder = FieldPlanBuilder {
            map,
            names: Vec::new(),
            index: HashMap::new(),
        };
        for name in STANDARD_FIELDS {
            builder.field(name);
        }
        builder
    }

    /// The id of field `name` (a Sigma field name or a dotted path), added if new.
    pub fn field(&mut self, name: &str) -> FieldId {
        if let Some(id) = self.index.get(name) {
            return *id;
        }
        let id = FieldId(self.names.len() as u32);
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), id);
        id
    }

    pub fn build(self) -> FieldPlan {
        let mut trie = PathTrie::new();
        let markers = MarkerSlots::new(&mut trie);
        let mut access = AccessPlan::new(&mut trie);
        let mut pool = Vec::new();
        let mut schemas = Vec::new();
        let empty = SchemaMap::default();
        for schema in Schema::ALL {
            let section = self.map.schema(schema.map_section()).unwrap_or(&empty);
            schemas.push(self.plan_schema(schema, section, &mut trie, &mut pool));
        }
        let access_schema = &schemas[Schema::AccessLog.index()];
        let wanted: Vec<SlotId> = access_schema
            .variants
            .iter()
            .flat_map(|v| &v.ranges)
            .flat_map(|&(start, end)| pool[start as usize..end as usize].iter().copied())
            .collect();
        access.resolve(&trie, &wanted);
        FieldPlan {
            trie,
            markers,
            access,
            pool,
            schemas,
            index: self.index,
            names: self.names,
        }
    }

    fn plan_schema(
        &self,
        schema: Schema,
        section: &SchemaMap,
        trie: &mut PathTrie,
        pool: &mut Vec<SlotId>,
    ) -> SchemaPlan {
        let mut sources = vec![(None, VariantSource::Base)];
        sources.extend(
            section
                .overrides
                .iter()
                .map(|o| (Some(&o.when), VariantSource::Schema(&o.fields))),
        );
        if !section.eventdata.is_empty() {
            sources.extend(
                self.map
                    .windows_eventdata
                    .iter()
                    .map(|o| (Some(&o.when), VariantSource::EventData(&o.fields))),
            );
        }
        let variants = sources
            .into_iter()
            .map(|(when, source)| {
                let ranges = self
                    .names
                    .iter()
                    .map(|name| {
                        let start = pool.len() as u32;
                        for path in candidate_paths(schema, section, source, name) {
                            let segments: Vec<&str> = path.split('.').collect();
                            let slot = trie.slot(&segments);
                            if segments.len() > 1 && !segments.contains(&crate::json::ANY_KEY) {
                                // Some shippers flatten nested keys into one dotted key.
                                trie.alias(&[path.as_str()], slot);
                            }
                            if !pool[start as usize..].contains(&slot) {
                                pool.push(slot);
                            }
                        }
                        (start, pool.len() as u32)
                    })
                    .collect();
                VariantPlan {
                    when: when.map(WhenPlan::from),
                    ranges,
                }
            })
            .collect();
        let embedded_eventdata = section
            .embedded_eventdata
            .as_deref()
            .map(|path| trie.slot(&path.split('.').collect::<Vec<_>>()));
        SchemaPlan {
            variants,
            embedded_eventdata,
        }
    }
}

#[derive(Clone, Copy)]
enum VariantSource<'m> {
    Base,
    Schema(&'m std::collections::BTreeMap<String, Vec<String>>),
    EventData(&'m std::collections::BTreeMap<String, String>),
}

/// The paths, in order of preference, that may hold field `name` in `schema`.
fn candidate_paths(
    schema: Schema,
    section: &SchemaMap,
    source: VariantSource<'_>,
    name: &str,
) -> Vec<String> {
    let join = |container: &str, name: &str| {
        if container.is_empty() {
            name.to_owned()
        } else {
            format!("{container}.{name}")
        }
    };
    let mut paths: Vec<String> = match source {
        VariantSource::Schema(fields) if fields.contains_key(name) => fields[name].clone(),
        VariantSource::EventData(fields) if fields.contains_key(name) => section
            .eventdata
            .iter()
            .map(|c| join(c, &fields[name]))
            .collect(),
        _ => {
            if let Some(paths) = section.fields.get(name) {
                paths.clone()
            } else if name.starts_with('_') {
                Vec::new()
            } else {
                // Windows event data: the name, then its spaced form (Defender writes
                // `Threat Name` where Sigma says ThreatName).
                let spaced = spaced(name);
                let mut paths: Vec<String> = section
                    .eventdata
                    .iter()
                    .flat_map(|c| {
                        let mut names = vec![join(c, name)];
                        names.extend(spaced.as_deref().map(|s| join(c, s)));
                        names
                    })
                    .collect();
                if !paths.iter().any(|p| p == name) {
                    paths.push(name.to_owned());
                }
                paths
            }
        }
    };
    if let Some(envelope) = schema.envelope() {
        for path in &mut paths {
            *path = join(envelope, path);
        }
    }
    paths.retain(|p| !p.is_empty() && p.split('.').all(|s| !s.is_empty()));
    paths
}

/// `CamelCase` as `Camel Case`, when that differs (and the name has no dots).
fn spaced(name: &str) -> Option<String> {
    if name.contains('.') {
        return None;
    }
    let mut out = String::with_capacity(name.len() + 4);
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && previous_lower {
            out.push(' ');
        }
        previous_lower = c.is_ascii_lowercase();
        out.push(c);
    }
    (out != name).then_some(out)
}

/// Everything the parser needs to extract and resolve a rule set's fields.
#[derive(Debug)]
pub struct FieldPlan {
    pub(crate) trie: PathTrie,
    pub(crate) markers: MarkerSlots,
    pub(crate) access: AccessPlan,
    pool: Vec<SlotId>,
    pub(crate) schemas: Vec<SchemaPlan>,
    index: HashMap<String, FieldId>,
    names: Vec<String>,
}

impl FieldPlan {
    /// A plan with only the normalised fields, from the built-in map.
    pub fn standard() -> FieldPlan {
        FieldPlanBuilder::new(FieldMap::builtin()).build()
    }

    pub fn field_count(&self) -> usize {
        self.names.len()
    }

    pub fn name(&self, field: FieldId) -> &str {
        &self.names[field.0 as usize]
    }

    pub fn lookup(&self, name: &str) -> Option<FieldId> {
        self.index.get(name).copied()
    }

    /// The slots that may hold `field` in this schema and variant, in preference order.
    pub(crate) fn candidates(&self, schema: Schema, variant: u8, field: FieldId) -> &[SlotId] {
        let (start, end) =
            self.schemas[schema.index()].variants[variant as usize].ranges[field.0 as usize];
        &self.pool[start as usize..end as usize]
    }
}

#[derive(Debug)]
pub(crate) struct SchemaPlan {
    /// Variant 0 is the base; the others are overrides, tried in order.
    pub variants: Vec<VariantPlan>,
    /// The string field that may hold the event data as a JSON document.
    pub embedded_eventdata: Option<SlotId>,
}

#[derive(Debug)]
pub(crate) struct VariantPlan {
    pub when: Option<WhenPlan>,
    /// Per field: the range of its candidate slots in the plan's pool.
    ranges: Vec<(u32, u32)>,
}

#[derive(Debug)]
pub(crate) struct WhenPlan {
    channel: Option<Vec<u8>>,
    event_id: Option<u32>,
    kinds: Vec<EventKind>,
}

impl From<&When> for WhenPlan {
    fn from(w: &When) -> Self {
        WhenPlan {
            channel: w.channel.as_ref().map(|c| c.as_bytes().to_vec()),
            event_id: w.event_id,
            kinds: w.kind.clone(),
        }
    }
}

impl WhenPlan {
    pub fn matches(&self, channel: Option<&[u8]>, event_id: Option<u32>, kind: EventKind) -> bool {
        self.channel
            .as_deref()
            .is_none_or(|c| channel.is_some_and(|v| v.eq_ignore_ascii_case(c)))
            && self.event_id.is_none_or(|id| event_id == Some(id))
            && (self.kinds.is_empty() || self.kinds.contains(&kind))
    }
}

/// Slots of the paths that tell schemas apart.
#[derive(Debug)]
pub(crate) struct MarkerSlots {
    pub evtx_system: SlotId,
    pub winlog: SlotId,
    pub category: SlotId,
    pub properties: SlotId,
    pub device_name: SlotId,
    pub mde_row: [SlotId; 3],
    pub event_id: SlotId,
    pub windows_flat: [SlotId; 4],
    pub at_timestamp: SlotId,
    pub ecs: [SlotId; 4],
}

impl MarkerSlots {
    fn new(trie: &mut PathTrie) -> MarkerSlots {
        let mut slot = |path: &str| trie.slot(&path.split('.').collect::<Vec<_>>());
        MarkerSlots {
            evtx_system: slot("Event.System"),
            winlog: slot("winlog"),
            category: slot("category"),
            properties: slot("properties"),
            device_name: slot("DeviceName"),
            mde_row: [slot("ActionType"), slot("DeviceId"), slot("Timestamp")],
            event_id: slot("EventID"),
            windows_flat: [
                slot("Channel"),
                slot("Hostname"),
                slot("Computer"),
                slot("SourceName"),
            ],
            at_timestamp: slot("@timestamp"),
            ecs: [slot("event"), slot("ecs"), slot("process"), slot("host")],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(schema: Schema, name: &str, variant: usize) -> Vec<String> {
        let map = FieldMap::builtin();
        let section = map.schema(schema.map_section()).unwrap();
        let mut sources = vec![VariantSource::Base];
        sources.extend(
            section
                .overrides
                .iter()
                .map(|o| VariantSource::Schema(&o.fields)),
        );
        if !section.eventdata.is_empty() {
            sources.extend(
                map.windows_eventdata
                    .iter()
                    .map(|o| VariantSource::EventData(&o.fields)),
            );
        }
        candidate_paths(schema, section, sources[variant], name)
    }

    #[test]
    fn windows_fields_resolve_into_event_data_then_root() {
        assert_eq!(
            paths(Schema::Evtx, "Image", 0),
            ["Event.EventData.Image", "Event.UserData.*.Image", "Image"]
        );
        assert_eq!(
            paths(Schema::Flat, "ThreatName", 0),
            ["ThreatName", "Threat Name"]
        );
        assert_eq!(
            paths(Schema::Winlogbeat, "CommandLine", 0),
            [
                "winlog.event_data.CommandLine",
                "winlog.event_data.Command Line",
                "CommandLine"
            ]
        );
        assert_eq!(paths(Schema::Flat, "Image", 0), ["Image"]);
        assert_eq!(
            paths(Schema::Evtx, "Computer", 0),
            ["Event.System.Computer"]
        );
    }

    #[test]
    fn security_4688_renames_apply_to_every_windows_schema() {
        assert_eq!(
            paths(Schema::Evtx, "Image", 1),
            [
                "Event.EventData.NewProcessName",
                "Event.UserData.*.NewProcessName"
            ]
        );
        assert_eq!(
            paths(Schema::Winlogbeat, "ParentImage", 1),
            ["winlog.event_data.ParentProcessName"]
        );
        assert_eq!(paths(Schema::Flat, "Image", 1), ["NewProcessName"]);
        // Names the override does not rename fall back to the base resolution.
        assert_eq!(
            paths(Schema::Flat, "CommandLine", 1),
            ["CommandLine", "Command Line"]
        );
    }

    #[test]
    fn ecs_and_mde_use_their_tables_and_dotted_paths() {
        assert_eq!(paths(Schema::Ecs, "Image", 0), ["process.executable"]);
        assert_eq!(paths(Schema::Ecs, "user.domain", 0), ["user.domain"]);
        assert_eq!(
            paths(Schema::Mde, "Image", 0),
            ["InitiatingProcessFolderPath"]
        );
        assert_eq!(paths(Schema::Mde, "Image", 1), ["FolderPath"]);
        assert_eq!(
            paths(Schema::MdeStreaming, "Image", 1),
            ["properties.FolderPath"]
        );
        assert!(paths(Schema::Mde, "TargetFilename", 1).is_empty());
        assert!(paths(Schema::Ecs, "_Unknown", 0).is_empty());
    }

    #[test]
    fn builder_ids_are_stable_and_deduplicated() {
        let mut builder = FieldPlanBuilder::new(FieldMap::builtin());
        assert_eq!(builder.field("Image"), FieldId::IMAGE);
        let a = builder.field("IntegrityLevel");
        assert_eq!(builder.field("IntegrityLevel"), a);
        let plan = builder.build();
        assert_eq!(plan.name(a), "IntegrityLevel");
        assert_eq!(
            plan.lookup("TargetFilename"),
            Some(FieldId::TARGET_FILENAME)
        );
        for (i, name) in STANDARD_FIELDS.iter().enumerate() {
            assert_eq!(plan.lookup(name), Some(FieldId(i as u32)));
        }
    }
}
