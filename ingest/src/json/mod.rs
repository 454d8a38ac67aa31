//! Lazy JSON field extraction: one validating pass over a line that records only the
//! values at wanted paths (a [`PathTrie`]) as spans, and skips everything else.
//!
//! No DOM is built and nothing is allocated per line once the buffers have grown:
//! values are spans into the line, or into a reused buffer for strings with escapes.

mod keys;
mod quote;
mod scan;
mod strings;
mod unescape;

pub(crate) use scan::{DocError, Scanner};
pub(crate) use strings::any_string_value;
pub(crate) use unescape::unescape_into;

use keys::KeyMap;
pub(crate) use keys::KeyProbe;

/// Where a recorded span points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Loc {
    /// Into the line itself.
    Line,
    /// Into the copy of a JSON document that was embedded in a string field.
    Nested,
    /// Into the buffer of unescaped strings.
    Unescaped,
}

/// The JSON type of a recorded value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Missing,
    String,
    Number,
    True,
    False,
    Null,
    Object,
    Array,
}

/// A recorded value: its type and where its bytes are. For strings the span is the
/// content without quotes (unescaped); for numbers the literal; for objects and arrays
/// the raw text including brackets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawValue {
    pub kind: Kind,
    pub loc: Loc,
    pub start: u32,
    pub len: u32,
}

impl RawValue {
    pub const MISSING: RawValue = RawValue {
        kind: Kind::Missing,
        loc: Loc::Line,
        start: 0,
        len: 0,
    };

    pub fn is_missing(&self) -> bool {
        self.kind == Kind::Missing
    }
}

/// Index of a value slot filled by the scanner.
pub(crate) type SlotId = u32;

/// Longest path (in segments) a trie accepts; deeper paths in a field map are refused
/// when the map is loaded, so the scanner's recursion over wanted objects is bounded.
pub(crate) const MAX_PATH_DEPTH: usize = 32;

/// The set of wanted paths, as a trie over object keys. A node may own a slot (its
/// value is recorded) and children (the scanner descends into it when it is an object).
#[derive(Debug, Default)]
pub(crate) struct PathTrie {
    nodes: Vec<Node>,
    slots: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Node {
    pub slot: Option<SlotId>,
    pub children: KeyMap,
    /// The child for a `*` segment: any key not among `children`.
    pub any_key: Option<u32>,
}

/// A path segment that matches any object key.
pub(crate) const ANY_KEY: &str = "*";

/// Index of the root node.
pub(crate) const ROOT: u32 = 0;

impl PathTrie {
    pub fn new() -> PathTrie {
        PathTrie {
            nodes: vec![Node::default()],
            slots: 0,
        }
    }

    /// Number of slots handed out.
    pub fn slot_count(&self) -> usize {
        self.slots as usize
    }

    /// The slot recording the value at `segments`, created if needed. Several paths may
    /// share a slot through [`PathTrie::alias`].
    pub fn slot(&mut self, segments: &[&str]) -> SlotId {
        let node = self.node(segments);
        if let Some(slot) = self.nodes[node as usize].slot {
            return slot;
        }
        let slot = self.slots;
        self.slots += 1;
        self.nodes[node as usize].slot = Some(slot);
        slot
    }

    /// Makes `segments` record into `slot` too, unless that path already has a slot.
    pub fn alias(&mut self, segments: &[&str], slot: SlotId) {
        let node = self.node(segments);
        self.nodes[node as usize].slot.get_or_insert(slot);
    }

    fn node(&mut self, segments: &[&str]) -> u32 {
        debug_assert!(segments.len() <= MAX_PATH_DEPTH);
        let mut node = ROOT;
        for segment in segments {
            let next = self.nodes.len() as u32;
            let child = if *segment == ANY_KEY {
                *self.nodes[node as usize].any_key.get_or_insert(next)
            } else {
                self.nodes[node as usize]
                    .children
                    .get_or_insert_with(segment.as_bytes(), || next)
            };
            if child == next {
                self.nodes.push(Node::default());
            }
            node = child;
        }
        node
    }

    pub fn get(&self, node: u32) -> &Node {
        &self.nodes[node as usize]
    }

    /// The slot of the top-level key `key`, if the trie has one (no `*` matching).
    pub fn root_slot(&self, key: &[u8]) -> Option<SlotId> {
        let node = self.nodes[ROOT as usize].children.get(key)?;
        self.nodes[node as usize].slot
    }

    pub fn child(&self, node: u32, key: &[u8]) -> Option<u32> {
        self.probe_child(node, &KeyProbe::new(key), key)
    }

    /// [`PathTrie::child`] for a key whose probe the caller has made.
    #[inline(always)]
    pub fn probe_child(&self, node: u32, probe: &KeyProbe, key: &[u8]) -> Option<u32> {
        let node = &self.nodes[node as usize];
        node.children.probe(probe, key).or(node.any_key)
    }
}

/// The values recorded for one document: one per slot, plus the list of slots set, so
/// that clearing costs what was set rather than the number of slots.
#[derive(Debug, Default)]
pub(crate) struct Slots {
    values: Vec<RawValue>,
    touched: Vec<SlotId>,
}

impl Slots {
    pub fn reset(&mut self, slot_count: usize) {
        for slot in self.touched.drain(..) {
            self.values[slot as usize] = RawValue::MISSING;
        }
        if self.values.len() != slot_count {
            self.values.clear();
            self.values.resize(slot_count, RawValue::MISSING);
        }
    }

    /// Records a value unless the slot already holds one (the first occurrence of a
    /// duplicated key wins, and the top-level document wins over an embedded one).
    pub fn set(&mut self, slot: SlotId, value: RawValue) {
        let current = &mut self.values[slot as usize];
        if current.is_missing() {
            *current = value;
            self.touched.push(slot);
        }
    }

    pub fn get(&self, slot: SlotId) -> RawValue {
        self.values[slot as usize]
    }
}

/// Calls `f` with each string element of a JSON array's raw text, unescaped.
pub(crate) fn array_elements_of(raw: &[u8], mut f: impl FnMut(&[u8])) {
    let mut buffer = Vec::new();
    scan::array_elements(raw, |kind, bytes, escaped| {
        if kind != Kind::String {
            return;
        }
        if escaped {
            buffer.clear();
            unescape_into(bytes, &mut buffer);
            f(&buffer);
        } else {
            f(bytes);
        }
    });
}
