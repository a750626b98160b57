//! Inference helpers: accuracy over a split, and one image's class probabilities.

use dfdx::prelude::*;

use crate::data::Split;
use crate::model::{ops::to_vec, Dev, Images, Network};

use super::events::{argmax, Mistake, TestReport, MAX_MISTAKES};

/// Images per batch of the trainer's evaluations: large enough to amortise each batch's
/// preparation of the weights, small enough to keep memory low. They run while the
/// training state is held, so a batch's maps add to the trainer's peak: `deep` full
/// epochs peaked at 180.9–200.6 MB with batches of 1 000 (seven runs), 178.9–194.9 with
/// 500 (three). An image's logits do not depend on its batch (tested).
pub const EVAL_BATCH: usize = 500;

/// Turns a batch of images of `split` into an input tensor.
pub fn images_tensor(dev: &Dev, split: &Split, indices: &[usize]) -> Images {
    let mut buf = Vec::new();
    split.fill_batch(indices, &mut buf);
    dev.tensor_from_vec(buf, (indices.len(), Const, Const, Const))
}

/// Runs `net` over the first `n` images of `split` in batches of `batch`, handing each
/// batch's indices and logits (rows of 10) to `each`.
///
/// The images go from the split into one buffer, reused from batch to batch and filled
/// on every thread, and from there straight into the network: no tensor to build and
/// copy back out, which would be three serial passes over 3 MB per batch.
fn logits_in_batches<N: Network>(
    net: &N,
    split: &Split,
    (n, batch): (usize, usize),
    mut each: impl FnMut(&[usize], &[f32]),
) {
    let indices: Vec<usize> = (0..n).collect();
    let mut pixels = Vec::new();
    let infer = net.inference();
    for chunk in indices.chunks(batch.max(1)) {
        split.fill_batch(chunk, &mut pixels);
        each(chunk, &infer(&pixels, chunk.len()));
    }
}

/// Fraction of the first `limit` images of `split` that `net` classifies right.
pub fn accuracy<N: Network>(net: &N, split: &Split, limit: usize) -> f64 {
    accuracy_in_batches(net, split, limit, EVAL_BATCH)
}

/// [`accuracy`] in batches of `batch` images (`bench` times batches of 1 000, as the
/// peer scripts do).
pub fn accuracy_in_batches<N: Network>(net: &N, split: &Split, limit: usize, batch: usize) -> f64 {
    let n = limit.min(split.len());
    if n == 0 {
        return 0.0;
    }
    let mut correct = 0usize;
    logits_in_batches(net, split, (n, batch), |chunk, logits| {
        correct += chunk
            .iter()
            .zip(logits.chunks(10))
            .filter(|(&i, row)| argmax(row) == split.labels[i] as usize)
            .count();
    });
    correct as f64 / n as f64
}

/// Accuracy over all of `split`, with its confusion matrix and mistakes.
pub fn test_report<N: Network>(net: &N, split: &Split, at_epoch: f64) -> (f64, TestReport) {
    let mut report = TestReport {
        at_epoch,
        ..TestReport::default()
    };
    let mut correct = 0usize;
    logits_in_batches(net, split, (split.len(), EVAL_BATCH), |chunk, logits| {
        for (&i, row) in chunk.iter().zip(logits.chunks(10)) {
            let (label, predicted) = (split.labels[i] as usize, argmax(row));
            report.confusion[label][predicted] += 1;
            if label == predicted {
                correct += 1;
            } else if report.mistakes.len() < MAX_MISTAKES {
                let p = softmax(row);
                report.mistakes.push(Mistake {
                    index: i,
                    pixels: split.image(i).to_vec(),
                    label: label as u8,
                    predicted: predicted as u8,
                    p_label: p[label],
                    p_predicted: p[predicted],
                });
            }
        }
    });
    (correct as f64 / split.len().max(1) as f64, report)
}

pub use crate::model::probability::softmax;

/// Class probabilities of 28×28 pixels in [0, 1].
pub fn probabilities<N: Network>(net: &N, dev: &Dev, pixels: &[f32]) -> [f32; 10] {
    let x: Images = dev.tensor_from_vec(pixels.to_vec(), (1, Const, Const, Const));
    softmax(&to_vec(&net.forward_infer(x)))
}
