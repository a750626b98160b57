//! Where a plane's tiles are and how big a group's buffers must be: the tile geometry,
//! the images grouped per product, the transformed rows' stride, and the per-thread
//! scratch kept between calls.

use crate::lanes::{Lanes, L};
use crate::scratch_pool::with_pooled;
use crate::shape::{pool_out, ConvShape};

/// Tile geometry of one `h×w` plane: `th×tw` tiles, and the deinterleaved padded input
/// (`rows` rows of `stride` even and `stride` odd columns).
#[derive(Debug, Clone, Copy)]
pub(super) struct Geometry {
    pub(super) h: usize,
    pub(super) w: usize,
    pub(super) th: usize,
    pub(super) tw: usize,
    pub(super) rows: usize,
    pub(super) stride: usize,
}

impl Geometry {
    pub(super) fn new(h: usize, w: usize) -> Self {
        let (th, tw) = (pool_out(h), pool_out(w));
        Self {
            h,
            w,
            th,
            tw,
            rows: 2 * th + 2,
            // Tile tx reads even and odd columns tx and tx + 1; whole lane chunks are read.
            stride: tw.div_ceil(L) * L + 1,
        }
    }
    pub(super) fn tiles(&self) -> usize {
        self.th * self.tw
    }
    pub(super) fn padded(&self) -> usize {
        self.rows * self.stride
    }
    /// One block (even or odd rows) of the paired layout, see [`deinterleave_paired`]:
    /// `th + 1` rows of [`L`], and room to read one vector of 16 past the last.
    pub(super) fn paired_block(&self) -> usize {
        (self.th + 3) * L
    }
    /// Length of each deinterleaved plane buffer: big enough for either layout.
    pub(super) fn plane_buffer(&self) -> usize {
        self.padded().max(2 * self.paired_block())
    }
}

/// Images transformed together: about a hundred tiles, so that a group's transformed
/// inputs and outputs stay in the core's L2 cache between the transforms and the
/// products. Measured here: 2 images of 14×14 (98 tiles) trained faster than 5 or 8.
pub(super) fn group_images(tiles: usize) -> usize {
    (100 / tiles).max(1)
}

/// Room after the tables and after each transformed row for one whole vector of the
/// widest lanes.
pub(super) const WIDEST: usize = 16;

/// Per-thread scratch: transformed inputs (`16 × ci` rows of `ld`), transformed outputs
/// (`16 × co` rows) and the deinterleaved padded planes.
pub(super) struct Scratch {
    pub(super) v: Vec<f32>,
    pub(super) m: Vec<f32>,
    pub(super) even: Vec<f32>,
    pub(super) odd: Vec<f32>,
}

impl Scratch {
    pub(super) fn new(s: &ConvShape, g: &Geometry, ld: usize) -> Self {
        Self {
            v: vec![0.0; 16 * s.ci * ld],
            m: vec![0.0; 16 * s.co * ld],
            even: vec![0.0; g.plane_buffer()],
            odd: vec![0.0; g.plane_buffer()],
        }
    }

    pub(super) fn fits(&self, s: &ConvShape, g: &Geometry, ld: usize) -> bool {
        self.v.len() == 16 * s.ci * ld
            && self.m.len() == 16 * s.co * ld
            && self.even.len() == g.plane_buffer()
    }
}

thread_local! {
    /// Scratch kept between calls, one per layer shape: zeroing a fresh one for every
    /// call cost more than some of the transforms.
    static SCRATCH: std::cell::RefCell<Vec<Scratch>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's scratch for the shape, made on first use.
pub(super) fn with_scratch<R>(
    s: &ConvShape,
    g: &Geometry,
    ld: usize,
    f: impl FnOnce(&mut Scratch) -> R,
) -> R {
    let make = || Scratch::new(s, g, ld);
    with_pooled(&SCRATCH, |sc| sc.fits(s, g, ld), make, f)
}

/// Row stride of the transformed matrices: a group's tiles plus room for one spilled
/// lane chunk.
pub(super) fn row_stride(g: &Geometry) -> usize {
    group_images(g.tiles()) * g.tiles() + WIDEST
}

/// Whether the input transform takes two tile rows per vector: with 16 lanes, and rows
/// of at most 7 tiles (images at most 14 wide), eight lanes per tile row suffice.
pub(super) fn pairs_tile_rows<W: Lanes>(g: &Geometry) -> bool {
    W::LANES == 2 * L && g.tw < L && g.w <= 2 * L - 2
}
