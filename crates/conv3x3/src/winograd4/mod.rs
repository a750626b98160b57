//! 3×3 SAME convolution fused with 2×2 SAME max-pool and ReLU by Winograd's F(4×4, 3×3)
//! inside the maps and smaller tiles at their edges ([`geometry`]), for inference.
//!
//! Why a second algorithm: each 4×4 block of outputs costs 36 multiplies per input
//! channel instead of the 64 of four F(2×2) tiles (1.78× fewer; 1.62× on a 14×14 image,
//! whose last row and column of tiles are 2 wide). Its rounding differs from F(2×2)'s by
//! a few units in the last place of the inputs' scale, so only inference uses it:
//! training and its backward pass keep the F(2×2) layer ([`super::winograd`]), whose
//! argmax the backward pass needs and this layer does not compute.
//!
//! A tile of `my × mx` outputs at output `(oy, ox)` reads the `(my+2)×(mx+2)` window at
//! that padded position; as in the F(2×2) layer, its transformed values
//! `ξ = p·(mx+2) + q` form independent matrix products over channels, one per `ξ` and
//! class of tiles: `Mᵀ[ξ] (tiles × co) = Vᵀ[ξ] (tiles × ci) · Uᵀ[ξ]`, laid out so that the
//! transforms load whole vectors of channels ([`transforms`]). The one-dimensional
//! algorithms and the filter transform are in [`matrices`].

mod geometry;
mod matrices;
mod transforms;

use std::cell::RefCell;
use std::mem::MaybeUninit;

use super::lane_set::LaneSet;
use super::products;
use super::scratch_pool::with_pooled;
use super::shape::MapLayout;
use geometry::Geometry;
use matrices::filter_transform;
use transforms::{
    input_transform, output_transform_pool, pad_channels_last, pad_from_channels_last,
};

/// Channels per vector of the widest lanes: this layer takes only shapes whose input and
/// output channels are multiples of it, so that every lane set fills its vectors.
const CHANNEL_BLOCK: usize = 16;

/// Tiles a group of images keeps to, where its classes allow ([`Geometry::group`]):
/// twelve 7×7 images; 14×14 ones need six, for their one 2×2 corner tile each to fill
/// the product kernel's six rows. A class's transformed inputs and outputs (at most
/// 36 × 54 × 96 values here) then stay in the core's L2 cache between the transforms and
/// the products.
const GROUP_TILES: usize = 48;

/// A fused F(4×4, 3×3) layer's filters, transformed once, for images of one size and one
/// lane set.
pub struct PreparedConv4 {
    g: Geometry,
    /// `Uᵀ[ξ][c][o]` of each class of tiles, in the geometry's order.
    ut: Vec<Vec<f32>>,
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
        let g = Geometry::new(ci, co, h, w);
        let ut = g
            .classes
            .iter()
            .map(|c| filter_transform(weight, co, ci, (c.my, c.mx)))
            .collect();
        Self { g, ut, lanes }
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
        self.g.group(GROUP_TILES)
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
        match from {
            MapLayout::Planar => pad_channels_last(self.lanes, g, xg, n, &mut sc.padded),
            MapLayout::ChannelsLast => pad_from_channels_last(g, xg, n, &mut sc.padded),
        }
        let channels_last = to == MapLayout::ChannelsLast;
        for (class, ut) in g.classes.iter().zip(&self.ut) {
            let tiles = n * class.origins.len();
            input_transform(self.lanes, (g, class), &sc.padded, n, &mut sc.v);
            for xi in 0..class.xis() {
                products::product(
                    self.lanes,
                    (tiles, g.co, g.ci),
                    &mut sc.m[xi * tiles * g.co..],
                    g.co,
                    &sc.v[xi * tiles * g.ci..],
                    (g.ci, 1),
                    &ut[xi * g.ci * g.co..],
                    g.co,
                );
            }
            output_transform_pool(self.lanes, (g, class), &sc.m, n, og, channels_last);
        }
    }
}

/// One thread's buffers for one layer shape: the padded channels-last images (whose
/// border stays zero: only the interior is ever written), and the transformed inputs
/// and outputs of one class of tiles at a time.
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
    let values = g.largest_class(per);
    let make = || Scratch {
        g: g.clone(),
        padded: vec![0.0; per * g.padded_len()],
        v: vec![0.0; values * g.ci],
        m: vec![0.0; values * g.co],
    };
    with_pooled(&SCRATCH, |sc| sc.g == *g, make, f)
}

#[cfg(test)]
mod tests;
