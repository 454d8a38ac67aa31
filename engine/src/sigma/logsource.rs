//! Log source routing: which events a rule's `logsource` covers. An event outside a
//! rule's log source is never evaluated against it.

use rsigma_parser::LogSource;
use tripline_ingest::{Event, EventKind, FieldId, Schema};

/// The events a rule applies to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Route {
    /// Event kinds covered; empty for any kind.
    pub kinds: Vec<EventKind>,
    /// Windows event channel, compared case-insensitively.
    pub channel: Option<Box<[u8]>>,
    /// `product: windows` / `linux` / `macos`.
    pub product: Option<Product>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Product {
    Windows,
    /// Linux or macOS: only schemas that can carry them (ECS).
    Other,
}

/// Categories and the event kinds they cover.
const CATEGORIES: &[(&str, EventKind)] = &[
    ("process_creation", EventKind::ProcessStart),
    ("process_termination", EventKind::ProcessEnd),
    ("file_event", EventKind::FileCreate),
    ("network_connection", EventKind::Network),
    ("webserver", EventKind::WebRequest),
];

/// Windows services and their event channels.
const SERVICES: &[(&str, &str)] = &[
    ("security", "Security"),
    ("system", "System"),
    ("application", "Application"),
    ("sysmon", "Microsoft-Windows-Sysmon/Operational"),
    ("powershell", "Microsoft-Windows-PowerShell/Operational"),
    ("powershell-classic", "Windows PowerShell"),
    (
        "taskscheduler",
        "Microsoft-Windows-TaskScheduler/Operational",
    ),
    ("wmi", "Microsoft-Windows-WMI-Activity/Operational"),
    (
        "windefend",
        "Microsoft-Windows-Windows Defender/Operational",
    ),
];

/// The route for a `logsource`, or why it cannot be routed.
pub(crate) fn route(logsource: &LogSource) -> Result<Route, String> {
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
    if let Some(category) = logsource.category.as_deref() {
        let kind = CATEGORIES
            .iter()
            .find(|(name, _)| *name == category)
            .map(|(_, kind)| *kind)
            .ok_or_else(|| format!("category `{category}` is not supported yet"))?;
        route.kinds.push(kind);
    }
    if let Some(service) = logsource.service.as_deref() {
        let channel = SERVICES
            .iter()
            .find(|(name, _)| *name == service)
            .map(|(_, channel)| *channel)
            .ok_or_else(|| format!("service `{service}` is not supported yet"))?;
        route.channel = Some(channel.as_bytes().into());
    }
    if route.kinds.is_empty() && route.channel.is_none() {
        return Err("a logsource needs a category or a service Tripline can route".into());
    }
    Ok(route)
}

impl Route {
    /// Whether `event` is in this route (kinds are checked by the rule index).
    pub fn admits(&self, event: &Event<'_>) -> bool {
        let schema = event.schema();
        match self.product {
            Some(Product::Windows) if !windows_capable(schema) => return false,
            Some(Product::Other) if schema != Schema::Ecs => return false,
            _ => {}
        }
        match &self.channel {
            None => true,
            Some(channel) => event
                .bytes(FieldId::CHANNEL)
                .is_some_and(|c| c.eq_ignore_ascii_case(channel)),
        }
    }
}

fn windows_capable(schema: Schema) -> bool {
    schema.is_windows_event() || matches!(schema, Schema::Ecs | Schema::Mde | Schema::MdeStreaming)
}
