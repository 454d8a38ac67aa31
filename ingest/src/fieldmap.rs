//! The field map: data that says how a rule's field name resolves to paths in each event
//! schema. The built-in map is `ingest/mappings/fields.yml`, embedded in the binary.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::json::MAX_PATH_DEPTH;
use crate::schema::EventKind;

/// The built-in field map's text.
pub const BUILTIN_FIELD_MAP: &str = include_str!("../mappings/fields.yml");

/// A loaded field map. Build one with [`FieldMap::builtin`] or [`FieldMap::from_yaml`].
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMap {
    #[serde(default)]
    pub(crate) schemas: BTreeMap<String, SchemaMap>,
    #[serde(default)]
    pub(crate) windows_eventdata: Vec<EventDataOverride>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SchemaMap {
    #[serde(default)]
    pub eventdata: Vec<String>,
    #[serde(default)]
    pub embedded_eventdata: Option<String>,
    #[serde(default)]
    pub fields: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub overrides: Vec<Override>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Override {
    pub when: When,
    pub fields: BTreeMap<String, Vec<String>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventDataOverride {
    pub when: When,
    pub fields: BTreeMap<String, String>,
}

/// When an override applies; every condition given must hold.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct When {
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub event_id: Option<u32>,
    #[serde(default, deserialize_with = "kinds")]
    pub kind: Vec<EventKind>,
}

fn kinds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<EventKind>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    names
        .iter()
        .map(|n| {
            EventKind::from_key(n)
                .ok_or_else(|| serde::de::Error::custom(format!("unknown event kind `{n}`")))
        })
        .collect()
}

/// A field map that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FieldMapError {
    #[error("field map is not valid YAML of the expected shape: {0}")]
    Yaml(String),
    #[error(
        "field map: unknown schema `{0}` (known: evtx, winlogbeat, flat, ecs, mde, access_log)"
    )]
    UnknownSchema(String),
    #[error("field map: path `{0}` is deeper than {MAX_PATH_DEPTH} segments")]
    PathTooDeep(String),
}

impl FieldMap {
    /// The built-in map.
    pub fn builtin() -> FieldMap {
        // Parsed once per process: every rule-set builder starts from it.
        static BUILTIN: std::sync::LazyLock<FieldMap> = std::sync::LazyLock::new(|| {
            FieldMap::from_yaml(BUILTIN_FIELD_MAP).expect("the built-in field map is valid")
        });
        BUILTIN.clone()
    }

    /// Parses and checks a field map.
    pub fn from_yaml(text: &str) -> Result<FieldMap, FieldMapError> {
        let map: FieldMap =
            yaml_serde::from_str(text).map_err(|e| FieldMapError::Yaml(e.to_string()))?;
        for (name, schema) in &map.schemas {
            if !matches!(
                name.as_str(),
                "evtx" | "winlogbeat" | "flat" | "ecs" | "mde" | "access_log"
            ) {
                return Err(FieldMapError::UnknownSchema(name.clone()));
            }
            let paths = schema
                .fields
                .values()
                .chain(schema.overrides.iter().flat_map(|o| o.fields.values()))
                .flatten()
                .chain(&schema.eventdata);
            for path in paths {
                if path.split('.').count() > MAX_PATH_DEPTH - 2 {
                    return Err(FieldMapError::PathTooDeep(path.clone()));
                }
            }
        }
        Ok(map)
    }

    /// Lays `other` over this map: its field entries replace these for the same names, its
    /// event-data containers (when given) replace these, and its overrides are tried
    /// before these.
    pub fn merge(&mut self, other: FieldMap) {
        for (name, theirs) in other.schemas {
            let mine = self.schemas.entry(name).or_default();
            if !theirs.eventdata.is_empty() {
                mine.eventdata = theirs.eventdata;
            }
            if theirs.embedded_eventdata.is_some() {
                mine.embedded_eventdata = theirs.embedded_eventdata;
            }
            mine.fields.extend(theirs.fields);
            let mut overrides = theirs.overrides;
            overrides.append(&mut mine.overrides);
            mine.overrides = overrides;
        }
        let mut windows = other.windows_eventdata;
        windows.append(&mut self.windows_eventdata);
        self.windows_eventdata = windows;
    }

    pub(crate) fn schema(&self, name: &str) -> Option<&SchemaMap> {
        self.schemas.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_map_loads() {
        let map = FieldMap::builtin();
        assert!(
            map.schema("ecs")
                .is_some_and(|s| s.fields.contains_key("Image"))
        );
        assert_eq!(map.windows_eventdata[0].when.event_id, Some(4688));
        assert_eq!(
            map.schema("mde").unwrap().overrides[0].when.kind,
            vec![EventKind::ProcessStart, EventKind::ProcessEnd]
        );
    }

    #[test]
    fn a_user_map_lays_over_the_builtin_one() {
        let mut map = FieldMap::builtin();
        map.merge(
            FieldMap::from_yaml(
                "schemas: {ecs: {fields: {Image: [process.path]}}}\nwindows_eventdata: [{when: {event_id: 1}, fields: {User: Account}}]",
            )
            .unwrap(),
        );
        let ecs = map.schema("ecs").unwrap();
        assert_eq!(ecs.fields["Image"], ["process.path"]);
        assert_eq!(ecs.fields["CommandLine"][0], "process.command_line");
        assert_eq!(map.windows_eventdata[0].when.event_id, Some(1));
        assert_eq!(map.windows_eventdata[1].when.event_id, Some(4688));
    }

    #[test]
    fn bad_maps_are_refused_with_a_reason() {
        let unknown = FieldMap::from_yaml("schemas: {nope: {}}").unwrap_err();
        assert!(unknown.to_string().contains("nope"));
        let deep = format!(
            "schemas: {{ecs: {{fields: {{X: [{}]}}}}}}",
            ["a"; 40].join(".")
        );
        assert!(matches!(
            FieldMap::from_yaml(&deep),
            Err(FieldMapError::PathTooDeep(_))
        ));
        let kind = "schemas: {mde: {overrides: [{when: {kind: [sideways]}, fields: {}}]}}";
        assert!(
            FieldMap::from_yaml(kind)
                .unwrap_err()
                .to_string()
                .contains("sideways")
        );
    }
}
