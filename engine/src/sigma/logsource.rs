//! Log source routing: which events a rule's `logsource` covers, from the data in
//! `engine/mappings/logsources.yml`. An event outside a rule's log source is never
//! evaluated against it.

use std::collections::BTreeMap;

use rsigma_parser::LogSource;
use serde::Deserialize;
use tripline_ingest::{EventKind, FieldPlanBuilder, Schema};

use super::detection::{PredicateTable, string_pattern};
use super::modifiers::Piece;
use crate::ir::{Expr, Position, Test};

/// The built-in log-source table.
pub const BUILTIN_LOGSOURCES: &str = include_str!("../../mappings/logsources.yml");

/// A loaded log-source table.
#[derive(Clone, Debug, Deserialize)]
pub struct LogsourceMap {
    /// Named channels, for YAML anchors; not used otherwise.
    #[serde(default)]
    #[allow(dead_code)]
    channels: BTreeMap<String, String>,
    categories: BTreeMap<String, Category>,
    services: BTreeMap<String, Service>,
    /// Log sources known not to be read, with the reason a rule for one is refused.
    #[serde(default)]
    unsupported: Unsupported,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Unsupported {
    #[serde(default)]
    categories: BTreeMap<String, String>,
    #[serde(default)]
    services: BTreeMap<String, String>,
}

impl LogsourceMap {
    /// Why `kind` (`category` or `service`) `name` cannot be routed.
    fn missing(&self, kind: &str, name: &str) -> String {
        let known = match kind {
            "category" => &self.unsupported.categories,
            _ => &self.unsupported.services,
        };
        match known.get(name) {
            Some(reason) => format!("{kind} `{name}`: {reason}"),
            None => format!("{kind} `{name}` is not in the log-source table"),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum Service {
    Channels(Vec<String>),
    Full {
        #[serde(default)]
        channels: Vec<String>,
        #[serde(default)]
        kinds: Vec<String>,
    },
}

impl Service {
    fn channels(&self) -> &[String] {
        match self {
            Service::Channels(c) | Service::Full { channels: c, .. } => c,
        }
    }

    fn kinds(&self) -> Option<Vec<EventKind>> {
        match self {
            Service::Full { kinds, .. } if !kinds.is_empty() => Some(
                kinds
                    .iter()
                    .filter_map(|k| EventKind::from_key(k))
                    .collect(),
            ),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Category {
    #[serde(default)]
    windows: Vec<WindowsEntry>,
    #[serde(default)]
    kinds: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowsEntry {
    channel: String,
    #[serde(default)]
    event_id: Vec<u32>,
    /// Field -> value or values the record must also have.
    #[serde(default, rename = "where")]
    condition: BTreeMap<String, OneOrMany>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl LogsourceMap {
    pub fn builtin() -> LogsourceMap {
        // Parsed once per process: every rule-set builder starts from it, and parsing the
        // YAML costs more than compiling a small rule set.
        static BUILTIN: std::sync::LazyLock<LogsourceMap> = std::sync::LazyLock::new(|| {
            LogsourceMap::from_yaml(BUILTIN_LOGSOURCES)
                .expect("the built-in log-source table is valid")
        });
        BUILTIN.clone()
    }

    /// Parses and checks a log-source table.
    pub fn from_yaml(text: &str) -> Result<LogsourceMap, String> {
        let map: LogsourceMap = yaml_serde::from_str(text).map_err(|e| e.to_string())?;
        let kinds = map
            .categories
            .iter()
            .flat_map(|(name, c)| c.kinds.iter().map(move |k| (name, k)))
            .chain(map.services.iter().flat_map(|(name, s)| match s {
                Service::Full { kinds, .. } => kinds.iter().map(move |k| (name, k)).collect(),
                Service::Channels(_) => Vec::new(),
            }));
        for (name, kind) in kinds {
            if EventKind::from_key(kind).is_none() {
                return Err(format!("`{name}`: unknown event kind `{kind}`"));
            }
        }
        Ok(map)
    }
}

/// The events a rule applies to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Route {
    /// Windows event records: channel, event ids (empty: any), and a condition they must
    /// also meet.
    pub windows: Vec<WindowsSource>,
    /// ECS and Defender events, by kind.
    pub kinds: Vec<EventKind>,
    pub product: Option<Product>,
    /// A logsource naming only a product: every event of that product.
    pub all_events: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WindowsSource {
    pub channel: String,
    pub event_ids: Vec<u32>,
    pub condition: Option<Expr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Product {
    Windows,
    /// Linux or macOS: only schemas that can carry them (ECS).
    Other,
}

impl Product {
    /// Whether events of `schema` can be of this product.
    pub fn admits(self, schema: Schema) -> bool {
        match self {
            Product::Windows => true,
            Product::Other => schema == Schema::Ecs,
        }
    }
}

/// The route for a `logsource`, or why it cannot be routed.
pub(crate) fn route(
    logsource: &LogSource,
    map: &LogsourceMap,
    fields: &mut FieldPlanBuilder,
    table: &mut PredicateTable,
) -> Result<Route, String> {
    let product = match logsource.product.as_deref() {
        None => None,
        Some("windows") => Some(Product::Windows),
        Some("linux" | "macos") => Some(Product::Other),
        Some(other) => return Err(format!("product `{other}` is not supported")),
    };
    let mut route = Route {
        product,
        ..Route::default()
    };
    let service = match logsource.service.as_deref() {
        None => None,
        Some(name) => Some(
            map.services
                .get(name)
                .ok_or_else(|| map.missing("service", name))?,
        ),
    };
    let service_channels = service.map(Service::channels);
    let service_kinds = service.and_then(Service::kinds);
    match logsource.category.as_deref() {
        Some(name) => {
            let category = map
                .categories
                .get(name)
                .ok_or_else(|| map.missing("category", name))?;
            for entry in &category.windows {
                if service_channels.is_some_and(|c| !c.contains(&entry.channel)) {
                    continue;
                }
                route.windows.push(WindowsSource {
                    channel: entry.channel.clone(),
                    event_ids: entry.event_id.clone(),
                    condition: condition(&entry.condition, fields, table),
                });
            }
            route.kinds = category
                .kinds
                .iter()
                .filter_map(|k| EventKind::from_key(k))
                // With a service, only the kinds the service also has (none for a
                // service that is only Windows channels).
                .filter(|k| {
                    service.is_none() || service_kinds.as_ref().is_some_and(|s| s.contains(k))
                })
                .collect();
            if service.is_some() && route.windows.is_empty() && route.kinds.is_empty() {
                return Err(format!(
                    "category `{name}` has no events on the channels of service `{}`",
                    logsource.service.as_deref().unwrap_or_default()
                ));
            }
        }
        None => match service_channels {
            Some(channels) => {
                route.windows = channels
                    .iter()
                    .map(|channel| WindowsSource {
                        channel: channel.clone(),
                        event_ids: Vec::new(),
                        condition: None,
                    })
                    .collect();
                route.kinds = service_kinds.unwrap_or_default();
            }
            None if product.is_some() => route.all_events = true,
            None => return Err("a logsource needs a category, a service or a product".into()),
        },
    }
    Ok(route)
}

/// A `where` selection: every field equals one of its values (case-insensitively).
fn condition(
    fields_and_values: &BTreeMap<String, OneOrMany>,
    fields: &mut FieldPlanBuilder,
    table: &mut PredicateTable,
) -> Option<Expr> {
    if fields_and_values.is_empty() {
        return None;
    }
    let parts = fields_and_values
        .iter()
        .map(|(field, values)| {
            let values = match values {
                OneOrMany::One(v) => std::slice::from_ref(v),
                OneOrMany::Many(v) => v.as_slice(),
            };
            let field_id = fields.field(field);
            let key = format!("logsource where {field}={values:?}");
            let id = table.intern_test(key, field_id, || Test::Patterns {
                patterns: values
                    .iter()
                    .map(|v| {
                        string_pattern(
                            &[Piece::Literal(v.as_bytes().to_vec())],
                            Position::Whole,
                            false,
                        )
                    })
                    .collect(),
                all: false,
            });
            Expr::Pred(id)
        })
        .collect::<Vec<_>>();
    Some(if parts.len() == 1 {
        parts.into_iter().next().expect("one part")
    } else {
        Expr::And(parts)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tripline_ingest::FieldMap;

    fn logsource(
        category: Option<&str>,
        service: Option<&str>,
        product: Option<&str>,
    ) -> LogSource {
        LogSource {
            category: category.map(str::to_owned),
            service: service.map(str::to_owned),
            product: product.map(str::to_owned),
            ..LogSource::default()
        }
    }

    fn route_of(ls: LogSource) -> Result<Route, String> {
        let mut fields = FieldPlanBuilder::new(FieldMap::builtin());
        let mut table = PredicateTable::new();
        route(&ls, &LogsourceMap::builtin(), &mut fields, &mut table)
    }

    #[test]
    fn categories_services_and_products() {
        let pc = route_of(logsource(Some("process_creation"), None, Some("windows"))).unwrap();
        assert_eq!(pc.windows.len(), 2);
        assert_eq!(pc.kinds, [EventKind::ProcessStart]);
        let add = route_of(logsource(Some("registry_add"), None, Some("windows"))).unwrap();
        assert!(add.windows[0].condition.is_some());
        let security = route_of(logsource(None, Some("security"), Some("windows"))).unwrap();
        assert_eq!(security.windows[0].channel, "Security");
        assert!(security.windows[0].event_ids.is_empty());
        let both = route_of(logsource(
            Some("process_creation"),
            Some("security"),
            Some("windows"),
        ))
        .unwrap();
        assert_eq!(both.windows.len(), 1);
        assert_eq!(both.windows[0].event_ids, [4688]);
        let ecs_dns = route_of(logsource(Some("network"), Some("dns"), None)).unwrap();
        assert_eq!(ecs_dns.kinds, [EventKind::Dns]);
        assert!(ecs_dns.windows.is_empty());
        let any = route_of(logsource(None, None, Some("windows"))).unwrap();
        assert!(any.all_events);
        assert!(
            route_of(logsource(
                Some("ps_script"),
                Some("security"),
                Some("windows")
            ))
            .is_err()
        );
        assert!(
            route_of(logsource(Some("nope"), None, Some("windows")))
                .unwrap_err()
                .contains("nope")
        );
        assert!(
            route_of(logsource(None, None, Some("aws")))
                .unwrap_err()
                .contains("aws")
        );
        assert!(route_of(logsource(None, None, None)).is_err());
        // Known sources Tripline does not read say why.
        assert!(
            route_of(logsource(Some("proxy"), None, None))
                .unwrap_err()
                .contains("proxy logs")
        );
        assert!(
            route_of(logsource(None, Some("apache"), None))
                .unwrap_err()
                .contains("error log is not ingested")
        );
    }

    #[test]
    fn the_table_checks_its_kinds() {
        assert!(
            LogsourceMap::from_yaml("categories: {x: {kinds: [sideways]}}\nservices: {}").is_err()
        );
    }
}
