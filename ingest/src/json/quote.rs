//! Finding where a JSON string's content stops: the next `"` or `\`.
//!
//! Most strings in event lines are keys and short values (under 32 bytes), for which the
//! set-up of a vector search costs more than the search: the first bytes are read eight
//! at a time as words (SWAR, safe code), and longer strings go to `memchr2`.

use memchr::memchr2;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const QUOTES: u64 = ONES * b'"' as u64;
const BACKSLASHES: u64 = ONES * b'\\' as u64;

/// Words tried before handing over to `memchr2`.
const SHORT_WORDS: usize = 4;

/// The position of the first `"` or `\` in `text` at or after `from`.
#[inline(always)]
pub(crate) fn find_quote_or_backslash(text: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    for _ in 0..SHORT_WORDS {
        let Some(word) = text.get(at..).and_then(|rest| rest.first_chunk::<8>()) else {
            break;
        };
        let hits = special_bytes(u64::from_le_bytes(*word));
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    find_long(text, at)
}

/// The search past the first words: out of line, so that the short path stays small
/// enough to inline into the scanner.
#[inline(never)]
fn find_long(text: &[u8], at: usize) -> Option<usize> {
    let rest = text.get(at..)?;
    memchr2(b'"', b'\\', rest).map(|offset| at + offset)
}

/// A mask whose lowest set bit is the high bit of the first (lowest) byte of `word`
/// that is `"` or `\`; zero when there is none. Bits above the lowest may be spurious
/// (a borrow from a matching byte), which does not matter for finding the first.
#[inline]
fn special_bytes(word: u64) -> u64 {
    let quotes = word ^ QUOTES;
    let backslashes = word ^ BACKSLASHES;
    (quotes.wrapping_sub(ONES) & !quotes | backslashes.wrapping_sub(ONES) & !backslashes) & HIGHS
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
                        }
                    }
                }
            }
        }
    }
}
