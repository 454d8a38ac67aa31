//! The literal searchers the prefilter can use, cheapest first: the caseless window
//! searcher on raw bytes (AVX-512), else on a lowercased copy the SIMD packed searcher
//! (Teddy) for up to 64 literals, else an Aho-Corasick automaton.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind, Span, packed};

use super::caseless::Caseless;

/// Above this many literals, fat Teddy is tried first.
const FAT_TEDDY_ABOVE: usize = 20;

/// A compiled set of literals: searched case-insensitively in raw bytes (`Caseless`), or
/// case-sensitively in a lowercased copy (the others).
#[derive(Debug)]
pub(crate) enum Searcher {
    Caseless(Box<Caseless>),
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

/// A literal found: its index and where it starts and ends.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Found {
    pub pattern: usize,
    pub start: usize,
    pub end: usize,
}

impl Searcher {
    /// The fastest searcher for `literals` (leftmost-first: a literal added earlier wins
    /// at the same position).
    pub fn new(literals: &[&[u8]]) -> Option<Searcher> {
        let packed = |fat: Option<bool>| {
            packed::Config::new()
                .match_kind(packed::MatchKind::LeftmostFirst)
                .only_teddy_fat(fat)
                .builder()
                .extend(literals)
                .build()
        };
        // Fat Teddy (16 buckets, 16 bytes a step) over many literals: with 8 buckets,
        // slim Teddy's fingerprints collide so often that verification dominates.
        // Measured on lowercased fleet telemetry: the built-in pack's 29 literals 1.7 GB/s
        // slim, 2.8 GB/s fat; 17 literals 4.0 GB/s slim, 3.0 GB/s fat.
        let fat = literals.len() > FAT_TEDDY_ABOVE;
        if let Some(searcher) = fat
            .then(|| packed(Some(true)))
            .flatten()
            .or_else(|| packed(None))
        {
            return Some(Searcher::Packed(searcher));
        }
        AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(literals)
            .ok()
            .map(Searcher::Automaton)
    }

    /// The caseless searcher for `literals`, when this CPU and these literals suit it.
    pub fn caseless(literals: &[&[u8]]) -> Option<Searcher> {
        Caseless::new(literals).map(|s| Searcher::Caseless(Box::new(s)))
    }

    /// Whether the haystack must be lowercased before it is searched.
    pub fn needs_lowercase(&self) -> bool {
        !matches!(self, Searcher::Caseless(_))
    }

    /// The first literal at or after `from` (for `Caseless`, the first by the position
    /// of its window: see there).
    pub fn find(&self, haystack: &[u8], from: usize) -> Option<Found> {
        let found = match self {
            Searcher::Caseless(s) => return s.find(haystack, from),
            Searcher::Packed(s) => s.find_in(haystack, Span::from(from..haystack.len()))?,
            Searcher::Automaton(a) => a.find(Input::new(haystack).span(from..haystack.len()))?,
        };
        Some(Found {
            pattern: found.pattern().as_usize(),
            start: found.start(),
            end: found.end(),
        })
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Searcher::Caseless(_) => "caseless windows (AVX-512)",
            Searcher::Packed(_) => "packed (Teddy)",
            Searcher::Automaton(_) => "Aho-Corasick automaton",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_searchers_find_the_leftmost_literal() {
        let few: Vec<&[u8]> = vec![b"w3wp", b"httpd", b"\\u00"];
        let packed = Searcher::new(&few).unwrap();
        assert_eq!(packed.kind(), "packed (Teddy)");
        let many: Vec<Vec<u8>> = (0..200)
            .map(|i| format!("lit{i:03}").into_bytes())
            .collect();
        let many: Vec<&[u8]> = many.iter().map(Vec::as_slice).collect();
        let automaton = Searcher::new(&many).unwrap();
        assert_eq!(automaton.kind(), "Aho-Corasick automaton");
        let hay = b"....httpd...w3wp....";
        let f = packed.find(hay, 0).unwrap();
        assert_eq!((f.pattern, f.start, f.end), (1, 4, 9));
        let f = packed.find(hay, 5).unwrap();
        assert_eq!((f.pattern, f.start), (0, 12));
        let f = automaton.find(b"xx lit150 lit007", 0).unwrap();
        assert_eq!((f.pattern, f.start), (150, 3));
        assert!(packed.find(b"nothing", 0).is_none());
    }
}
