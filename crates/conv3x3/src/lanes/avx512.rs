//! Sixteen lanes in AVX-512 registers, with bit masks.

use super::Lanes;
use std::arch::x86_64::*;

/// Sixteen lanes in AVX-512 registers, with bit masks. Only for code inside a
/// `#[target_feature(enable = "avx512f")]` function on a CPU that has AVX-512F.
#[derive(Clone, Copy)]
pub struct Avx512(__m512);

const W: usize = 16;

/// Bits `lo..hi` set.
#[inline(always)]
fn bits(lo: usize, hi: usize) -> __mmask16 {
    let upto = |n: usize| -> u32 {
        if n >= W {
            0xffff
        } else {
            (1u32 << n) - 1
        }
    };
    (upto(hi) & !upto(lo)) as __mmask16
}

// SAFETY: every intrinsic here is AVX-512F, which `LaneSet::is_available` checks for; a value of the
// type exists only where a `Has<Avx512>` was made (see `Has`). Loads and stores touch
// exactly the lanes they say.
unsafe impl Lanes for Avx512 {
    const LANES: usize = W;
    type Index = __m512i;
    type Mask = __mmask16;
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        Avx512(_mm512_loadu_ps(p))
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        _mm512_storeu_ps(p, self.0)
    }
    #[inline(always)]
    unsafe fn load_index(p: *const u32) -> __m512i {
        _mm512_loadu_si512(p as *const __m512i)
    }
    #[inline(always)]
    unsafe fn load_first(p: *const f32, live: usize) -> Self {
        Avx512(_mm512_maskz_loadu_ps(bits(0, live), p))
    }
    #[inline(always)]
    unsafe fn load_index_first(p: *const u32, live: usize, fill: u32) -> __m512i {
        _mm512_mask_loadu_epi32(
            _mm512_set1_epi32(fill as i32),
            bits(0, live),
            p as *const i32,
        )
    }
    #[inline(always)]
    unsafe fn store_first(self, p: *mut f32, live: usize) {
        _mm512_mask_storeu_ps(p, bits(0, live), self.0)
    }
    #[inline(always)]
    unsafe fn store_index_first(v: __m512i, p: *mut u32, live: usize) {
        _mm512_mask_storeu_epi32(p as *mut i32, bits(0, live), v)
    }
    #[inline(always)]
    unsafe fn load_range(p: *const f32, lo: usize, hi: usize) -> Self {
        Avx512(_mm512_maskz_loadu_ps(bits(lo, hi), p))
    }
    #[inline(always)]
    fn split_even_odd(a: Self, b: Self) -> (Self, Self) {
        // SAFETY: a vector of this set exists, so the CPU has AVX-512F (see `Has`).
        unsafe {
            let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            let odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
            (
                Avx512(_mm512_permutex2var_ps(a.0, even, b.0)),
                Avx512(_mm512_permutex2var_ps(a.0, odd, b.0)),
            )
        }
    }
    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
        Avx512(_mm512_set1_ps(v))
    }
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        // SAFETY: a vector of this set exists, so the CPU has AVX-512F (see `Has`).
        unsafe { Avx512(_mm512_add_ps(self.0, b.0)) }
    }
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        // SAFETY: a vector of this set exists, so the CPU has AVX-512F (see `Has`).
        unsafe { Avx512(_mm512_sub_ps(self.0, b.0)) }
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        // SAFETY: a vector of this set exists, so the CPU has AVX-512F (see `Has`).
        unsafe { Avx512(_mm512_mul_ps(self.0, b.0)) }
    }
    #[inline(always)]
    unsafe fn gather_first(p: *const f32, stride: usize, live: usize) -> Self {
        let at = _mm512_mullo_epi32(Self::ramp_ints(), _mm512_set1_epi32(stride as i32));
        Avx512(_mm512_mask_i32gather_ps::<4>(
            _mm512_setzero_ps(),
            bits(0, live),
            at,
            p,
        ))
    }
    #[inline(always)]
    unsafe fn scatter(self, p: *mut f32, stride: usize) {
        let at = _mm512_mullo_epi32(Self::ramp_ints(), _mm512_set1_epi32(stride as i32));
        _mm512_i32scatter_ps::<4>(p, at, self.0)
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: a vector of this set exists, so the CPU has AVX-512F (see `Has`).
        unsafe { Avx512(_mm512_fmadd_ps(self.0, b.0, c.0)) }
    }
    #[inline(always)]
    fn gt(self, b: Self) -> __mmask16 {
        // SAFETY: a vector of this set exists, so the CPU has AVX-512F (see `Has`).
        unsafe { _mm512_cmp_ps_mask::<_CMP_GT_OQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn le(self, b: Self) -> __mmask16 {
        // SAFETY: a vector of this set exists, so the CPU has AVX-512F (see `Has`).
        unsafe { _mm512_cmp_ps_mask::<_CMP_LE_OQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn select(mask: __mmask16, a: Self, b: Self) -> Self {
        // blend takes the second operand where the mask is set.
        // SAFETY: a vector of this set exists, so the CPU has AVX-512F (see `Has`).
        unsafe { Avx512(_mm512_mask_blend_ps(mask, b.0, a.0)) }
    }
    #[inline(always)]
    fn select_index(mask: __mmask16, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: a vector of this set exists, so the CPU has AVX-512F (see `Has`).
        unsafe { _mm512_mask_blend_epi32(mask, b, a) }
    }
    #[inline(always)]
    unsafe fn splat_index(v: u32) -> __m512i {
        _mm512_set1_epi32(v as i32)
    }
    #[inline(always)]
    fn add_index(a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: a vector of this set exists, so the CPU has AVX-512F (see `Has`).
        unsafe { _mm512_add_epi32(a, b) }
    }
    #[inline(always)]
    fn eq_index(a: __m512i, b: __m512i) -> __mmask16 {
        // SAFETY: a vector of this set exists, so the CPU has AVX-512F (see `Has`).
        unsafe { _mm512_cmpeq_epi32_mask(a, b) }
    }
    #[inline(always)]
    fn compact_halves(self, tw: usize) -> Self {
        // SAFETY: a vector of this set exists, so the CPU has AVX-512F (see `Has`).
        unsafe {
            // Lane i takes lane i, or i + 8 − tw once past the first row.
            let ramp = Self::ramp_ints();
            let second = _mm512_cmpge_epi32_mask(ramp, _mm512_set1_epi32(tw as i32));
            let from = _mm512_mask_add_epi32(ramp, second, ramp, _mm512_set1_epi32(8 - tw as i32));
            Avx512(_mm512_permutexvar_ps(from, self.0))
        }
    }
}

impl Avx512 {
    /// Index lanes 0, 1, …, 15.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[inline(always)]
    unsafe fn ramp_ints() -> __m512i {
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    }
}
