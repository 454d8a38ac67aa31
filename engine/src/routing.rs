//! The routing index: for an event, the detection rules whose log source covers it, found
//! with one hash lookup (Windows records, by channel and event id) or by kind (ECS and
//! Defender events), so that evaluation is never "every rule for every event".
//!
//! Rules are kept in buckets (one per kind, per channel, per channel and event id, and
//! one for every event), each with the trigger fields of its rules
//! ([`crate::triggers::BucketTriggers`]): an event searches only the fields the rules
//! routed to it can be triggered by.
//!
//! A rule that is not gated by triggers but whose condition needs certain event ids
//! (`EventID: 16` under `service: sysmon`) is kept, within its bucket, under those ids:
//! an event with another id never looks at it.

use hashbrown::HashMap;
use tripline_ingest::{Event, EventKind, FieldId};

use crate::fieldindex::FieldIndex;
use crate::ir::{Expr, Pattern, Predicate, Test};
use crate::sigma::logsource::Route;
use crate::triggers::{BucketTriggers, Triggers};

/// A rule to evaluate for an event, and the log-source condition it must also meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub detection: u32,
    /// Index into [`RouteIndex::conditions`].
    pub condition: Option<u32>,
    /// Whether the rule runs only when one of its triggers fired.
    pub gated: bool,
}

/// The rules of one route, in rule order, and what triggers them.
#[derive(Debug, Default)]
pub(crate) struct Bucket {
    /// Sorted by detection, each detection once.
    pub candidates: Vec<Candidate>,
    /// Positions of the candidates that are not gated and need no event id (evaluated
    /// for every event).
    pub ungated: Vec<u32>,
    /// Positions of the candidates that are not gated and need one of some event ids,
    /// by event id.
    pub ungated_by_event_id: HashMap<u32, Vec<u32>>,
    /// All of those: for an event whose id cannot be read as a number (an array, say),
    /// whose value a rule's predicate may still match.
    pub ungated_needing_event_id: Vec<u32>,
    pub triggers: BucketTriggers,
}

impl Bucket {
    /// The positions of the candidates that are not gated and that an event with
    /// `event_id` may match.
    pub fn ungated_for(&self, event_id: Option<u32>) -> [&[u32]; 2] {
        let by_id: &[u32] = match event_id {
            Some(id) => self.ungated_by_event_id.get(&id).map_or(&[], Vec::as_slice),
            None => &self.ungated_needing_event_id,
        };
        [&self.ungated, by_id]
    }
}

/// Routes of one Windows channel: bucket indexes.
#[derive(Debug, Default)]
struct ChannelRoutes {
    by_event_id: HashMap<u32, u32>,
    any_event: u32,
}

#[derive(Debug, Default)]
pub(crate) struct RouteIndex {
    /// Every bucket; the first is empty.
    buckets: Vec<Bucket>,
    /// Windows records, by lowercased channel.
    channels: HashMap<Box<[u8]>, ChannelRoutes>,
    /// ECS and Defender events, by kind.
    kinds: Vec<u32>,
    /// Rules over every event of their product.
    all_events: u32,
    /// Log-source conditions (e.g. Sysmon 12 with `EventType: CreateKey`).
    pub conditions: Vec<Expr>,
}

/// A channel's candidates by event id, and for any event id.
type ChannelCandidates = (HashMap<u32, Vec<Candidate>>, Vec<Candidate>);

/// The empty bucket.
const NONE: u32 = 0;

/// Windows records: a lowercased channel and an event id (`None`: any).
type Records = (Box<[u8]>, Option<u32>);

/// Longest channel name looked up; longer ones match no rule.
const MAX_CHANNEL: usize = 128;

impl RouteIndex {
    /// Indexes the routes of the detection rules, in rule order.
    pub fn new<'r>(routes: impl Iterator<Item = &'r Route>) -> RouteIndex {
        let mut kinds = vec![Vec::new(); EventKind::ALL.len()];
        let mut all_events = Vec::new();
        let mut index = RouteIndex::default();
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
            let candidate = Candidate {
                detection,
                condition: None,
                gated: false,
            };
            for kind in &route.kinds {
                kinds[*kind as usize].push(candidate);
            }
            if route.all_events {
                all_events.push(candidate);
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
        let mut channels: HashMap<Box<[u8]>, ChannelCandidates> = HashMap::new();
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
                gated: false,
            };
            let routes = channels.entry(channel).or_default();
            match event_id {
                Some(id) => routes.0.entry(id).or_default().push(candidate),
                None => routes.1.push(candidate),
            }
        }
        // The empty bucket comes first.
        index.buckets.push(Bucket::default());
        let mut add = |mut candidates: Vec<Candidate>| {
            if candidates.is_empty() {
                return NONE;
            }
            // Pushed in rule order already; a rule routed twice runs once.
            candidates.dedup_by_key(|c| c.detection);
            index.buckets.push(Bucket {
                candidates,
                ..Bucket::default()
            });
            index.buckets.len() as u32 - 1
        };
        index.kinds = kinds.into_iter().map(&mut add).collect();
        index.all_events = add(all_events);
        // Sorted, so that bucket numbers do not depend on hash order.
        let mut channels: Vec<_> = channels.into_iter().collect();
        channels.sort_by(|a, b| a.0.cmp(&b.0));
        for (channel, (by_event_id, any_event)) in channels {
            let mut by_event_id: Vec<_> = by_event_id.into_iter().collect();
            by_event_id.sort_by_key(|(id, _)| *id);
            let routes = ChannelRoutes {
                any_event: add(any_event),
                by_event_id: by_event_id
                    .into_iter()
                    .map(|(id, candidates)| (id, add(candidates)))
                    .collect(),
            };
            index.channels.insert(channel, routes);
        }
        index
    }

    /// Marks the gated candidates, files the others under the event ids they need
    /// (`event_ids`, by detection: see [`required_event_ids`]) and gives each bucket its
    /// trigger fields.
    pub fn attach(
        &mut self,
        triggers: &Triggers,
        index: &FieldIndex,
        predicates: &[Predicate],
        event_ids: &[Option<Vec<u32>>],
    ) {
        for bucket in &mut self.buckets {
            bucket.ungated.clear();
            bucket.ungated_by_event_id.clear();
            bucket.ungated_needing_event_id.clear();
            for (position, candidate) in bucket.candidates.iter_mut().enumerate() {
                candidate.gated = triggers.gated[candidate.detection as usize];
                if candidate.gated {
                    continue;
                }
                let position = position as u32;
                match &event_ids[candidate.detection as usize] {
                    None => bucket.ungated.push(position),
                    Some(ids) => {
                        bucket.ungated_needing_event_id.push(position);
                        for id in ids {
                            bucket
                                .ungated_by_event_id
                                .entry(*id)
                                .or_default()
                                .push(position);
                        }
                    }
                }
            }
            bucket.triggers = triggers.for_bucket(&bucket.candidates, index, predicates);
        }
    }

    /// The buckets of candidate rules for `event` (whose id, read once by the caller, is
    /// `event_id`): up to three, in evaluation order.
    pub fn candidates<'i>(&'i self, event: &Event<'_>, event_id: Option<u32>) -> [&'i Bucket; 3] {
        let none = &self.buckets[NONE as usize];
        let bucket = |i: u32| &self.buckets[i as usize];
        if !event.schema().is_windows_event() {
            return [
                bucket(self.kinds[event.kind() as usize]),
                bucket(self.all_events),
                none,
            ];
        }
        let mut found = [bucket(self.all_events), none, none];
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
            found[1] = bucket(routes.any_event);
            if let Some(by_id) = event_id.and_then(|id| routes.by_event_id.get(&id)) {
                found[2] = bucket(*by_id);
            }
        }
        found
    }
}

/// Event ids one of which an event must have for `expr` to hold, when its predicates on
/// `EventID` say so: the field equals one of some integers (or digit strings). An event
/// whose id reads as a number `n` then matches only if `n` is among them, for a value
/// that reads as the integer `n` is the text [`Event::event_id`] reads.
pub(crate) fn required_event_ids(expr: &Expr, predicates: &[Predicate]) -> Option<Vec<u32>> {
    let mut ids = match expr {
        Expr::Pred(p) => predicate_event_ids(&predicates[p.0 as usize])?,
        Expr::And(parts) => parts
            .iter()
            .filter_map(|part| required_event_ids(part, predicates))
            .reduce(|a, b| a.into_iter().filter(|id| b.contains(id)).collect())?,
        Expr::Or(parts) | Expr::AtLeast(1.., parts) => {
            let mut all = Vec::new();
            for part in parts {
                all.extend(required_event_ids(part, predicates)?);
            }
            all
        }
        Expr::AtLeast(0, _) | Expr::Not(_) => return None,
    };
    ids.sort_unstable();
    ids.dedup();
    Some(ids)
}

fn predicate_event_ids(predicate: &Predicate) -> Option<Vec<u32>> {
    if predicate.field != FieldId::EVENT_ID {
        return None;
    }
    let Test::Patterns {
        patterns,
        all: false,
    } = &predicate.test
    else {
        return None;
    };
    patterns
        .iter()
        .map(|pattern| match pattern {
            Pattern::Int(n) => u32::try_from(*n).ok(),
            // Digits only: a value equal to them reads as the same number.
            Pattern::Exact(literal)
                if !literal.bytes.is_empty()
                    && literal.bytes.len() <= 9
                    && literal.bytes.iter().all(u8::is_ascii_digit) =>
            {
                std::str::from_utf8(&literal.bytes).ok()?.parse().ok()
            }
            _ => None,
        })
        .collect()
}
