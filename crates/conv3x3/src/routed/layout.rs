//! Where things are in the routed backward pass's buffers: the channel blocks, the
//! padded channel-last image, and the filters by block.

use crate::shape::ConvShape;

/// Vectors per channel block. Two: a filter's nine taps of one block (or the nine sums of
/// its gradient) are then eighteen vectors, which AVX-512's 32 registers hold with room
/// for the loads; one vector would load each window twice as often per multiply-add.
pub(super) const BLOCK_VECTORS: usize = 2;

/// Taps of a 3×3 window.
pub(super) const TAPS: usize = 9;

/// Where things are in a call's buffers: the shape, the channel blocks and the padded,
/// channel-last image.
pub(super) struct Layout {
    pub(super) s: ConvShape,
    /// Lanes per vector of the lane set.
    pub(super) lanes: usize,
    /// Channels per block: [`BLOCK_VECTORS`] vectors.
    pub(super) block: usize,
    /// Channel blocks: `ci` rounded up to whole blocks (the rest are zeros).
    pub(super) blocks: usize,
    /// Cells per padded row: `w + 2`.
    pub(super) row: usize,
    /// Offsets of the nine taps from a window's top-left cell, in elements.
    pub(super) taps: [usize; TAPS],
}

impl Layout {
    pub(super) fn new(s: ConvShape, lanes: usize) -> Self {
        let block = BLOCK_VECTORS * lanes;
        let blocks = s.ci.div_ceil(block);
        let row = s.w + 2;
        let channels = blocks * block;
        Self {
            s,
            lanes,
            block,
            blocks,
            row,
            taps: std::array::from_fn(|k| ((k / 3) * row + k % 3) * channels),
        }
    }

    /// Elements per cell of a padded image: every block's channels.
    pub(super) fn channels(&self) -> usize {
        self.blocks * self.block
    }

    /// Elements of a padded, channel-last image.
    pub(super) fn image_len(&self) -> usize {
        (self.s.h + 2) * self.row * self.channels()
    }

    /// Elements of the filters (or their gradient) laid out `[block][o][tap][channel]`.
    pub(super) fn filters_len(&self) -> usize {
        self.blocks * self.s.co * TAPS * self.block
    }

    /// Where filter `o`'s taps of channel block `b` start in that layout.
    pub(super) fn filter_at(&self, b: usize, o: usize) -> usize {
        (b * self.s.co + o) * TAPS * self.block
    }
}

/// `weight` `(co, ci, 3, 3)` laid out `[block][o][tap][channel]`, zeros past `ci`.
pub(super) fn by_blocks(weight: &[f32], l: &Layout) -> Vec<f32> {
    let s = &l.s;
    let mut out = vec![0.0f32; l.filters_len()];
    for o in 0..s.co {
        for c in 0..s.ci {
            let at = l.filter_at(c / l.block, o) + c % l.block;
            for k in 0..TAPS {
                out[at + k * l.block] = weight[(o * s.ci + c) * TAPS + k];
            }
        }
    }
    out
}

/// Adds a gradient laid out as [`by_blocks`] lays out filters into `dweight`
/// `(co, ci, 3, 3)`.
pub(super) fn add_from_blocks(du: &[f32], l: &Layout, dweight: &mut [f32]) {
    let s = &l.s;
    for o in 0..s.co {
        for c in 0..s.ci {
            let at = l.filter_at(c / l.block, o) + c % l.block;
            for k in 0..TAPS {
                dweight[(o * s.ci + c) * TAPS + k] += du[at + k * l.block];
            }
        }
    }
}
