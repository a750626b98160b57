//! Each network's training pass as one op on dfdx's tape (`seed.rs`, `deep.rs`), so that
//! the maps between its layers, and their gradients, never become dfdx tensors.
//!
//! Why: between two ops, dfdx 0.13 lends no view of a tensor's elements, and creates a
//! gradient buffer only zeroed. Each step, the seed network's conv2 copied its input
//! (100 × 32 × 14 × 14 floats, 2.5 MB) out of conv1's output tensor, the dense layer its
//! input (1.25 MB), and dfdx zeroed a buffer as large for each input's gradient: passes
//! on one thread while the other waited. Here a layer's output stays in our own vector,
//! which the next layer reads in place (`chain.rs` runs the conv layers and dropouts,
//! [`super::dense::DenseLayer`] the dense layers), and a gradient between layers is our own vector too,
//! zeroed on every thread. Only the network's input, its weights and its output are
//! dfdx tensors; the results are the layers' one op at a time, to the bit (`tests.rs`).

use dfdx::prelude::*;

use super::ops::{Dev, HalveCeil};
use conv3x3::LaneSet;

mod chain;
mod deep;
mod seed;
#[cfg(test)]
mod tests;

pub use deep::deep_network;
pub use seed::conv_pair_dense;

/// One of the two conv layers: its weight and the instruction set its kernels use.
pub type StackLayer<'a, const CO: usize, const CI: usize> =
    (&'a Tensor<Rank4<CO, CI, 3, 3>, f32, Dev>, LaneSet);

/// The dense head: weight `(O, I)` and bias, as [`super::layers::Dense`] keeps them.
pub type Head<'a, const I: usize, const O: usize> = (
    &'a Tensor<Rank2<O, I>, f32, Dev>,
    &'a Tensor<Rank1<O>, f32, Dev>,
);

/// The maps after both conv layers: `(CO, ⌈⌈H/2⌉/2⌉, ⌈⌈W/2⌉/2⌉)`.
type Maps<const CO: usize, const H: usize, const W: usize> = (
    Const<CO>,
    <<Const<H> as HalveCeil>::Out as HalveCeil>::Out,
    <<Const<W> as HalveCeil>::Out as HalveCeil>::Out,
);
