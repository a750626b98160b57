//! ChaCha12's key stream, sixteen blocks at a time on AVX-512: the same words as
//! `rand_chacha`'s `ChaCha12Rng` (which `StdRng` is), for dropout's masks.
//!
//! Why: a dropout mask takes one 64-bit word per element, drawn from the device's
//! `StdRng` stream so that the masks are dfdx's to the bit. `rand_chacha` makes four
//! blocks per call with 128-bit rows; drawing the deep model's 1.2 million words a step
//! was 8 % of its training time. Here each of sixteen lanes runs one block, so a call
//! makes a kilobyte of stream with the state in sixteen registers.

/// 64-bit words per 64-byte block.
const BLOCK_U64: usize = 8;

/// Fills `out` with the stream's 64-bit words from word `first` on (two of its 32-bit
/// words each, low first, as `rand`'s `fill` gives them), for `key` and stream 0.
/// `first` is a multiple of [`BLOCK_U64`]. Returns `false`, leaving `out` alone, on a
/// CPU without AVX-512.
pub fn fill_words(key: &[u8; 32], first: u64, out: &mut [u64]) -> bool {
    assert_eq!(
        first % BLOCK_U64 as u64,
        0,
        "the stream is entered at a block"
    );
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        let key: [u32; 8] =
            std::array::from_fn(|i| u32::from_le_bytes(key[4 * i..4 * i + 4].try_into().unwrap()));
        let mut block = first / BLOCK_U64 as u64;
        let mut sixteen = [0u64; 16 * BLOCK_U64];
        for chunk in out.chunks_mut(sixteen.len()) {
            // SAFETY: the CPU has AVX-512F (checked above).
            unsafe { avx512::sixteen_blocks(&key, block, &mut sixteen) };
            chunk.copy_from_slice(&sixteen[..chunk.len()]);
            block = block.wrapping_add(16);
        }
        return true;
    }
    let _ = (key, out);
    false
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::BLOCK_U64;

    /// ChaCha's constant words, "expand 32-byte k".
    const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];
    /// Double rounds of ChaCha12.
    const DOUBLE_ROUNDS: usize = 6;

    /// ChaCha's quarter round on rows `a`, `b`, `c`, `d` of sixteen blocks at once.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[inline(always)]
    unsafe fn quarter(v: &mut [__m512i; 16], a: usize, b: usize, c: usize, d: usize) {
        v[a] = _mm512_add_epi32(v[a], v[b]);
        v[d] = _mm512_rol_epi32::<16>(_mm512_xor_si512(v[d], v[a]));
        v[c] = _mm512_add_epi32(v[c], v[d]);
        v[b] = _mm512_rol_epi32::<12>(_mm512_xor_si512(v[b], v[c]));
        v[a] = _mm512_add_epi32(v[a], v[b]);
        v[d] = _mm512_rol_epi32::<8>(_mm512_xor_si512(v[d], v[a]));
        v[c] = _mm512_add_epi32(v[c], v[d]);
        v[b] = _mm512_rol_epi32::<7>(_mm512_xor_si512(v[b], v[c]));
    }

    /// Blocks `block .. block + 16` of the stream into `out`, block after block.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn sixteen_blocks(key: &[u32; 8], block: u64, out: &mut [u64; 16 * BLOCK_U64]) {
        // Lane j runs block `block + j`: the 64-bit counter is words 12 (low) and 13.
        let counters: [u64; 16] = std::array::from_fn(|j| block.wrapping_add(j as u64));
        let low: [u32; 16] = std::array::from_fn(|j| counters[j] as u32);
        let high: [u32; 16] = std::array::from_fn(|j| (counters[j] >> 32) as u32);
        let mut start = [_mm512_setzero_si512(); 16];
        for (i, s) in SIGMA.iter().enumerate() {
            start[i] = _mm512_set1_epi32(*s as i32);
        }
        for (i, k) in key.iter().enumerate() {
            start[4 + i] = _mm512_set1_epi32(*k as i32);
        }
        start[12] = _mm512_loadu_si512(low.as_ptr().cast());
        start[13] = _mm512_loadu_si512(high.as_ptr().cast());
        // Words 14 and 15 are the stream number, 0.
        let mut v = start;
        for _ in 0..DOUBLE_ROUNDS {
            quarter(&mut v, 0, 4, 8, 12);
            quarter(&mut v, 1, 5, 9, 13);
            quarter(&mut v, 2, 6, 10, 14);
            quarter(&mut v, 3, 7, 11, 15);
            quarter(&mut v, 0, 5, 10, 15);
            quarter(&mut v, 1, 6, 11, 12);
            quarter(&mut v, 2, 7, 8, 13);
            quarter(&mut v, 3, 4, 9, 14);
        }
        // Word i of every block, then each block's sixteen words in a row.
        let mut by_word = [[0u32; 16]; 16];
        for i in 0..16 {
            let word = _mm512_add_epi32(v[i], start[i]);
            _mm512_storeu_si512(by_word[i].as_mut_ptr().cast(), word);
        }
        for (j, block) in out.chunks_exact_mut(BLOCK_U64).enumerate() {
            for (k, w) in block.iter_mut().enumerate() {
                *w = u64::from(by_word[2 * k][j]) | (u64::from(by_word[2 * k + 1][j]) << 32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha12Rng;

    use super::fill_words;

    /// The words `ChaCha12Rng` gives from 64-bit word `first` on.
    fn reference(seed: u64, first: u64, n: usize) -> Vec<u64> {
        let mut rng = ChaCha12Rng::seed_from_u64(seed);
        rng.set_word_pos(2 * u128::from(first));
        let mut words = vec![0u64; n];
        rng.fill(&mut words[..]);
        words
    }

    /// At the start, at a later block, with a ragged count, and across the counter's
    /// low word overflowing into its high word.
    #[test]
    fn the_words_are_chacha12_rngs_words() {
        for (seed, first, n) in [
            (7, 0, 1024),
            (7, 8 * 1000, 300),
            (12_345, 8 * ((1u64 << 32) - 5), 200),
        ] {
            let key = ChaCha12Rng::seed_from_u64(seed).get_seed();
            let mut ours = vec![0u64; n];
            if !fill_words(&key, first, &mut ours) {
                return; // no AVX-512 here: the caller draws from rand_chacha itself
            }
            assert_eq!(ours, reference(seed, first, n), "seed {seed}, word {first}");
        }
    }
}
