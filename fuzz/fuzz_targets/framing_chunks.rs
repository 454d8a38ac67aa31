//! Framing with arbitrary chunk boundaries: the lines (and over-long lines) are those of
//! framing the whole buffer at once, through both `push` and `push_blocks`.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tripline_ingest::{Framed, LineFramer, Piece};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// Longest line, kept small so that over-long lines are common.
    max_line: u8,
    /// Chunk lengths, used in turn (0 is an empty push).
    cuts: Vec<u8>,
    bytes: &'a [u8],
}

/// Owned form of a framed line.
#[derive(Debug, PartialEq, Eq)]
enum Out {
    Line(u64, Vec<u8>),
    TooLong(u64, u64),
}

fn own(framed: Framed<'_>) -> Out {
    match framed {
        Framed::Line(line) => Out::Line(line.number, line.bytes.to_vec()),
        Framed::TooLong { number, length } => Out::TooLong(number, length),
    }
}

/// Splits `bytes` into chunks whose lengths cycle through `cuts` (0 is an empty push).
fn chunks<'a>(bytes: &'a [u8], cuts: &[u8]) -> Vec<&'a [u8]> {
    if cuts.iter().all(|&n| n == 0) {
        return vec![&b""[..], bytes];
    }
    let mut out = Vec::new();
    let mut rest = bytes;
    for &n in cuts.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at((n as usize).min(rest.len()));
        out.push(chunk);
        rest = tail;
    }
    out
}

fuzz_target!(|input: Input<'_>| {
    let max_line = input.max_line as usize;
    let mut whole = Vec::new();
    let mut framer = LineFramer::new(max_line);
    framer.push(input.bytes, |f| whole.push(own(f)));
    framer.finish(|f| whole.push(own(f)));

    let pieces = chunks(input.bytes, &input.cuts);

    let mut pushed = Vec::new();
    let mut framer = LineFramer::new(max_line);
    for chunk in &pieces {
        framer.push(chunk, |f| pushed.push(own(f)));
    }
    framer.finish(|f| pushed.push(own(f)));
    assert_eq!(whole, pushed, "push in chunks differs from one push");

    let mut blocks = Vec::new();
    let mut framer = LineFramer::new(max_line);
    for chunk in &pieces {
        framer.push_blocks(chunk, |piece| match piece {
            Piece::Line(f) => blocks.push(own(f)),
            Piece::Block(block) => {
                assert_eq!(block.max_line(), max_line);
                blocks.extend(block.lines().map(own));
            }
        });
    }
    framer.finish(|f| blocks.push(own(f)));
    assert_eq!(whole, blocks, "push_blocks in chunks differs from one push");

    // The framer is reusable: a second input numbers its lines from 1 again.
    let mut again = Vec::new();
    framer.push(input.bytes, |f| again.push(own(f)));
    framer.finish(|f| again.push(own(f)));
    assert_eq!(whole, again, "a reused framer differs from a fresh one");
});
