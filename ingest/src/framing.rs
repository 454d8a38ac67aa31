//! Newline framing: turns bytes pushed in arbitrary chunks into numbered lines.
//!
//! Lines inside a chunk are borrowed from it; only a line that straddles two chunks is
//! copied (into the framer's carry buffer). A line longer than the limit is never buffered:
//! its bytes are dropped as they arrive and the line is reported as [`Framed::TooLong`].
//! [`LineFramer::push_blocks`] hands out the complete lines of a chunk as one [`Block`], so
//! that a consumer can scan many lines at once (the prefilter does).

use memchr::{memchr_iter, memrchr};

/// Default longest line accepted: 16 MiB.
pub const DEFAULT_MAX_LINE: usize = 16 << 20;

/// One line of input, without its line terminator (`\n` or `\r\n`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'c> {
    /// 1-based line number within its input.
    pub number: u64,
    /// The line's bytes, borrowed from the chunk (or the carry buffer).
    pub bytes: &'c [u8],
}

/// What the framer hands out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framed<'c> {
    /// A complete line.
    Line(Line<'c>),
    /// A line longer than the limit: its number, and its length in bytes as far as it was seen.
    TooLong { number: u64, length: u64 },
}

/// Splits a byte stream into lines. Feed it with [`LineFramer::push`] in any chunking and
/// call [`LineFramer::finish`] at the end of the input; the lines are the same whatever
/// the chunk boundaries.
#[derive(Debug)]
pub struct LineFramer {
    max_line: usize,
    /// The start of a line whose end has not arrived yet.
    carry: Vec<u8>,
    /// Bytes of an over-long line seen so far, while its end has not arrived; the bytes
    /// themselves are dropped.
    discarding: Option<u64>,
    /// Whether the last byte dropped was `\r`: a `\r` before the `\n` is not part of
    /// the line, so it does not count in the over-long line's length.
    dropped_cr: bool,
    /// Number of the last line handed out.
    line_number: u64,
    /// Whether lines are counted (see [`LineFramer::uncounted`]).
    counted: bool,
}

impl LineFramer {
    /// A framer that rejects lines longer than `max_line` bytes (terminator excluded).
    pub fn new(max_line: usize) -> LineFramer {
        LineFramer {
            max_line,
            carry: Vec::new(),
            discarding: None,
            dropped_cr: false,
            line_number: 0,
            counted: true,
        }
    }

    /// A framer that does not number lines, for a consumer that counts them itself (a
    /// worker pool whose jobs number their own lines): it never reads a block's bytes
    /// beyond finding its last newline. Every line and block it hands out has number 0.
    pub fn uncounted(max_line: usize) -> LineFramer {
        LineFramer {
            counted: false,
            ..LineFramer::new(max_line)
        }
    }

    /// Number of lines handed out so far.
    pub fn lines(&self) -> u64 {
        self.line_number
    }

    /// Frames `chunk`, calling `emit` for every line it completes.
    pub fn push(&mut self, chunk: &[u8], mut emit: impl FnMut(Framed<'_>)) {
        self.push_blocks(chunk, |piece| match piece {
            Piece::Line(framed) => emit(framed),
            Piece::Block(block) => block.lines().for_each(&mut emit),
        });
    }

    /// Frames `chunk`, calling `emit` with the line that a previous chunk started (if this
    /// one completes it), then with one [`Block`] holding every other complete line.
    pub fn push_blocks(&mut self, chunk: &[u8], mut emit: impl FnMut(Piece<'_>)) {
        let mut start = 0;
        if self.discarding.is_some() || !self.carry.is_empty() {
            let Some(end) = memchr::memchr(b'\n', chunk) else {
                self.hold(chunk);
                return;
            };
            self.hold(&chunk[..end]);
            self.emit_held(&mut |framed| emit(Piece::Line(framed)));
            start = end + 1;
        }
        let rest = &chunk[start..];
        let Some(last) = memrchr(b'\n', rest) else {
            self.hold(rest);
            return;
        };
        let bytes = &rest[..=last];
        emit(Piece::Block(Block {
            bytes,
            first_line: if self.counted {
                self.line_number + 1
            } else {
                0
            },
            max_line: self.max_line,
        }));
        if self.counted {
            self.line_number += memchr_iter(b'\n', bytes).count() as u64;
        }
        self.hold(&rest[last + 1..]);
    }

    /// Ends the input: hands out the last line if it had no terminator, and resets the
    /// framer (line numbers start again at 1) for the next input.
    pub fn finish(&mut self, mut emit: impl FnMut(Framed<'_>)) {
        if self.discarding.is_some() || !self.carry.is_empty() {
            self.emit_held(&mut emit);
        }
        self.carry.clear();
        self.line_number = 0;
    }

    /// Keeps the start of an unfinished line, or counts it if it is already too long.
    fn hold(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if let Some(seen) = &mut self.discarding {
            *seen += bytes.len() as u64;
            self.dropped_cr = bytes.ends_with(b"\r");
        } else if self.carry.len() + bytes.len() > self.max_line + 1 {
            // +1: a '\r' before the '\n' is not part of the line.
            self.discarding = Some((self.carry.len() + bytes.len()) as u64);
            self.dropped_cr = bytes.ends_with(b"\r");
            self.carry = Vec::new();
        } else {
            self.carry.extend_from_slice(bytes);
        }
    }

    fn emit_held(&mut self, emit: &mut dyn FnMut(Framed<'_>)) {
        if self.counted {
            self.line_number += 1;
        }
        if let Some(length) = self.discarding.take() {
            emit(Framed::TooLong {
                number: self.line_number,
                length: length - u64::from(std::mem::take(&mut self.dropped_cr)),
            });
        } else {
            let carry = std::mem::take(&mut self.carry);
            emit(self.frame(&carry));
            self.carry = carry;
            self.carry.clear();
        }
    }

    fn frame<'c>(&self, bytes: &'c [u8]) -> Framed<'c> {
        frame(bytes, self.line_number, self.max_line)
    }
}

/// What [`LineFramer::push_blocks`] hands out.
#[derive(Clone, Copy, Debug)]
pub enum Piece<'c> {
    /// One line (or over-long line) that straddled chunks.
    Line(Framed<'c>),
    Block(Block<'c>),
}

/// Consecutive complete lines of one chunk, each ending with `\n`.
#[derive(Clone, Copy, Debug)]
pub struct Block<'c> {
    pub bytes: &'c [u8],
    /// Number of the block's first line.
    pub first_line: u64,
    max_line: usize,
}

impl<'c> Block<'c> {
    /// A block over `bytes` (complete lines, each ending with `\n`) whose first line has
    /// number `first_line`, rejecting lines longer than `max_line`: for handing blocks to
    /// other threads.
    pub fn new(bytes: &'c [u8], first_line: u64, max_line: usize) -> Block<'c> {
        Block {
            bytes,
            first_line,
            max_line,
        }
    }

    /// The block's lines, numbered, with over-long ones reported as such.
    pub fn lines(&self) -> impl Iterator<Item = Framed<'c>> + use<'c> {
        let bytes = self.bytes;
        let max_line = self.max_line;
        let first_line = self.first_line;
        let mut start = 0;
        memchr_iter(b'\n', bytes).enumerate().map(move |(i, end)| {
            let framed = frame(&bytes[start..end], first_line + i as u64, max_line);
            start = end + 1;
            framed
        })
    }

    /// The line that `bytes[start..end]` is (without its terminator), numbered: for
    /// consumers that find line boundaries themselves.
    pub fn line_at(&self, number: u64, start: usize, end: usize) -> Framed<'c> {
        frame(&self.bytes[start..end], number, self.max_line)
    }

    /// The longest line accepted.
    pub fn max_line(&self) -> usize {
        self.max_line
    }
}

fn frame(bytes: &[u8], number: u64, max_line: usize) -> Framed<'_> {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if bytes.len() > max_line {
        Framed::TooLong {
            number,
            length: bytes.len() as u64,
        }
    } else {
        Framed::Line(Line { number, bytes })
    }
}

impl Default for LineFramer {
    fn default() -> Self {
        LineFramer::new(DEFAULT_MAX_LINE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Owned form of [`Framed`] for comparisons.
    #[derive(Debug, PartialEq, Eq)]
    enum Out {
        Line(u64, Vec<u8>),
        TooLong(u64, u64),
    }

    fn frame_in_chunks(input: &[u8], chunk: usize, max: usize) -> Vec<Out> {
        let mut framer = LineFramer::new(max);
        let mut out = Vec::new();
        let mut collect = |f: Framed<'_>| {
            out.push(match f {
                Framed::Line(l) => Out::Line(l.number, l.bytes.to_vec()),
                Framed::TooLong { number, length } => Out::TooLong(number, length),
            })
        };
        for piece in input.chunks(chunk.max(1)) {
            framer.push(piece, &mut collect);
        }
        framer.finish(&mut collect);
        out
    }

    /// The obviously correct framing: split on '\n', drop one trailing empty piece.
    fn naive(input: &[u8], max: usize) -> Vec<Out> {
        let mut pieces: Vec<&[u8]> = input.split(|b| *b == b'\n').collect();
        if pieces.last().is_some_and(|p| p.is_empty()) {
            pieces.pop();
        }
        pieces
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let p = p.strip_suffix(b"\r").unwrap_or(p);
                let n = i as u64 + 1;
                if p.len() > max {
                    Out::TooLong(n, p.len() as u64)
                } else {
                    Out::Line(n, p.to_vec())
                }
            })
            .collect()
    }

    #[test]
    fn an_uncounted_framer_frames_the_same_lines_without_numbers() {
        let input = b"one\ntwo\r\nthree\nfour";
        let mut counted = LineFramer::new(100);
        let mut uncounted = LineFramer::uncounted(100);
        let mut seen = Vec::new();
        for framer in [&mut counted, &mut uncounted] {
            let mut lines = Vec::new();
            let mut keep = |f: Framed<'_>| match f {
                Framed::Line(line) => lines.push((line.number, line.bytes.to_vec())),
                Framed::TooLong { .. } => unreachable!("short lines"),
            };
            for chunk in input.chunks(5) {
                framer.push(chunk, &mut keep);
            }
            assert_eq!(framer.lines(), if framer.counted { 3 } else { 0 });
            framer.finish(&mut keep);
            seen.push(lines);
        }
        let numbers = |lines: &[(u64, Vec<u8>)]| lines.iter().map(|l| l.0).collect::<Vec<_>>();
        assert_eq!(numbers(&seen[0]), [1, 2, 3, 4]);
        assert_eq!(numbers(&seen[1]), [0, 0, 0, 0]);
        let bytes =
            |lines: &[(u64, Vec<u8>)]| lines.iter().map(|l| l.1.clone()).collect::<Vec<_>>();
        assert_eq!(bytes(&seen[0]), bytes(&seen[1]));
    }

    #[test]
    fn lines_are_numbered_and_crlf_is_stripped() {
        let out = frame_in_chunks(b"a\r\nbb\n\nccc", 1024, 100);
        assert_eq!(
            out,
            vec![
                Out::Line(1, b"a".to_vec()),
                Out::Line(2, b"bb".to_vec()),
                Out::Line(3, b"".to_vec()),
                Out::Line(4, b"ccc".to_vec()),
            ]
        );
    }

    #[test]
    fn trailing_newline_does_not_make_an_extra_line() {
        assert_eq!(
            frame_in_chunks(b"x\n", 1, 100),
            vec![Out::Line(1, b"x".to_vec())]
        );
        assert_eq!(frame_in_chunks(b"", 1, 100), vec![]);
    }

    #[test]
    fn long_lines_are_rejected_without_buffering() {
        let mut input = b"ok\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 5000));
        input.extend_from_slice(b"\nfine\n");
        let mut framer = LineFramer::new(100);
        let mut out = Vec::new();
        for piece in input.chunks(7) {
            framer.push(piece, |f| {
                out.push(match f {
                    Framed::Line(l) => Out::Line(l.number, l.bytes.to_vec()),
                    Framed::TooLong { number, length } => Out::TooLong(number, length),
                })
            });
            assert!(framer.carry.capacity() <= 4096, "carry grew past the limit");
        }
        assert_eq!(
            out,
            vec![
                Out::Line(1, b"ok".to_vec()),
                Out::TooLong(2, 5000),
                Out::Line(3, b"fine".to_vec()),
            ]
        );
    }

    #[test]
    fn a_line_of_exactly_the_limit_passes_even_with_crlf() {
        let out = frame_in_chunks(b"abcd\r\nabcde\n", 3, 4);
        assert_eq!(
            out,
            vec![Out::Line(1, b"abcd".to_vec()), Out::TooLong(2, 5)]
        );
    }

    /// Found by the `framing_chunks` fuzz target: an over-long line ending in `\r\n`
    /// whose bytes were dropped across chunks counted its `\r` in its length.
    #[test]
    fn an_over_long_crlf_line_has_the_same_length_in_any_chunking() {
        for chunk in 1..12 {
            assert_eq!(
                frame_in_chunks(b"abcdefgh\r\nok\r\n", chunk, 3),
                vec![Out::TooLong(1, 8), Out::Line(2, b"ok".to_vec())],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn finish_resets_numbering_for_the_next_input() {
        let mut framer = LineFramer::new(100);
        let mut numbers = Vec::new();
        framer.push(b"a\nb", |f| {
            if let Framed::Line(l) = f {
                numbers.push(l.number)
            }
        });
        framer.finish(|f| {
            if let Framed::Line(l) = f {
                numbers.push(l.number)
            }
        });
        framer.push(b"c\n", |f| {
            if let Framed::Line(l) = f {
                numbers.push(l.number)
            }
        });
        assert_eq!(numbers, vec![1, 2, 1]);
    }

    #[test]
    fn blocks_hold_the_complete_lines_of_a_chunk() {
        let mut framer = LineFramer::new(100);
        let mut pieces = Vec::new();
        framer.push_blocks(b"a\nb\nc", |p| pieces.push(format!("{p:?}")));
        framer.push_blocks(b"c\nd\ne\n", |p| pieces.push(format!("{p:?}")));
        assert_eq!(pieces.len(), 3);
        assert!(pieces[0].starts_with("Block(Block { bytes: [97, 10, 98, 10], first_line: 1"));
        assert!(
            pieces[1].contains("number: 3, bytes: [99, 99]"),
            "{}",
            pieces[1]
        );
        assert!(pieces[2].contains("first_line: 4"), "{}", pieces[2]);
    }

    #[test]
    fn any_chunking_gives_the_naive_framing() {
        // A deterministic xorshift stream of inputs built from a small alphabet, so that
        // newlines, CRs and long runs all occur.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..300 {
            let len = (next() % 200) as usize;
            let input: Vec<u8> = (0..len)
                .map(|_| match next() % 6 {
                    0 => b'\n',
                    1 => b'\r',
                    _ => b'a' + (next() % 3) as u8,
                })
                .collect();
            let max = (next() % 20) as usize;
            let expected = naive(&input, max);
            for chunk in [1, 2, 3, 7, 64, 1000] {
                assert_eq!(
                    frame_in_chunks(&input, chunk, max),
                    expected,
                    "input {input:?} chunk {chunk} max {max}"
                );
            }
        }
    }
}
