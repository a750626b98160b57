//! The fused layers inference runs, each the fastest that takes its shape: the direct
//! first layer (one input channel), F(4×4, 3×3) where the channels are multiples of 16,
//! else the F(2×2, 3×3) layer training runs. One type, so that the networks and the
//! inference pass ask for "the layer" and never choose an algorithm or a layout
//! themselves.

use std::mem::MaybeUninit;

use super::direct::PreparedDirect;
use super::lane_set::LaneSet;
use super::shape::MapLayout;
use super::winograd::PreparedConv;
use super::winograd4::PreparedConv4;

/// A fused 3×3 SAME convolution + 2×2 SAME max-pool + ReLU, prepared for inference.
pub enum InferenceConv {
    /// Direct, across output channels: one input channel.
    Direct(PreparedDirect),
    /// F(4×4, 3×3): channels that are multiples of sixteen.
    Quads(PreparedConv4),
    /// F(2×2, 3×3): every other shape.
    Pairs(PreparedConv),
}

impl InferenceConv {
    /// `weight` is `(co, ci, 3, 3)`; images are `ci×h×w`.
    ///
    /// # Panics
    /// If this CPU cannot run `lanes`.
    pub fn new(ci: usize, co: usize, h: usize, w: usize, weight: &[f32], lanes: LaneSet) -> Self {
        if PreparedDirect::fits(ci, co) {
            Self::Direct(PreparedDirect::new(co, h, w, weight, lanes))
        } else if PreparedConv4::fits(ci, co) {
            Self::Quads(PreparedConv4::new(ci, co, h, w, weight, lanes))
        } else {
            Self::Pairs(PreparedConv::new(ci, co, h, w, weight, lanes))
        }
    }

    /// Elements of one input image.
    pub fn in_len(&self) -> usize {
        match self {
            Self::Direct(l) => l.in_len(),
            Self::Quads(l) => l.in_len(),
            Self::Pairs(l) => l.in_len(),
        }
    }

    /// Output values per image (channels × pooled positions).
    pub fn out_len(&self) -> usize {
        match self {
            Self::Direct(l) => l.out_len(),
            Self::Quads(l) => l.out_len(),
            Self::Pairs(l) => l.out_len(),
        }
    }

    /// Output channels.
    pub fn out_channels(&self) -> usize {
        match self {
            Self::Direct(l) => l.out_channels(),
            Self::Quads(l) => l.out_channels(),
            Self::Pairs(l) => l.out_channels(),
        }
    }

    /// Images run through the products together.
    pub fn group(&self) -> usize {
        match self {
            Self::Direct(_) => 1,
            Self::Quads(l) => l.group(),
            Self::Pairs(l) => l.group(),
        }
    }

    /// Whether the layer reads and writes channels-last maps (the F(2×2) layer is planar
    /// only).
    pub fn handles_channels_last(&self) -> bool {
        !matches!(self, Self::Pairs(_))
    }

    /// Every image of `x` (in layout `from`) on the calling thread, into `out` in layout
    /// `to`; every element of `out` is written. `argmax` is scratch that only the F(2×2)
    /// layer uses (it fills an argmax nobody reads here), so only that layer grows it to
    /// `out`'s length.
    ///
    /// # Panics
    /// If a layout is channels-last and the layer does not [handle
    /// it](Self::handles_channels_last).
    pub fn forward(
        &self,
        (x, from): (&[f32], MapLayout),
        (out, to): (&mut [MaybeUninit<f32>], MapLayout),
        argmax: &mut Vec<MaybeUninit<u32>>,
    ) {
        match self {
            // One input channel: both layouts are the same.
            Self::Direct(l) => l.forward(x, out, to),
            Self::Quads(l) => l.forward((x, from), (out, to)),
            Self::Pairs(l) => {
                assert!(
                    from == MapLayout::Planar && to == MapLayout::Planar,
                    "the F(2×2) layer reads and writes planar maps only"
                );
                if argmax.len() < out.len() {
                    argmax.resize(out.len(), MaybeUninit::uninit());
                }
                l.forward(x, out, &mut argmax[..out.len()])
            }
        }
    }
}
