//! The generator's own pseudo-random numbers: xoshiro256** seeded through SplitMix64.
//!
//! Written here rather than taken from `rand` so that the corpus stays byte-identical for a
//! seed whatever crate versions are resolved: `rand`'s algorithms and its integer-range
//! methods have changed between releases, and any change would silently move every line
//! number in every ground-truth file. These algorithms are fixed by their papers (Blackman
//! and Vigna, 2018; Steele, Lea and Flood, 2014) and tested against their reference outputs.

/// SplitMix64: a tiny generator used to seed xoshiro and to derive independent sub-seeds.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.0)
    }
}

/// SplitMix64's finaliser: a bijective scramble of one word, also used as a hash step.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A 64-bit hash of bytes (FNV-1a, then scrambled): stable across platforms and versions.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix64(h)
}

/// The natural logarithm of `x` > 0 from IEEE basic operations only: `f64::ln` calls the
/// platform's libm, whose last bit may differ between systems, and one bit is enough to
/// move an event by 100 ns and change the output.
pub fn ln(x: f64) -> f64 {
    const LN_2: f64 = std::f64::consts::LN_2;
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64;
    if x <= 0.0 || exponent == 0 || exponent == 0x7ff {
        // Zero, subnormal, infinite or NaN: not produced by the generator.
        return f64::NEG_INFINITY;
    }
    // x = m * 2^e with m in [1, 2); ln(m) = 2 atanh(z), z = (m - 1) / (m + 1) <= 1/3.
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let e = (exponent - 1023) as f64;
    let z = (m - 1.0) / (m + 1.0);
    let z2 = z * z;
    let mut term = z;
    let mut sum = 0.0;
    let mut k = 1.0;
    while k < 40.0 {
        sum += term / k;
        term *= z2;
        k += 2.0;
    }
    e * LN_2 + 2.0 * sum
}

/// xoshiro256**: the generator behind every random choice in the corpus.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole state comes from `seed` through SplitMix64.
    pub fn new(seed: u64) -> Rng {
        let mut sm = SplitMix64::new(seed);
        Rng {
            s: [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()],
        }
    }

    /// An independent generator for the sub-stream named by `stream` (a host index, a
    /// scenario number...): the same seed and stream always give the same numbers.
    pub fn derive(seed: u64, stream: u64) -> Rng {
        Rng::new(mix64(
            seed ^ mix64(stream.wrapping_add(0x6a09_e667_f3bc_c909)),
        ))
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A number in `0..n` (`n` > 0), by Lemire's multiply-shift; the tiny bias for huge
    /// `n` does not matter here, and the result depends only on the generator's output.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// A float in `[0, 1)` with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// An exponentially distributed number with mean 1.
    pub fn exp1(&mut self) -> f64 {
        -ln(1.0 - self.unit())
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A copy of one element of a non-empty slice.
    pub fn choose<T: Copy>(&mut self, items: &[T]) -> T {
        *self.pick(items)
    }

    /// An index into `weights`, chosen in proportion to the weights (not all zero).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_output() {
        // From the reference implementation (Vigna, splitmix64.c) seeded with 1234567.
        let mut sm = SplitMix64::new(1_234_567);
        let got: Vec<u64> = (0..5).map(|_| sm.next_u64()).collect();
        assert_eq!(
            got,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        );
    }

    #[test]
    fn xoshiro256starstar_matches_the_reference_output() {
        // State {1, 2, 3, 4}: the first outputs of xoshiro256starstar.c.
        let mut rng = Rng { s: [1, 2, 3, 4] };
        let got: Vec<u64> = (0..6).map(|_| rng.next_u64()).collect();
        assert_eq!(
            got,
            [
                11_520,
                0,
                1_509_978_240,
                1_215_971_899_390_074_240,
                1_216_172_134_540_287_360,
                607_988_272_756_665_600,
            ]
        );
    }

    #[test]
    fn below_and_weighted_stay_in_range_and_cover_it() {
        let mut rng = Rng::new(7);
        let mut seen = [0u32; 5];
        for _ in 0..10_000 {
            seen[rng.below(5) as usize] += 1;
        }
        assert!(
            seen.iter().all(|&n| (1_700..2_300).contains(&n)),
            "{seen:?}"
        );
        let mut picks = [0u32; 3];
        for _ in 0..10_000 {
            picks[rng.weighted(&[1, 0, 3])] += 1;
        }
        assert_eq!(picks[1], 0);
        assert!((2_200..2_800).contains(&picks[0]), "{picks:?}");
        for _ in 0..1_000 {
            let x = rng.range(3, 5);
            assert!((3..=5).contains(&x));
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }

    #[test]
    fn ln_agrees_with_libm() {
        for x in [
            1e-300, 1e-9, 0.001, 0.25, 0.5, 0.999_999, 1.0, 2.0, 10.0, 12_345.678,
        ] {
            let (ours, libm): (f64, f64) = (ln(x), x.ln());
            assert!(
                (ours - libm).abs() <= 1e-12 * libm.abs().max(1.0),
                "{x}: {ours} {libm}"
            );
        }
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn derived_streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = {
            let mut r = Rng::derive(42, 1);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::derive(42, 1);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = Rng::derive(42, 2);
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(hash_bytes(b"cmd.exe"), hash_bytes(b"cmd.exe"));
        assert_ne!(hash_bytes(b"cmd.exe"), hash_bytes(b"cmd.exf"));
    }
}
