//! 3×3 SAME convolution fused with 2×2 SAME max-pool and ReLU, by Winograd's minimal
//! filtering F(2×2, 3×3) (Lavin & Gray 2016).
//!
//! Why Winograd: each 2×2 block of outputs costs 16 multiplies per input channel instead
//! of 36, so the three products of a training step do 2.25× less work than im2col. And
//! why F(2×2): its 2×2 output tiles are exactly the pooling windows, so each tile is
//! pooled as it leaves the output transform and the full-size convolution never exists.
//!
//! A tile `(ty, tx)` reads the 4×4 input window at padded position `(2ty, 2tx)`; the
//! 16 transformed values `ξ = 4p + q` of every tile form 16 independent matrix products
//! over channels: `M[ξ] (co × tiles) = U[ξ] (co × ci) · V[ξ] (ci × tiles)`, with
//! `U = G g Gᵀ` (filters), `V = Bᵀ d B` (input tiles), output `Y = Aᵀ M A`.
//!
//! The backward pass is the exact adjoint of each step: the pooled gradient becomes a
//! one-hot 2×2 `dY` per tile, `dM = A dY Aᵀ`, then `dU[ξ] += dM[ξ] · V[ξ]ᵀ`,
//! `dV[ξ] = U[ξ]ᵀ · dM[ξ]`, `dd = B dV Bᵀ` added back onto the input and `dg = Gᵀ dU G`.
//!
//! Transforms run on eight tiles of a row at a time ([`Lanes`]); a row's unused lanes
//! spill into the next row's slots, which are written afterwards, or into padding at the
//! end of each transformed row. Matrices are laid out `[ξ][c][tile]`, so that each of
//! the sixteen products reads and writes one compact block: with `[c][ξ][tile]` its rows
//! were 16 rows apart, a page each, and the product ran 14 % slower (70.7 against 81.9
//! GFLOP/s, conv2's forward product alone, one thread).

// The transforms walk 4×4 tiles by row and by column, indexing both ways on purpose.
#![allow(clippy::needless_range_loop)]

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::kernels::{chunk_ranges, pool_out, split_by_images, ConvShape, NO_GRADIENT};
use super::lanes::{Lanes, Portable, L};
use super::products;

/// `(d0 − d2, d1 + d2, d2 − d1, d1 − d3)`: four values times `B` (or `Bᵀ` times them).
#[inline(always)]
fn times_b<V: Lanes>(d: [V; 4]) -> [V; 4] {
    [
        d[0].sub(d[2]),
        d[1].add(d[2]),
        d[2].sub(d[1]),
        d[1].sub(d[3]),
    ]
}

/// `(f0, f1 − f2 + f3, −f0 + f1 + f2, −f3)`: the adjoint of [`times_b`].
#[inline(always)]
fn times_b_adjoint<V: Lanes>(f: [V; 4]) -> [V; 4] {
    [
        f[0],
        f[1].sub(f[2]).add(f[3]),
        f[1].sub(f[0]).add(f[2]),
        f[3].neg(),
    ]
}

/// `(s0 + s1 + s2, s1 − s2 − s3)`: four values times `A`.
#[inline(always)]
fn times_a<V: Lanes>(s: [V; 4]) -> [V; 2] {
    [s[0].add(s[1]).add(s[2]), s[1].sub(s[2]).sub(s[3])]
}

/// `(e0, e0 + e1, e0 − e1, −e1)`: the adjoint of [`times_a`].
#[inline(always)]
fn times_a_adjoint<V: Lanes>(e: [V; 2]) -> [V; 4] {
    [e[0], e[0].add(e[1]), e[0].sub(e[1]), e[1].neg()]
}

/// Generates `$name`, which runs `$body_fn::<N, W>` with the widest lanes the CPU has:
/// `N` (eight lanes) for the row-by-row input side, `W` for the output side, which runs
/// over whole images' tiles: AVX-512 (16 lanes), else AVX2 (8), else plain arrays.
macro_rules! with_lanes {
    ($(#[$m:meta])* fn $name:ident => $body_fn:ident ($($arg:ident : $ty:ty),* $(,)?)) => {
        $(#[$m])*
        fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                use super::lanes::{Avx2, Avx512};
                #[target_feature(enable = "avx2,avx512f")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx512($($arg: $ty),*) {
                    $body_fn::<Avx2, Avx512>($($arg),*)
                }
                #[target_feature(enable = "avx2")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx2($($arg: $ty),*) {
                    $body_fn::<Avx2, Avx2>($($arg),*)
                }
                match lanes_in_use() {
                    // SAFETY: the CPU has AVX-512F and AVX2 (checked by `lanes_in_use`).
                    LaneSet::Avx512 => return unsafe { avx512($($arg),*) },
                    // SAFETY: the CPU has AVX2 (checked by `lanes_in_use`).
                    LaneSet::Avx2 => return unsafe { avx2($($arg),*) },
                    LaneSet::Portable => {}
                }
            }
            $body_fn::<Portable, Portable>($($arg),*)
        }
    };
}

/// The instruction sets the transforms use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneSet {
    Avx512,
    Avx2,
    Portable,
}

/// At most this set is used (tests lower it to check every implementation).
static LANE_LIMIT: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Caps the instruction set the Winograd transforms use, so that tests on an AVX-512
/// machine check the AVX2 and portable implementations too.
#[doc(hidden)]
pub fn limit_lanes(set: LaneSet) {
    let level = match set {
        LaneSet::Avx512 => 0,
        LaneSet::Avx2 => 1,
        LaneSet::Portable => 2,
    };
    LANE_LIMIT.store(level, std::sync::atomic::Ordering::Relaxed);
}

/// The best set this CPU has, within the limit.
pub fn lanes_in_use() -> LaneSet {
    let limit = LANE_LIMIT.load(std::sync::atomic::Ordering::Relaxed);
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = std::arch::is_x86_feature_detected!("avx2");
        if limit == 0 && avx2 && std::arch::is_x86_feature_detected!("avx512f") {
            return LaneSet::Avx512;
        }
        if limit <= 1 && avx2 {
            return LaneSet::Avx2;
        }
    }
    let _ = limit;
    LaneSet::Portable
}

/// Tile geometry of one `h×w` plane: `th×tw` tiles, and the deinterleaved padded input
/// (`rows` rows of `stride` even and `stride` odd columns).
#[derive(Debug, Clone, Copy)]
struct Geometry {
    h: usize,
    w: usize,
    th: usize,
    tw: usize,
    rows: usize,
    stride: usize,
}

impl Geometry {
    fn new(h: usize, w: usize) -> Self {
        let (th, tw) = (pool_out(h), pool_out(w));
        Self {
            h,
            w,
            th,
            tw,
            rows: 2 * th + 2,
            // Tile tx reads even and odd columns tx and tx + 1; whole lane chunks are read.
            stride: tw.div_ceil(L) * L + 1,
        }
    }
    fn tiles(&self) -> usize {
        self.th * self.tw
    }
    fn padded(&self) -> usize {
        self.rows * self.stride
    }
    /// One block (even or odd rows) of the paired layout, see [`deinterleave_paired`]:
    /// `th + 1` rows of [`L`], and room to read one vector of 16 past the last.
    fn paired_block(&self) -> usize {
        (self.th + 3) * L
    }
    /// Length of each deinterleaved plane buffer: big enough for either layout.
    fn plane_buffer(&self) -> usize {
        self.padded().max(2 * self.paired_block())
    }
}

/// Images transformed together: about a hundred tiles, so that a group's transformed
/// inputs and outputs stay in the core's L2 cache between the transforms and the
/// products. Measured here: 2 images of 14×14 (98 tiles) trained faster than 5 or 8.
fn group_images(tiles: usize) -> usize {
    (100 / tiles).max(1)
}

/// `U[ξ][o][c] = (G g Gᵀ)[ξ]` for every filter `g = w[o][c]`.
fn filter_transform(weight: &[f32], co: usize, ci: usize) -> Vec<f32> {
    let mut u = vec![0.0f32; 16 * co * ci];
    for (f, g) in weight.chunks_exact(9).enumerate() {
        // a = G g (4×3), then U = a Gᵀ (4×4).
        let row = |r: [f32; 3]| {
            [
                r[0],
                0.5 * (r[0] + r[1] + r[2]),
                0.5 * (r[0] - r[1] + r[2]),
                r[2],
            ]
        };
        let a: [[f32; 3]; 4] = {
            let cols: [[f32; 4]; 3] = std::array::from_fn(|v| row([g[v], g[3 + v], g[6 + v]]));
            std::array::from_fn(|p| [cols[0][p], cols[1][p], cols[2][p]])
        };
        for (p, ap) in a.iter().enumerate() {
            for (q, val) in row(*ap).into_iter().enumerate() {
                u[(p * 4 + q) * co * ci + f] = val;
            }
        }
    }
    u
}

/// `U` stored `[ξ][c][o]`: each `U[ξ]` by columns, which the products read whole.
/// (With one input channel this is `U` itself.)
fn by_columns(u: &[f32], co: usize, ci: usize) -> Vec<f32> {
    let mut t = vec![0.0f32; u.len()];
    for (ut, tt) in u.chunks_exact(co * ci).zip(t.chunks_exact_mut(co * ci)) {
        for o in 0..co {
            for c in 0..ci {
                tt[c * co + o] = ut[o * ci + c];
            }
        }
    }
    t
}

/// Adds `Gᵀ dU G` (the adjoint of [`filter_transform`]) onto the weight gradient.
fn filter_transform_adjoint(du: &[f32], co: usize, ci: usize, dweight: &mut [f32]) {
    // Gᵀ applied to a column of four: the adjoint of `row` in `filter_transform`.
    let back = |d: [f32; 4]| {
        [
            d[0] + 0.5 * (d[1] + d[2]),
            0.5 * (d[1] - d[2]),
            0.5 * (d[1] + d[2]) + d[3],
        ]
    };
    for (f, dg) in dweight.chunks_exact_mut(9).enumerate() {
        let m: [[f32; 4]; 4] =
            std::array::from_fn(|p| std::array::from_fn(|q| du[(p * 4 + q) * co * ci + f]));
        // e[p][v] = Σ_q m[p][q] G[q][v], then dg[u][v] = Σ_p G[p][u] e[p][v].
        let e: [[f32; 3]; 4] = std::array::from_fn(|p| back(m[p]));
        for v in 0..3 {
            let col = back([e[0][v], e[1][v], e[2][v], e[3][v]]);
            for (u, val) in col.into_iter().enumerate() {
                dg[u * 3 + v] += val;
            }
        }
    }
}

/// Splits one `h×w` plane into the even and odd columns of its zero-padded version:
/// `even[r][k] = P[r][2k]`, `odd[r][k] = P[r][2k+1]`, where `P[r][q] = x[r-1][q-1]`.
#[inline(always)]
fn deinterleave<V: Lanes>(plane: &[f32], g: &Geometry, even: &mut [f32], odd: &mut [f32]) {
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

/// The adjoint of [`deinterleave`]: adds the inner part back onto `plane`.
#[inline(always)]
fn interleave_add<V: Lanes>(even: &[f32], odd: &[f32], g: &Geometry, plane: &mut [f32]) {
    assert!(plane.len() >= g.h * g.w && even.len() >= g.padded() && odd.len() >= g.padded());
    let chunks = g.stride / L;
    for y in 0..g.h {
        let dst = plane[y * g.w..].as_mut_ptr().wrapping_sub(1);
        let row = (y + 1) * g.stride;
        for c in 0..chunks {
            let q = 2 * L * c;
            let lanes = |q: usize| ((q == 0) as usize, (g.w + 1).saturating_sub(q).min(L));
            let ((alo, ahi), (blo, bhi)) = (lanes(q), lanes(q + L));
            // SAFETY: as in `deinterleave`, only lanes holding pixels of row y are touched.
            unsafe {
                let e = V::load(even.as_ptr().add(row + L * c));
                let o = V::load(odd.as_ptr().add(row + L * c));
                let (a, b) = V::interleave(e, o);
                let pa = dst.wrapping_add(q);
                V::load_range(pa, alo, ahi).add(a).store_range(pa, alo, ahi);
                let pb = dst.wrapping_add(q + L);
                V::load_range(pb, blo, bhi).add(b).store_range(pb, blo, bhi);
            }
        }
        let last = 2 * L * chunks;
        if last <= g.w {
            plane[y * g.w + last - 1] += even[row + L * chunks];
        }
    }
}

/// `V = Bᵀ d B` for every tile of one deinterleaved plane: `v[ξ·xi + at + ty·tw + tx]`.
#[inline(always)]
fn input_transform<V: Lanes>(
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
                let mut t = [[V::zero(); 4]; 4];
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

/// The adjoint of [`input_transform`]: `B dV Bᵀ` of every tile, added onto the
/// deinterleaved planes (tiles overlap, so a pixel collects from up to four).
#[inline(always)]
fn input_transform_adjoint<V: Lanes>(
    dv: &[f32],
    xi: usize,
    at: usize,
    g: &Geometry,
    even: &mut [f32],
    odd: &mut [f32],
) {
    let chunks = g.tw.div_ceil(L);
    assert!(even.len() >= g.padded() && odd.len() >= g.padded());
    assert!(at + 15 * xi + g.tiles() - g.tw + chunks * L <= dv.len());
    let (dv, even, odd) = (dv.as_ptr(), even.as_mut_ptr(), odd.as_mut_ptr());
    for ty in 0..g.th {
        for tx in (0..g.tw).step_by(L) {
            // Lanes past the row's end hold the next row's tiles: they must not be added.
            let live = (g.tw - tx).min(L);
            // SAFETY: the same bounds as in `input_transform`, asserted above.
            unsafe {
                let src = dv.add(at + ty * g.tw + tx);
                // f[q][i]: column q of dV times Bᵀ's adjoint, over p.
                let mut f = [[V::zero(); 4]; 4];
                for (q, fq) in f.iter_mut().enumerate() {
                    let mut col = [V::zero(); 4];
                    for (p, c) in col.iter_mut().enumerate() {
                        *c = V::load(src.add((4 * p + q) * xi)).keep_first(live);
                    }
                    *fq = times_b_adjoint(col);
                }
                for i in 0..4 {
                    let dd = times_b_adjoint([f[0][i], f[1][i], f[2][i], f[3][i]]);
                    let r = (2 * ty + i) * g.stride + tx;
                    for (plane, offset, d) in [
                        (even, r, dd[0]),
                        (odd, r, dd[1]),
                        (even, r + 1, dd[2]),
                        (odd, r + 1, dd[3]),
                    ] {
                        let p = plane.add(offset);
                        d.add(V::load(p)).store(p);
                    }
                }
            }
        }
    }
}

/// Per tile of one image, in tile order: the raster offset of its top-left output, and
/// whether its right column or bottom row lies outside the image (1) or not (0). The
/// output side runs over an image's tiles in order, across tile rows, so that its lanes
/// are all used; these tables say where each lane's tile is.
struct TileTable {
    top_left: Vec<u32>,
    right_outside: Vec<u32>,
    bottom_outside: Vec<u32>,
    /// Whether any tile hangs over an edge (an odd height or width).
    ragged: bool,
}

/// Room after the tables and after each transformed row for one whole vector of the
/// widest lanes.
const WIDEST: usize = 16;

impl TileTable {
    fn new(g: &Geometry) -> Self {
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
fn output_transform_pool<V: Lanes>(
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
    let neg_inf = V::splat(f32::NEG_INFINITY);
    // Offsets of the window's places from its top-left corner.
    let (right, below, base) = (
        V::splat_index(1),
        V::splat_index(g.w as u32),
        V::splat_index(base),
    );
    for t in (0..tiles).step_by(V::LANES) {
        // SAFETY: reads end before at + 15·xi + tiles + WIDEST (asserted); the tables
        // hold tiles + WIDEST entries.
        let (y00, mut y01, mut y10, mut y11, top_left) = unsafe {
            let p = src.add(at + t);
            let mut mm = [V::zero(); 16];
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
            let mut s = [[V::zero(); 2]; 4];
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
        let clamped = best.le(V::zero());
        let value = V::select(clamped, V::zero(), best);
        let index = V::select_index(clamped, V::splat_index(NO_GRADIENT), best_at);
        let live = (tiles - t).min(V::LANES);
        // SAFETY: t + live <= tiles <= out.len(), argmax.len() (asserted).
        unsafe {
            value.store_first(out.as_mut_ptr().add(t).cast(), live);
            V::store_index_first(index, argmax.as_mut_ptr().add(t).cast(), live);
        }
    }
}

/// Where [`pool_output_adjoint`] puts `dM`.
enum GradSink<'a, V> {
    /// Written out, at `dm[at + ξ·xi + tile]`, for the matrix products. Lanes past the
    /// image's last tile write zeros into the next image's slots (written afterwards) or
    /// into the row's padding.
    Store {
        dm: &'a mut [f32],
        xi: usize,
        at: usize,
    },
    /// One input channel: `dU[ξ] = Σ_tiles dM[ξ] · V[ξ]` needs no matrix product, so
    /// `dM ⊙ V` (with `V` at `v[ξ·xi + tile]`) is added into per-ξ lane sums.
    Accumulate {
        v: &'a [f32],
        xi: usize,
        sums: [V; 16],
    },
}

/// The adjoint of [`output_transform_pool`] for one image and output channel: each
/// pooled gradient goes to its maximum's place in a 2×2 `dY`, and `dM = A dY Aᵀ` goes to
/// `sink`.
#[inline(always)]
fn pool_output_adjoint<V: Lanes>(
    dout: &[f32],
    argmax: &[u32],
    g: &Geometry,
    table: &TileTable,
    base: u32,
    sink: &mut GradSink<'_, V>,
) {
    let tiles = g.tiles();
    assert!(V::LANES <= WIDEST);
    match sink {
        GradSink::Store { dm, xi, at } => assert!(*at + 15 * *xi + tiles + WIDEST <= dm.len()),
        GradSink::Accumulate { v, xi, .. } => assert!(15 * *xi + tiles + WIDEST <= v.len()),
    }
    assert!(dout.len() >= tiles && argmax.len() >= tiles);
    let (right, below, base) = (
        V::splat_index(1),
        V::splat_index(g.w as u32),
        V::splat_index(base),
    );
    let zero = V::zero();
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
                // SAFETY: within at + 15·xi + tiles + WIDEST, asserted above.
                unsafe {
                    match sink {
                        GradSink::Store { dm, xi, at } => {
                            val.store(dm.as_mut_ptr().add(*at + t + k * *xi))
                        }
                        GradSink::Accumulate { v, xi, sums } => {
                            let x = V::load(v.as_ptr().add(t + k * *xi));
                            sums[k] = sums[k].add(val.mul(x));
                        }
                    }
                }
            }
        }
    }
}

/// Per-thread scratch: transformed inputs (`16 × ci` rows of `ld`), transformed outputs
/// or their gradients (`16 × co` rows), the input's gradient (`16 × ci` rows, backward
/// only) and the deinterleaved padded planes.
struct Scratch {
    v: Vec<f32>,
    m: Vec<f32>,
    dv: Vec<f32>,
    even: Vec<f32>,
    odd: Vec<f32>,
}

impl Scratch {
    fn new(s: &ConvShape, g: &Geometry, ld: usize, with_dv: bool) -> Self {
        Self {
            v: vec![0.0; 16 * s.ci * ld],
            m: vec![0.0; 16 * s.co * ld],
            dv: vec![0.0; if with_dv { 16 * s.ci * ld } else { 0 }],
            even: vec![0.0; g.plane_buffer()],
            odd: vec![0.0; g.plane_buffer()],
        }
    }

    fn fits(&self, s: &ConvShape, g: &Geometry, ld: usize, with_dv: bool) -> bool {
        self.v.len() == 16 * s.ci * ld
            && self.m.len() == 16 * s.co * ld
            && self.dv.len() == if with_dv { 16 * s.ci * ld } else { 0 }
            && self.even.len() == g.plane_buffer()
    }
}

thread_local! {
    /// Scratch kept between calls, one per layer shape: zeroing a fresh one for every
    /// call cost more than some of the transforms.
    static SCRATCH: std::cell::RefCell<Vec<Scratch>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's scratch for the shape, made on first use.
fn with_scratch<R>(
    s: &ConvShape,
    g: &Geometry,
    ld: usize,
    with_dv: bool,
    f: impl FnOnce(&mut Scratch) -> R,
) -> R {
    let taken = SCRATCH.with(|cell| {
        let mut pool = cell.borrow_mut();
        let at = pool.iter().position(|sc| sc.fits(s, g, ld, with_dv));
        at.map(|i| pool.swap_remove(i))
    });
    let mut sc = taken.unwrap_or_else(|| Scratch::new(s, g, ld, with_dv));
    let r = f(&mut sc);
    SCRATCH.with(|cell| {
        let mut pool = cell.borrow_mut();
        // A handful of shapes at most; the bound only guards against surprises.
        if pool.len() < 8 {
            pool.push(sc);
        }
    });
    r
}

/// Row stride of the transformed matrices: a group's tiles plus room for one spilled
/// lane chunk.
fn row_stride(g: &Geometry) -> usize {
    group_images(g.tiles()) * g.tiles() + WIDEST
}

/// Whether the input transform takes two tile rows per vector: with 16 lanes, and rows
/// of at most 7 tiles (images at most 14 wide), eight lanes per tile row suffice.
fn pairs_tile_rows<W: Lanes>(g: &Geometry) -> bool {
    W::LANES == 2 * L && g.tw < L && g.w <= 2 * L - 2
}

/// [`deinterleave`] into the paired layout: rows of exactly [`L`] columns, the padded
/// plane's even rows in one block and its odd rows in the next, so that one vector of 16
/// holds padded rows `r` and `r + 2`, the same window row of two tile rows.
#[inline(always)]
fn deinterleave_paired<N: Lanes>(plane: &[f32], g: &Geometry, even: &mut [f32], odd: &mut [f32]) {
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
fn input_transform_paired<W: Lanes>(
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
            let mut t = [[W::zero(); 4]; 4];
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

/// The adjoint of [`input_transform_paired`]: `B dV Bᵀ` of every tile, two tile rows
/// per vector, added onto the paired planes.
#[inline(always)]
fn input_transform_adjoint_paired<W: Lanes>(
    dv: &[f32],
    xi: usize,
    at: usize,
    g: &Geometry,
    even: &mut [f32],
    odd: &mut [f32],
) {
    let block = g.paired_block();
    assert!(W::LANES == 2 * L && even.len() >= 2 * block && odd.len() >= 2 * block);
    assert!(at + 15 * xi + g.tiles() <= dv.len());
    let (dv, even, odd) = (dv.as_ptr(), even.as_mut_ptr(), odd.as_mut_ptr());
    for ty in (0..g.th).step_by(2) {
        let live = if ty + 1 < g.th { 2 * g.tw } else { g.tw };
        // SAFETY: reads `live` lanes ending within at + 15·xi + tiles (asserted); the
        // planes are touched as in `input_transform_paired`.
        unsafe {
            let src = dv.add(at + ty * g.tw);
            // f[q][i]: column q of dV times Bᵀ's adjoint, over p; lanes past each tile
            // row's end are zero, so they add nothing below.
            let mut f = [[W::zero(); 4]; 4];
            for (q, fq) in f.iter_mut().enumerate() {
                let mut col = [W::zero(); 4];
                for (p, c) in col.iter_mut().enumerate() {
                    *c = W::load_first(src.add((4 * p + q) * xi), live).expand_halves(g.tw);
                }
                *fq = times_b_adjoint(col);
            }
            for i in 0..4 {
                let dd = times_b_adjoint([f[0][i], f[1][i], f[2][i], f[3][i]]);
                let r = (i % 2) * block + (ty + i / 2) * L;
                for (plane, offset, d) in [
                    (even, r, dd[0]),
                    (odd, r, dd[1]),
                    (even, r + 1, dd[2]),
                    (odd, r + 1, dd[3]),
                ] {
                    let p = plane.add(offset);
                    d.add(W::load(p)).store(p);
                }
            }
        }
    }
}

/// The adjoint of [`deinterleave_paired`]: adds the inner part back onto `plane`.
#[inline(always)]
fn interleave_add_paired<N: Lanes>(even: &[f32], odd: &[f32], g: &Geometry, plane: &mut [f32]) {
    let block = g.paired_block();
    assert!(N::LANES == L && g.w <= 2 * L - 2 && plane.len() >= g.h * g.w);
    assert!(even.len() >= 2 * block && odd.len() >= 2 * block);
    for y in 0..g.h {
        let r = y + 1;
        let at = (r % 2) * block + (r / 2) * L;
        let dst = plane[y * g.w..].as_mut_ptr().wrapping_sub(1);
        let (alo, ahi) = (1, (g.w + 1).min(L));
        let (blo, bhi) = (0, (g.w + 1).saturating_sub(L).min(L));
        // SAFETY: only lanes holding pixels of row y are touched.
        unsafe {
            let (a, b) = N::interleave(
                N::load(even.as_ptr().add(at)),
                N::load(odd.as_ptr().add(at)),
            );
            N::load_range(dst, alo, ahi)
                .add(a)
                .store_range(dst, alo, ahi);
            let pb = dst.wrapping_add(L);
            N::load_range(pb, blo, bhi).add(b).store_range(pb, blo, bhi);
        }
    }
}

/// Transforms the `n` images of `x` (a group) into `sc.v`.
#[inline(always)]
fn transform_inputs_body<N: Lanes, W: Lanes>(
    s: &ConvShape,
    g: &Geometry,
    x: &[f32],
    n: usize,
    sc: &mut Scratch,
    ld: usize,
) {
    let xi = s.ci * ld;
    for j in 0..n {
        for c in 0..s.ci {
            let plane = &x[(j * s.ci + c) * g.h * g.w..][..g.h * g.w];
            if pairs_tile_rows::<W>(g) {
                deinterleave_paired::<N>(plane, g, &mut sc.even, &mut sc.odd);
                let at = c * ld + j * g.tiles();
                input_transform_paired::<W>(&sc.even, &sc.odd, g, &mut sc.v, xi, at);
                continue;
            }
            deinterleave::<N>(plane, g, &mut sc.even, &mut sc.odd);
            input_transform::<N>(&sc.even, &sc.odd, g, &mut sc.v, xi, c * ld + j * g.tiles());
        }
    }
}

with_lanes!(fn transform_inputs => transform_inputs_body(
    s: &ConvShape, g: &Geometry, x: &[f32], n: usize, sc: &mut Scratch, ld: usize,
));

/// Output transform and pooling of a group of `n` images from `m` into `out`/`argmax`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn pool_outputs_body<N: Lanes, W: Lanes>(
    s: &ConvShape,
    g: &Geometry,
    table: &TileTable,
    m: &[f32],
    ld: usize,
    n: usize,
    out: &mut [MaybeUninit<f32>],
    argmax: &mut [MaybeUninit<u32>],
) {
    let pooled = s.co * g.tiles();
    for j in 0..n {
        for c in 0..s.co {
            let at = j * pooled + c * g.tiles();
            output_transform_pool::<W>(
                m,
                s.co * ld,
                c * ld + j * g.tiles(),
                g,
                table,
                (c * s.h * s.w) as u32,
                None,
                &mut out[at..at + g.tiles()],
                &mut argmax[at..at + g.tiles()],
            );
        }
    }
}

with_lanes!(#[allow(clippy::too_many_arguments)] fn pool_outputs => pool_outputs_body(
    s: &ConvShape, g: &Geometry, table: &TileTable, m: &[f32], ld: usize, n: usize, out: &mut [MaybeUninit<f32>], argmax: &mut [MaybeUninit<u32>],
));

/// `dM` of a group of `n` images into `dm` from their pooled gradients and argmax.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn pool_gradients_body<N: Lanes, W: Lanes>(
    s: &ConvShape,
    g: &Geometry,
    table: &TileTable,
    dout: &[f32],
    argmax: &[u32],
    n: usize,
    dm: &mut [f32],
    ld: usize,
) {
    let pooled = s.co * g.tiles();
    for j in 0..n {
        for c in 0..s.co {
            let at = j * pooled + c * g.tiles();
            pool_output_adjoint::<W>(
                &dout[at..at + g.tiles()],
                &argmax[at..at + g.tiles()],
                g,
                table,
                (c * s.h * s.w) as u32,
                &mut GradSink::Store {
                    dm: &mut *dm,
                    xi: s.co * ld,
                    at: c * ld + j * g.tiles(),
                },
            );
        }
    }
}

with_lanes!(#[allow(clippy::too_many_arguments)] fn pool_gradients => pool_gradients_body(
    s: &ConvShape, g: &Geometry, table: &TileTable, dout: &[f32], argmax: &[u32], n: usize, dm: &mut [f32], ld: usize,
));

/// One input channel, forward: per image, the transformed input stays in cache and each
/// output channel's `M = U ⊙ V` is formed inside the output transform.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn single_channel_forward_body<N: Lanes, W: Lanes>(
    s: &ConvShape,
    g: &Geometry,
    table: &TileTable,
    u: &[f32],
    x: &[f32],
    sc: &mut Scratch,
    ld: usize,
    out: &mut [MaybeUninit<f32>],
    argmax: &mut [MaybeUninit<u32>],
) {
    let (hw, pooled) = (s.h * s.w, s.co * g.tiles());
    for (j, plane) in x.chunks_exact(hw).enumerate() {
        deinterleave::<N>(plane, g, &mut sc.even, &mut sc.odd);
        input_transform::<N>(&sc.even, &sc.odd, g, &mut sc.v, ld, 0);
        for c in 0..s.co {
            let filter: [W; 16] = std::array::from_fn(|k| W::splat(u[k * s.co + c]));
            let at = j * pooled + c * g.tiles();
            output_transform_pool::<W>(
                &sc.v,
                ld,
                0,
                g,
                table,
                (c * hw) as u32,
                Some(&filter),
                &mut out[at..at + g.tiles()],
                &mut argmax[at..at + g.tiles()],
            );
        }
    }
}

with_lanes!(#[allow(clippy::too_many_arguments)] fn single_channel_forward => single_channel_forward_body(
    s: &ConvShape, g: &Geometry, table: &TileTable, u: &[f32], x: &[f32], sc: &mut Scratch, ld: usize, out: &mut [MaybeUninit<f32>], argmax: &mut [MaybeUninit<u32>],
));

/// One input channel, backward without an input gradient: adds `dU[ξ][c]` of the images
/// of `x` into `du` with no matrix product.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn single_channel_backward_body<N: Lanes, W: Lanes>(
    s: &ConvShape,
    g: &Geometry,
    table: &TileTable,
    x: &[f32],
    dout: &[f32],
    argmax: &[u32],
    sc: &mut Scratch,
    ld: usize,
    du: &mut [f32],
) {
    let (hw, pooled) = (s.h * s.w, s.co * g.tiles());
    for (j, plane) in x.chunks_exact(hw).enumerate() {
        deinterleave::<N>(plane, g, &mut sc.even, &mut sc.odd);
        input_transform::<N>(&sc.even, &sc.odd, g, &mut sc.v, ld, 0);
        for c in 0..s.co {
            let at = j * pooled + c * g.tiles();
            let mut sink = GradSink::Accumulate {
                v: &sc.v,
                xi: ld,
                sums: [W::zero(); 16],
            };
            pool_output_adjoint::<W>(
                &dout[at..at + g.tiles()],
                &argmax[at..at + g.tiles()],
                g,
                table,
                (c * hw) as u32,
                &mut sink,
            );
            if let GradSink::Accumulate { sums, .. } = sink {
                for (k, sum) in sums.into_iter().enumerate() {
                    du[k * s.co + c] += sum.sum();
                }
            }
        }
    }
}

with_lanes!(#[allow(clippy::too_many_arguments)] fn single_channel_backward => single_channel_backward_body(
    s: &ConvShape, g: &Geometry, table: &TileTable, x: &[f32], dout: &[f32], argmax: &[u32], sc: &mut Scratch, ld: usize, du: &mut [f32],
));

/// Adds the input gradient of a group of `n` images, from `dv`, onto `dx`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn input_gradients_body<N: Lanes, W: Lanes>(
    s: &ConvShape,
    g: &Geometry,
    dv: &[f32],
    ld: usize,
    n: usize,
    even: &mut [f32],
    odd: &mut [f32],
    dx: &mut [f32],
) {
    let hw = s.h * s.w;
    for j in 0..n {
        for c in 0..s.ci {
            if pairs_tile_rows::<W>(g) {
                let block = g.paired_block();
                even[..2 * block].fill(0.0);
                odd[..2 * block].fill(0.0);
                let at = c * ld + j * g.tiles();
                input_transform_adjoint_paired::<W>(dv, s.ci * ld, at, g, even, odd);
                let at = (j * s.ci + c) * hw;
                interleave_add_paired::<N>(even, odd, g, &mut dx[at..at + hw]);
                continue;
            }
            even.fill(0.0);
            odd.fill(0.0);
            input_transform_adjoint::<N>(dv, s.ci * ld, c * ld + j * g.tiles(), g, even, odd);
            let at = (j * s.ci + c) * hw;
            interleave_add::<N>(even, odd, g, &mut dx[at..at + hw]);
        }
    }
}

with_lanes!(#[allow(clippy::too_many_arguments)] fn input_gradients => input_gradients_body(
    s: &ConvShape, g: &Geometry, dv: &[f32], ld: usize, n: usize, even: &mut [f32], odd: &mut [f32], dx: &mut [f32],
));

/// A fused layer's filters, transformed once, ready to run on images of one size.
///
/// Why a type: inference runs both layers of a network on a couple of images at a time,
/// so that a layer's output is still in cache when the next layer reads it; the filters
/// are transformed once per batch, not once per couple of images.
pub struct PreparedConv {
    s: ConvShape,
    g: Geometry,
    table: TileTable,
    /// The transformed filters by columns ([`by_columns`]).
    u: Vec<f32>,
    ld: usize,
}

impl PreparedConv {
    /// `weight` is `(co, ci, 3, 3)`; images are `ci×h×w`.
    pub fn new(ci: usize, co: usize, h: usize, w: usize, weight: &[f32]) -> Self {
        assert_eq!(weight.len(), co * ci * 9);
        let g = Geometry::new(h, w);
        let ld = if ci == 1 {
            g.tiles() + WIDEST
        } else {
            row_stride(&g)
        };
        Self {
            s: ConvShape {
                batch: 0,
                ci,
                co,
                h,
                w,
            },
            table: TileTable::new(&g),
            u: by_columns(&filter_transform(weight, co, ci), co, ci),
            g,
            ld,
        }
    }

    /// Elements of one input image.
    pub fn in_len(&self) -> usize {
        self.s.ci * self.s.h * self.s.w
    }

    /// Elements of one pooled output image.
    pub fn out_len(&self) -> usize {
        self.s.co * self.g.tiles()
    }

    /// Images run through the products together (see [`group_images`]).
    pub fn group(&self) -> usize {
        if self.s.ci == 1 {
            1
        } else {
            group_images(self.g.tiles())
        }
    }

    /// Every image of `x` on the calling thread, one group after another; every element
    /// of `out` and `argmax` is written.
    pub fn forward(
        &self,
        x: &[f32],
        out: &mut [MaybeUninit<f32>],
        argmax: &mut [MaybeUninit<u32>],
    ) {
        let n = x.len() / self.in_len();
        assert_eq!(x.len(), n * self.in_len());
        assert_eq!(out.len(), n * self.out_len());
        assert_eq!(argmax.len(), out.len());
        let per = self.group();
        x.chunks(per * self.in_len())
            .zip(out.chunks_mut(per * self.out_len()))
            .zip(argmax.chunks_mut(per * self.out_len()))
            .for_each(|((xg, og), ag)| self.forward_group(xg, og, ag));
    }

    /// One group of at most [`Self::group`] images.
    fn forward_group(&self, xg: &[f32], og: &mut [MaybeUninit<f32>], ag: &mut [MaybeUninit<u32>]) {
        let (s, g, ld) = (&self.s, &self.g, self.ld);
        if s.ci == 1 {
            let one = ConvShape { ci: 1, co: 1, ..*s };
            with_scratch(&one, g, ld, false, |sc| {
                single_channel_forward(s, g, &self.table, &self.u, xg, sc, ld, og, ag)
            });
            return;
        }
        with_scratch(s, g, ld, false, |sc| {
            let n = og.len() / self.out_len();
            let cols = n * g.tiles();
            transform_inputs(s, g, xg, n, sc, ld);
            for xi in 0..16 {
                products::product(
                    s.co,
                    cols,
                    s.ci,
                    &mut sc.m[xi * s.co * ld..],
                    ld,
                    &self.u[xi * s.co * s.ci..],
                    (1, s.co),
                    &sc.v[xi * s.ci * ld..],
                    ld,
                );
            }
            pool_outputs(s, g, &self.table, &sc.m, ld, n, og, ag);
        });
    }
}

/// Forward convolution, pool and ReLU (see [`super::kernels::conv3x3_pool_relu_forward`]
/// for the contract), by Winograd: groups of images in parallel.
///
/// Every element of `out` and `argmax` is written, so they may start uninitialised.
pub fn conv3x3_pool_relu_forward(
    s: ConvShape,
    x: &[f32],
    weight: &[f32],
    out: &mut [MaybeUninit<f32>],
    argmax: &mut [MaybeUninit<u32>],
) {
    assert_eq!(x.len(), s.batch * s.ci * s.h * s.w);
    assert_eq!(out.len(), s.batch * s.co * pool_out(s.h) * pool_out(s.w));
    assert_eq!(argmax.len(), out.len());
    let layer = PreparedConv::new(s.ci, s.co, s.h, s.w, weight);
    let (per, pooled) = (layer.group(), layer.out_len());
    x.par_chunks(per * layer.in_len())
        .zip(out.par_chunks_mut(per * pooled))
        .zip(argmax.par_chunks_mut(per * pooled))
        .for_each(|((xg, og), ag)| layer.forward_group(xg, og, ag));
}

/// Backward of [`conv3x3_pool_relu_forward`]: adds the weight gradient into `dweight` and,
/// when given, the input gradient into `dx`.
#[allow(clippy::too_many_arguments)]
pub fn conv3x3_pool_relu_backward(
    s: ConvShape,
    x: &[f32],
    weight: &[f32],
    dout: &[f32],
    argmax: &[u32],
    dweight: &mut [f32],
    dx: Option<&mut [f32]>,
) {
    let g = Geometry::new(s.h, s.w);
    let table = TileTable::new(&g);
    let u = filter_transform(weight, s.co, s.ci);
    let per_group = group_images(g.tiles());
    let ld = row_stride(&g);
    let (in_len, pooled) = (s.ci * s.h * s.w, s.co * g.tiles());
    let ranges = chunk_ranges(s.batch, rayon::current_num_threads());
    // Each thread adds into its own contiguous part of dx.
    let mut dx_parts = split_by_images(dx, &ranges, in_len);
    let partial_du: Vec<Vec<f32>> = ranges
        .par_iter()
        .zip(dx_parts.par_iter_mut())
        .map(|(r, dx)| {
            let mut du = vec![0.0f32; 16 * s.co * s.ci];
            if s.ci == 1 {
                // The weight gradient always comes from here, so it is the same with or
                // without the input gradient.
                let ld = g.tiles() + WIDEST;
                with_scratch(&ConvShape { co: 1, ..s }, &g, ld, false, |sc| {
                    single_channel_backward(
                        &s,
                        &g,
                        &table,
                        &x[r.start * in_len..r.end * in_len],
                        &dout[r.start * pooled..r.end * pooled],
                        &argmax[r.start * pooled..r.end * pooled],
                        sc,
                        ld,
                        &mut du,
                    )
                });
                if dx.is_none() {
                    return du;
                }
            }
            with_scratch(&s, &g, ld, dx.is_some(), |sc| {
                let mut first = r.start;
                while first < r.end {
                    let n = per_group.min(r.end - first);
                    let cols = n * g.tiles();
                    transform_inputs(&s, &g, &x[first * in_len..], n, sc, ld);
                    let at = first * pooled;
                    pool_gradients(
                        &s,
                        &g,
                        &table,
                        &dout[at..at + n * pooled],
                        &argmax[at..at + n * pooled],
                        n,
                        &mut sc.m,
                        ld,
                    );
                    for xi in (0..16).filter(|_| s.ci > 1) {
                        // dU[ξ] (co × ci) += dM[ξ] (co × tiles) · V[ξ]ᵀ (tiles × ci)
                        products::general(
                            s.co,
                            s.ci,
                            cols,
                            &mut du[xi * s.co * s.ci..],
                            (s.ci, 1),
                            true,
                            &sc.m[xi * s.co * ld..],
                            (ld, 1),
                            &sc.v[xi * s.ci * ld..],
                            (1, ld),
                        );
                    }
                    if let Some(dx) = dx.as_deref_mut() {
                        for xi in 0..16 {
                            // dV[ξ] (ci × tiles) = U[ξ]ᵀ (ci × co) · dM[ξ] (co × tiles)
                            products::product(
                                s.ci,
                                cols,
                                s.co,
                                &mut sc.dv[xi * s.ci * ld..],
                                ld,
                                &u[xi * s.co * s.ci..],
                                (1, s.ci),
                                &sc.m[xi * s.co * ld..],
                                ld,
                            );
                        }
                        let at = (first - r.start) * in_len;
                        let Scratch { dv, even, odd, .. } = &mut *sc;
                        input_gradients(&s, &g, dv, ld, n, even, odd, &mut dx[at..at + n * in_len]);
                    }
                    first += n;
                }
            });
            du
        })
        .collect();
    // Chunks are added in a fixed order, so one thread count always gives one result.
    let mut du = vec![0.0f32; 16 * s.co * s.ci];
    for part in partial_du {
        du.iter_mut().zip(&part).for_each(|(d, p)| *d += p);
    }
    filter_transform_adjoint(&du, s.co, s.ci, dweight);
}
