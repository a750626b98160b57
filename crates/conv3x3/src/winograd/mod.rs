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
//!
//! The parts, each in its file: the F(2×2, 3×3) matrices and the filter transform
//! ([`matrices`]), the tile geometry and per-thread scratch ([`geometry`]), the input
//! transform ([`input`]), the output transform with its pooling ([`output`]), and the
//! passes over a group of images that run them with the lane set asked for ([`passes`]).
//! This file holds the layer itself: its forward and backward passes over a batch.

mod geometry;
mod input;
mod matrices;
mod output;
mod passes;

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::lane_set::LaneSet;
use super::products;
use super::routed;
use super::shape::{add_in_order, chunk_ranges, pool_out, ConvShape, BACKWARD_TASKS};
use geometry::{group_images, row_stride, with_scratch, Geometry, WIDEST};
use matrices::{filter_transform_adjoint, filter_transform_by_columns};
use output::TileTable;
use passes::{pool_outputs, single_channel_backward, single_channel_forward, transform_inputs};

/// A fused layer's filters, transformed once, ready to run on images of one size with
/// one lane set.
///
/// Why a type: inference runs both layers of a network on a couple of images at a time,
/// so that a layer's output is still in cache when the next layer reads it; the filters
/// are transformed once per batch, not once per couple of images.
pub struct PreparedConv {
    s: ConvShape,
    g: Geometry,
    table: TileTable,
    /// The transformed filters by columns ([`filter_transform_by_columns`]).
    u: Vec<f32>,
    ld: usize,
    lanes: LaneSet,
}

impl PreparedConv {
    /// `weight` is `(co, ci, 3, 3)`; images are `ci×h×w`.
    ///
    /// # Panics
    /// If this CPU cannot run `lanes`.
    pub fn new(ci: usize, co: usize, h: usize, w: usize, weight: &[f32], lanes: LaneSet) -> Self {
        assert_eq!(weight.len(), co * ci * 9);
        assert!(
            lanes.is_available(),
            "this CPU cannot run {}",
            lanes.label()
        );
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
            u: filter_transform_by_columns(weight, co, ci),
            g,
            ld,
            lanes,
        }
    }

    /// Elements of one input image.
    pub fn in_len(&self) -> usize {
        self.s.ci * self.s.h * self.s.w
    }

    /// Elements of one pooled output image.
    pub fn out_channels(&self) -> usize {
        self.s.co
    }

    /// Output values per image (channels × pooled positions).
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
        let (s, g, ld, lanes) = (&self.s, &self.g, self.ld, self.lanes);
        if s.ci == 1 {
            let one = ConvShape { ci: 1, co: 1, ..*s };
            with_scratch(&one, g, ld, |sc| {
                single_channel_forward(lanes, s, g, &self.table, &self.u, xg, sc, ld, og, ag)
            });
            return;
        }
        with_scratch(s, g, ld, |sc| {
            let n = og.len() / self.out_len();
            let cols = n * g.tiles();
            transform_inputs(lanes, s, g, xg, n, sc, ld);
            for xi in 0..16 {
                products::product(
                    lanes,
                    (s.co, cols, s.ci),
                    &mut sc.m[xi * s.co * ld..],
                    ld,
                    &self.u[xi * s.co * s.ci..],
                    (1, s.co),
                    &sc.v[xi * s.ci * ld..],
                    ld,
                );
            }
            pool_outputs(lanes, s, g, &self.table, &sc.m, ld, n, og, ag);
        });
    }
}

/// Forward convolution, 2×2 SAME max-pool and ReLU, fused, by Winograd: groups of images
/// in parallel. `out` holds the pooled output and `argmax`, per pooled output, the raster
/// index of its maximum within its image's convolution output (or [`NO_GRADIENT`] where
/// ReLU clamped).
///
/// Every element of `out` and `argmax` is written, so they may start uninitialised.
///
/// [`NO_GRADIENT`]: super::shape::NO_GRADIENT
pub fn conv3x3_pool_relu_forward(
    s: ConvShape,
    lanes: LaneSet,
    (x, weight): (&[f32], &[f32]),
    out: &mut [MaybeUninit<f32>],
    argmax: &mut [MaybeUninit<u32>],
) {
    assert_eq!(x.len(), s.batch * s.ci * s.h * s.w);
    assert_eq!(out.len(), s.batch * s.co * pool_out(s.h) * pool_out(s.w));
    assert_eq!(argmax.len(), out.len());
    let layer = PreparedConv::new(s.ci, s.co, s.h, s.w, weight, lanes);
    let (per, pooled) = (layer.group(), layer.out_len());
    x.par_chunks(per * layer.in_len())
        .zip(out.par_chunks_mut(per * pooled))
        .zip(argmax.par_chunks_mut(per * pooled))
        .for_each(|((xg, og), ag)| layer.forward_group(xg, og, ag));
}

/// [`conv3x3_pool_relu_forward`] into fresh vectors, which it fills without zeroing
/// them first (the zeroing was a few per cent of a training step).
pub fn conv3x3_pool_relu_forward_new(
    s: ConvShape,
    lanes: LaneSet,
    x: &[f32],
    weight: &[f32],
) -> (Vec<f32>, Vec<u32>) {
    let n = s.batch * s.co * pool_out(s.h) * pool_out(s.w);
    let (mut out, mut argmax) = (Vec::with_capacity(n), Vec::with_capacity(n));
    conv3x3_pool_relu_forward(
        s,
        lanes,
        (x, weight),
        &mut out.spare_capacity_mut()[..n],
        &mut argmax.spare_capacity_mut()[..n],
    );
    // SAFETY: the kernel wrote all n elements of both.
    unsafe {
        out.set_len(n);
        argmax.set_len(n);
    }
    (out, argmax)
}

/// What the one-channel weight gradient needs of a layer: its shape and lane set, the
/// tile geometry, and the inputs and pooled gradients.
struct Backward<'a> {
    s: ConvShape,
    lanes: LaneSet,
    g: Geometry,
    table: TileTable,
    x: &'a [f32],
    dout: &'a [f32],
    argmax: &'a [u32],
}

/// Backward of [`conv3x3_pool_relu_forward`]: adds the weight gradient into `dweight` and,
/// when given, the input gradient into `dx`.
///
/// Layers of many input channels go straight from the routed gradients (see
/// [`routed`]). A layer of one input channel (the first) takes its weight gradient here,
/// as sixteen sums per filter in the Winograd domain: each of [`BACKWARD_TASKS`] tasks
/// takes a contiguous range of images, and their sums are added in order. Its input
/// gradient, which only saliency asks for, comes from [`routed`].
pub fn conv3x3_pool_relu_backward(
    s: ConvShape,
    lanes: LaneSet,
    (x, weight): (&[f32], &[f32]),
    (dout, argmax): (&[f32], &[u32]),
    dweight: &mut [f32],
    dx: Option<&mut [f32]>,
) {
    assert!(
        lanes.is_available(),
        "this CPU cannot run {}",
        lanes.label()
    );
    let (inputs, pooled) = ((x, weight), (dout, argmax));
    if s.ci > 1 {
        return routed::conv3x3_pool_relu_backward(s, lanes, inputs, pooled, Some(dweight), dx);
    }
    if let Some(dx) = dx {
        routed::conv3x3_pool_relu_backward(s, lanes, inputs, pooled, None, Some(dx));
    }
    let g = Geometry::new(s.h, s.w);
    let pass = Backward {
        s,
        lanes,
        table: TileTable::new(&g),
        g,
        x,
        dout,
        argmax,
    };
    let partial_du: Vec<Vec<f32>> = chunk_ranges(s.batch, BACKWARD_TASKS)
        .into_par_iter()
        .map(|r| pass.images(r))
        .collect();
    let mut du = vec![0.0f32; 16 * s.co];
    add_in_order(&mut du, &partial_du);
    filter_transform_adjoint(&du, s.co, 1, dweight);
}

impl Backward<'_> {
    /// The images `r`: returns their `dU`.
    fn images(&self, r: std::ops::Range<usize>) -> Vec<f32> {
        let (s, g, lanes) = (&self.s, &self.g, self.lanes);
        let (in_len, pooled) = (s.in_len(), s.co * g.tiles());
        let mut du = vec![0.0f32; 16 * s.co];
        let ld = g.tiles() + WIDEST;
        with_scratch(&ConvShape { co: 1, ..*s }, g, ld, |sc| {
            single_channel_backward(
                lanes,
                s,
                g,
                &self.table,
                &self.x[r.start * in_len..r.end * in_len],
                &self.dout[r.start * pooled..r.end * pooled],
                &self.argmax[r.start * pooled..r.end * pooled],
                sc,
                ld,
                &mut du,
            )
        });
        du
    }
}
