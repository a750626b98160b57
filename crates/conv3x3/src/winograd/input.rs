//! The input side: a plane split into the even and odd columns of its padded version
//! (`deinterleave`), then `V = Bᵀ d B` for every tile (`input_transform`), in a row-by-row
//! layout or, with sixteen lanes and narrow images, two tile rows per vector (`_paired`);
//! and the adjoints of each, which add the input's gradient back onto the image.

// The transforms walk 4×4 tiles by row and by column, indexing both ways on purpose.
#![allow(clippy::needless_range_loop)]

use super::geometry::Geometry;
use super::matrices::times_b;
use crate::lanes::{Has, Lanes, L};

/// Splits one `h×w` plane into the even and odd columns of its zero-padded version:
/// `even[r][k] = P[r][2k]`, `odd[r][k] = P[r][2k+1]`, where `P[r][q] = x[r-1][q-1]`.
/// `_has` is the proof that the CPU runs the lane set, which its loads and stores
/// need (they are the only vector operations here; see `Has`).
#[inline(always)]
pub(super) fn deinterleave<V: Lanes>(
    _has: Has<V>,
    plane: &[f32],
    g: &Geometry,
    even: &mut [f32],
    odd: &mut [f32],
) {
    assert!(plane.len() >= g.h * g.w && even.len() >= g.padded() && odd.len() >= g.padded());
    // Padding rows: the top one and those below the image.
    for p in [&mut *even, &mut *odd] {
        p[..g.stride].fill(0.0);
        p[(g.h + 1) * g.stride..g.padded()].fill(0.0);
    }
    let chunks = g.stride / L;
    for y in 0..g.h {
        // Padded column q holds pixel q − 1: sixteen columns at a time are loaded from
        // one element before each pair of chunks, the pixels outside the row masked off.
        let src = plane[y * g.w..].as_ptr().wrapping_sub(1);
        let row = (y + 1) * g.stride;
        for c in 0..chunks {
            let q = 2 * L * c;
            let lanes = |q: usize| ((q == 0) as usize, (g.w + 1).saturating_sub(q).min(L));
            let ((alo, ahi), (blo, bhi)) = (lanes(q), lanes(q + L));
            // SAFETY: only lanes holding pixels of row y are read; the stores end at
            // row + L·chunks < row + stride.
            unsafe {
                let a = V::load_range(src.wrapping_add(q), alo, ahi);
                let b = V::load_range(src.wrapping_add(q + L), blo, bhi);
                let (e, o) = V::split_even_odd(a, b);
                e.store(even.as_mut_ptr().add(row + L * c));
                o.store(odd.as_mut_ptr().add(row + L * c));
            }
        }
        // The last even column, 2·L·chunks, holds pixel 2·L·chunks − 1 if there is one.
        let last = 2 * L * chunks;
        even[row + L * chunks] = if last <= g.w {
            plane[y * g.w + last - 1]
        } else {
            0.0
        };
        odd[row + L * chunks] = 0.0;
    }
}

/// `V = Bᵀ d B` for every tile of one deinterleaved plane: `v[ξ·xi + at + ty·tw + tx]`.
#[inline(always)]
pub(super) fn input_transform<V: Lanes>(
    has: Has<V>,
    even: &[f32],
    odd: &[f32],
    g: &Geometry,
    v: &mut [f32],
    xi: usize,
    at: usize,
) {
    let chunks = g.tw.div_ceil(L);
    assert!(even.len() >= g.padded() && odd.len() >= g.padded());
    assert!(at + 15 * xi + g.tiles() - g.tw + chunks * L <= v.len());
    let (even, odd, v) = (even.as_ptr(), odd.as_ptr(), v.as_mut_ptr());
    for ty in 0..g.th {
        for tx in (0..g.tw).step_by(L) {
            // SAFETY: rows 2ty..2ty+4 < g.rows and columns tx..tx+L+1 <= g.stride, inside
            // the planes (asserted); the stores end before at + 15·xi + tiles − tw + L·chunks.
            unsafe {
                // t[i]: row i of the window times B.
                let mut t = [[has.zero(); 4]; 4];
                for (i, ti) in t.iter_mut().enumerate() {
                    let r = (2 * ty + i) * g.stride + tx;
                    *ti = times_b([
                        V::load(even.add(r)),
                        V::load(odd.add(r)),
                        V::load(even.add(r + 1)),
                        V::load(odd.add(r + 1)),
                    ]);
                }
                let dst = v.add(at + ty * g.tw + tx);
                for q in 0..4 {
                    let col = times_b([t[0][q], t[1][q], t[2][q], t[3][q]]);
                    for (p, val) in col.into_iter().enumerate() {
                        val.store(dst.add((4 * p + q) * xi));
                    }
                }
            }
        }
    }
}

/// [`deinterleave`] into the paired layout: rows of exactly [`L`] columns, the padded
/// plane's even rows in one block and its odd rows in the next, so that one vector of 16
/// holds padded rows `r` and `r + 2`, the same window row of two tile rows.
/// `_has` is the proof that the CPU runs the lane set, which its loads and stores
/// need (they are the only vector operations here; see `Has`).
#[inline(always)]
pub(super) fn deinterleave_paired<N: Lanes>(
    _has: Has<N>,
    plane: &[f32],
    g: &Geometry,
    even: &mut [f32],
    odd: &mut [f32],
) {
    let block = g.paired_block();
    assert!(N::LANES == L && g.w <= 2 * L - 2 && plane.len() >= g.h * g.w);
    assert!(even.len() >= 2 * block && odd.len() >= 2 * block);
    even[..2 * block].fill(0.0);
    odd[..2 * block].fill(0.0);
    for y in 0..g.h {
        // Padded row r = y + 1, column q holds pixel q − 1 (as in `deinterleave`).
        let r = y + 1;
        let at = (r % 2) * block + (r / 2) * L;
        let src = plane[y * g.w..].as_ptr().wrapping_sub(1);
        // SAFETY: only lanes holding pixels of row y are read; the stores end at
        // at + L <= 2·block.
        unsafe {
            let a = N::load_range(src, 1, (g.w + 1).min(L));
            let b = N::load_range(src.wrapping_add(L), 0, (g.w + 1).saturating_sub(L).min(L));
            let (e, o) = N::split_even_odd(a, b);
            e.store(even.as_mut_ptr().add(at));
            o.store(odd.as_mut_ptr().add(at));
        }
    }
}

/// [`input_transform`] on the paired layout, two tile rows per vector.
#[inline(always)]
pub(super) fn input_transform_paired<W: Lanes>(
    has: Has<W>,
    even: &[f32],
    odd: &[f32],
    g: &Geometry,
    v: &mut [f32],
    xi: usize,
    at: usize,
) {
    let block = g.paired_block();
    assert!(W::LANES == 2 * L && even.len() >= 2 * block && odd.len() >= 2 * block);
    assert!(at + 15 * xi + g.tiles() <= v.len());
    let (even, odd, v) = (even.as_ptr(), odd.as_ptr(), v.as_mut_ptr());
    for ty in (0..g.th).step_by(2) {
        let live = if ty + 1 < g.th { 2 * g.tw } else { g.tw };
        // SAFETY: reads end before block + (ty + 2)·L + 1 + 16 <= 2·block (asserted);
        // the stores write `live` lanes ending at at + 15·xi + (ty·tw + live) <= v.len().
        unsafe {
            let mut t = [[has.zero(); 4]; 4];
            for (i, ti) in t.iter_mut().enumerate() {
                // Window row i of tile rows ty and ty + 1: padded rows 2ty + i and + 2.
                let r = (i % 2) * block + (ty + i / 2) * L;
                *ti = times_b([
                    W::load(even.add(r)),
                    W::load(odd.add(r)),
                    W::load(even.add(r + 1)),
                    W::load(odd.add(r + 1)),
                ]);
            }
            let dst = v.add(at + ty * g.tw);
            for q in 0..4 {
                let col = times_b([t[0][q], t[1][q], t[2][q], t[3][q]]);
                for (p, val) in col.into_iter().enumerate() {
                    val.compact_halves(g.tw)
                        .store_first(dst.add((4 * p + q) * xi), live);
                }
            }
        }
    }
}
