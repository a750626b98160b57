//! conv3x3: the 3×3 convolution and 2×2 max-pool kernels of mnist-tui, on plain `f32`
//! slices in NCHW order, for the CPU. It knows nothing of dfdx nor of any network: the
//! app records these kernels on dfdx's tape as custom ops, and its inference runs them
//! directly. Being a crate of its own, the compiler keeps the arithmetic from importing
//! the app.
//!
//! - [`winograd`]: the fused 3×3 SAME convolution + 2×2 SAME max-pool + ReLU by
//!   Winograd's F(2×2, 3×3), which the networks train with;
//! - [`winograd4`]: the same layer by F(4×4, 3×3), and [`direct`]: the first layer
//!   computed directly, which inference runs where the channels allow
//!   ([`InferenceConv`] chooses);
//! - [`im2col`] and [`pool`]: the separate convolution and max-pool, the straightforward
//!   kernels of the unfused layers;
//! - `products`: the small matrix products of the Winograd layers ([`product`], also used
//!   by the app's dense layers), and [`matrix_product`]: the general one (gemm);
//! - `lanes`: vectors of eight or sixteen lanes the transforms are written against, and
//!   [`lane_set`]: which of them a call uses, passed as a value;
//! - [`shape`]: the shapes, and how a batch is cut into parts for the threads;
//! - [`reference`]: the naive loops every kernel is tested against (`tests.rs` and each
//!   kernel's own tests).

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

pub mod reference;
#[cfg(test)]
mod tests;

pub use general::general as matrix_product;
pub use general::{general_on_pool, general_on_threads};
pub use inference::InferenceConv;
pub use lane_set::LaneSet;
pub use products::product;
pub use shape::{lcm, pool_out, ConvShape, MapLayout};

/// The README's example, compiled and run as a doctest so that it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;
