//! The passes of an F(4×4, 3×3) layer over a group of images, vectorised across channels:
//! the planar input copied into a zero-padded channels-last image, `V = Bᵀ d B` of every
//! 6×6 window, and `Y = Aᵀ M A` of every 4×4 output tile with its 2×2 max-pool and ReLU,
//! written back planar.
//!
//! Why across channels: a 14×14 image has 4×4 tiles of this size, too few to fill
//! sixteen lanes along a row, while every layer this path takes has a multiple of sixteen
//! channels; so a window's element is one contiguous vector load, and no lane idles.

// The transforms walk 6×6 windows by row and by column, indexing both ways on purpose.
#![allow(clippy::needless_range_loop)]

use std::mem::MaybeUninit;

use super::super::lanes::{with_lanes, Lanes};
use super::matrices::{times_a, times_b};

/// Tile geometry of one layer: `h×w` images of `ci` channels in, `co` out; `th×tw` tiles
/// of 4×4 outputs, each reading a 6×6 window of the padded image (`rows×cols` pixels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Geometry {
    pub(super) h: usize,
    pub(super) w: usize,
    pub(super) ci: usize,
    pub(super) co: usize,
    pub(super) th: usize,
    pub(super) tw: usize,
    pub(super) rows: usize,
    pub(super) cols: usize,
}

impl Geometry {
    pub(super) fn new(ci: usize, co: usize, h: usize, w: usize) -> Self {
        let (th, tw) = (h.div_ceil(4), w.div_ceil(4));
        Self {
            h,
            w,
            ci,
            co,
            th,
            tw,
            rows: 4 * th + 2,
            cols: 4 * tw + 2,
        }
    }
    pub(super) fn tiles(&self) -> usize {
        self.th * self.tw
    }
    /// Elements of one padded channels-last image.
    pub(super) fn padded_len(&self) -> usize {
        self.rows * self.cols * self.ci
    }
    /// Pooled output rows and columns (2×2 SAME pooling).
    pub(super) fn pooled(&self) -> (usize, usize) {
        (self.h.div_ceil(2), self.w.div_ceil(2))
    }
}

/// Copies the `n` planar images of `x` into the interior of `padded` (channels last, one
/// pixel of border, whose zeros the caller keeps), a vector of channels per gather.
#[inline(always)]
fn pad_channels_last_body<N: Lanes, W: Lanes>(
    g: &Geometry,
    x: &[f32],
    n: usize,
    padded: &mut [f32],
) {
    let (hw, ci) = (g.h * g.w, g.ci);
    assert!(ci.is_multiple_of(W::LANES));
    assert!(x.len() >= n * ci * hw && padded.len() >= n * g.padded_len());
    let (src, dst) = (x.as_ptr(), padded.as_mut_ptr());
    for j in 0..n {
        for y in 0..g.h {
            for xx in 0..g.w {
                let pixel = (j * g.rows + y + 1) * g.cols + xx + 1;
                for cb in (0..ci).step_by(W::LANES) {
                    // SAFETY: channels cb..cb+LANES of pixel (y, xx) of image j are inside
                    // x, and their channels-last slots inside image j of `padded`
                    // (asserted lengths).
                    unsafe {
                        let v = W::gather_first(
                            src.add((j * ci + cb) * hw + y * g.w + xx),
                            hw,
                            W::LANES,
                        );
                        v.store(dst.add(pixel * ci + cb));
                    }
                }
            }
        }
    }
}

with_lanes!(fn pad_channels_last => pad_channels_last_body(
    g: &Geometry, x: &[f32], n: usize, padded: &mut [f32],
));

/// Copies the `n` channels-last images of `x` into the interior of `padded`: one row of
/// pixels at a time, already in the order the padded image keeps them.
pub(super) fn pad_from_channels_last(g: &Geometry, x: &[f32], n: usize, padded: &mut [f32]) {
    let row = g.w * g.ci;
    assert!(x.len() >= n * g.h * row && padded.len() >= n * g.padded_len());
    for (j, image) in x.chunks_exact(g.h * row).take(n).enumerate() {
        for (y, src) in image.chunks_exact(row).enumerate() {
            let at = j * g.padded_len() + ((y + 1) * g.cols + 1) * g.ci;
            padded[at..at + row].copy_from_slice(src);
        }
    }
}

/// `V[ξ][tile][c] = (Bᵀ d B)[ξ]` for every tile of the `n` padded images, `W` channels
/// at a time; `tile` counts over the group's images.
#[inline(always)]
fn input_transform_body<N: Lanes, W: Lanes>(g: &Geometry, padded: &[f32], n: usize, v: &mut [f32]) {
    let (ci, tiles) = (g.ci, n * g.tiles());
    assert!(ci.is_multiple_of(W::LANES) && padded.len() >= n * g.padded_len());
    assert!(v.len() >= 36 * tiles * ci);
    let (src, dst) = (padded.as_ptr(), v.as_mut_ptr());
    for j in 0..n {
        for ty in 0..g.th {
            for tx in 0..g.tw {
                let tile = j * g.tiles() + ty * g.tw + tx;
                let corner = (j * g.rows + 4 * ty) * g.cols + 4 * tx;
                for cb in (0..ci).step_by(W::LANES) {
                    // SAFETY: the window's rows 4ty..4ty+6 < rows and columns 4tx..4tx+6
                    // < cols lie inside image j (asserted length); the stores' last lane
                    // is (35·tiles + tile)·ci + cb + LANES − 1 < 36·tiles·ci.
                    unsafe {
                        // No closures here: they would not inherit the caller's target
                        // features, and the intrinsics inside them would become calls.
                        let mut e = [[W::zero(); 6]; 6];
                        for i in 0..6 {
                            let mut d = [W::zero(); 6];
                            for jj in 0..6 {
                                d[jj] = W::load(src.add(((corner + i * g.cols + jj) * ci) + cb));
                            }
                            e[i] = times_b(d);
                        }
                        for q in 0..6 {
                            let col =
                                times_b([e[0][q], e[1][q], e[2][q], e[3][q], e[4][q], e[5][q]]);
                            for (p, val) in col.into_iter().enumerate() {
                                val.store(dst.add(((6 * p + q) * tiles + tile) * ci + cb));
                            }
                        }
                    }
                }
            }
        }
    }
}

with_lanes!(fn input_transform => input_transform_body(
    g: &Geometry, padded: &[f32], n: usize, v: &mut [f32],
));

/// From `M[ξ][tile][o]`: every tile's `Y = Aᵀ M A`, its 2×2 max-pools over the outputs
/// inside the image, and ReLU, into the `n` pooled images of `out`, planar or (with
/// `channels_last`) channels-last. Every element of `out` is written.
#[inline(always)]
fn output_transform_pool_body<N: Lanes, W: Lanes>(
    g: &Geometry,
    m: &[f32],
    n: usize,
    out: &mut [MaybeUninit<f32>],
    channels_last: bool,
) {
    let (co, tiles) = (g.co, n * g.tiles());
    let (ph, pw) = g.pooled();
    assert!(co.is_multiple_of(W::LANES) && m.len() >= 36 * tiles * co);
    assert_eq!(out.len(), n * co * ph * pw);
    // Every element is written below; `MaybeUninit<f32>` has the layout of `f32`.
    let (src, dst) = (m.as_ptr(), out.as_mut_ptr().cast::<f32>());
    for j in 0..n {
        for ty in 0..g.th {
            for tx in 0..g.tw {
                let tile = j * g.tiles() + ty * g.tw + tx;
                for ob in (0..co).step_by(W::LANES) {
                    // No closures here (see `input_transform_body`).
                    let mut f = [[W::zero(); 4]; 6];
                    for p in 0..6 {
                        let mut row = [W::zero(); 6];
                        for q in 0..6 {
                            // SAFETY: (ξ·tiles + tile)·co + ob + LANES − 1 < 36·tiles·co.
                            row[q] =
                                unsafe { W::load(src.add(((6 * p + q) * tiles + tile) * co + ob)) };
                        }
                        f[p] = times_a(row);
                    }
                    let mut y = [[W::zero(); 4]; 4];
                    for b in 0..4 {
                        let col = times_a([f[0][b], f[1][b], f[2][b], f[3][b], f[4][b], f[5][b]]);
                        for a in 0..4 {
                            y[a][b] = col[a];
                        }
                    }
                    for pa in 0..2 {
                        let (py, row) = (2 * ty + pa, 4 * ty + 2 * pa);
                        if py >= ph {
                            continue;
                        }
                        for pb in 0..2 {
                            let (px, col) = (2 * tx + pb, 4 * tx + 2 * pb);
                            if px >= pw {
                                continue;
                            }
                            // Outputs past the image's edge (from the padding) take no
                            // part, as in SAME pooling; the first is always inside.
                            let mut best = y[2 * pa][2 * pb];
                            if col + 1 < g.w {
                                best = best.max(y[2 * pa][2 * pb + 1]);
                            }
                            if row + 1 < g.h {
                                best = best.max(y[2 * pa + 1][2 * pb]);
                                if col + 1 < g.w {
                                    best = best.max(y[2 * pa + 1][2 * pb + 1]);
                                }
                            }
                            let value = best.max(W::zero());
                            // SAFETY: channel ob + LANES − 1 of image j < n·co, so the
                            // last lane's element is inside `out` (asserted length) in
                            // either layout.
                            unsafe {
                                if channels_last {
                                    let at = ((j * ph + py) * pw + px) * co + ob;
                                    value.store(dst.add(at));
                                } else {
                                    let at = (j * co + ob) * ph * pw + py * pw + px;
                                    value.scatter(dst.add(at), ph * pw);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

with_lanes!(fn output_transform_pool => output_transform_pool_body(
    g: &Geometry, m: &[f32], n: usize, out: &mut [MaybeUninit<f32>], channels_last: bool,
));
