//! The routing index: for an event, the detection rules whose log source covers it, found
//! with one hash lookup (Windows records, by channel and event id) or by kind (ECS and
//! Defender events), so that evaluation is never "every rule for every event".

use hashbrown::HashMap;
use tripline_ingest::{Event, EventKind, FieldId};

use crate::ir::Expr;
use crate::sigma::logsource::Route;

/// A rule to evaluate for an event, and the log-source condition it must also meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub detection: u32,
    /// Index into [`RouteIndex::conditions`].
    pub condition: Option<u32>,
}

/// Routes of one Windows channel.
#[derive(Debug, Default)]
struct ChannelRoutes {
    by_event_id: HashMap<u32, Vec<Candidate>>,
    any_event: Vec<Candidate>,
}

#[derive(Debug, Default)]
pub(crate) struct RouteIndex {
    /// Windows records, by lowercased channel.
    channels: HashMap<Box<[u8]>, ChannelRoutes>,
    /// ECS and Defender events, by kind.
    kinds: Vec<Vec<Candidate>>,
    /// Rules over every event of their product.
    all_events: Vec<Candidate>,
    /// Log-source conditions (e.g. Sysmon 12 with `EventType: CreateKey`).
    pub conditions: Vec<Expr>,
}

/// Windows records: a lowercased channel and an event id (`None`: any).
type Records = (Box<[u8]>, Option<u32>);

/// Longest channel name looked up; longer ones match no rule.
const MAX_CHANNEL: usize = 128;

impl RouteIndex {
    /// Indexes the routes of the detection rules, in rule order.
    pub fn new<'r>(routes: impl Iterator<Item = &'r Route>) -> RouteIndex {
        let mut index = RouteIndex {
            kinds: vec![Vec::new(); EventKind::ALL.len()],
            ..RouteIndex::default()
        };
        // (channel, event id) -> detection -> conditions; a rule listed twice for the same
        // records (e.g. two `where` alternatives) is evaluated once, with either condition.
        let mut windows: Vec<(Records, u32, Option<Expr>)> = Vec::new();
        for (detection, route) in routes.enumerate() {
            let detection = detection as u32;
            for source in &route.windows {
                let channel: Box<[u8]> = source.channel.to_ascii_lowercase().into_bytes().into();
                if source.event_ids.is_empty() {
                    windows.push(((channel.clone(), None), detection, source.condition.clone()));
                }
                for id in &source.event_ids {
                    windows.push((
                        (channel.clone(), Some(*id)),
                        detection,
                        source.condition.clone(),
                    ));
                }
            }
            for kind in &route.kinds {
                index.kinds[*kind as usize].push(Candidate {
                    detection,
                    condition: None,
                });
            }
            if route.all_events {
                index.all_events.push(Candidate {
                    detection,
                    condition: None,
                });
            }
        }
        let mut merged: HashMap<(Records, u32), Option<Vec<Expr>>> = HashMap::new();
        let mut order = Vec::new();
        for (key, detection, condition) in windows {
            let entry = merged.entry((key.clone(), detection)).or_insert_with(|| {
                order.push((key, detection));
                Some(Vec::new())
            });
            match (entry.as_mut(), condition) {
                (Some(conditions), Some(c)) => conditions.push(c),
                // Unconditional for these records: any condition is moot.
                (_, None) => *entry = None,
                (None, Some(_)) => {}
            }
        }
        for key in order {
            let conditions = merged.remove(&key).expect("every key was recorded");
            let condition = conditions.map(|mut c| {
                index.conditions.push(if c.len() == 1 {
                    c.pop().expect("one")
                } else {
                    Expr::Or(c)
                });
                index.conditions.len() as u32 - 1
            });
            let ((channel, event_id), detection) = key;
            let candidate = Candidate {
                detection,
                condition,
            };
            let routes = index.channels.entry(channel).or_default();
            match event_id {
                Some(id) => routes.by_event_id.entry(id).or_default().push(candidate),
                None => routes.any_event.push(candidate),
            }
        }
        index
    }

    /// The candidate rules for `event`, as up to three slices.
    pub fn candidates<'i>(&'i self, event: &Event<'_>) -> [&'i [Candidate]; 3] {
        if !event.schema().is_windows_event() {
            return [&self.kinds[event.kind() as usize], &self.all_events, &[]];
        }
        let mut found: [&[Candidate]; 3] = [&self.all_events, &[], &[]];
        let Some(channel) = event.bytes(FieldId::CHANNEL) else {
            return found;
        };
        if channel.len() > MAX_CHANNEL {
            return found;
        }
        let mut lowered = [0u8; MAX_CHANNEL];
        let lowered = &mut lowered[..channel.len()];
        lowered.copy_from_slice(channel);
        lowered.make_ascii_lowercase();
        if let Some(routes) = self.channels.get(&*lowered) {
            found[1] = &routes.any_event;
            if let Some(by_id) = event.event_id().and_then(|id| routes.by_event_id.get(&id)) {
                found[2] = by_id;
            }
        }
        found
    }
}
