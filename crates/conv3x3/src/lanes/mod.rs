//! Eight `f32` (or `u32`) lanes, for the Winograd transforms: written once against
//! [`Lanes`], compiled with AVX2 intrinsics where the CPU has them ([`Avx2`]) and as plain
//! arrays elsewhere ([`Portable`]).
//!
//! Why not only arrays: the compiler vectorised the arithmetic of the array version but
//! kept the pooling's compare-and-select lane by lane, which made the output transform
//! several times slower than the matrix products it follows.

/// Lanes per vector.
pub const L: usize = 8;

use std::marker::PhantomData;

/// Proof that this CPU runs the instructions of the lane set `V`: made where feature
/// detection passed (`with_lanes!` and the routed pass make it right after asserting
/// [`crate::LaneSet::is_available`]), or for free for [`Portable`].
///
/// Why: the methods of an instruction set's vectors ([`Avx2`], [`Avx512`]) are safe to
/// call, but run AVX2 or AVX-512 instructions, which on a CPU without them is undefined
/// behaviour. So a vector can only be made from nothing through a `Has` (its
/// `splat`, `zero` and `splat_index`) or by an `unsafe` load whose contract includes the
/// CPU: every vector (and index vector) that exists proves that a check passed, and a
/// safe method, which needs one, can only run where the instructions exist.
#[derive(Debug)]
pub struct Has<V>(PhantomData<V>);

impl<V> Clone for Has<V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<V> Copy for Has<V> {}

impl<V: Lanes> Has<V> {
    /// The proof, without a check. Only the x86-64 instruction sets need one: elsewhere
    /// every set is [`Portable`].
    ///
    /// # Safety
    /// The CPU has `V`'s instruction set (a [`crate::LaneSet`] that
    /// [`is_available`](crate::LaneSet::is_available) said so for).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub unsafe fn new_unchecked() -> Self {
        Has(PhantomData)
    }

    /// The proof again, from a vector: one exists, so a proof was made (see [`Has`]).
    #[inline(always)]
    pub fn of(_vector: &V) -> Self {
        Has(PhantomData)
    }

    /// Every lane `v`.
    #[inline(always)]
    pub fn splat(self, v: f32) -> V {
        // SAFETY: `self` proves the CPU has V's instruction set.
        unsafe { V::splat(v) }
    }

    /// Every lane zero.
    #[inline(always)]
    pub fn zero(self) -> V {
        self.splat(0.0)
    }

    /// Every index lane `v`.
    #[inline(always)]
    pub fn splat_index(self, v: u32) -> V::Index {
        // SAFETY: `self` proves the CPU has V's instruction set.
        unsafe { V::splat_index(v) }
    }
}

impl Has<Portable> {
    /// Plain arrays run on every CPU.
    pub const PORTABLE: Self = Has(PhantomData);
}

/// A vector of [`Lanes::LANES`] `f32` lanes with an index vector of as many `u32`
/// lanes, and a mask type that comparisons give and selects take.
///
/// Its safe methods take a vector (or an index vector), whose existence proves that the
/// CPU has the instruction set (see [`Has`]); the methods that make one from nothing
/// are `unsafe`, and reached through [`Has`].
///
/// # Safety
/// An implementation's `load*`/`store*` touch exactly the elements they say, and its
/// methods run only instructions of the set its [`crate::LaneSet`] checks for.
pub unsafe trait Lanes: Copy {
    const LANES: usize;
    type Index: Copy;
    type Mask: Copy;
    /// Loads `LANES` elements.
    ///
    /// # Safety
    /// For this and every `load*`, `store*`, `gather*` and `scatter` below: the elements
    /// touched are in bounds of one allocation, and the CPU has the instruction set.
    unsafe fn load(p: *const f32) -> Self;
    /// Stores `LANES` elements.
    ///
    /// # Safety
    /// As [`Lanes::load`].
    unsafe fn store(self, p: *mut f32);
    /// Loads `LANES` index elements.
    ///
    /// # Safety
    /// As [`Lanes::load`].
    unsafe fn load_index(p: *const u32) -> Self::Index;
    /// Loads the first `live` (≤ [`L`]) lanes; the rest are zero. Touches only those.
    ///
    /// # Safety
    /// As [`Lanes::load`].
    unsafe fn load_first(p: *const f32, live: usize) -> Self;
    /// Loads the first `live` index lanes; the rest are `fill`.
    ///
    /// # Safety
    /// As [`Lanes::load`].
    unsafe fn load_index_first(p: *const u32, live: usize, fill: u32) -> Self::Index;
    /// Loads lanes `lo..hi` from `p + lane`; the others are zero and not touched (so `p`
    /// itself may point before the data).
    ///
    /// # Safety
    /// As [`Lanes::load`].
    unsafe fn load_range(p: *const f32, lo: usize, hi: usize) -> Self;
    /// The even and the odd elements of the `2·LANES` values `a ++ b`.
    fn split_even_odd(a: Self, b: Self) -> (Self, Self);
    /// Stores the first `live` lanes. Touches only those.
    ///
    /// # Safety
    /// As [`Lanes::load`].
    unsafe fn store_first(self, p: *mut f32, live: usize);
    /// Stores the first `live` index lanes. Touches only those.
    ///
    /// # Safety
    /// As [`Lanes::load`].
    unsafe fn store_index_first(v: Self::Index, p: *mut u32, live: usize);
    /// Every lane `v`.
    ///
    /// # Safety
    /// The CPU has the instruction set: call it through [`Has::splat`].
    unsafe fn splat(v: f32) -> Self;
    fn add(self, b: Self) -> Self;
    fn sub(self, b: Self) -> Self;
    fn mul(self, b: Self) -> Self;
    /// Loads lanes `i < live` (≤ [`Lanes::LANES`]) from `p + i·stride`, the rest zero;
    /// touches only those. A gather instruction where the set has one.
    ///
    /// # Safety
    /// As [`Lanes::load`].
    #[inline(always)]
    unsafe fn gather_first(p: *const f32, stride: usize, live: usize) -> Self {
        let mut a = [0.0f32; 16];
        debug_assert!(Self::LANES <= a.len());
        for (i, v) in a.iter_mut().enumerate().take(live.min(Self::LANES)) {
            *v = *p.add(i * stride);
        }
        Self::load(a.as_ptr())
    }
    /// Stores lane `i` at `p + i·stride`. A scatter instruction where the set has one.
    ///
    /// # Safety
    /// As [`Lanes::load`].
    #[inline(always)]
    unsafe fn scatter(self, p: *mut f32, stride: usize) {
        let mut a = [0.0f32; 16];
        debug_assert!(Self::LANES <= a.len());
        self.store(a.as_mut_ptr());
        for (i, v) in a.iter().enumerate().take(Self::LANES) {
            *p.add(i * stride) = *v;
        }
    }
    /// `self · b + c`: one fused rounding where the set has the instruction (AVX-512,
    /// AVX2 with FMA, plain arrays on a target whose baseline has it), else a product
    /// and a sum.
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        self.mul(b).add(c)
    }
    /// Lanes where `self > b`.
    fn gt(self, b: Self) -> Self::Mask;
    /// Lanes where `self <= b`.
    fn le(self, b: Self) -> Self::Mask;
    /// `mask ? a : b`, lane by lane.
    fn select(mask: Self::Mask, a: Self, b: Self) -> Self;
    /// The larger of `self` and `b`, lane by lane (`b` where neither is larger).
    #[inline(always)]
    fn max(self, b: Self) -> Self {
        Self::select(self.gt(b), self, b)
    }
    fn select_index(mask: Self::Mask, a: Self::Index, b: Self::Index) -> Self::Index;
    /// Every index lane `v`.
    ///
    /// # Safety
    /// The CPU has the instruction set: call it through [`Has::splat_index`].
    unsafe fn splat_index(v: u32) -> Self::Index;
    fn add_index(a: Self::Index, b: Self::Index) -> Self::Index;
    /// Lanes where `a == b`.
    fn eq_index(a: Self::Index, b: Self::Index) -> Self::Mask;

    #[inline(always)]
    fn neg(self) -> Self {
        Has::of(&self).zero().sub(self)
    }
    /// Lanes `0..tw` and `8..8 + tw` moved to `0..2·tw` (for 16 lanes holding two rows of
    /// at most 8). Eight lanes hold one row: nothing to move.
    #[inline(always)]
    fn compact_halves(self, _tw: usize) -> Self {
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

/// Whether every CPU of the target has a fused multiply-add: [`Portable`] then uses it.
const FUSED_BASELINE: bool = cfg!(any(target_arch = "aarch64", target_feature = "fma"));

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
        // A whole vector, the common case, as one fixed-size read: a copy of a variable
        // count is a call to memcpy (with them, 8.5 % of a portable-set training run).
        if live >= L {
            return Portable(std::ptr::read_unaligned(p.cast::<[f32; L]>()));
        }
        let mut a = [0.0; L];
        std::ptr::copy_nonoverlapping(p, a.as_mut_ptr(), live);
        Portable(a)
    }
    #[inline(always)]
    unsafe fn load_index_first(p: *const u32, live: usize, fill: u32) -> [u32; L] {
        if live >= L {
            return std::ptr::read_unaligned(p.cast::<[u32; L]>());
        }
        let mut a = [fill; L];
        std::ptr::copy_nonoverlapping(p, a.as_mut_ptr(), live);
        a
    }
    #[inline(always)]
    unsafe fn store_first(self, p: *mut f32, live: usize) {
        if live >= L {
            std::ptr::write_unaligned(p.cast::<[f32; L]>(), self.0);
        } else {
            std::ptr::copy_nonoverlapping(self.0.as_ptr(), p, live);
        }
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
    fn split_even_odd(a: Self, b: Self) -> (Self, Self) {
        let at = |i: usize| if i < L { a.0[i] } else { b.0[i - L] };
        (
            Portable(std::array::from_fn(|i| at(2 * i))),
            Portable(std::array::from_fn(|i| at(2 * i + 1))),
        )
    }
    #[inline(always)]
    unsafe fn store_index_first(v: [u32; L], p: *mut u32, live: usize) {
        if live >= L {
            std::ptr::write_unaligned(p.cast::<[u32; L]>(), v);
        } else {
            std::ptr::copy_nonoverlapping(v.as_ptr(), p, live);
        }
    }
    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
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
    /// Fused where the target's baseline has the instruction (every aarch64 CPU, whose
    /// NEON has it; x86-64 built with `fma`): the compiler then emits one vector FMA per
    /// register, as the AVX sets do. Elsewhere `f32::mul_add` would be a call into libm
    /// for each lane, so it stays a product and a sum.
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        if FUSED_BASELINE {
            Portable(std::array::from_fn(|i| self.0[i].mul_add(b.0[i], c.0[i])))
        } else {
            self.mul(b).add(c)
        }
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
    unsafe fn splat_index(v: u32) -> [u32; L] {
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
}

/// Generates `$name(lanes, …)`, which runs `$body_fn::<N, W>` with the lane set asked
/// for: `N` (eight lanes) for the row-by-row input side, `W` for the output side, which
/// runs over whole images' tiles: AVX-512 (16 lanes), AVX2 (8) or plain arrays. The body
/// takes the proofs `(Has<N>, Has<W>)` first: this is where they are made, after the
/// CPU check.
macro_rules! with_lanes {
    ($(#[$m:meta])* fn $name:ident => $body_fn:ident ($($arg:ident : $ty:ty),* $(,)?)) => {
        $crate::lanes::with_lanes!($(#[$m])* fn $name<> => $body_fn($($arg: $ty),*));
    };
    ($(#[$m:meta])* fn $name:ident<$($gen:ident : $bound:path),*> => $body_fn:ident ($($arg:ident : $ty:ty),* $(,)?)) => {
        $(#[$m])*
        pub(super) fn $name<$($gen: $bound),*>(lanes: $crate::lane_set::LaneSet, $($arg: $ty),*) {
            use $crate::lanes::Has;
            // One cached feature test per call (a call covers a group of images), so that
            // a set this CPU lacks can never reach the intrinsics below.
            assert!(lanes.is_available(), "this CPU cannot run {}", lanes.label());
            #[cfg(target_arch = "x86_64")]
            {
                use $crate::lanes::{Avx2, Avx512};
                /// # Safety
                /// The CPU has AVX-512F, AVX2 and FMA.
                #[target_feature(enable = "avx2,fma,avx512f")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx512<$($gen: $bound),*>($($arg: $ty),*) {
                    // SAFETY: the caller's contract: the CPU has both sets.
                    let has = unsafe { (Has::<Avx2>::new_unchecked(), Has::<Avx512>::new_unchecked()) };
                    $body_fn::<Avx2, Avx512 $(, $gen)*>(has, $($arg),*)
                }
                /// # Safety
                /// The CPU has AVX2 and FMA.
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx2<$($gen: $bound),*>($($arg: $ty),*) {
                    // SAFETY: the caller's contract: the CPU has AVX2 and FMA.
                    let has = unsafe { (Has::<Avx2>::new_unchecked(), Has::<Avx2>::new_unchecked()) };
                    $body_fn::<Avx2, Avx2 $(, $gen)*>(has, $($arg),*)
                }
                match lanes {
                    // SAFETY: the CPU has AVX-512F, AVX2 and FMA (asserted above).
                    $crate::lane_set::LaneSet::Avx512 => return unsafe { avx512::<$($gen),*>($($arg),*) },
                    // SAFETY: the CPU has AVX2 and FMA (asserted above).
                    $crate::lane_set::LaneSet::Avx2 => return unsafe { avx2::<$($gen),*>($($arg),*) },
                    $crate::lane_set::LaneSet::Portable => {}
                }
            }
            let has = (Has::PORTABLE, Has::PORTABLE);
            $body_fn::<$crate::lanes::Portable, $crate::lanes::Portable $(, $gen)*>(has, $($arg),*)
        }
    };
}
pub(crate) use with_lanes;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "x86_64")]
pub use avx2::{first_lanes, Avx2};
#[cfg(target_arch = "x86_64")]
pub use avx512::Avx512;
