//! Per-field literal automata: every case-insensitive literal that any rule tests a field
//! with (`Image|endswith`, `CommandLine|contains`, ...) goes into one Aho-Corasick
//! automaton for that field. An event's value of the field is searched once, and each
//! literal gets flags — found anywhere, at the start, at the end, as the whole value —
//! from which every predicate made of such literals is decided without touching the value
//! again. With thousands of rules this replaces thousands of substring searches per event
//! by one search per field.
//!
//! Keyword (field-less) searches get an automaton too, under a virtual field after the
//! plan's last ([`FieldIndex::keywords`]): its "value" is every string of the event, each
//! searched on its own, so a keyword literal is flagged at the start, end or whole of
//! the string it was found in.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use hashbrown::HashMap;
use tripline_ingest::{Event, FieldId, FieldValue};

use crate::hitmemo::{HitMemo, Lookup};
use crate::ir::{GlobToken, Pattern, Predicate, Test};

/// Flags of one literal in one event.
pub(crate) const ANYWHERE: u8 = 1;
pub(crate) const AT_START: u8 = 2;
pub(crate) const AT_END: u8 = 4;
pub(crate) const WHOLE: u8 = 8;

/// The literals of one field.
#[derive(Debug)]
struct FieldLiterals {
    automaton: AhoCorasick,
    count: usize,
}

/// How one pattern of an indexed predicate is decided: its literal and the flag it needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IndexedPattern {
    pub literal: u32,
    pub flag: u8,
}

/// The automata of a rule set, and how its predicates read them.
#[derive(Debug)]
pub(crate) struct FieldIndex {
    /// By field id.
    fields: Vec<Option<FieldLiterals>>,
    /// By predicate id: its patterns as literal flags, when every one of them is a
    /// case-insensitive literal of an indexed field.
    pub predicates: Vec<Option<Vec<IndexedPattern>>>,
    /// By predicate of a field's patterns that are not all case-insensitive literals
    /// (globs, case-sensitive literals): literals of the field's automaton one of which
    /// the value holds, in any case, whenever the predicate holds. It is still evaluated
    /// on the value, but only when one was found, and it can trigger its rules.
    pub necessary: Vec<Option<Vec<u32>>>,
    /// The virtual field of keyword searches: one past the plan's fields.
    pub keywords: FieldId,
}

/// What a field's literals are searched in.
#[derive(Clone, Copy)]
pub(crate) enum Searched<'e, 'p> {
    /// The value of a field.
    Value(FieldValue<'p>),
    /// Every string of the event, one by one (keyword searches).
    EveryString(&'e Event<'p>),
}

impl Default for FieldIndex {
    fn default() -> FieldIndex {
        FieldIndex::new(&[], 0)
    }
}

impl FieldIndex {
    /// The field whose literals a predicate's patterns are: its own, or the keyword
    /// field for a field-less search.
    pub fn field_of(&self, predicate: &Predicate) -> FieldId {
        match predicate.test {
            Test::Keywords { .. } => self.keywords,
            _ => predicate.field,
        }
    }

    /// What `field` of `event` is searched in.
    pub fn searched<'e, 'p>(&self, event: &'e Event<'p>, field: FieldId) -> Searched<'e, 'p> {
        if field == self.keywords {
            Searched::EveryString(event)
        } else {
            Searched::Value(event.get(field))
        }
    }
}

impl FieldIndex {
    pub fn new(predicates: &[Predicate], field_count: usize) -> FieldIndex {
        let keywords = FieldId(field_count as u32);
        let mut literals: Vec<Vec<Vec<u8>>> = vec![Vec::new(); field_count + 1];
        let mut ids: Vec<HashMap<Vec<u8>, u32>> = vec![HashMap::new(); field_count + 1];
        let mut indexed = Vec::with_capacity(predicates.len());
        let mut necessary = Vec::with_capacity(predicates.len());
        for predicate in predicates {
            let (patterns, field) = match &predicate.test {
                Test::Patterns { patterns, .. } => (patterns, predicate.field),
                Test::Keywords { patterns, .. } => (patterns, keywords),
                _ => {
                    indexed.push(None);
                    necessary.push(None);
                    continue;
                }
            };
            let field = field.0 as usize;
            let mut list = Vec::with_capacity(patterns.len());
            for pattern in patterns {
                let (literal, flag) = match pattern {
                    Pattern::Exact(l) if !l.cased => (l, WHOLE),
                    Pattern::Prefix(l) if !l.cased => (l, AT_START),
                    Pattern::Suffix(l) if !l.cased => (l, AT_END),
                    Pattern::Contains(l, _) if !l.cased => (l, ANYWHERE),
                    _ => break,
                };
                if literal.bytes.is_empty() {
                    break;
                }
                let next = literals[field].len() as u32;
                let id = *ids[field].entry(literal.bytes.to_vec()).or_insert_with(|| {
                    literals[field].push(literal.bytes.to_vec());
                    next
                });
                list.push(IndexedPattern { literal: id, flag });
            }
            let complete = list.len() == patterns.len();
            necessary.push(
                if complete || !matches!(predicate.test, Test::Patterns { .. }) {
                    None
                } else {
                    necessary_literals(patterns, &predicate.test).map(|needed| {
                        needed
                            .into_iter()
                            .map(|bytes| {
                                let next = literals[field].len() as u32;
                                *ids[field].entry(bytes.clone()).or_insert_with(|| {
                                    literals[field].push(bytes);
                                    next
                                })
                            })
                            .collect()
                    })
                },
            );
            indexed.push(complete.then_some(list));
        }
        let fields = literals
            .into_iter()
            .map(|list| {
                if list.is_empty() {
                    return None;
                }
                let automaton = AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .build(&list)
                    .ok()?;
                Some(FieldLiterals {
                    automaton,
                    count: list.len(),
                })
            })
            .collect();
        let mut index = FieldIndex {
            fields,
            predicates: indexed,
            necessary,
            keywords,
        };
        // A predicate whose field got no automaton (it failed to build) is not indexed.
        for (i, predicate) in predicates.iter().enumerate() {
            if index.fields[index.field_of(predicate).0 as usize].is_none() {
                index.predicates[i] = None;
                index.necessary[i] = None;
            }
        }
        index
    }

    fn literals(&self, field: FieldId) -> Option<&FieldLiterals> {
        self.fields.get(field.0 as usize).and_then(Option::as_ref)
    }

    /// How many literals each field has (by field id).
    pub fn literal_counts(&self) -> Vec<usize> {
        self.fields
            .iter()
            .map(|f| f.as_ref().map_or(0, |f| f.count))
            .collect()
    }
}

/// Literals, lowercased, one of which a value holds whenever `patterns` match it: for
/// each pattern one (a regular expression: one of its required literals), or with `all`
/// those of the pattern whose shortest literal is longest; `None` when some pattern can
/// match without any literal (nulls, integers, a regular expression that needs none, a
/// glob with no literal run of two bytes).
fn necessary_literals(patterns: &[Pattern], test: &Test) -> Option<Vec<Vec<u8>>> {
    let needed = |pattern: &Pattern| -> Option<Vec<Vec<u8>>> {
        let literal: &[u8] = match pattern {
            Pattern::Exact(l)
            | Pattern::Prefix(l)
            | Pattern::Suffix(l)
            | Pattern::Contains(l, _) => &l.bytes,
            Pattern::Glob(tokens, _) => tokens
                .iter()
                .filter_map(|token| match token {
                    GlobToken::Literal(l) => Some(&l[..]),
                    _ => None,
                })
                .max_by_key(|l| l.len())?,
            Pattern::Regex(_, required) if !required.is_empty() => {
                return Some(required.iter().map(|l| l.to_vec()).collect());
            }
            Pattern::Null | Pattern::Int(_) | Pattern::Regex(..) => return None,
        };
        (literal.len() >= 2).then(|| vec![literal.to_ascii_lowercase()])
    };
    let shortest = |set: &Vec<Vec<u8>>| set.iter().map(Vec::len).min().unwrap_or(0);
    if let Test::Patterns { all: true, .. } = test {
        return patterns.iter().filter_map(needed).max_by_key(shortest);
    }
    let sets: Option<Vec<Vec<Vec<u8>>>> = patterns.iter().map(needed).collect();
    Some(sets?.into_iter().flatten().collect())
}

/// Per-thread flags of the current event's literals, tagged with the event's epoch so
/// that nothing is cleared between events.
#[derive(Debug, Default)]
pub(crate) struct FieldHits {
    /// By field: the epoch its value was searched in.
    searched: Vec<u32>,
    /// By field, by literal: `epoch << 4 | flags`.
    flags: Vec<Vec<u32>>,
    lowered: Vec<u8>,
    /// The hits of values searched before.
    memo: HitMemo,
}

impl FieldHits {
    /// Forgets everything (on epoch wrap-around, or a new rule set).
    pub fn reset(&mut self, index: &FieldIndex) {
        self.searched = vec![u32::MAX; index.fields.len()];
        self.flags = index
            .fields
            .iter()
            .map(|f| vec![0; f.as_ref().map_or(0, |f| f.count)])
            .collect();
        self.memo.clear();
    }

    /// The flags of every literal of `field` for the event of `epoch`, searching the
    /// field's value first if this event has not yet: `epoch << 4 | flags` by literal,
    /// where a literal tagged with another epoch was not found.
    pub fn field_flags<'e, 'p: 'e>(
        &mut self,
        index: &FieldIndex,
        field: FieldId,
        value: impl FnOnce() -> Searched<'e, 'p>,
        epoch: u32,
    ) -> &[u32] {
        let f = field.0 as usize;
        if self.searched.len() != index.fields.len() {
            self.reset(index);
        }
        if self.searched[f] != epoch {
            self.search(index, field, value(), epoch, |_, _| {});
        }
        &self.flags[f]
    }

    /// Searches `value` of `field` for the event of `epoch` (once per event: later calls
    /// do nothing), calling `on_hit(literal, flags)` for each literal occurrence.
    pub fn search(
        &mut self,
        index: &FieldIndex,
        field: FieldId,
        value: Searched<'_, '_>,
        epoch: u32,
        mut on_hit: impl FnMut(u32, u8),
    ) {
        let f = field.0 as usize;
        if self.searched.len() != index.fields.len() {
            self.reset(index);
        }
        if self.searched[f] == epoch {
            return;
        }
        self.searched[f] = epoch;
        let Some(literals) = index.literals(field) else {
            return;
        };
        let FieldHits {
            flags,
            lowered,
            memo,
            ..
        } = self;
        let flags = &mut flags[f];
        let mut hit = |literal: u32, bits: u8| {
            let slot = &mut flags[literal as usize];
            if *slot >> 4 == epoch {
                *slot |= u32::from(bits);
            } else {
                *slot = epoch << 4 | u32::from(bits);
            }
            on_hit(literal, bits);
        };
        let mut mark = |text: &[u8]| {
            let mut recording = match memo.lookup(f, text) {
                Lookup::Known(hits) => {
                    for &(literal, bits) in hits {
                        hit(literal, bits);
                    }
                    return;
                }
                Lookup::Unknown(recording) => recording,
            };
            lowered.clear();
            lowered.extend(text.iter().map(u8::to_ascii_lowercase));
            for found in literals.automaton.find_overlapping_iter(&lowered[..]) {
                let mut bits = ANYWHERE;
                if found.start() == 0 {
                    bits |= AT_START;
                }
                if found.end() == lowered.len() {
                    bits |= AT_END;
                    if found.start() == 0 {
                        bits |= WHOLE;
                    }
                }
                let literal = found.pattern().as_usize() as u32;
                if let Some(recording) = &mut recording {
                    recording.push((literal, bits));
                }
                hit(literal, bits);
            }
            if let Some(recording) = recording {
                recording.finish();
            }
        };
        match value {
            Searched::EveryString(event) => {
                event.any_string(|text| {
                    mark(text);
                    false
                });
            }
            Searched::Value(FieldValue::Array(array)) => array.for_each_string(mark),
            Searched::Value(other) => {
                if let Some(text) = other.as_bytes() {
                    mark(text)
                }
            }
        }
    }
}
