//! 3×3 SAME convolution fused with 2×2 SAME max-pool and ReLU by Winograd's F(4×4, 3×3),
//! for inference.
//!
//! Why a second algorithm: each 4×4 block of outputs costs 36 multiplies per input
//! channel instead of the 64 of four F(2×2) tiles (1.78× fewer; 1.36× on a 14×14 image,
//! whose 4×4 tiles overhang it to 16×16). Its rounding differs from F(2×2)'s by a few
//! units in the last place of the inputs' scale, so only inference uses it: training and
//! its backward pass keep the F(2×2) layer ([`super::winograd`]), whose argmax the
//! backward pass needs and this layer does not compute.
//!
//! A tile `(ty, tx)` reads the 6×6 window at padded position `(4ty, 4tx)`; as in the
//! F(2×2) layer, the 36 transformed values `ξ = 6p + q` form 36 independent matrix
//! products over channels, here `Mᵀ[ξ] (tiles × co) = Vᵀ[ξ] (tiles × ci) · Uᵀ[ξ]`,
//! laid out so that the transforms load whole vectors of channels
//! ([`transforms`]). The matrices and the filter transform are in [`matrices`].

mod matrices;
mod transforms;

use std::cell::RefCell;
use std::mem::MaybeUninit;

use super::lane_set::LaneSet;
use super::products;
use super::scratch_pool::with_pooled;
use super::shape::MapLayout;
use matrices::filter_transform;
use transforms::{
    input_transform, output_transform_pool, pad_channels_last, pad_from_channels_last, Geometry,
};

/// Channels per vector of the widest lanes: this layer takes only shapes whose input and
/// output channels are multiples of it, so that every lane set fills its vectors.
const CHANNEL_BLOCK: usize = 16;

/// Tiles transformed and multiplied together: three 14×14 images, or twelve 7×7 ones;
/// a multiple of the product kernel's six rows.
/// Their transformed inputs and outputs (36 × tiles × channels each) then stay in the
/// core's L2 cache between the transforms and the products.
const GROUP_TILES: usize = 48;

/// A fused F(4×4, 3×3) layer's filters, transformed once, for images of one size and one
/// lane set.
pub struct PreparedConv4 {
    g: Geometry,
    /// `Uᵀ[ξ][c][o]`.
    ut: Vec<f32>,
    lanes: LaneSet,
}

impl PreparedConv4 {
    /// Whether a layer of these channels can run here (see [`CHANNEL_BLOCK`]).
    pub fn fits(ci: usize, co: usize) -> bool {
        ci.is_multiple_of(CHANNEL_BLOCK) && co.is_multiple_of(CHANNEL_BLOCK) && ci > 0 && co > 0
    }

    /// `weight` is `(co, ci, 3, 3)`; images are `ci×h×w`.
    ///
    /// # Panics
    /// If the channels do not [`fit`](Self::fits), or this CPU cannot run `lanes`.
    pub fn new(ci: usize, co: usize, h: usize, w: usize, weight: &[f32], lanes: LaneSet) -> Self {
        assert!(
            Self::fits(ci, co),
            "{ci}→{co} channels: not multiples of 16"
        );
        assert!(
            lanes.is_available(),
            "this CPU cannot run {}",
            lanes.label()
        );
        Self {
            g: Geometry::new(ci, co, h, w),
            ut: filter_transform(weight, co, ci),
            lanes,
        }
    }

    /// Elements of one input image.
    pub fn in_len(&self) -> usize {
        self.g.ci * self.g.h * self.g.w
    }

    /// Output values per image (channels × pooled positions).
    pub fn out_len(&self) -> usize {
        let (ph, pw) = self.g.pooled();
        self.g.co * ph * pw
    }

    /// Output channels.
    pub fn out_channels(&self) -> usize {
        self.g.co
    }

    /// Images run through the products together.
    pub fn group(&self) -> usize {
        (GROUP_TILES / self.g.tiles()).max(1)
    }

    /// Every image of `x` (in layout `from`) on the calling thread, one group after
    /// another, into `out` in layout `to`; every element of `out` is written.
    pub fn forward(
        &self,
        (x, from): (&[f32], MapLayout),
        (out, to): (&mut [MaybeUninit<f32>], MapLayout),
    ) {
        let n = x.len() / self.in_len();
        assert_eq!(x.len(), n * self.in_len());
        assert_eq!(out.len(), n * self.out_len());
        let per = self.group();
        with_scratch(&self.g, per, |sc| {
            for (xg, og) in x
                .chunks(per * self.in_len())
                .zip(out.chunks_mut(per * self.out_len()))
            {
                self.forward_group((xg, from), (og, to), sc);
            }
        });
    }

    fn forward_group(
        &self,
        (xg, from): (&[f32], MapLayout),
        (og, to): (&mut [MaybeUninit<f32>], MapLayout),
        sc: &mut Scratch,
    ) {
        let g = &self.g;
        let n = xg.len() / self.in_len();
        let tiles = n * g.tiles();
        match from {
            MapLayout::Planar => pad_channels_last(self.lanes, g, xg, n, &mut sc.padded),
            MapLayout::ChannelsLast => pad_from_channels_last(g, xg, n, &mut sc.padded),
        }
        input_transform(self.lanes, g, &sc.padded, n, &mut sc.v);
        for xi in 0..36 {
            products::product(
                self.lanes,
                (tiles, g.co, g.ci),
                &mut sc.m[xi * tiles * g.co..],
                g.co,
                &sc.v[xi * tiles * g.ci..],
                (g.ci, 1),
                &self.ut[xi * g.ci * g.co..],
                g.co,
            );
        }
        let channels_last = to == MapLayout::ChannelsLast;
        output_transform_pool(self.lanes, g, &sc.m, n, og, channels_last);
    }
}

/// One thread's buffers for one layer shape: the padded channels-last images (whose
/// border stays zero: only the interior is ever written), and the transformed inputs
/// and outputs.
struct Scratch {
    g: Geometry,
    padded: Vec<f32>,
    v: Vec<f32>,
    m: Vec<f32>,
}

thread_local! {
    /// Kept between calls, one per layer shape.
    static SCRATCH: RefCell<Vec<Scratch>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's scratch for `g` and groups of `per` images.
fn with_scratch<R>(g: &Geometry, per: usize, f: impl FnOnce(&mut Scratch) -> R) -> R {
    let tiles = per * g.tiles();
    let make = || Scratch {
        g: *g,
        padded: vec![0.0; per * g.padded_len()],
        v: vec![0.0; 36 * tiles * g.ci],
        m: vec![0.0; 36 * tiles * g.co],
    };
    with_pooled(&SCRATCH, |sc| sc.g == *g, make, f)
}

#[cfg(test)]
mod tests;
