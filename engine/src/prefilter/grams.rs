//! How common a byte sequence is in Windows telemetry, so that the caseless searcher looks
//! for the rarest part of each literal (`tpd.e` of `httpd.exe`, not `http`). The counts
//! come from real event logs, lowercased (`engine/tools/common_grams.py` writes the two
//! tables): the 4,096 most common 4-byte sequences, and every ASCII byte's frequency.
//! Statistics only decide speed: any choice of window finds the same lines.

/// Sorted records of 5 bytes: a 4-byte sequence and `16 * log2(occurrences per million)`.
static COMMON_GRAMS: &[u8] = include_bytes!("common_grams.bin");

/// For each ASCII byte, `-8 * log2(frequency)`: higher is rarer.
static BYTE_RARITY: &[u8; 128] = include_bytes!("common_bytes.bin");

/// Occurrences per million bytes of `gram` (4 lowercase bytes): counted when it is among
/// the most common, else estimated from its bytes and kept below the least common counted.
pub(super) fn per_million(gram: &[u8; 4]) -> f64 {
    let records = COMMON_GRAMS.len() / 5;
    let record = |i: usize| &COMMON_GRAMS[i * 5..i * 5 + 5];
    let (mut low, mut high) = (0, records);
    while low < high {
        let middle = (low + high) / 2;
        match record(middle)[..4].cmp(gram) {
            std::cmp::Ordering::Less => low = middle + 1,
            std::cmp::Ordering::Greater => high = middle,
            std::cmp::Ordering::Equal => return 2f64.powf(f64::from(record(middle)[4]) / 16.0),
        }
    }
    let floor = COMMON_GRAMS
        .chunks_exact(5)
        .map(|r| r[4])
        .min()
        .map_or(1.0, |least| 2f64.powf(f64::from(least) / 16.0));
    let estimate: f64 = gram.iter().map(|&b| byte_probability(b)).product::<f64>() * 1e6;
    estimate.min(floor * 0.99)
}

/// The share of telemetry bytes that are `byte` (case-folded for letters).
pub(super) fn byte_probability(byte: u8) -> f64 {
    let rarity = BYTE_RARITY[usize::from(byte.to_ascii_lowercase() & 0x7f)];
    2f64.powf(-f64::from(rarity) / 8.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_are_well_formed() {
        assert_eq!(COMMON_GRAMS.len(), 4096 * 5);
        let grams: Vec<&[u8]> = COMMON_GRAMS.chunks_exact(5).map(|r| &r[..4]).collect();
        assert!(
            grams.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        assert!(grams.iter().all(|g| !g.iter().any(u8::is_ascii_uppercase)));
    }

    #[test]
    fn telemetry_boilerplate_is_common_and_odd_runs_are_rare() {
        assert!(per_million(b".exe") > 100.0 * per_million(b"at9."));
        assert!(per_million(b"http") > 10.0 * per_million(b"tpd."));
        assert!(per_million(b"wind") > per_million(b"qzqz"));
        assert!(byte_probability(b'e') > byte_probability(b'q'));
        assert_eq!(byte_probability(b'E'), byte_probability(b'e'));
    }
}
