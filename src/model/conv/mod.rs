//! The convolution arithmetic, on plain slices in NCHW order. It knows nothing of dfdx
//! nor of the networks (nothing here imports from [`crate::model`]): the ops in
//! `model::ops` record these kernels on the tape, and inference runs them directly.
//!
//! - [`winograd`]: the fused 3×3 SAME convolution + 2×2 SAME max-pool + ReLU by
//!   Winograd's F(2×2, 3×3), which the networks train with;
//! - [`winograd4`]: the same layer by F(4×4, 3×3), and [`direct`]: the first layer
//!   computed directly, which inference runs where the channels allow
//!   ([`InferenceConv`] chooses);
//! - [`im2col`] and [`pool`]: the separate convolution and max-pool, the straightforward
//!   kernels of the unfused layers;
//! - [`products`]: the small matrix products of the Winograd layers (and of the dense
//!   layers, in `model::dense`);
//! - [`lanes`]: vectors of eight or sixteen lanes the transforms are written against,
//!   and [`lane_set`]: which of them a call uses, passed as a value;
//! - [`shape`]: the shapes, and how a batch is cut into parts for the threads.
//!
//! The naive references the tests hold all of these to are in `reference.rs`, beside the
//! tests (`tests.rs`).

pub mod direct;
mod general;
pub mod im2col;
mod inference;
pub mod lane_set;
mod lanes;
pub mod pool;
mod products;
mod routed;
mod scratch_pool;
pub mod shape;
pub mod winograd;
pub mod winograd4;

#[cfg(test)]
pub(crate) mod reference;
#[cfg(test)]
mod tests;

pub use general::general as matrix_product;
pub(crate) use general::{general_on_pool, general_on_threads};
pub use inference::InferenceConv;
pub use lane_set::LaneSet;
pub(crate) use products::product;
pub use shape::{lcm, pool_out, ConvShape, MapLayout};
