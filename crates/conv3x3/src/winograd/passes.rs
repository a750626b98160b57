//! The passes over a group of images (transform its inputs, pool its outputs, their
//! gradients, the one-input-channel layer), each written once over lanes and run with
//! the lane set the caller passes: AVX-512 or AVX2 inside a `#[target_feature]` function,
//! else plain arrays.

use std::mem::MaybeUninit;

use super::geometry::{pairs_tile_rows, Geometry, Scratch};
use super::input::{deinterleave, deinterleave_paired, input_transform, input_transform_paired};
use super::output::{output_transform_pool, pool_output_adjoint, GradSums, TileTable};
use crate::lanes::{with_lanes, Has, Lanes};
use crate::shape::ConvShape;

/// Transforms the `n` images of `x` (a group) into `sc.v`.
#[inline(always)]
fn transform_inputs_body<N: Lanes, W: Lanes>(
    has: (Has<N>, Has<W>),
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
                deinterleave_paired(has.0, plane, g, &mut sc.even, &mut sc.odd);
                let at = c * ld + j * g.tiles();
                input_transform_paired(has.1, &sc.even, &sc.odd, g, &mut sc.v, xi, at);
                continue;
            }
            deinterleave(has.0, plane, g, &mut sc.even, &mut sc.odd);
            input_transform(
                has.0,
                &sc.even,
                &sc.odd,
                g,
                &mut sc.v,
                xi,
                c * ld + j * g.tiles(),
            );
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
    has: (Has<N>, Has<W>),
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
            output_transform_pool(
                has.1,
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

/// One input channel, forward: per image, the transformed input stays in cache and each
/// output channel's `M = U ⊙ V` is formed inside the output transform.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn single_channel_forward_body<N: Lanes, W: Lanes>(
    has: (Has<N>, Has<W>),
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
        deinterleave(has.0, plane, g, &mut sc.even, &mut sc.odd);
        input_transform(has.0, &sc.even, &sc.odd, g, &mut sc.v, ld, 0);
        for c in 0..s.co {
            let filter: [W; 16] = std::array::from_fn(|k| has.1.splat(u[k * s.co + c]));
            let at = j * pooled + c * g.tiles();
            output_transform_pool(
                has.1,
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
    has: (Has<N>, Has<W>),
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
        deinterleave(has.0, plane, g, &mut sc.even, &mut sc.odd);
        input_transform(has.0, &sc.even, &sc.odd, g, &mut sc.v, ld, 0);
        for c in 0..s.co {
            let at = j * pooled + c * g.tiles();
            let mut sink = GradSums {
                v: &sc.v,
                xi: ld,
                sums: [has.1.zero(); 16],
            };
            pool_output_adjoint(
                has.1,
                &dout[at..at + g.tiles()],
                &argmax[at..at + g.tiles()],
                g,
                table,
                (c * hw) as u32,
                &mut sink,
            );
            for (k, sum) in sink.sums.into_iter().enumerate() {
                du[k * s.co + c] += sum.sum();
            }
        }
    }
}

with_lanes!(#[allow(clippy::too_many_arguments)] fn single_channel_backward => single_channel_backward_body(
    s: &ConvShape, g: &Geometry, table: &TileTable, x: &[f32], dout: &[f32], argmax: &[u32], sc: &mut Scratch, ld: usize, du: &mut [f32],
));
