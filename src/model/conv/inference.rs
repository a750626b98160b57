//! The fused layer inference runs: F(4×4, 3×3) where the channels allow it, else the
//! F(2×2, 3×3) layer training runs. One type, so that the networks and the inference
//! pass ask for "the layer" and never choose an algorithm themselves.

use std::mem::MaybeUninit;

use super::lane_set::LaneSet;
use super::winograd::PreparedConv;
use super::winograd4::PreparedConv4;

/// A fused 3×3 SAME convolution + 2×2 SAME max-pool + ReLU, prepared for inference.
pub enum InferenceConv {
    /// F(2×2, 3×3): the first layer (one input channel, where the products are
    /// elementwise and F(4×4) would save nothing) and channel counts F(4×4) does not take.
    Pairs(PreparedConv),
    /// F(4×4, 3×3): layers whose channels are multiples of sixteen.
    Quads(PreparedConv4),
}

impl InferenceConv {
    /// `weight` is `(co, ci, 3, 3)`; images are `ci×h×w`.
    ///
    /// # Panics
    /// If this CPU cannot run `lanes`.
    pub fn new(ci: usize, co: usize, h: usize, w: usize, weight: &[f32], lanes: LaneSet) -> Self {
        if ci > 1 && PreparedConv4::fits(ci, co) {
            Self::Quads(PreparedConv4::new(ci, co, h, w, weight, lanes))
        } else {
            Self::Pairs(PreparedConv::new(ci, co, h, w, weight, lanes))
        }
    }

    /// Elements of one input image.
    pub fn in_len(&self) -> usize {
        match self {
            Self::Pairs(l) => l.in_len(),
            Self::Quads(l) => l.in_len(),
        }
    }

    /// Output values per image (channels × pooled positions).
    pub fn out_len(&self) -> usize {
        match self {
            Self::Pairs(l) => l.out_len(),
            Self::Quads(l) => l.out_len(),
        }
    }

    /// Output channels.
    pub fn out_channels(&self) -> usize {
        match self {
            Self::Pairs(l) => l.out_channels(),
            Self::Quads(l) => l.out_channels(),
        }
    }

    /// Images run through the products together.
    pub fn group(&self) -> usize {
        match self {
            Self::Pairs(l) => l.group(),
            Self::Quads(l) => l.group(),
        }
    }

    /// Every image of `x` on the calling thread; every element of `out` is written.
    /// `argmax` is scratch of `out`'s length, which the F(2×2) layer fills and nobody
    /// reads.
    pub fn forward(
        &self,
        x: &[f32],
        out: &mut [MaybeUninit<f32>],
        argmax: &mut [MaybeUninit<u32>],
    ) {
        match self {
            Self::Pairs(l) => l.forward(x, out, argmax),
            Self::Quads(l) => l.forward(x, out),
        }
    }
}
