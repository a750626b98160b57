//! Eight `f32` (or `u32`) lanes, for the Winograd transforms: written once against
//! [`Lanes`], compiled with AVX2 intrinsics where the CPU has them ([`Avx2`]) and as plain
//! arrays elsewhere ([`Portable`]).
//!
//! Why not only arrays: the compiler vectorised the arithmetic of the array version but
//! kept the pooling's compare-and-select lane by lane, which made the output transform
//! several times slower than the matrix products it follows.

/// Lanes per vector.
pub const L: usize = 8;

/// A vector of [`Lanes::LANES`] `f32` lanes with an index vector of as many `u32`
/// lanes, and a mask type that comparisons give and selects take.
///
/// # Safety
/// `load`/`store` read and write `LANES` elements at the pointer; callers keep them in
/// bounds. Implementations may only be used on a CPU that has their instruction set.
pub unsafe trait Lanes: Copy {
    const LANES: usize;
    type Index: Copy;
    type Mask: Copy;
    unsafe fn load(p: *const f32) -> Self;
    unsafe fn store(self, p: *mut f32);
    unsafe fn load_index(p: *const u32) -> Self::Index;
    /// Loads the first `live` (≤ [`L`]) lanes; the rest are zero. Touches only those.
    unsafe fn load_first(p: *const f32, live: usize) -> Self;
    /// Loads the first `live` index lanes; the rest are `fill`.
    unsafe fn load_index_first(p: *const u32, live: usize, fill: u32) -> Self::Index;
    /// Loads lanes `lo..hi` from `p + lane`; the others are zero and not touched (so `p`
    /// itself may point before the data).
    unsafe fn load_range(p: *const f32, lo: usize, hi: usize) -> Self;
    /// Stores lanes `lo..hi` at `p + lane`, touching only those.
    unsafe fn store_range(self, p: *mut f32, lo: usize, hi: usize);
    /// The even and the odd elements of the `2·LANES` values `a ++ b`.
    fn split_even_odd(a: Self, b: Self) -> (Self, Self);
    /// The adjoint of [`Lanes::split_even_odd`]: interleaves `even` and `odd` into
    /// `2·LANES` values.
    fn interleave(even: Self, odd: Self) -> (Self, Self);
    /// Stores the first `live` lanes. Touches only those.
    unsafe fn store_first(self, p: *mut f32, live: usize);
    unsafe fn store_index_first(v: Self::Index, p: *mut u32, live: usize);
    fn splat(v: f32) -> Self;
    fn add(self, b: Self) -> Self;
    fn sub(self, b: Self) -> Self;
    fn mul(self, b: Self) -> Self;
    /// Lanes where `self > b`.
    fn gt(self, b: Self) -> Self::Mask;
    /// Lanes where `self <= b`.
    fn le(self, b: Self) -> Self::Mask;
    /// `mask ? a : b`, lane by lane.
    fn select(mask: Self::Mask, a: Self, b: Self) -> Self;
    fn select_index(mask: Self::Mask, a: Self::Index, b: Self::Index) -> Self::Index;
    fn splat_index(v: u32) -> Self::Index;
    fn add_index(a: Self::Index, b: Self::Index) -> Self::Index;
    /// Lanes where `a == b`.
    fn eq_index(a: Self::Index, b: Self::Index) -> Self::Mask;

    #[inline(always)]
    fn zero() -> Self {
        Self::splat(0.0)
    }
    #[inline(always)]
    fn neg(self) -> Self {
        Self::zero().sub(self)
    }
    /// The first `live` lanes of `self`, zeros after.
    #[inline(always)]
    fn keep_first(self, live: usize) -> Self {
        let mask = Self::gt(Self::splat(live as f32), Self::ramp_float());
        Self::select(mask, self, Self::zero())
    }
    /// `(0, 1, 2, …)` as floats.
    fn ramp_float() -> Self;

    /// Lanes `0..tw` and `8..8 + tw` moved to `0..2·tw` (for 16 lanes holding two rows of
    /// at most 8). Eight lanes hold one row: nothing to move.
    #[inline(always)]
    fn compact_halves(self, _tw: usize) -> Self {
        self
    }

    /// The inverse of [`Lanes::compact_halves`]: lanes `0..tw` stay, `tw..2·tw` move to
    /// `8..8 + tw`, and every other lane is zero.
    #[inline(always)]
    fn expand_halves(self, _tw: usize) -> Self {
        self
    }

    /// The sum of the lanes, in lane order.
    #[inline(always)]
    fn sum(self) -> f32 {
        let mut a = [0.0f32; 16];
        debug_assert!(Self::LANES <= a.len());
        // SAFETY: the array holds at least LANES lanes.
        unsafe { self.store(a.as_mut_ptr()) };
        a[..Self::LANES].iter().sum()
    }
}

/// Plain arrays: any CPU.
#[derive(Debug, Clone, Copy)]
pub struct Portable([f32; L]);

fn bits(b: bool) -> f32 {
    f32::from_bits(if b { u32::MAX } else { 0 })
}

// SAFETY: plain Rust; loads and stores touch exactly L elements.
unsafe impl Lanes for Portable {
    const LANES: usize = L;
    type Index = [u32; L];
    type Mask = Self;
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        Portable(std::ptr::read_unaligned(p as *const [f32; L]))
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        std::ptr::write_unaligned(p as *mut [f32; L], self.0)
    }
    #[inline(always)]
    unsafe fn load_index(p: *const u32) -> [u32; L] {
        std::ptr::read_unaligned(p as *const [u32; L])
    }
    #[inline(always)]
    unsafe fn load_first(p: *const f32, live: usize) -> Self {
        let mut a = [0.0; L];
        std::ptr::copy_nonoverlapping(p, a.as_mut_ptr(), live.min(L));
        Portable(a)
    }
    #[inline(always)]
    unsafe fn load_index_first(p: *const u32, live: usize, fill: u32) -> [u32; L] {
        let mut a = [fill; L];
        std::ptr::copy_nonoverlapping(p, a.as_mut_ptr(), live.min(L));
        a
    }
    #[inline(always)]
    unsafe fn store_first(self, p: *mut f32, live: usize) {
        std::ptr::copy_nonoverlapping(self.0.as_ptr(), p, live.min(L));
    }
    #[inline(always)]
    unsafe fn load_range(p: *const f32, lo: usize, hi: usize) -> Self {
        let mut a = [0.0; L];
        for (i, v) in a.iter_mut().enumerate().take(hi.min(L)).skip(lo) {
            *v = *p.wrapping_add(i);
        }
        Portable(a)
    }
    #[inline(always)]
    unsafe fn store_range(self, p: *mut f32, lo: usize, hi: usize) {
        for i in lo..hi.min(L) {
            *p.wrapping_add(i) = self.0[i];
        }
    }
    #[inline(always)]
    fn split_even_odd(a: Self, b: Self) -> (Self, Self) {
        let at = |i: usize| if i < L { a.0[i] } else { b.0[i - L] };
        (
            Portable(std::array::from_fn(|i| at(2 * i))),
            Portable(std::array::from_fn(|i| at(2 * i + 1))),
        )
    }
    #[inline(always)]
    fn interleave(even: Self, odd: Self) -> (Self, Self) {
        let at = |i: usize| {
            if i.is_multiple_of(2) {
                even.0[i / 2]
            } else {
                odd.0[i / 2]
            }
        };
        (
            Portable(std::array::from_fn(at)),
            Portable(std::array::from_fn(|i| at(i + L))),
        )
    }
    #[inline(always)]
    unsafe fn store_index_first(v: [u32; L], p: *mut u32, live: usize) {
        std::ptr::copy_nonoverlapping(v.as_ptr(), p, live.min(L));
    }
    #[inline(always)]
    fn splat(v: f32) -> Self {
        Portable([v; L])
    }
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        Portable(std::array::from_fn(|i| self.0[i] + b.0[i]))
    }
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        Portable(std::array::from_fn(|i| self.0[i] - b.0[i]))
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        Portable(std::array::from_fn(|i| self.0[i] * b.0[i]))
    }
    #[inline(always)]
    fn gt(self, b: Self) -> Self {
        Portable(std::array::from_fn(|i| bits(self.0[i] > b.0[i])))
    }
    #[inline(always)]
    fn le(self, b: Self) -> Self {
        Portable(std::array::from_fn(|i| bits(self.0[i] <= b.0[i])))
    }
    #[inline(always)]
    fn select(mask: Self, a: Self, b: Self) -> Self {
        Portable(std::array::from_fn(|i| {
            if mask.0[i].to_bits() != 0 {
                a.0[i]
            } else {
                b.0[i]
            }
        }))
    }
    #[inline(always)]
    fn select_index(mask: Self, a: [u32; L], b: [u32; L]) -> [u32; L] {
        std::array::from_fn(|i| if mask.0[i].to_bits() != 0 { a[i] } else { b[i] })
    }
    #[inline(always)]
    fn splat_index(v: u32) -> [u32; L] {
        [v; L]
    }
    #[inline(always)]
    fn add_index(a: [u32; L], b: [u32; L]) -> [u32; L] {
        std::array::from_fn(|i| a[i].wrapping_add(b[i]))
    }
    #[inline(always)]
    fn eq_index(a: [u32; L], b: [u32; L]) -> Self {
        Portable(std::array::from_fn(|i| bits(a[i] == b[i])))
    }
    #[inline(always)]
    fn ramp_float() -> Self {
        Portable(std::array::from_fn(|i| i as f32))
    }
}

#[cfg(target_arch = "x86_64")]
pub use avx2::Avx2;
#[cfg(target_arch = "x86_64")]
pub use avx512::Avx512;

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Lanes, L};
    use std::arch::x86_64::*;

    /// AVX2 registers. Only for code that runs inside a `#[target_feature(enable =
    /// "avx2")]` function on a CPU that has AVX2: these `#[inline(always)]` methods are
    /// then inlined with the intrinsics they call.
    #[derive(Clone, Copy)]
    pub struct Avx2(__m256);

    // SAFETY: every intrinsic here is AVX or AVX2; the trait's contract says the type is
    // only used where the CPU has them. Loads and stores touch exactly L elements.
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
            _mm256_maskstore_ps(p, first_lanes(live), self.0)
        }
        #[inline(always)]
        unsafe fn load_range(p: *const f32, lo: usize, hi: usize) -> Self {
            Avx2(_mm256_maskload_ps(p, lanes_between(lo, hi)))
        }
        #[inline(always)]
        unsafe fn store_range(self, p: *mut f32, lo: usize, hi: usize) {
            _mm256_maskstore_ps(p, lanes_between(lo, hi), self.0)
        }
        #[inline(always)]
        fn split_even_odd(a: Self, b: Self) -> (Self, Self) {
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
        fn interleave(even: Self, odd: Self) -> (Self, Self) {
            unsafe {
                let lo = _mm256_unpacklo_ps(even.0, odd.0);
                let hi = _mm256_unpackhi_ps(even.0, odd.0);
                (
                    Avx2(_mm256_permute2f128_ps::<0x20>(lo, hi)),
                    Avx2(_mm256_permute2f128_ps::<0x31>(lo, hi)),
                )
            }
        }
        #[inline(always)]
        unsafe fn store_index_first(v: __m256i, p: *mut u32, live: usize) {
            _mm256_maskstore_epi32(p as *mut i32, first_lanes(live), v)
        }
        #[inline(always)]
        fn splat(v: f32) -> Self {
            unsafe { Avx2(_mm256_set1_ps(v)) }
        }
        #[inline(always)]
        fn add(self, b: Self) -> Self {
            unsafe { Avx2(_mm256_add_ps(self.0, b.0)) }
        }
        #[inline(always)]
        fn sub(self, b: Self) -> Self {
            unsafe { Avx2(_mm256_sub_ps(self.0, b.0)) }
        }
        #[inline(always)]
        fn mul(self, b: Self) -> Self {
            unsafe { Avx2(_mm256_mul_ps(self.0, b.0)) }
        }
        #[inline(always)]
        fn gt(self, b: Self) -> Self {
            unsafe { Avx2(_mm256_cmp_ps::<_CMP_GT_OQ>(self.0, b.0)) }
        }
        #[inline(always)]
        fn le(self, b: Self) -> Self {
            unsafe { Avx2(_mm256_cmp_ps::<_CMP_LE_OQ>(self.0, b.0)) }
        }
        #[inline(always)]
        fn select(mask: Self, a: Self, b: Self) -> Self {
            unsafe { Avx2(_mm256_blendv_ps(b.0, a.0, mask.0)) }
        }
        #[inline(always)]
        fn select_index(mask: Self, a: __m256i, b: __m256i) -> __m256i {
            unsafe {
                _mm256_castps_si256(_mm256_blendv_ps(
                    _mm256_castsi256_ps(b),
                    _mm256_castsi256_ps(a),
                    mask.0,
                ))
            }
        }
        #[inline(always)]
        fn splat_index(v: u32) -> __m256i {
            unsafe { _mm256_set1_epi32(v as i32) }
        }
        #[inline(always)]
        fn add_index(a: __m256i, b: __m256i) -> __m256i {
            unsafe { _mm256_add_epi32(a, b) }
        }
        #[inline(always)]
        fn eq_index(a: __m256i, b: __m256i) -> Self {
            unsafe { Avx2(_mm256_castsi256_ps(_mm256_cmpeq_epi32(a, b))) }
        }
        #[inline(always)]
        fn ramp_float() -> Self {
            unsafe { Avx2(_mm256_setr_ps(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0)) }
        }
    }

    const _: () = assert!(L == 8);

    /// All bits set in lanes `lo..hi`.
    #[inline(always)]
    fn lanes_between(lo: usize, hi: usize) -> __m256i {
        unsafe {
            let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            let below_hi = _mm256_cmpgt_epi32(_mm256_set1_epi32(hi as i32), lanes);
            let below_lo = _mm256_cmpgt_epi32(_mm256_set1_epi32(lo as i32), lanes);
            _mm256_andnot_si256(below_lo, below_hi)
        }
    }

    /// All bits set in the first `live` lanes: the mask of the masked loads and stores.
    #[inline(always)]
    fn first_lanes(live: usize) -> __m256i {
        unsafe {
            _mm256_cmpgt_epi32(
                _mm256_set1_epi32(live as i32),
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            )
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
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

    // SAFETY: every intrinsic here is AVX-512F; the trait's contract says the type is only
    // used where the CPU has it. Loads and stores touch exactly the lanes they say.
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
        unsafe fn store_range(self, p: *mut f32, lo: usize, hi: usize) {
            _mm512_mask_storeu_ps(p, bits(lo, hi), self.0)
        }
        #[inline(always)]
        fn split_even_odd(a: Self, b: Self) -> (Self, Self) {
            unsafe {
                let even =
                    _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
                let odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
                (
                    Avx512(_mm512_permutex2var_ps(a.0, even, b.0)),
                    Avx512(_mm512_permutex2var_ps(a.0, odd, b.0)),
                )
            }
        }
        #[inline(always)]
        fn interleave(even: Self, odd: Self) -> (Self, Self) {
            unsafe {
                let lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
                let hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
                (
                    Avx512(_mm512_permutex2var_ps(even.0, lo, odd.0)),
                    Avx512(_mm512_permutex2var_ps(even.0, hi, odd.0)),
                )
            }
        }
        #[inline(always)]
        fn splat(v: f32) -> Self {
            unsafe { Avx512(_mm512_set1_ps(v)) }
        }
        #[inline(always)]
        fn add(self, b: Self) -> Self {
            unsafe { Avx512(_mm512_add_ps(self.0, b.0)) }
        }
        #[inline(always)]
        fn sub(self, b: Self) -> Self {
            unsafe { Avx512(_mm512_sub_ps(self.0, b.0)) }
        }
        #[inline(always)]
        fn mul(self, b: Self) -> Self {
            unsafe { Avx512(_mm512_mul_ps(self.0, b.0)) }
        }
        #[inline(always)]
        fn gt(self, b: Self) -> __mmask16 {
            unsafe { _mm512_cmp_ps_mask::<_CMP_GT_OQ>(self.0, b.0) }
        }
        #[inline(always)]
        fn le(self, b: Self) -> __mmask16 {
            unsafe { _mm512_cmp_ps_mask::<_CMP_LE_OQ>(self.0, b.0) }
        }
        #[inline(always)]
        fn select(mask: __mmask16, a: Self, b: Self) -> Self {
            // blend takes the second operand where the mask is set.
            unsafe { Avx512(_mm512_mask_blend_ps(mask, b.0, a.0)) }
        }
        #[inline(always)]
        fn select_index(mask: __mmask16, a: __m512i, b: __m512i) -> __m512i {
            unsafe { _mm512_mask_blend_epi32(mask, b, a) }
        }
        #[inline(always)]
        fn splat_index(v: u32) -> __m512i {
            unsafe { _mm512_set1_epi32(v as i32) }
        }
        #[inline(always)]
        fn add_index(a: __m512i, b: __m512i) -> __m512i {
            unsafe { _mm512_add_epi32(a, b) }
        }
        #[inline(always)]
        fn eq_index(a: __m512i, b: __m512i) -> __mmask16 {
            unsafe { _mm512_cmpeq_epi32_mask(a, b) }
        }
        #[inline(always)]
        fn ramp_float() -> Self {
            unsafe { Avx512(_mm512_cvtepi32_ps(Self::ramp_ints())) }
        }
        #[inline(always)]
        fn expand_halves(self, tw: usize) -> Self {
            unsafe {
                // Lane i takes lane i (first row) or i − 8 + tw (second row); lanes past
                // either row are zeroed by the mask.
                let ramp = Self::ramp_ints();
                let second = _mm512_cmpge_epi32_mask(ramp, _mm512_set1_epi32(8));
                let from =
                    _mm512_mask_sub_epi32(ramp, second, ramp, _mm512_set1_epi32(8 - tw as i32));
                let tw = _mm512_set1_epi32(tw as i32);
                let first_live = _mm512_cmplt_epi32_mask(ramp, tw);
                let second_live = second
                    & _mm512_cmplt_epi32_mask(_mm512_sub_epi32(ramp, _mm512_set1_epi32(8)), tw);
                Avx512(_mm512_maskz_permutexvar_ps(
                    first_live | second_live,
                    from,
                    self.0,
                ))
            }
        }
        #[inline(always)]
        fn compact_halves(self, tw: usize) -> Self {
            unsafe {
                // Lane i takes lane i, or i + 8 − tw once past the first row.
                let ramp = Self::ramp_ints();
                let second = _mm512_cmpge_epi32_mask(ramp, _mm512_set1_epi32(tw as i32));
                let from =
                    _mm512_mask_add_epi32(ramp, second, ramp, _mm512_set1_epi32(8 - tw as i32));
                Avx512(_mm512_permutexvar_ps(from, self.0))
            }
        }
    }

    impl Avx512 {
        #[inline(always)]
        fn ramp_ints() -> __m512i {
            unsafe { _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) }
        }
    }
}
