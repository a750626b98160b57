//! Fooling the model, to see how brittle it is: the fast gradient sign method (Goodfellow
//! et al., 2015) on one digit. Every pixel moves by the same small step ε in the direction
//! that raises the loss of the class the model sees (or lowers the loss of a chosen
//! class); the smallest ε, on a fixed ladder, that changes the model's verdict is the
//! answer. The whole ladder goes through one batched inference pass.

use dfdx::prelude::*;

use super::nets::{Images, Network};
use super::ops::{to_vec, Dev};
use super::probability::{argmax, softmax};
use crate::data::PIXELS;

/// The steps tried, in pixel units of [0, 1]: 0.005 to 0.5, each 10 % above the last
/// (49 steps). A step of 0.5 is half the ink's range: past it the digit is another picture.
pub fn ladder() -> Vec<f32> {
    let mut steps = vec![0.005f32];
    while steps[steps.len() - 1] * 1.1 <= 0.5 {
        let next = steps[steps.len() - 1] * 1.1;
        steps.push(next);
    }
    steps
}

/// A changed picture the model reads as another digit.
#[derive(Debug, Clone, PartialEq)]
pub struct Fooled {
    /// The step that did it.
    pub epsilon: f32,
    /// The changed picture, 28×28 in [0, 1].
    pub pixels: Vec<f32>,
    /// The model's probabilities for it.
    pub probabilities: [f32; 10],
    /// What the model said before, and says now.
    pub was: usize,
    pub now: usize,
}

/// Searches the smallest step of [`ladder`] that makes the model call `pixels` another
/// digit (`target`: that one); `None` when no step up to the largest does.
pub fn fool<N: Network>(
    net: &N,
    dev: &Dev,
    pixels: &[f32],
    target: Option<usize>,
) -> Option<Fooled> {
    assert_eq!(pixels.len(), PIXELS);
    let was = argmax(&net.infer_rows(pixels, 1));
    // The class whose loss the step raises (the prediction's) or lowers (the target's).
    let (class, sign) = match target {
        Some(t) if t != was => (t, -1.0f32),
        Some(_) => return None,
        None => (was, 1.0),
    };
    let x: Images = dev.tensor_from_vec(pixels.to_vec(), (1, Const, Const, Const));
    let logits = net.forward_explain(x.leaky_trace());
    let mut one_hot = vec![0.0f32; 10];
    one_hot[class] = 1.0;
    let y = dev.tensor_from_vec(one_hot, (1, Const::<10>));
    let grads = cross_entropy_with_logits_loss(logits, y).backward();
    let direction: Vec<f32> = to_vec(&grads.get(&x))
        .iter()
        .map(|g| sign * g.signum() * f32::from(*g != 0.0))
        .collect();
    let steps = ladder();
    let batch: Vec<f32> = steps
        .iter()
        .flat_map(|&eps| {
            pixels
                .iter()
                .zip(&direction)
                .map(move |(p, d)| (p + eps * d).clamp(0.0, 1.0))
        })
        .collect();
    let logits = net.infer_rows(&batch, steps.len());
    logits
        .chunks_exact(10)
        .zip(batch.chunks_exact(PIXELS))
        .zip(&steps)
        .find_map(|((row, image), &epsilon)| {
            let now = argmax(row);
            let flipped = match target {
                Some(t) => now == t,
                None => now != was,
            };
            flipped.then(|| Fooled {
                epsilon,
                pixels: image.to_vec(),
                probabilities: softmax(row),
                was,
                now,
            })
        })
}
