//! Eight lanes in AVX2 registers.

use super::{Lanes, L};
use std::arch::x86_64::*;

/// AVX2 registers. Only for code that runs inside a `#[target_feature(enable =
/// "avx2,fma")]` function on a CPU that has AVX2 and FMA: these `#[inline(always)]`
/// methods are then inlined with the intrinsics they call.
#[derive(Clone, Copy)]
pub struct Avx2(__m256);

// SAFETY: every intrinsic here is AVX, AVX2 or FMA, which `LaneSet::is_available` checks for; a
// value of the type exists only where a `Has<Avx2>` was made (see `Has`). Loads and
// stores touch exactly the lanes they say.
unsafe impl Lanes for Avx2 {
    const LANES: usize = L;
    type Index = __m256i;
    type Mask = Self;
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        Avx2(_mm256_loadu_ps(p))
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        _mm256_storeu_ps(p, self.0)
    }
    #[inline(always)]
    unsafe fn load_index(p: *const u32) -> __m256i {
        _mm256_loadu_si256(p as *const __m256i)
    }
    #[inline(always)]
    unsafe fn load_first(p: *const f32, live: usize) -> Self {
        Avx2(_mm256_maskload_ps(p, first_lanes(live)))
    }
    #[inline(always)]
    unsafe fn load_index_first(p: *const u32, live: usize, fill: u32) -> __m256i {
        let mask = first_lanes(live);
        let loaded = _mm256_maskload_epi32(p as *const i32, mask);
        _mm256_blendv_epi8(_mm256_set1_epi32(fill as i32), loaded, mask)
    }
    #[inline(always)]
    unsafe fn store_first(self, p: *mut f32, live: usize) {
        if live >= L {
            return self.store(p);
        }
        // Through the stack, not `vmaskmovps`: AMD's cores run a masked store as a
        // microcoded sequence (in the AVX2 set's conv1 forward pass, its stores and what
        // waited on them were about 40 % of the samples).
        let mut lanes = [0.0f32; L];
        self.store(lanes.as_mut_ptr());
        std::ptr::copy_nonoverlapping(lanes.as_ptr(), p, live);
    }
    #[inline(always)]
    unsafe fn load_range(p: *const f32, lo: usize, hi: usize) -> Self {
        Avx2(_mm256_maskload_ps(p, lanes_between(lo, hi)))
    }
    #[inline(always)]
    fn split_even_odd(a: Self, b: Self) -> (Self, Self) {
        // SAFETY: a vector of this set exists, so the CPU has AVX2 and FMA (see `Has`).
        unsafe {
            // Within each 128-bit half: (a0 a2 b0 b2 | a4 a6 b4 b6); then the middle
            // 64-bit pairs swap places.
            let even = _mm256_shuffle_ps::<0b10_00_10_00>(a.0, b.0);
            let odd = _mm256_shuffle_ps::<0b11_01_11_01>(a.0, b.0);
            let order = |v: __m256| {
                _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(v)))
            };
            (Avx2(order(even)), Avx2(order(odd)))
        }
    }
    #[inline(always)]
    unsafe fn store_index_first(v: __m256i, p: *mut u32, live: usize) {
        if live >= L {
            return _mm256_storeu_si256(p as *mut __m256i, v);
        }
        // As in `store_first`.
        let mut lanes = [0u32; L];
        _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, v);
        std::ptr::copy_nonoverlapping(lanes.as_ptr(), p, live);
    }
    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
        Avx2(_mm256_set1_ps(v))
    }
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        // SAFETY: a vector of this set exists, so the CPU has AVX2 and FMA (see `Has`).
        unsafe { Avx2(_mm256_add_ps(self.0, b.0)) }
    }
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        // SAFETY: a vector of this set exists, so the CPU has AVX2 and FMA (see `Has`).
        unsafe { Avx2(_mm256_sub_ps(self.0, b.0)) }
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        // SAFETY: a vector of this set exists, so the CPU has AVX2 and FMA (see `Has`).
        unsafe { Avx2(_mm256_mul_ps(self.0, b.0)) }
    }
    #[inline(always)]
    unsafe fn gather_first(p: *const f32, stride: usize, live: usize) -> Self {
        let at = _mm256_mullo_epi32(
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            _mm256_set1_epi32(stride as i32),
        );
        let mask = _mm256_castsi256_ps(first_lanes(live));
        Avx2(_mm256_mask_i32gather_ps::<4>(
            _mm256_setzero_ps(),
            p,
            at,
            mask,
        ))
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: a vector of this set exists, so the CPU has AVX2 and FMA (see `Has`).
        unsafe { Avx2(_mm256_fmadd_ps(self.0, b.0, c.0)) }
    }
    #[inline(always)]
    fn gt(self, b: Self) -> Self {
        // SAFETY: a vector of this set exists, so the CPU has AVX2 and FMA (see `Has`).
        unsafe { Avx2(_mm256_cmp_ps::<_CMP_GT_OQ>(self.0, b.0)) }
    }
    #[inline(always)]
    fn le(self, b: Self) -> Self {
        // SAFETY: a vector of this set exists, so the CPU has AVX2 and FMA (see `Has`).
        unsafe { Avx2(_mm256_cmp_ps::<_CMP_LE_OQ>(self.0, b.0)) }
    }
    #[inline(always)]
    fn select(mask: Self, a: Self, b: Self) -> Self {
        // SAFETY: a vector of this set exists, so the CPU has AVX2 and FMA (see `Has`).
        unsafe { Avx2(_mm256_blendv_ps(b.0, a.0, mask.0)) }
    }
    #[inline(always)]
    fn select_index(mask: Self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: a vector of this set exists, so the CPU has AVX2 and FMA (see `Has`).
        unsafe {
            _mm256_castps_si256(_mm256_blendv_ps(
                _mm256_castsi256_ps(b),
                _mm256_castsi256_ps(a),
                mask.0,
            ))
        }
    }
    #[inline(always)]
    unsafe fn splat_index(v: u32) -> __m256i {
        _mm256_set1_epi32(v as i32)
    }
    #[inline(always)]
    fn add_index(a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: a vector of this set exists, so the CPU has AVX2 and FMA (see `Has`).
        unsafe { _mm256_add_epi32(a, b) }
    }
    #[inline(always)]
    fn eq_index(a: __m256i, b: __m256i) -> Self {
        // SAFETY: a vector of this set exists, so the CPU has AVX2 and FMA (see `Has`).
        unsafe { Avx2(_mm256_castsi256_ps(_mm256_cmpeq_epi32(a, b))) }
    }
}

const _: () = assert!(L == 8);

/// All bits set in lanes `lo..hi`.
///
/// # Safety
/// The CPU has AVX2.
#[inline(always)]
unsafe fn lanes_between(lo: usize, hi: usize) -> __m256i {
    {
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        let below_hi = _mm256_cmpgt_epi32(_mm256_set1_epi32(hi as i32), lanes);
        let below_lo = _mm256_cmpgt_epi32(_mm256_set1_epi32(lo as i32), lanes);
        _mm256_andnot_si256(below_lo, below_hi)
    }
}

/// All bits set in the first `live` lanes: the mask of the masked loads (here and in
/// the AVX2 product kernel's ragged blocks).
///
/// # Safety
/// The CPU has AVX2.
#[inline(always)]
pub unsafe fn first_lanes(live: usize) -> __m256i {
    {
        _mm256_cmpgt_epi32(
            _mm256_set1_epi32(live as i32),
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        )
    }
}
