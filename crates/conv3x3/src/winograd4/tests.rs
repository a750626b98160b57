//! The F(4×4, 3×3) layer (with its smaller edge tiles) against the naive convolution, pooling and ReLU, with every
//! lane set this CPU has, and against the F(2×2) layer training runs.

use std::mem::MaybeUninit;

use super::PreparedConv4;
use crate::reference::{conv3x3_reference, maxpool_reference, random};
use crate::shape::MapLayout;
use crate::tests::shape;
use crate::{winograd, LaneSet};

/// The layer's output over the planar images of `x`, planar.
fn run(layer: &PreparedConv4, x: &[f32]) -> Vec<f32> {
    run_in(layer, (x, MapLayout::Planar), MapLayout::Planar)
}

/// The layer's output over the images of `x`, in layout `to`.
fn run_in(layer: &PreparedConv4, x: (&[f32], MapLayout), to: MapLayout) -> Vec<f32> {
    let n = x.0.len() / layer.in_len();
    let mut out = vec![MaybeUninit::new(f32::NAN); n * layer.out_len()];
    layer.forward(x, (&mut out, to));
    // SAFETY: every element was initialised (NaN), and `forward` writes them all.
    out.into_iter()
        .map(|v| unsafe { v.assume_init() })
        .collect()
}

/// Largest error relative to `1 + |reference|`.
fn worst_error(got: &[f32], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    got.iter()
        .zip(want)
        .map(|(&g, &w)| (g as f64 - w).abs() / (1.0 + w.abs()))
        .fold(0.0, f64::max)
}

#[test]
fn every_lane_set_matches_the_naive_reference_on_every_edge_case() {
    // The networks' shapes (14×14 ends in 2-wide tiles, 7×7 in 3-wide ones); odd and
    // uneven sizes (every edge tile width: 1, 2 and 3), smaller than one tile, and
    // batches that end in a short group.
    let shapes = [
        (5, 32, 64, 14, 14),
        (9, 64, 128, 7, 7),
        (3, 16, 32, 5, 9),
        (2, 32, 16, 1, 1),
        (3, 16, 16, 8, 8),
        (2, 16, 48, 6, 3),
    ];
    for lanes in LaneSet::available() {
        for (batch, ci, co, h, w) in shapes {
            let s = shape(batch, ci, co, h, w);
            let x = random(batch * ci * h * w, 41);
            let wt = random(co * ci * 9, 42);
            let layer = PreparedConv4::new(ci, co, h, w, &wt, lanes);
            let got = run(&layer, &x);
            let conv = conv3x3_reference(s, &x, &wt);
            let pooled = maxpool_reference(batch * co, h, w, &conv);
            let want: Vec<f64> = pooled.iter().map(|&v| v.max(0.0) as f64).collect();
            let error = worst_error(&got, &want);
            assert!(error < 1e-4, "{lanes:?} {s:?}: error {error:e}");
            assert!(got.iter().any(|&v| v > 0.0) && got.contains(&0.0), "{s:?}");
        }
    }
}

#[test]
fn inference_by_f4x4_agrees_with_the_f2x2_layer_training_runs() {
    // The seed network's second layer at the scale of trained weights (He-like: a few
    // tenths), where a difference would change what a prediction is.
    let s = shape(6, 32, 64, 14, 14);
    let x: Vec<f32> = random(s.batch * s.in_len(), 51);
    let wt: Vec<f32> = random(64 * 32 * 9, 52).iter().map(|v| v * 0.1).collect();
    for lanes in LaneSet::available() {
        let quads = run(&PreparedConv4::new(32, 64, 14, 14, &wt, lanes), &x);
        let (pairs, _) = winograd::conv3x3_pool_relu_forward_new(s, lanes, &x, &wt);
        let widened: Vec<f64> = pairs.iter().map(|&v| v as f64).collect();
        let error = worst_error(&quads, &widened);
        assert!(error < 1e-5, "{lanes:?}: {error:e}");
    }
}

#[test]
fn channels_that_are_not_multiples_of_sixteen_are_not_taken() {
    assert!(PreparedConv4::fits(32, 64) && PreparedConv4::fits(16, 16));
    for (ci, co) in [(1, 32), (32, 10), (8, 16), (0, 16)] {
        assert!(!PreparedConv4::fits(ci, co), "{ci}→{co}");
    }
}

/// `[image][channel][pixel]` → `[image][pixel][channel]`.
fn channels_last(x: &[f32], channels: usize, pixels: usize) -> Vec<f32> {
    let mut t = vec![0.0; x.len()];
    for (src, dst) in x
        .chunks_exact(channels * pixels)
        .zip(t.chunks_exact_mut(channels * pixels))
    {
        for c in 0..channels {
            for p in 0..pixels {
                dst[p * channels + c] = src[c * pixels + p];
            }
        }
    }
    t
}

#[test]
fn both_layouts_in_and_out_give_the_same_values() {
    for lanes in LaneSet::available() {
        for (batch, ci, co, h, w) in [(4, 32, 64, 14, 14), (13, 64, 128, 7, 7), (2, 16, 32, 5, 3)] {
            let x = random(batch * ci * h * w, 71);
            let layer = PreparedConv4::new(ci, co, h, w, &random(co * ci * 9, 72), lanes);
            let pooled = h.div_ceil(2) * w.div_ceil(2);
            let want = run(&layer, &x);
            let x_last = channels_last(&x, ci, h * w);
            let from_last = run_in(
                &layer,
                (&x_last, MapLayout::ChannelsLast),
                MapLayout::Planar,
            );
            assert_eq!(
                from_last, want,
                "{lanes:?} {ci}→{co} {h}×{w}: from channels-last"
            );
            let to_last = run_in(&layer, (&x, MapLayout::Planar), MapLayout::ChannelsLast);
            assert_eq!(
                to_last,
                channels_last(&want, co, pooled),
                "{lanes:?}: to channels-last"
            );
        }
    }
}
