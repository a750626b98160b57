//! The fused inference pass (all conv layers a few images at a time, by F(4×4, 3×3)
//! where the channels allow) against the layer-by-layer forward pass the trainer uses
//! (F(2×2, 3×3)): the two round differently, so they agree to within rounding and
//! predict the same classes.

use crate::common;

use common::random;
use dfdx::prelude::*;
use mnist_tui::data::Dataset;
use mnist_tui::model::ops::to_vec;
use mnist_tui::model::{DeepNet, Dev, Images, Logits, Network, SeedNet};
use mnist_tui::train::eval::accuracy;

/// Logits of both passes over `n` images: within 1e-5 (relative to 1 + |logit|), and
/// the same class for every image.
fn assert_same_logits<N: Network + Module<Images, Output = Logits>>(n: usize) {
    let dev = Dev::seed_from_u64(3);
    let net = N::build_seeded(&dev, 5);
    let pixels: Vec<f32> = random(n * 784, 9).iter().map(|v| v.abs()).collect();
    let x: Images = dev.tensor_from_vec(pixels, (n, Const, Const, Const));
    let fused = to_vec(&net.forward_infer(x.clone()));
    let layered = to_vec(&net.forward(x));
    assert_eq!(fused.len(), n * 10);
    assert!(
        layered.iter().any(|v| v.abs() > 1e-3),
        "logits are all near zero"
    );
    for (i, (f, l)) in fused.iter().zip(&layered).enumerate() {
        assert!(
            (f - l).abs() <= 1e-5 * (1.0 + l.abs()),
            "{} logit {i}: {f} vs {l}",
            N::NAME
        );
    }
    let class = |row: &[f32]| (0..10).max_by(|&a, &b| row[a].total_cmp(&row[b]));
    for (f, l) in fused.chunks(10).zip(layered.chunks(10)) {
        assert_eq!(class(f), class(l), "{}", N::NAME);
    }
}

#[test]
fn seed_inference_equals_the_layered_forward_pass() {
    // An odd count leaves a last task of one image.
    assert_same_logits::<SeedNet>(7);
    assert_same_logits::<SeedNet>(1);
}

#[test]
fn deep_inference_equals_the_layered_forward_pass() {
    // Tasks of twelve images here (its conv3 groups twelve), and a last one of one.
    assert_same_logits::<DeepNet>(13);
}

#[test]
fn accuracy_over_several_batches_counts_what_each_images_own_pass_predicts() {
    // 1 234 images: full evaluation batches, then a shorter one in the same reused
    // buffer.
    let data = Dataset::embedded().unwrap();
    let dev = Dev::seed_from_u64(3);
    let net = SeedNet::build_seeded(&dev, 5);
    let n = 1_234;
    let mut right = 0;
    for start in (0..n).step_by(9) {
        let indices: Vec<usize> = (start..(start + 9).min(n)).collect();
        let mut pixels = Vec::new();
        data.test.fill_batch(&indices, &mut pixels);
        let x: Images = dev.tensor_from_vec(pixels, (indices.len(), Const, Const, Const));
        let logits = to_vec(&net.forward_infer(x));
        for (&i, row) in indices.iter().zip(logits.chunks(10)) {
            let class = (0..10).max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)));
            right += usize::from(class == Some(data.test.labels[i] as usize));
        }
    }
    assert!(
        right > 0,
        "an untrained network got nothing right: nothing compared"
    );
    assert_eq!(accuracy(&net, &data.test, n), right as f64 / n as f64);
}

/// `infer_rows` over `n` test images at once, and in parts of `part`: the same bits.
fn assert_batch_size_free<N: Network>(n: usize, part: usize) {
    let data = Dataset::embedded().unwrap();
    let dev = Dev::seed_from_u64(3);
    let net = N::build_seeded(&dev, 5);
    let indices: Vec<usize> = (0..n).collect();
    let mut pixels = Vec::new();
    data.test.fill_batch(&indices, &mut pixels);
    let whole = net.infer_rows(&pixels, n);
    let parts: Vec<f32> = pixels
        .chunks(part * 784)
        .flat_map(|p| net.infer_rows(p, p.len() / 784))
        .collect();
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&parts), bits(&whole), "{} in parts of {part}", N::NAME);
}

#[test]
fn an_images_logits_do_not_depend_on_the_batch_it_comes_in() {
    assert_batch_size_free::<SeedNet>(1_000, 250);
    assert_batch_size_free::<DeepNet>(1_000, 250);
    assert_batch_size_free::<DeepNet>(1_000, 500);
}
