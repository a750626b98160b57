//! The output side: `Y = Aᵀ M A` for every tile, pooled 2×2 with ReLU and its argmax as
//! it leaves the transform (`output_transform_pool`), and the adjoint that turns the
//! pooled gradient back into `dM` (`pool_output_adjoint`).

// The transforms walk 4×4 tiles by row and by column, indexing both ways on purpose.
#![allow(clippy::needless_range_loop)]

use std::mem::MaybeUninit;

use super::geometry::{Geometry, WIDEST};
use super::matrices::{times_a, times_a_adjoint};
use crate::lanes::{Has, Lanes};
use crate::shape::NO_GRADIENT;

/// Per tile of one image, in tile order: the raster offset of its top-left output, and
/// whether its right column or bottom row lies outside the image (1) or not (0). The
/// output side runs over an image's tiles in order, across tile rows, so that its lanes
/// are all used; these tables say where each lane's tile is.
pub(super) struct TileTable {
    pub(super) top_left: Vec<u32>,
    pub(super) right_outside: Vec<u32>,
    pub(super) bottom_outside: Vec<u32>,
    /// Whether any tile hangs over an edge (an odd height or width).
    pub(super) ragged: bool,
}

impl TileTable {
    pub(super) fn new(g: &Geometry) -> Self {
        let n = g.tiles() + WIDEST;
        let (mut top_left, mut right_outside, mut bottom_outside) =
            (vec![0; n], vec![0; n], vec![0; n]);
        for ty in 0..g.th {
            for tx in 0..g.tw {
                let t = ty * g.tw + tx;
                top_left[t] = (2 * ty * g.w + 2 * tx) as u32;
                right_outside[t] = u32::from(2 * tx + 1 >= g.w);
                bottom_outside[t] = u32::from(2 * ty + 1 >= g.h);
            }
        }
        Self {
            top_left,
            right_outside,
            bottom_outside,
            ragged: g.h % 2 == 1 || g.w % 2 == 1,
        }
    }
}

/// `Y = Aᵀ M A` for the tiles of one image and output channel, then each tile's 2×2
/// max-pool and ReLU. `argmax` holds the raster index `base + y·w + x` of each maximum
/// within the image's convolution output, or [`NO_GRADIENT`] where ReLU clamped.
/// `M[ξ]` of tile `t` is at `m[at + ξ·xi + t]`, or with `filter`, is that times
/// `filter[ξ]` (one input channel).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn output_transform_pool<V: Lanes>(
    has: Has<V>,
    m: &[f32],
    xi: usize,
    at: usize,
    g: &Geometry,
    table: &TileTable,
    base: u32,
    filter: Option<&[V; 16]>,
    out: &mut [MaybeUninit<f32>],
    argmax: &mut [MaybeUninit<u32>],
) {
    let tiles = g.tiles();
    assert!(V::LANES <= WIDEST && at + 15 * xi + tiles + WIDEST <= m.len());
    assert!(out.len() >= tiles && argmax.len() >= tiles);
    let src = m.as_ptr();
    let neg_inf = has.splat(f32::NEG_INFINITY);
    // Offsets of the window's places from its top-left corner.
    let (right, below, base) = (
        has.splat_index(1),
        has.splat_index(g.w as u32),
        has.splat_index(base),
    );
    for t in (0..tiles).step_by(V::LANES) {
        // SAFETY: reads end before at + 15·xi + tiles + WIDEST (asserted); the tables
        // hold tiles + WIDEST entries.
        let (y00, mut y01, mut y10, mut y11, top_left) = unsafe {
            let p = src.add(at + t);
            let mut mm = [has.zero(); 16];
            for (k, v) in mm.iter_mut().enumerate() {
                *v = V::load(p.add(k * xi));
            }
            // One input channel: the product with the filter is a plain multiply.
            if let Some(u) = filter {
                for (v, u) in mm.iter_mut().zip(u) {
                    *v = v.mul(*u);
                }
            }
            // s[q][i] = Σ_p Aᵀ[i][p] M[p][q], then Y[i][j] = Σ_q s[q][i] Aᵀ[j][q].
            let mut s = [[has.zero(); 2]; 4];
            for (q, sq) in s.iter_mut().enumerate() {
                *sq = times_a([mm[q], mm[4 + q], mm[8 + q], mm[12 + q]]);
            }
            let [y00, y01] = times_a([s[0][0], s[1][0], s[2][0], s[3][0]]);
            let [y10, y11] = times_a([s[0][1], s[1][1], s[2][1], s[3][1]]);
            let top_left = V::add_index(base, V::load_index(table.top_left.as_ptr().add(t)));
            (y00, y01, y10, y11, top_left)
        };
        if table.ragged {
            // Pool windows hanging over the bottom or right edge see only what is inside.
            // SAFETY: as above.
            let (r, b) = unsafe {
                (
                    V::load_index(table.right_outside.as_ptr().add(t)),
                    V::load_index(table.bottom_outside.as_ptr().add(t)),
                )
            };
            let (r, b) = (V::eq_index(r, right), V::eq_index(b, right));
            y01 = V::select(r, neg_inf, y01);
            y11 = V::select(r, neg_inf, y11);
            y10 = V::select(b, neg_inf, y10);
            y11 = V::select(b, neg_inf, y11);
        }
        // A tournament; ties go to the first of top-left, top-right, bottom-left,
        // bottom-right.
        let top_right = y01.gt(y00);
        let tv = V::select(top_right, y01, y00);
        let t_at = V::select_index(top_right, V::add_index(top_left, right), top_left);
        let bottom_left = V::add_index(top_left, below);
        let bottom_right = y11.gt(y10);
        let bv = V::select(bottom_right, y11, y10);
        let b_at = V::select_index(bottom_right, V::add_index(bottom_left, right), bottom_left);
        let bottom = bv.gt(tv);
        let best = V::select(bottom, bv, tv);
        let best_at = V::select_index(bottom, b_at, t_at);
        let clamped = best.le(has.zero());
        let value = V::select(clamped, has.zero(), best);
        let index = V::select_index(clamped, has.splat_index(NO_GRADIENT), best_at);
        let live = (tiles - t).min(V::LANES);
        // SAFETY: t + live <= tiles <= out.len(), argmax.len() (asserted).
        unsafe {
            value.store_first(out.as_mut_ptr().add(t).cast(), live);
            V::store_index_first(index, argmax.as_mut_ptr().add(t).cast(), live);
        }
    }
}

/// Where [`pool_output_adjoint`] adds `dM ⊙ V`. One input channel: `dU[ξ] =
/// Σ_tiles dM[ξ] · V[ξ]` needs no matrix product, so `dM ⊙ V` (with `V` at
/// `v[ξ·xi + tile]`) is added into per-ξ lane sums.
pub(super) struct GradSums<'a, V> {
    pub(super) v: &'a [f32],
    pub(super) xi: usize,
    pub(super) sums: [V; 16],
}

/// The adjoint of [`output_transform_pool`] for one image and output channel: each
/// pooled gradient goes to its maximum's place in a 2×2 `dY`, and `dM = A dY Aᵀ`, times
/// `V`, is added into `sink`.
#[inline(always)]
pub(super) fn pool_output_adjoint<V: Lanes>(
    has: Has<V>,
    dout: &[f32],
    argmax: &[u32],
    g: &Geometry,
    table: &TileTable,
    base: u32,
    sink: &mut GradSums<'_, V>,
) {
    let tiles = g.tiles();
    assert!(V::LANES <= WIDEST);
    assert!(15 * sink.xi + tiles + WIDEST <= sink.v.len());
    assert!(dout.len() >= tiles && argmax.len() >= tiles);
    let (right, below, base) = (
        has.splat_index(1),
        has.splat_index(g.w as u32),
        has.splat_index(base),
    );
    let zero = has.zero();
    for t in (0..tiles).step_by(V::LANES) {
        let live = (tiles - t).min(V::LANES);
        // SAFETY: t + live <= tiles <= dout.len(), argmax.len(); the table holds
        // tiles + WIDEST entries (asserted).
        let (grad, index, top_left) = unsafe {
            (
                V::load_first(dout.as_ptr().add(t), live),
                V::load_index_first(argmax.as_ptr().add(t), live, NO_GRADIENT),
                V::add_index(base, V::load_index(table.top_left.as_ptr().add(t))),
            )
        };
        let bottom_left = V::add_index(top_left, below);
        let dy00 = V::select(V::eq_index(index, top_left), grad, zero);
        let top_right = V::add_index(top_left, right);
        let dy01 = V::select(V::eq_index(index, top_right), grad, zero);
        let dy10 = V::select(V::eq_index(index, bottom_left), grad, zero);
        let bottom_right = V::add_index(bottom_left, right);
        let dy11 = V::select(V::eq_index(index, bottom_right), grad, zero);
        // e[j][p] = Σ_i A[p][i] dY[i][j], then dM[p][q] = Σ_j e[j][p] A[q][j].
        let e = [times_a_adjoint([dy00, dy10]), times_a_adjoint([dy01, dy11])];
        for p in 0..4 {
            let row = times_a_adjoint([e[0][p], e[1][p]]);
            for (q, val) in row.into_iter().enumerate() {
                let k = 4 * p + q;
                // SAFETY: within 15·xi + tiles + WIDEST, asserted above.
                let x = unsafe { V::load(sink.v.as_ptr().add(t + k * sink.xi)) };
                sink.sums[k] = sink.sums[k].add(val.mul(x));
            }
        }
    }
}
