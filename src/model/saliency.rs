//! Why the model says what it says about one image: the gradient of each class's score
//! with respect to the input pixels, times the pixels ("gradient × input").
//!
//! Positive values are pixels whose ink pushes the score of the class up, negative ones
//! pull it down; a blank pixel contributes nothing. The ten classes are explained at
//! once, by one backward pass over ten copies of the image (copy `c` backpropagates the
//! score of class `c`), so the dashboard can switch between them without asking again.

use dfdx::prelude::*;

use super::nets::{Images, Network};
use super::ops::{to_vec, Dev};
use crate::data::PIXELS;

/// Gradient × input of every class's score: ten maps of 28×28, class after class.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Saliency(pub Vec<f32>);

impl Saliency {
    /// The map of class `c` (empty when nothing was computed).
    pub fn of_class(&self, c: usize) -> &[f32] {
        self.0.get(c * PIXELS..(c + 1) * PIXELS).unwrap_or(&[])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Explains `pixels` (28×28 in [0, 1]) for each of the ten classes, with `net` as it is.
pub fn saliency<N: Network>(net: &N, dev: &Dev, pixels: &[f32]) -> Saliency {
    assert_eq!(pixels.len(), PIXELS);
    let x: Images = dev.tensor_from_vec(pixels.repeat(10), (10, Const, Const, Const));
    let logits = net.forward_explain(x.leaky_trace());
    // Row c keeps only class c's score, so the gradient of their sum is, row by row, the
    // gradient of one class's score.
    let mut pick = vec![0.0f32; 100];
    (0..10).for_each(|c| pick[c * 11] = 1.0);
    let pick = dev.tensor_from_vec(pick, (10, Const::<10>));
    let grads = (logits * pick).sum::<Rank0, _>().backward();
    let gradient = to_vec(&grads.get(&x));
    let product = gradient
        .chunks_exact(PIXELS)
        .flat_map(|g| g.iter().zip(pixels).map(|(g, p)| g * p))
        .collect();
    Saliency(product)
}
