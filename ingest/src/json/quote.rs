//! Finding where a JSON string's content stops: the next `"` or `\`.
//!
//! Most strings in event lines are keys and short values (under 32 bytes), for which the
//! set-up of a vector search costs more than the search: the first bytes are read eight
//! at a time as words (SWAR, safe code), and longer strings go to `memchr2`. The same
//! goes for the next backslash of a string being unescaped.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const QUOTES: u64 = ONES * b'"' as u64;
const BACKSLASHES: u64 = ONES * b'\\' as u64;

/// Words tried before handing over to `memchr`.
const SHORT_WORDS: usize = 4;

/// The position of the first `"` or `\` in `text` at or after `from`.
#[inline(always)]
pub(crate) fn find_quote_or_backslash(text: &[u8], from: usize) -> Option<usize> {
    find_with(
        text,
        from,
        |w| first_zero(w ^ QUOTES) | first_zero(w ^ BACKSLASHES),
        |rest| memchr::memchr2(b'"', b'\\', rest),
    )
}

/// The position of the first `\` in `text` at or after `from`: the next escape of a
/// string being unescaped (paths have one every few bytes).
#[inline(always)]
pub(crate) fn find_backslash(text: &[u8], from: usize) -> Option<usize> {
    find_with(
        text,
        from,
        |w| first_zero(w ^ BACKSLASHES),
        |rest| memchr::memchr(b'\\', rest),
    )
}

/// Searches the first words with `hits` (see [`first_zero`]), the rest with `long`, out
/// of line so that the short path stays small enough to inline into its callers.
#[inline(always)]
fn find_with(
    text: &[u8],
    from: usize,
    hits: impl Fn(u64) -> u64,
    long: fn(&[u8]) -> Option<usize>,
) -> Option<usize> {
    let mut at = from;
    for _ in 0..SHORT_WORDS {
        let Some(word) = text.get(at..).and_then(|rest| rest.first_chunk::<8>()) else {
            break;
        };
        let hits = hits(u64::from_le_bytes(*word));
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    find_long(text, at, long)
}

#[inline(never)]
fn find_long(text: &[u8], at: usize, long: fn(&[u8]) -> Option<usize>) -> Option<usize> {
    long(text.get(at..)?).map(|offset| at + offset)
}

/// A mask whose lowest set bit is the high bit of the first (lowest) zero byte of
/// `word`; zero when there is none. Bits above the lowest may be spurious (a borrow from
/// a zero byte), which does not matter for finding the first, even of several masks
/// or-ed together.
#[inline(always)]
fn first_zero(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(text: &[u8], from: usize) -> Option<usize> {
        text.get(from..)?
            .iter()
            .position(|b| matches!(b, b'"' | b'\\'))
            .map(|i| from + i)
    }

    #[test]
    fn agrees_with_a_byte_loop() {
        // Every position of a quote or backslash among bytes that borrow in SWAR (0x00,
        // 0x01, 0x21, 0x23, 0x5b, 0x5d, 0x80, 0xa2, 0xdc, 0xff), in texts of many lengths.
        let fillers = [
            0x00u8, 0x01, 0x21, 0x23, 0x5b, 0x5d, 0x80, 0xa2, 0xdc, 0xff, b'a',
        ];
        for len in 0..80 {
            for &filler in &fillers {
                for special in [None, Some(b'"'), Some(b'\\')] {
                    for at in 0..len.max(1) {
                        let mut text = vec![filler; len];
                        if let Some(s) = special
                            && at < len
                        {
                            text[at] = s;
                            if at + 1 < len {
                                // A second hit just after must not hide the first.
                                text[at + 1] = b'"';
                            }
                        }
                        for from in [0, 1, 7, 8, 9, 33] {
                            assert_eq!(
                                find_quote_or_backslash(&text, from),
                                naive(&text, from),
                                "{text:?} from {from}"
                            );
                            assert_eq!(
                                find_backslash(&text, from),
                                text.get(from..).and_then(|rest| rest
                                    .iter()
                                    .position(|b| *b == b'\\')
                                    .map(|i| from + i)),
                                "{text:?} from {from}"
                            );
                        }
                    }
                }
            }
        }
    }
}
