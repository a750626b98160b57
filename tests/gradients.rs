//! The custom ops against central finite differences and against naive references.

mod common;

use common::naive::{conv_backward_reference, random};
use dfdx::prelude::*;
use mnist_tui::model::kernels::{self, ConvShape};
use mnist_tui::model::ops::{conv3x3_same, maxpool2x2_same, to_vec, Dev};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// `Σ out ⊙ r` for the conv op, so that d(loss)/d(out) = r.
fn conv_loss(dev: &Dev, x: &[f32], w: &[f32], r: &[f32]) -> f64 {
    let x = dev.tensor_from_vec(x.to_vec(), (2usize, Const::<2>, Const::<5>, Const::<4>));
    let w: Tensor<Rank4<3, 2, 3, 3>, f32, Dev> =
        dev.tensor_from_vec(w.to_vec(), Default::default());
    let out = to_vec(&conv3x3_same(x, &w));
    out.iter().zip(r).map(|(o, r)| *o as f64 * *r as f64).sum()
}

fn assert_close(analytic: &[f32], numeric: &[f64], what: &str) {
    assert_eq!(analytic.len(), numeric.len());
    for (i, (a, n)) in analytic.iter().zip(numeric).enumerate() {
        let tol = 2e-3 * (1.0 + n.abs());
        assert!(
            (*a as f64 - n).abs() < tol,
            "{what}[{i}]: backward gave {a}, finite differences {n}"
        );
    }
}

fn central_differences(v: &[f32], f: impl Fn(&[f32]) -> f64) -> Vec<f64> {
    let eps = 1e-2f32;
    (0..v.len())
        .map(|i| {
            let mut plus = v.to_vec();
            plus[i] += eps;
            let mut minus = v.to_vec();
            minus[i] -= eps;
            (f(&plus) - f(&minus)) / (2.0 * eps as f64)
        })
        .collect()
}

#[test]
fn conv_gradients_match_finite_differences() {
    let dev = Dev::default();
    let x = random(2 * 2 * 5 * 4, 1);
    let w = random(3 * 2 * 9, 2);
    let r = random(2 * 3 * 5 * 4, 3);

    let xt = dev.tensor_from_vec(x.clone(), (2usize, Const::<2>, Const::<5>, Const::<4>));
    let wt: Tensor<Rank4<3, 2, 3, 3>, f32, Dev> =
        dev.tensor_from_vec(w.clone(), Default::default());
    let rt = dev.tensor_from_vec(r.clone(), (2usize, Const::<3>, Const::<5>, Const::<4>));
    let out = conv3x3_same(xt.leaky_trace(), &wt);
    let grads = (out * rt).sum().backward();

    let dx_numeric = central_differences(&x, |x| conv_loss(&dev, x, &w, &r));
    let dw_numeric = central_differences(&w, |w| conv_loss(&dev, &x, w, &r));
    assert_close(&grads.get(&xt).as_vec(), &dx_numeric, "dx");
    assert_close(&grads.get(&wt).as_vec(), &dw_numeric, "dw");
}

#[test]
fn pool_gradients_match_finite_differences() {
    let dev = Dev::default();
    // Distinct values 0.05 apart, shuffled: no ties, so a small nudge never moves a maximum.
    let mut x: Vec<f32> = (0..2 * 3 * 7 * 7).map(|i| i as f32 * 0.05 - 7.0).collect();
    let mut rng = StdRng::seed_from_u64(4);
    for i in (1..x.len()).rev() {
        x.swap(i, rng.gen_range(0..=i));
    }
    let r = random(2 * 3 * 4 * 4, 5);
    let loss = |x: &[f32]| -> f64 {
        let t = dev.tensor_from_vec(x.to_vec(), (2usize, Const::<3>, Const::<7>, Const::<7>));
        let out = to_vec(&maxpool2x2_same(t));
        out.iter().zip(&r).map(|(o, r)| *o as f64 * *r as f64).sum()
    };
    let xt = dev.tensor_from_vec(x.clone(), (2usize, Const::<3>, Const::<7>, Const::<7>));
    let rt = dev.tensor_from_vec(r.clone(), (2usize, Const::<3>, Const::<4>, Const::<4>));
    let out: Tensor<(usize, Const<3>, Const<4>, Const<4>), f32, Dev, _> =
        maxpool2x2_same(xt.leaky_trace());
    let grads = (out * rt).sum().backward();
    let numeric = central_differences(&x, |x| loss(x));
    assert_close(&grads.get(&xt).as_vec(), &numeric, "dx");
}

#[test]
fn conv_forward_matches_naive_reference() {
    for (ci, co, h, w) in [(1, 4, 28, 28), (3, 5, 7, 7), (2, 3, 5, 4), (4, 2, 1, 3)] {
        let s = ConvShape {
            batch: 3,
            ci,
            co,
            h,
            w,
        };
        let x = random(3 * ci * h * w, 6);
        let wt = random(co * ci * 9, 7);
        let mut fast = vec![0.0; 3 * co * h * w];
        kernels::conv3x3_forward(s, &x, &wt, &mut fast);
        let reference = kernels::conv3x3_reference(s, &x, &wt);
        for (f, r) in fast.iter().zip(&reference) {
            assert!((f - r).abs() < 1e-4 * (1.0 + r.abs()), "{s:?}: {f} vs {r}");
        }
    }
}

#[test]
fn pool_forward_matches_naive_reference_with_tf_same_padding() {
    for (h, w) in [(28, 28), (7, 7), (5, 4), (1, 1)] {
        let x = random(6 * h * w, 8);
        let (oh, ow) = (h.div_ceil(2), w.div_ceil(2));
        let mut out = vec![0.0; 6 * oh * ow];
        let mut argmax = vec![0; 6 * oh * ow];
        kernels::maxpool_forward(6, h, w, &x, &mut out, &mut argmax);
        assert_eq!(out, kernels::maxpool_reference(6, h, w, &x), "{h}x{w}");
    }
}

#[test]
fn pool_output_size_is_the_ceiling_like_tensorflow_same() {
    let dev = Dev::default();
    let x: Tensor<(usize, Const<64>, Const<7>, Const<7>), f32, Dev> =
        dev.zeros_like(&(1usize, Const, Const, Const));
    // The type says 4x4; the data must agree.
    let out: Tensor<(usize, Const<64>, Const<4>, Const<4>), f32, Dev> = maxpool2x2_same(x);
    assert_eq!(to_vec(&out).len(), 64 * 16);
}

#[test]
fn fused_pool_relu_equals_relu_after_pool_and_its_gradient_is_right() {
    let dev = Dev::default();
    let x = random(2 * 3 * 7 * 7, 9);
    let planes = 2 * 3;
    let (mut fused, mut plain) = (vec![0.0; planes * 16], vec![0.0; planes * 16]);
    let (mut a1, mut a2) = (vec![0; planes * 16], vec![0; planes * 16]);
    kernels::maxpool_relu_forward(planes, 7, 7, &x, &mut fused, &mut a1);
    kernels::maxpool_forward(planes, 7, 7, &x, &mut plain, &mut a2);
    let relu: Vec<f32> = plain.iter().map(|v| v.max(0.0)).collect();
    assert_eq!(fused, relu);
    assert!(fused.contains(&0.0) && fused.iter().any(|&v| v > 0.0));

    // Backward: pooled windows whose max is negative pass no gradient.
    let xt = dev.tensor_from_vec(x.clone(), (2usize, Const::<3>, Const::<7>, Const::<7>));
    let r = random(planes * 16, 10);
    let rt = dev.tensor_from_vec(r.clone(), (2usize, Const::<3>, Const::<4>, Const::<4>));
    let grads = (mnist_tui::model::ops::maxpool2x2_relu_same(xt.leaky_trace()) * rt)
        .sum()
        .backward();
    let dx = grads.get(&xt).as_vec();
    let mut expected = vec![0.0f32; x.len()];
    for ((&i, &g), &o) in a2.iter().zip(&r).zip(&fused) {
        if o > 0.0 {
            expected[i as usize] += g;
        }
    }
    assert_eq!(dx, expected);
}

/// The fused layer against conv then pool+ReLU, on `h×h` images (odd sizes take the
/// raster path, even sizes the pool-block layout).
macro_rules! check_fused {
    ($CI:literal, $CO:literal, $H:literal, $O:literal) => {{
        const H: usize = $H;
        const O: usize = $O;
        use mnist_tui::model::ops::{conv3x3_pool_relu, maxpool2x2_relu_same};
        let dev = Dev::default();
        let x = random(3 * $CI * H * H, 11);
        let w = random($CO * $CI * 9, 12);
        let r = random(3 * $CO * O * O, 13);
        let xt = dev.tensor_from_vec(x, (3usize, Const::<$CI>, Const::<H>, Const::<H>));
        let wt: Tensor<Rank4<$CO, $CI, 3, 3>, f32, Dev> =
            dev.tensor_from_vec(w, Default::default());
        let rt = dev.tensor_from_vec(r, (3usize, Const::<$CO>, Const::<O>, Const::<O>));

        let fused = conv3x3_pool_relu(xt.leaky_trace(), &wt, true);
        let fused_out = to_vec(&fused);
        let g1 = (fused * rt.clone()).sum().backward();
        let composed = maxpool2x2_relu_same(conv3x3_same(xt.leaky_trace(), &wt));
        let composed_out = to_vec(&composed);
        let g2 = (composed * rt.clone()).sum().backward();
        let close = |a: &[f32], b: &[f32], what: &str| {
            for (i, (a, b)) in a.iter().zip(b).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                    "{H}x{H} {what}[{i}]: {a} vs {b}"
                );
            }
        };
        close(&fused_out, &composed_out, "out");
        assert!(fused_out.iter().any(|&v| v > 0.0) && fused_out.contains(&0.0));
        close(&g1.get(&xt).as_vec(), &g2.get(&xt).as_vec(), "dx");
        close(&g1.get(&wt).as_vec(), &g2.get(&wt).as_vec(), "dw");

        // Without the input gradient, the weight gradient is unchanged.
        let g3 = (conv3x3_pool_relu(xt.leaky_trace(), &wt, false) * rt)
            .sum()
            .backward();
        assert_eq!(g3.get(&wt).as_vec(), g1.get(&wt).as_vec());
    }};
}

#[test]
fn fused_conv_pool_relu_equals_the_composition_forward_and_backward() {
    // Raster layout: odd size, or an im2col matrix taller than the channel count.
    check_fused!(2, 4, 7, 4);
    check_fused!(2, 4, 8, 4);
    check_fused!(2, 4, 14, 7);
    // Pool-block layout: even size, 9 im2col rows for 16 channels (like conv1).
    check_fused!(1, 16, 8, 4);
    check_fused!(1, 16, 28, 14);
}

#[test]
fn conv_backward_matches_naive_reference_across_image_groups() {
    // 10×10 images are grouped four to a product; nine images split over two threads make
    // groups of 4, 4 and 1.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for (batch, ci, co, h, w) in [(9, 3, 5, 10, 10), (3, 2, 4, 28, 28), (5, 1, 3, 7, 7)] {
        let s = ConvShape {
            batch,
            ci,
            co,
            h,
            w,
        };
        let x = random(batch * ci * h * w, 21);
        let wt = random(co * ci * 9, 22);
        let dout = random(batch * co * h * w, 23);
        let (mut dw, mut dx) = (vec![0.0f32; wt.len()], vec![0.0f32; x.len()]);
        pool.install(|| kernels::conv3x3_backward(s, &x, &wt, &dout, &mut dw, Some(&mut dx)));
        let (rdw, rdx) = conv_backward_reference(s, &x, &wt, &dout);
        let close = |a: &[f32], r: &[f64], what: &str| {
            for (i, (a, r)) in a.iter().zip(r).enumerate() {
                assert!(
                    (*a as f64 - r).abs() < 1e-3 * (1.0 + r.abs()),
                    "{s:?} {what}[{i}]: {a} vs {r}"
                );
            }
        };
        close(&dw, &rdw, "dw");
        close(&dx, &rdx, "dx");
    }
}

/// Our dropout op against dfdx's `try_dropout`: the same output and input gradient to the
/// bit, from devices seeded alike, over two calls (the device's random stream advances).
#[test]
fn dropout_equals_dfdx_dropout_to_the_bit() {
    use mnist_tui::model::ops::dropout;
    let (ours_dev, theirs_dev) = (Dev::seed_from_u64(11), Dev::seed_from_u64(11));
    // More elements than one bulk draw of random words (1 024).
    let xs = random(2 * 3 * 15 * 17, 4);
    let r = random(xs.len(), 5);
    let mut zeros = 0;
    for _ in 0..2 {
        let run = |dev: &Dev, ours: bool| {
            let x = dev.tensor_from_vec(xs.clone(), (2usize, Const::<3>, Const::<15>, Const::<17>));
            let rt = dev.tensor_from_vec(r.clone(), (2usize, Const::<3>, Const::<15>, Const::<17>));
            let traced = x.leaky_trace();
            let y = if ours {
                dropout(traced, 0.3)
            } else {
                traced.dropout(0.3)
            };
            let out = to_vec(&y);
            let grads = (y * rt).sum().backward();
            (out, to_vec(&grads.get(&x)))
        };
        let (ours, theirs) = (run(&ours_dev, true), run(&theirs_dev, false));
        for (a, b) in ours
            .0
            .iter()
            .chain(&ours.1)
            .zip(theirs.0.iter().chain(&theirs.1))
        {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        zeros += ours.0.iter().filter(|v| **v == 0.0).count();
    }
    // About 30 % of the 3 060 elements are dropped.
    assert!((800..1040).contains(&zeros), "{zeros} dropped");
}
