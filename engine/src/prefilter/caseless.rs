//! Case-insensitive search for a set of ASCII literals in raw bytes, without lowering a
//! copy first. Each literal is looked for by a window of up to [`WINDOW`] of its bytes,
//! the rarest part of it (see [`grams`](super::grams)); windows are grouped in eight
//! buckets. For each window position a table says, for every ASCII byte in either case,
//! which buckets have it there. With AVX-512 (VBMI) the tables are applied to 64
//! positions at once (`vpermb` looks a byte up by its low six bits, so a bucket tests
//! bytes up to their top two bits, where Teddy tests nibbles), and a position whose bytes
//! all fall in one bucket is verified against that bucket's literals. Without AVX-512 the searcher is not
//! built and the prefilter lowers a copy and runs Teddy instead.
//!
//! A hit is found by its window, so hits come in the order of their windows, not of
//! their starts; since no literal holds a newline, the first hit is in the first line that
//! has any literal, which is what the prefilter asks.

use super::grams;
use super::search::Found;

/// Bytes of a literal tested before it is verified.
const WINDOW: usize = 6;
/// Buckets of windows (bits of a table entry).
const BUCKETS: usize = 8;
/// Most literals accepted: beyond, buckets get so mixed that most positions verify.
const MAX_LITERALS: usize = 64;
/// Largest share of positions expected to need a verification (estimated from byte
/// frequencies) for this searcher to be worth building.
const MAX_VERIFY_SHARE: f64 = 1.0 / 64.0;

/// A literal, lowercase, and where its window starts.
#[derive(Debug)]
struct Windowed {
    bytes: Box<[u8]>,
    offset: usize,
}

/// The searcher. See the module documentation.
#[derive(Debug)]
pub(crate) struct Caseless {
    /// `tables[j][b]`: the buckets having byte `b` (either case) at window position `j`,
    /// or holding a literal that ends before `j` (any byte matches there).
    tables: [[u8; 128]; WINDOW],
    /// `tables` folded for `vpermb`, which looks a byte up by its low six bits: entry `i`
    /// has the buckets of bytes `i` and `i + 64`.
    folded: [[u8; 64]; WINDOW],
    /// Each bucket's literals (indexes into `literals`, which are pattern indexes).
    buckets: [Vec<u32>; BUCKETS],
    literals: Vec<Windowed>,
    /// Present only when the CPU was seen to have the instructions [`find_avx512`] uses.
    avx512: Option<Avx512>,
}

/// Proof that the running CPU has AVX-512 F, BW and VBMI: made only by [`Avx512::detect`].
#[derive(Clone, Copy, Debug)]
struct Avx512(());

impl Avx512 {
    fn detect() -> Option<Avx512> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vbmi")
        {
            return Some(Avx512(()));
        }
        None
    }
}

impl Caseless {
    /// The searcher for `literals` (ASCII, compared ignoring ASCII case; pattern `i` is
    /// `literals[i]`), or `None` when this CPU lacks AVX-512 VBMI or the literals do not
    /// suit it (empty, non-ASCII, newline or NUL bytes, too many, too common).
    pub fn new(literals: &[&[u8]]) -> Option<Caseless> {
        Caseless::build(literals, Some(Avx512::detect()?))
    }

    /// Like [`new`](Caseless::new), searching with portable code: for tests, as the
    /// reference the vector code must agree with.
    #[cfg(test)]
    pub fn portable(literals: &[&[u8]]) -> Option<Caseless> {
        Caseless::build(literals, None)
    }

    fn build(literals: &[&[u8]], avx512: Option<Avx512>) -> Option<Caseless> {
        let usable =
            |l: &&[u8]| !l.is_empty() && l.iter().all(|b| (1..0x80).contains(b) && *b != b'\n');
        if literals.is_empty() || literals.len() > MAX_LITERALS || !literals.iter().all(usable) {
            return None;
        }
        let mut searcher = Caseless {
            tables: [[0; 128]; WINDOW],
            folded: [[0; 64]; WINDOW],
            buckets: Default::default(),
            literals: literals
                .iter()
                .map(|l| {
                    let bytes: Box<[u8]> = l.to_ascii_lowercase().into();
                    let offset = rarest_window(&bytes);
                    Windowed { bytes, offset }
                })
                .collect(),
            avx512,
        };
        // The most common windows first, each into the bucket it makes least likely to
        // match by chance: equal windows share one, and common bytes do not pile up.
        let mut order: Vec<usize> = (0..literals.len()).collect();
        order.sort_by(|&a, &b| {
            let share = |i: usize| window_share(searcher.window(i));
            share(b).total_cmp(&share(a)).then(a.cmp(&b))
        });
        let mut sets = [[[false; 128]; WINDOW]; BUCKETS];
        for i in order {
            let window = searcher.window(i);
            let added = |set: &[[bool; 128]; WINDOW]| {
                let mut with = *set;
                include(&mut with, window);
                bucket_share(&with) - bucket_share(set)
            };
            let bucket = (0..BUCKETS)
                .min_by(|&a, &b| added(&sets[a]).total_cmp(&added(&sets[b])))
                .expect("there are buckets");
            include(&mut sets[bucket], window);
            searcher.buckets[bucket].push(i as u32);
        }
        if sets.iter().map(bucket_share).sum::<f64>() > MAX_VERIFY_SHARE {
            return None;
        }
        for (bucket, set) in sets.iter().enumerate() {
            for (table, members) in searcher.tables.iter_mut().zip(set) {
                for (entry, member) in table.iter_mut().zip(members) {
                    if *member {
                        *entry |= 1 << bucket;
                    }
                }
            }
        }
        for (folded, table) in searcher.folded.iter_mut().zip(&searcher.tables) {
            *folded = std::array::from_fn(|i| table[i] | table[i + 64]);
        }
        Some(searcher)
    }

    fn window(&self, literal: usize) -> &[u8] {
        let l = &self.literals[literal];
        &l.bytes[l.offset..(l.offset + WINDOW).min(l.bytes.len())]
    }

    /// The hit whose window comes first at or after `from` (a literal starting at `from`
    /// or later); among hits at one position, the lowest pattern.
    pub fn find(&self, haystack: &[u8], from: usize) -> Option<Found> {
        #[cfg(target_arch = "x86_64")]
        if let Some(token) = self.avx512 {
            // SAFETY: `avx512` is only ever `Some` when `Avx512::detect` saw the CPU
            // features `find_avx512` is compiled for.
            return unsafe { self.find_avx512(token, haystack, from) };
        }
        self.find_portable(haystack, from, from)
    }

    /// Tests one position at a time from `at`, for literals starting at `from` or later.
    fn find_portable(&self, haystack: &[u8], at: usize, from: usize) -> Option<Found> {
        (at..haystack.len()).find_map(|position| {
            // Past the end, byte 0: no literal has it, so only windows that have ended match.
            let byte = |j: usize| {
                haystack
                    .get(position + j)
                    .map_or(0, |b| usize::from(b & 0x7f))
            };
            let bits = (0..WINDOW).fold(0xff, |bits, j| bits & self.tables[j][byte(j)]);
            self.verify(haystack, position, bits, from)
        })
    }

    /// The lowest pattern of the buckets in `bits` whose window starts at `position` and
    /// that is really there.
    fn verify(&self, haystack: &[u8], position: usize, bits: u8, from: usize) -> Option<Found> {
        let mut found: Option<Found> = None;
        let mut bits = bits;
        while bits != 0 {
            let bucket = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            for &i in &self.buckets[bucket] {
                let literal = &self.literals[i as usize];
                let Some(start) = position.checked_sub(literal.offset).filter(|s| *s >= from)
                else {
                    continue;
                };
                let end = start + literal.bytes.len();
                let better = found.is_none_or(|f| (i as usize) < f.pattern);
                if better
                    && haystack
                        .get(start..end)
                        .is_some_and(|h| h.eq_ignore_ascii_case(&literal.bytes))
                {
                    found = Some(Found {
                        pattern: i as usize,
                        start,
                        end,
                    });
                }
            }
        }
        found
    }

    /// [`find`](Caseless::find), 64 positions at a time.
    ///
    /// # Safety
    /// The CPU must have AVX-512 F, BW and VBMI (the `Avx512` token says it was checked).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    unsafe fn find_avx512(&self, _: Avx512, haystack: &[u8], from: usize) -> Option<Found> {
        use std::arch::x86_64::{
            __m512i, _mm512_and_si512, _mm512_loadu_si512, _mm512_permutexvar_epi8,
            _mm512_storeu_si512, _mm512_test_epi8_mask,
        };
        const LANES: usize = 64;
        let load = |bytes: &[u8]| -> __m512i {
            let bytes: &[u8; LANES] = bytes[..LANES].try_into().expect("64 bytes");
            // SAFETY: `bytes` is 64 readable bytes; an unaligned load has no other
            // requirement, and the CPU has AVX-512 F (this function's contract).
            unsafe { _mm512_loadu_si512(bytes.as_ptr().cast()) }
        };
        // `vpermb` looks a byte up by its low 6 bits, in one cycle: each table entry
        // stands for the four bytes sharing them (`e` with `%`, `E` with 0x05), so a
        // position may pass for a byte it does not hold: a possible hit, verified.
        let tables: [__m512i; WINDOW] = std::array::from_fn(|j| load(&self.folded[j]));
        // The last positions, fewer than a block's reach, are searched in a copy padded
        // with zero bytes, which no literal has (as in `find_portable`): short
        // haystacks (single lines) stay on the vector path.
        let mut tail = [0u8; 2 * LANES + WINDOW - 1];
        let mut tail_start: Option<usize> = None;
        let mut at = from;
        loop {
            let (block, lanes) = if at + LANES + WINDOW - 1 <= haystack.len() {
                (&haystack[at..], LANES)
            } else {
                let left = haystack.len().saturating_sub(at);
                if left == 0 {
                    return None;
                }
                let start = *tail_start.get_or_insert_with(|| {
                    tail[..left].copy_from_slice(&haystack[at..]);
                    at
                });
                (&tail[at - start..], left.min(LANES))
            };
            let mut hits = _mm512_permutexvar_epi8(load(block), tables[0]);
            for (j, table) in tables.iter().enumerate().skip(1) {
                let looked_up = _mm512_permutexvar_epi8(load(&block[j..]), *table);
                hits = _mm512_and_si512(hits, looked_up);
            }
            let mut mask = _mm512_test_epi8_mask(hits, hits);
            if lanes < LANES {
                mask &= (1u64 << lanes) - 1;
            }
            if mask != 0 {
                let mut bits = [0u8; LANES];
                // SAFETY: `bits` is 64 writable bytes; an unaligned store has no other
                // requirement, and the CPU has AVX-512 F (this function's contract).
                unsafe { _mm512_storeu_si512(bits.as_mut_ptr().cast(), hits) };
                while mask != 0 {
                    let lane = mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    if let Some(found) = self.verify(haystack, at + lane, bits[lane], from) {
                        return Some(found);
                    }
                }
            }
            at += LANES;
        }
    }
}

/// Where the rarest window of `literal` starts: the one whose most distinctive 4 bytes are
/// least common, then whose 4-byte runs are least common in all.
fn rarest_window(literal: &[u8]) -> usize {
    if literal.len() <= WINDOW {
        return 0;
    }
    let score = |offset: usize| {
        let runs: Vec<f64> = literal[offset..offset + WINDOW]
            .windows(4)
            .map(|g| grams::per_million(g.try_into().expect("4 bytes")))
            .collect();
        let rarest = runs.iter().copied().fold(f64::INFINITY, f64::min);
        (rarest, runs.iter().sum::<f64>())
    };
    (0..=literal.len() - WINDOW)
        .min_by(|&a, &b| {
            let (a, b) = (score(a), score(b));
            a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1))
        })
        .expect("a literal longer than the window has windows")
}

/// The share of positions a window alone matches by chance (bytes taken as independent).
fn window_share(window: &[u8]) -> f64 {
    window.iter().map(|&b| grams::byte_probability(b)).product()
}

/// Adds `window` to a bucket's byte sets; positions past its end accept every byte.
fn include(set: &mut [[bool; 128]; WINDOW], window: &[u8]) {
    for (j, members) in set.iter_mut().enumerate() {
        match window.get(j) {
            Some(&b) => {
                members[usize::from(b.to_ascii_lowercase())] = true;
                members[usize::from(b.to_ascii_uppercase())] = true;
            }
            None => members.fill(true),
        }
    }
}

/// The share of positions a bucket matches by chance.
fn bucket_share(set: &[[bool; 128]; WINDOW]) -> f64 {
    set.iter()
        .map(|members| {
            let lower: f64 = (0u8..128)
                .filter(|b| members[usize::from(*b)] && !b.is_ascii_uppercase())
                .map(grams::byte_probability)
                .sum();
            lower.min(1.0)
        })
        .product()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every start of a literal at or after `from`, case-insensitively: the oracle.
    fn naive(literals: &[&[u8]], haystack: &[u8], from: usize) -> Vec<(usize, usize)> {
        let mut all = Vec::new();
        for (i, l) in literals.iter().enumerate() {
            for start in from..haystack.len() {
                if haystack
                    .get(start..start + l.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(l))
                {
                    all.push((start, i));
                }
            }
        }
        all.sort();
        all
    }

    /// The lines (by the first hit in each) that repeated searches report.
    fn lines_found(searcher: &Caseless, haystack: &[u8]) -> Vec<usize> {
        let mut lines = Vec::new();
        let mut from = 0;
        while let Some(found) = searcher.find(haystack, from) {
            let h = &haystack[found.start..found.end];
            assert!(h.eq_ignore_ascii_case(&searcher.literals[found.pattern].bytes));
            let line_start = haystack[..found.start]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
            lines.push(line_start);
            from = haystack[found.start..]
                .iter()
                .position(|b| *b == b'\n')
                .map_or(haystack.len(), |i| found.start + i + 1);
        }
        lines
    }

    fn naive_lines(literals: &[&[u8]], haystack: &[u8]) -> Vec<usize> {
        let mut lines: Vec<usize> = naive(literals, haystack, 0)
            .into_iter()
            .map(|(start, _)| {
                haystack[..start]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |i| i + 1)
            })
            .collect();
        lines.dedup();
        lines
    }

    const LITERALS: &[&[u8]] = &[
        b"w3wp.exe",
        b"httpd.exe",
        b"\\\\inetpub\\\\",
        b"\"web\"",
        b"\\u000",
        b"\\u007",
        b"php",
        b"tomcat9.exe",
    ];

    fn haystack() -> Vec<u8> {
        let mut text = Vec::new();
        let pieces: &[&[u8]] = &[
            b"{\"Image\":\"C:\\\\Windows\\\\System32\\\\inetsrv\\\\W3WP.EXE\"}",
            b"{\"x\":\"http://example/ nothing\"}",
            b"{\"a\":\"c:\\\\INETPUB\\\\wwwroot\"}",
            b"{\"kind\":\"WEB\"}",
            b"{\"e\":\"\\u0041\"}",
            b"{\"e\":\"\\u00e9 no\"}",
            b"PHP at the start",
            b"at the very end: tomcat9.ex",
            b"tomcat9.exE",
        ];
        for (i, p) in pieces.iter().cycle().take(300).enumerate() {
            text.extend_from_slice(&vec![b'.'; i % 97]);
            text.extend_from_slice(p);
            text.push(b'\n');
        }
        text
    }

    #[test]
    fn finds_the_lines_the_naive_search_finds() {
        let text = haystack();
        let portable = Caseless::portable(LITERALS).unwrap();
        assert_eq!(lines_found(&portable, &text), naive_lines(LITERALS, &text));
        // Every cut of the text ends at another place relative to the 64-byte steps.
        for cut in (text.len() - 200..text.len()).chain(0..80) {
            let part = &text[..cut];
            assert_eq!(
                lines_found(&portable, part),
                naive_lines(LITERALS, part),
                "cut {cut}"
            );
            if let Some(vector) = Caseless::new(LITERALS) {
                assert_eq!(
                    lines_found(&vector, part),
                    naive_lines(LITERALS, part),
                    "cut {cut}"
                );
            }
        }
    }

    #[test]
    fn the_vector_code_agrees_with_the_portable_code() {
        let Some(vector) = Caseless::new(LITERALS) else {
            eprintln!("no AVX-512 VBMI here: only the portable code was tested");
            return;
        };
        assert!(vector.avx512.is_some());
        let portable = Caseless::portable(LITERALS).unwrap();
        let text = haystack();
        for from in (0..text.len()).step_by(7) {
            let (v, p) = (vector.find(&text, from), portable.find(&text, from));
            assert_eq!(
                v.map(|f| (f.start, f.pattern)),
                p.map(|f| (f.start, f.pattern)),
                "from {from}"
            );
        }
    }

    #[test]
    fn the_vector_code_agrees_on_short_haystacks_and_their_last_bytes() {
        let Some(vector) = Caseless::new(LITERALS) else {
            eprintln!("no AVX-512 VBMI here: only the portable code was tested");
            return;
        };
        let portable = Caseless::portable(LITERALS).unwrap();
        let text = haystack();
        // Every length up to two blocks and a window, cut from many places, so that hits
        // fall in the padded copy of the last bytes and across its two blocks.
        for start in (0..text.len().saturating_sub(200)).step_by(97) {
            for len in 0..=(2 * 64 + WINDOW + 2) {
                let part = &text[start..(start + len).min(text.len())];
                for from in [0, 1, 5, 63, 64, 65, len.saturating_sub(3), len, len + 1] {
                    let (v, p) = (vector.find(part, from), portable.find(part, from));
                    assert_eq!(
                        v.map(|f| (f.start, f.pattern)),
                        p.map(|f| (f.start, f.pattern)),
                        "start {start} len {len} from {from}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_hit_starts_at_or_after_from_and_prefers_the_lowest_pattern() {
        let s = Caseless::portable(&[b"abcdefgh", b"cdefgh"]).unwrap();
        let f = s.find(b"xxabcdefgh", 0).unwrap();
        assert_eq!((f.start, f.pattern), (2, 0));
        // From inside the longer literal, only the shorter one starts late enough.
        let f = s.find(b"xxabcdefgh", 3).unwrap();
        assert_eq!((f.start, f.pattern), (4, 1));
        assert!(s.find(b"xxabcdefg", 0).is_none());
    }

    #[test]
    fn unsuitable_literals_are_refused() {
        assert!(Caseless::portable(&[]).is_none());
        assert!(Caseless::portable(&[b""]).is_none());
        assert!(Caseless::portable(&[b"caf\xc3\xa9"]).is_none());
        assert!(Caseless::portable(&[b"two\nlines"]).is_none());
        let many: Vec<Vec<u8>> = (0..65)
            .map(|i| format!("literal{i}").into_bytes())
            .collect();
        let many: Vec<&[u8]> = many.iter().map(Vec::as_slice).collect();
        assert!(Caseless::portable(&many).is_none());
        // One-letter literals would make every position a hit: not worth it.
        assert!(Caseless::portable(&[b"e", b"a"]).is_none());
    }

    #[test]
    fn windows_avoid_the_common_parts() {
        let s = Caseless::portable(&[b"httpd.exe", b"msexchangeservicehost.exe"]).unwrap();
        assert_ne!(s.window(0), b"httpd.");
        assert!(!s.window(1).windows(4).any(|g| g == b".exe"));
    }
}
