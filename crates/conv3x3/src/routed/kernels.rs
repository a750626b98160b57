//! The arithmetic of the routed backward pass: an image into and out of the padded,
//! channel-last layout, and the two sums over a filter's flows.

use super::layout::{Layout, BLOCK_VECTORS, TAPS};
use crate::lanes::{Has, Lanes};

/// One image `(ci, h, w)` into the inside of the padded, channel-last `xp`: a cell's
/// channels gathered a vector at a time, stored contiguously.
/// `_has` is the proof that the CPU runs the lane set, which its loads and stores
/// need (they are the only vector operations here; see `Has`).
#[inline(always)]
pub(super) fn to_channels_last<V: Lanes>(_has: Has<V>, x: &[f32], l: &Layout, xp: &mut [f32]) {
    let (s, channels, hw) = (&l.s, l.channels(), l.s.h * l.s.w);
    assert!(x.len() == s.ci * hw && xp.len() >= l.image_len());
    for y in 0..s.h {
        for xx in 0..s.w {
            let cell = ((y + 1) * l.row + xx + 1) * channels;
            for c in (0..s.ci).step_by(V::LANES) {
                let live = (s.ci - c).min(V::LANES);
                // SAFETY: the lanes read are channels `c..c + live` (< ci) of this
                // place; the vector written is inside the cell's channel blocks, whose
                // lanes past `ci` get zeros.
                unsafe {
                    V::gather_first(x.as_ptr().add(c * hw + y * s.w + xx), hw, live)
                        .store(xp.as_mut_ptr().add(cell + c))
                };
            }
        }
    }
}

/// Adds the inside of the padded, channel-last `dxp` onto one image `(ci, h, w)`: a row
/// of a channel gathered a vector at a time.
/// `_has` is the proof that the CPU runs the lane set, which its loads and stores
/// need (they are the only vector operations here; see `Has`).
#[inline(always)]
pub(super) fn add_channels_first<V: Lanes>(_has: Has<V>, dxp: &[f32], l: &Layout, dx: &mut [f32]) {
    let (s, channels) = (&l.s, l.channels());
    assert!(dx.len() == s.ci * s.h * s.w && dxp.len() >= l.image_len());
    for (c, plane) in dx.chunks_exact_mut(s.h * s.w).enumerate() {
        for (y, line) in plane.chunks_exact_mut(s.w).enumerate() {
            let first = ((y + 1) * l.row + 1) * channels + c;
            for xx in (0..s.w).step_by(V::LANES) {
                let live = (s.w - xx).min(V::LANES);
                // SAFETY: lanes `xx..xx + live` of the row, read from cells inside the
                // padded image and added onto places inside the line.
                unsafe {
                    let from = dxp.as_ptr().add(first + xx * channels);
                    let to = line.as_mut_ptr().add(xx);
                    let sum = V::load_first(to, live).add(V::gather_first(from, channels, live));
                    sum.store_first(to, live);
                }
            }
        }
    }
}

/// Taps whose vectors are held in registers at once: all nine with 16 lanes (AVX-512's
/// 32 registers hold their 18 vectors), three with 8 (AVX2 and SSE have 16 registers; with
/// all nine, half the sums or taps went to the stack and back at every flow).
#[inline(always)]
fn taps_at_once<V: Lanes>() -> usize {
    if V::LANES >= 16 {
        TAPS
    } else {
        3
    }
}

/// `sums[tap][channel] += Σ g · xp[window + tap][channel]` over one filter's flows, for
/// one channel block; the sums stay in registers, [`taps_at_once`] taps per pass over
/// the flows.
///
/// # Safety
/// Every flow's `window + taps[k] + block` elements from `xp` are readable.
#[inline(always)]
pub(super) unsafe fn add_filter_gradient<V: Lanes>(
    has: Has<V>,
    taps: &[usize; TAPS],
    xp: *const f32,
    flows: (&[f32], &[u32]),
    sums: &mut [f32],
) {
    if taps_at_once::<V>() == TAPS {
        filter_gradient_taps::<_, TAPS>(has, &taps[..], xp, flows, sums);
    } else {
        for first in (0..TAPS).step_by(3) {
            let sums = &mut sums[first * BLOCK_VECTORS * V::LANES..];
            filter_gradient_taps::<_, 3>(has, &taps[first..], xp, flows, sums);
        }
    }
}

/// [`add_filter_gradient`] for the `G` taps at `taps[..G]`, whose sums start at `sums`.
///
/// # Safety
/// As [`add_filter_gradient`], for these taps.
#[inline(always)]
unsafe fn filter_gradient_taps<V: Lanes, const G: usize>(
    has: Has<V>,
    taps: &[usize],
    xp: *const f32,
    (gradients, windows): (&[f32], &[u32]),
    sums: &mut [f32],
) {
    let taps: [usize; G] = std::array::from_fn(|k| taps[k]);
    let mut acc = [[has.zero(); BLOCK_VECTORS]; G];
    for (&g, &window) in gradients.iter().zip(windows) {
        let g = has.splat(g);
        let at = xp.add(window as usize);
        for (k, acc) in acc.iter_mut().enumerate() {
            for (v, acc) in acc.iter_mut().enumerate() {
                *acc = g.mul_add(V::load(at.add(taps[k] + v * V::LANES)), *acc);
            }
        }
    }
    for (k, acc) in acc.iter().enumerate() {
        for (v, acc) in acc.iter().enumerate() {
            let sum = &mut sums[(k * BLOCK_VECTORS + v) * V::LANES..][..V::LANES];
            V::load(sum.as_ptr()).add(*acc).store(sum.as_mut_ptr());
        }
    }
}

/// `dxp[window + tap][channel] += g · filter[tap][channel]` over one filter's flows, for
/// one channel block; the filter's taps stay in registers, [`taps_at_once`] per pass
/// over the flows.
///
/// # Safety
/// Every flow's `window + taps[k] + block` elements from `dxp` are writable.
#[inline(always)]
pub(super) unsafe fn add_input_gradient<V: Lanes>(
    has: Has<V>,
    taps: &[usize; TAPS],
    filter: &[f32],
    flows: (&[f32], &[u32]),
    dxp: *mut f32,
) {
    assert!(filter.len() >= TAPS * BLOCK_VECTORS * V::LANES);
    if taps_at_once::<V>() == TAPS {
        input_gradient_taps::<_, TAPS>(has, &taps[..], filter, flows, dxp);
    } else {
        for first in (0..TAPS).step_by(3) {
            let filter = &filter[first * BLOCK_VECTORS * V::LANES..];
            input_gradient_taps::<_, 3>(has, &taps[first..], filter, flows, dxp);
        }
    }
}

/// [`add_input_gradient`] for the `G` taps at `taps[..G]`, whose weights start at
/// `filter`.
///
/// # Safety
/// As [`add_input_gradient`], for these taps.
#[inline(always)]
unsafe fn input_gradient_taps<V: Lanes, const G: usize>(
    has: Has<V>,
    taps: &[usize],
    filter: &[f32],
    (gradients, windows): (&[f32], &[u32]),
    dxp: *mut f32,
) {
    let taps: [usize; G] = std::array::from_fn(|k| taps[k]);
    assert!(filter.len() >= G * BLOCK_VECTORS * V::LANES);
    let w: [[V; BLOCK_VECTORS]; G] = std::array::from_fn(|k| {
        std::array::from_fn(|v| V::load(filter[(k * BLOCK_VECTORS + v) * V::LANES..].as_ptr()))
    });
    for (&g, &window) in gradients.iter().zip(windows) {
        let g = has.splat(g);
        let at = dxp.add(window as usize);
        for (k, w) in w.iter().enumerate() {
            for (v, w) in w.iter().enumerate() {
                let p = at.add(taps[k] + v * V::LANES);
                g.mul_add(*w, V::load(p)).store(p);
            }
        }
    }
}
