//! The custom ops on the tape against central finite differences and against each other
//! (the kernels themselves are tested beside them, in `src/model/conv/tests.rs`).

use crate::common;

use common::random;
use dfdx::prelude::*;
use mnist_tui::model::ops::{conv3x3_same, maxpool2x2_same, to_vec, Dev};
use mnist_tui::model::LaneSet;
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
    use mnist_tui::model::ops::maxpool2x2_relu_same;
    let dev = Dev::default();
    let x = random(2 * 3 * 7 * 7, 9);
    let planes = 2 * 3;
    let shape = (2usize, Const::<3>, Const::<7>, Const::<7>);
    let r = random(planes * 16, 10);
    let rt = dev.tensor_from_vec(r.clone(), (2usize, Const::<3>, Const::<4>, Const::<4>));
    // The plain pool's gradient says where each window's maximum is.
    let xt = dev.tensor_from_vec(x.clone(), shape);
    let plain: Tensor<(usize, Const<3>, Const<4>, Const<4>), f32, Dev, _> =
        maxpool2x2_same(xt.leaky_trace());
    let plain_out = to_vec(&plain);
    let ones = dev.ones_like(&(2usize, Const::<3>, Const::<4>, Const::<4>));
    let at_max = (plain * ones).sum().backward().get(&xt).as_vec();

    let fused = maxpool2x2_relu_same(xt.leaky_trace());
    let fused_out = to_vec(&fused);
    let relu: Vec<f32> = plain_out.iter().map(|v| v.max(0.0)).collect();
    assert_eq!(fused_out, relu);
    assert!(fused_out.contains(&0.0) && fused_out.iter().any(|&v| v > 0.0));

    // Backward: pooled windows whose max is negative pass no gradient; the others pass
    // theirs to the maximum.
    let dx = (fused * rt).sum().backward().get(&xt).as_vec();
    let mut expected = vec![0.0f32; x.len()];
    for (i, &v) in x.iter().enumerate() {
        if at_max[i] > 0.0 {
            let (p, y, xx) = (i / 49, i % 49 / 7, i % 7);
            let o = p * 16 + (y / 2) * 4 + xx / 2;
            if fused_out[o] > 0.0 {
                assert_eq!(v, fused_out[o]);
                expected[i] += r[o];
            }
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

        let fused = conv3x3_pool_relu(xt.leaky_trace(), &wt, true, LaneSet::best());
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
        let g3 = (conv3x3_pool_relu(xt.leaky_trace(), &wt, false, LaneSet::best()) * rt)
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

/// Our dropout op against dfdx's `try_dropout`: the same output and input gradient to the
/// bit, from devices seeded alike, over two calls (the device's random stream advances).
#[test]
fn dropout_equals_dfdx_dropout_to_the_bit() {
    use mnist_tui::model::dropout::dropout;
    let (ours_dev, theirs_dev) = (Dev::seed_from_u64(11), Dev::seed_from_u64(11));
    // More elements than one bulk draw of random words (1 024), and than two of the
    // parallel tasks that each seek the generator to their place (65 536), plus a
    // ragged end.
    let xs = random(2 * 3 * 150 * 170, 4);
    let r = random(xs.len(), 5);
    let mut zeros = 0;
    for _ in 0..2 {
        let run = |dev: &Dev, ours: bool| {
            let x =
                dev.tensor_from_vec(xs.clone(), (2usize, Const::<3>, Const::<150>, Const::<170>));
            let rt =
                dev.tensor_from_vec(r.clone(), (2usize, Const::<3>, Const::<150>, Const::<170>));
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
    // About 30 % of the 306 000 elements are dropped (a standard deviation is 253).
    assert!((90_000..93_600).contains(&zeros), "{zeros} dropped");
}

/// `Σ dense(x) ⊙ r`, so that d(loss)/d(out) = r.
fn dense_loss(dev: &Dev, x: &[f32], w: &[f32], b: &[f32], r: &[f32]) -> f64 {
    use mnist_tui::model::dense::dense;
    let x = dev.tensor_from_vec(x.to_vec(), (4usize, Const::<5>));
    let w: Tensor<Rank2<3, 5>, f32, Dev> = dev.tensor_from_vec(w.to_vec(), Default::default());
    let b: Tensor<Rank1<3>, f32, Dev> = dev.tensor_from_vec(b.to_vec(), Default::default());
    let out = to_vec(&dense(x, &w, &b));
    out.iter().zip(r).map(|(o, r)| *o as f64 * *r as f64).sum()
}

#[test]
fn dense_gradients_match_finite_differences() {
    use mnist_tui::model::dense::dense;
    let dev = Dev::default();
    let (x, w, b, r) = (
        random(4 * 5, 1),
        random(3 * 5, 2),
        random(3, 3),
        random(4 * 3, 4),
    );
    let xt = dev.tensor_from_vec(x.clone(), (4usize, Const::<5>));
    let wt: Tensor<Rank2<3, 5>, f32, Dev> = dev.tensor_from_vec(w.clone(), Default::default());
    let bt: Tensor<Rank1<3>, f32, Dev> = dev.tensor_from_vec(b.clone(), Default::default());
    let rt = dev.tensor_from_vec(r.clone(), (4usize, Const::<3>));
    let grads = (dense(xt.leaky_trace(), &wt, &bt) * rt).sum().backward();

    let dx = central_differences(&x, |x| dense_loss(&dev, x, &w, &b, &r));
    let dw = central_differences(&w, |w| dense_loss(&dev, &x, w, &b, &r));
    let db = central_differences(&b, |b| dense_loss(&dev, &x, &w, b, &r));
    assert_close(&grads.get(&xt).as_vec(), &dx, "dx");
    assert_close(&grads.get(&wt).as_vec(), &dw, "dw");
    assert_close(&grads.get(&bt).as_vec(), &db, "db");
}

/// Our dense layer against dfdx's `Linear` with the same weights, at a size where gemm
/// packs and blocks its operands and cuts the work among threads: the same outputs and
/// gradients up to rounding, and the same parameters under the same names.
#[test]
fn dense_layer_equals_dfdx_linear_forward_and_backward() {
    use dfdx::nn::modules::Linear;
    use mnist_tui::model::layers::Dense;
    let dev = Dev::seed_from_u64(2);
    let mut ours: Dense<300, 70, f32, Dev> = BuildModule::build(&dev);
    let mut theirs: Linear<300, 70, f32, Dev> = BuildModule::build(&dev);
    theirs.weight.copy_from(&random(70 * 300, 5));
    theirs.bias.copy_from(&random(70, 6));
    ours.weight.copy_from(&to_vec(&theirs.weight));
    ours.bias.copy_from(&to_vec(&theirs.bias));
    let x = dev.tensor_from_vec(random(37 * 300, 7), (37usize, Const::<300>));
    let r = dev.tensor_from_vec(random(37 * 70, 8), (37usize, Const::<70>));

    let y_ours = ours.forward(x.leaky_trace());
    let y_theirs = theirs.forward(x.leaky_trace());
    let close = |a: &[f32], b: &[f32], what: &str| {
        assert_eq!(a.len(), b.len());
        for (i, (a, b)) in a.iter().zip(b).enumerate() {
            assert!(
                (a - b).abs() < 1e-4 * (1.0 + b.abs()),
                "{what}[{i}]: {a} vs {b}"
            );
        }
    };
    close(&to_vec(&y_ours), &to_vec(&y_theirs), "y");
    let g_ours = (y_ours * r.clone()).sum().backward();
    let g_theirs = (y_theirs * r).sum().backward();
    close(&to_vec(&g_ours.get(&x)), &to_vec(&g_theirs.get(&x)), "dx");
    let dw = (g_ours.get(&ours.weight), g_theirs.get(&theirs.weight));
    close(&to_vec(&dw.0), &to_vec(&dw.1), "dw");
    let db = (g_ours.get(&ours.bias), g_theirs.get(&theirs.bias));
    close(&to_vec(&db.0), &to_vec(&db.1), "db");

    // Saved by ours, loaded by theirs: the tensors' names and shapes agree.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dense.safetensors");
    ours.save_safetensors(&path).unwrap();
    let mut loaded: Linear<300, 70, f32, Dev> = BuildModule::build(&dev);
    loaded.load_safetensors(&path).unwrap();
    assert_eq!(loaded.weight.as_vec(), theirs.weight.as_vec());
    assert_eq!(loaded.bias.as_vec(), theirs.bias.as_vec());
}
