//! The backward pass of the fused 3×3 SAME convolution + 2×2 max-pool + ReLU, straight
//! from the pooled gradients, without Winograd.
//!
//! Why: max-pool sends each pooled gradient to one place of the convolution's output (its
//! argmax) and ReLU stops about half of them, so the convolution's output gradient is at
//! most a quarter full. A gradient `g` that flows to output place `(o, y, x)` adds
//! `g · x[:, y−1..=y+1, x−1..=x+1]` to filter `o`'s gradient and `g · w[o]` onto the
//! input gradient's 3×3 window there: `9·ci` multiply-adds each way. For the seed
//! network's conv2 that is at most 0.9 million per image and way, about half of that in
//! practice, against Winograd's 1.6 million per product, with no transforms either side.
//!
//! Layout: inside a task, an image's input and its input gradient are kept channel-last
//! with a border of zeros, `[h + 2][w + 2][channels]`, so that a tap of a window is a
//! couple of whole vectors across channels. Channels go in blocks of [`BLOCK_VECTORS`]
//! vectors; one filter's nine taps of a block stay in registers while its gradients are
//! added, and so do the nine sums of its weight gradient.

use std::ops::Range;

use rayon::prelude::*;

use super::lane_set::LaneSet;
use super::lanes::{Lanes, Portable};
use super::shape::{
    add_in_order, chunk_ranges, pool_out, split_by_images, ConvShape, BACKWARD_TASKS, NO_GRADIENT,
};

/// Vectors per channel block. Two: a filter's nine taps of one block (or the nine sums of
/// its gradient) are then eighteen vectors, which AVX-512's 32 registers hold with room
/// for the loads; one vector would load each window twice as often per multiply-add.
const BLOCK_VECTORS: usize = 2;

/// Taps of a 3×3 window.
const TAPS: usize = 9;

/// Where things are in a call's buffers: the shape, the channel blocks and the padded,
/// channel-last image.
struct Layout {
    s: ConvShape,
    /// Lanes per vector of the lane set.
    lanes: usize,
    /// Channels per block: [`BLOCK_VECTORS`] vectors.
    block: usize,
    /// Channel blocks: `ci` rounded up to whole blocks (the rest are zeros).
    blocks: usize,
    /// Cells per padded row: `w + 2`.
    row: usize,
    /// Offsets of the nine taps from a window's top-left cell, in elements.
    taps: [usize; TAPS],
}

impl Layout {
    fn new(s: ConvShape, lanes: usize) -> Self {
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
    fn channels(&self) -> usize {
        self.blocks * self.block
    }

    /// Elements of a padded, channel-last image.
    fn image_len(&self) -> usize {
        (self.s.h + 2) * self.row * self.channels()
    }

    /// Elements of the filters (or their gradient) laid out `[block][o][tap][channel]`.
    fn filters_len(&self) -> usize {
        self.blocks * self.s.co * TAPS * self.block
    }

    /// Where filter `o`'s taps of channel block `b` start in that layout.
    fn filter_at(&self, b: usize, o: usize) -> usize {
        (b * self.s.co + o) * TAPS * self.block
    }
}

/// Lanes per vector of a set.
fn lanes_of(set: LaneSet) -> usize {
    match set {
        LaneSet::Avx512 => 16,
        LaneSet::Avx2 | LaneSet::Portable => 8,
    }
}

/// `weight` `(co, ci, 3, 3)` laid out `[block][o][tap][channel]`, zeros past `ci`.
fn by_blocks(weight: &[f32], l: &Layout) -> Vec<f32> {
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
fn add_from_blocks(du: &[f32], l: &Layout, dweight: &mut [f32]) {
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

/// Backward of [`super::winograd::conv3x3_pool_relu_forward`]: adds the weight gradient
/// into `dweight` and the input gradient into `dx`, each when given. Each of
/// [`BACKWARD_TASKS`] tasks takes a contiguous range of images and adds into its own part
/// of `dx`; the tasks' weight gradients are summed in their order, so the result does
/// not depend on the threads.
pub fn conv3x3_pool_relu_backward(
    s: ConvShape,
    lanes: LaneSet,
    (x, weight): (&[f32], &[f32]),
    (dout, argmax): (&[f32], &[u32]),
    dweight: Option<&mut [f32]>,
    dx: Option<&mut [f32]>,
) {
    assert!(
        lanes.is_available(),
        "this CPU cannot run {}",
        lanes.label()
    );
    let pooled = s.batch * s.co * pool_out(s.h) * pool_out(s.w);
    assert_eq!(x.len(), s.batch * s.in_len());
    assert_eq!(weight.len(), s.co * s.ci * TAPS);
    assert!(dweight.as_ref().is_none_or(|d| d.len() == weight.len()));
    assert!(dout.len() == pooled && argmax.len() == pooled);
    let l = Layout::new(s, lanes_of(lanes));
    let filters = by_blocks(weight, &l);
    let ranges = chunk_ranges(s.batch, BACKWARD_TASKS);
    let mut dx_parts = split_by_images(dx, &ranges, s.in_len());
    let pass = Pass {
        l: &l,
        weight_gradient: dweight.is_some(),
        filters: &filters,
        x,
        dout,
        argmax,
    };
    let partial: Vec<Vec<f32>> = ranges
        .par_iter()
        .zip(dx_parts.par_iter_mut())
        .map(|(r, dx)| pass.images(lanes, r.clone(), dx.as_deref_mut()))
        .collect();
    if let Some(dweight) = dweight {
        let mut du = vec![0.0f32; l.filters_len()];
        add_in_order(&mut du, &partial);
        add_from_blocks(&du, &l, dweight);
    }
}

/// What every task reads.
struct Pass<'a> {
    l: &'a Layout,
    weight_gradient: bool,
    filters: &'a [f32],
    x: &'a [f32],
    dout: &'a [f32],
    argmax: &'a [u32],
}

impl Pass<'_> {
    /// The images `r` with the lane set asked for: returns their weight gradient (laid
    /// out by blocks) and adds their input gradient into `dx` (which holds just these
    /// images) when given.
    fn images(&self, lanes: LaneSet, r: Range<usize>, dx: Option<&mut [f32]>) -> Vec<f32> {
        #[cfg(target_arch = "x86_64")]
        {
            use super::lanes::{Avx2, Avx512};
            #[target_feature(enable = "avx2,fma,avx512f")]
            unsafe fn avx512(p: &Pass, r: Range<usize>, dx: Option<&mut [f32]>) -> Vec<f32> {
                p.images_body::<Avx512>(r, dx)
            }
            #[target_feature(enable = "avx2")]
            unsafe fn avx2(p: &Pass, r: Range<usize>, dx: Option<&mut [f32]>) -> Vec<f32> {
                p.images_body::<Avx2>(r, dx)
            }
            match lanes {
                // SAFETY: the caller asserted that the CPU has the set.
                LaneSet::Avx512 => return unsafe { avx512(self, r, dx) },
                // SAFETY: as above.
                LaneSet::Avx2 => return unsafe { avx2(self, r, dx) },
                LaneSet::Portable => {}
            }
        }
        self.images_body::<Portable>(r, dx)
    }

    #[inline(always)]
    fn images_body<V: Lanes>(&self, r: Range<usize>, mut dx: Option<&mut [f32]>) -> Vec<f32> {
        let (l, s) = (self.l, &self.l.s);
        assert_eq!(l.lanes, V::LANES);
        let in_len = s.in_len();
        let pooled = pool_out(s.h) * pool_out(s.w);
        let mut du = vec![
            0.0f32;
            if self.weight_gradient {
                l.filters_len()
            } else {
                0
            }
        ];
        // The borders and the channels past `ci` stay zero; the rest is rewritten for
        // each image.
        let mut xp = vec![0.0f32; l.image_len()];
        let mut dxp = vec![0.0f32; if dx.is_some() { l.image_len() } else { 0 }];
        let mut flows = Flows::new(l);
        for (j, image) in r.enumerate() {
            to_channels_last(&self.x[image * in_len..][..in_len], l, &mut xp);
            let at = image * s.co * pooled;
            let routed = (&self.dout[at..], &self.argmax[at..]);
            flows.gather(l, (&routed.0[..s.co * pooled], &routed.1[..s.co * pooled]));
            for b in 0..l.blocks {
                let channel = b * l.block;
                for o in (0..s.co).filter(|_| self.weight_gradient) {
                    let own = flows.of(o);
                    let at = l.filter_at(b, o);
                    let sums = &mut du[at..at + TAPS * l.block];
                    // SAFETY: a flow's window starts at most at the image's last cell
                    // (`Flows::gather` asserts it), so its last tap, two rows and two
                    // cells on, is inside the padded image, and so is its channel block.
                    unsafe { add_filter_gradient::<V>(&l.taps, xp[channel..].as_ptr(), own, sums) };
                }
                if dx.is_none() {
                    continue;
                }
                for o in 0..s.co {
                    let own = flows.of(o);
                    let taps = &self.filters[l.filter_at(b, o)..][..TAPS * l.block];
                    let dst = dxp[channel..].as_mut_ptr();
                    // SAFETY: as above, for the padded input gradient.
                    unsafe { add_input_gradient::<V>(&l.taps, taps, own, dst) };
                }
            }
            if let Some(dx) = dx.as_deref_mut() {
                add_channels_first(&dxp, l, &mut dx[j * in_len..][..in_len]);
                dxp.fill(0.0);
            }
        }
        du
    }
}

/// The gradients that flow back in one image, filter by filter: each a value and the
/// element of the padded, channel-last image where its 3×3 window starts.
struct Flows {
    all: Vec<(f32, u32)>,
    /// Where each filter's flows start in `all` (and, last, where they end).
    starts: Vec<usize>,
    /// Per pooled output, the first place of its 2×2 window in the convolution output
    /// and the padded image's cell there (where that place's 3×3 window starts).
    corners: Vec<(u32, u32)>,
}

impl Flows {
    fn new(l: &Layout) -> Self {
        let (s, across) = (&l.s, pool_out(l.s.w));
        let pooled = pool_out(s.h) * across;
        let corners = (0..pooled)
            .map(|t| {
                let (y, x) = (2 * (t / across), 2 * (t % across));
                ((y * s.w + x) as u32, (y * l.row + x) as u32)
            })
            .collect();
        Self {
            all: vec![(0.0, 0); s.co * pooled],
            starts: vec![0; s.co + 1],
            corners,
        }
    }

    /// The flows of one image from its pooled gradients and argmax (`co` planes each).
    /// A zero gradient (dropout's, say) adds nothing and is left out, as is one that
    /// ReLU stopped.
    ///
    /// Without a branch per gradient: about half of them flow, at random, so a branch
    /// would be mispredicted every other time.
    fn gather(&mut self, l: &Layout, (dout, argmax): (&[f32], &[u32])) {
        let s = &l.s;
        let pooled = self.corners.len();
        assert!(dout.len() == s.co * pooled && argmax.len() == s.co * pooled);
        let (w, channels) = (s.w as u32, l.channels() as u32);
        // The last cell of the image: the bound every tap's access relies on.
        let last_window = ((s.h - 1) * l.row + s.w - 1) as u32 * channels;
        let mut n = 0;
        for o in 0..s.co {
            self.starts[o] = n;
            let base = (o * s.h * s.w) as u32;
            let planes = dout[o * pooled..][..pooled]
                .iter()
                .zip(&argmax[o * pooled..]);
            for ((&g, &a), &(place, cell)) in planes.zip(&self.corners) {
                let flows = (a != NO_GRADIENT) & (g != 0.0);
                // 0, 1, w or w + 1 places into the pooling window; a row of the padded
                // image is two cells longer.
                let d = a.wrapping_sub(base + place);
                let at = cell.wrapping_add(d).wrapping_add(2 * u32::from(d >= w));
                let window = if flows { at.wrapping_mul(channels) } else { 0 };
                assert!(window <= last_window, "argmax outside its pooling window");
                self.all[n] = (g, window);
                n += usize::from(flows);
            }
        }
        self.starts[s.co] = n;
    }

    /// Filter `o`'s flows.
    fn of(&self, o: usize) -> &[(f32, u32)] {
        &self.all[self.starts[o]..self.starts[o + 1]]
    }
}

/// One image `(ci, h, w)` into the inside of the padded, channel-last `xp`.
#[inline(always)]
fn to_channels_last(x: &[f32], l: &Layout, xp: &mut [f32]) {
    // Cell by cell, so that the writes are contiguous (a store costs more than a load).
    let (s, channels, hw) = (&l.s, l.channels(), l.s.h * l.s.w);
    for y in 0..s.h {
        for xx in 0..s.w {
            let cell = &mut xp[((y + 1) * l.row + xx + 1) * channels..][..s.ci];
            let place = x[y * s.w + xx..].iter().step_by(hw);
            cell.iter_mut().zip(place).for_each(|(d, &v)| *d = v);
        }
    }
}

/// Adds the inside of the padded, channel-last `dxp` onto one image `(ci, h, w)`.
#[inline(always)]
fn add_channels_first(dxp: &[f32], l: &Layout, dx: &mut [f32]) {
    let (s, channels) = (&l.s, l.channels());
    for (c, plane) in dx.chunks_exact_mut(s.h * s.w).enumerate() {
        for (y, line) in plane.chunks_exact_mut(s.w).enumerate() {
            let first = ((y + 1) * l.row + 1) * channels + c;
            for (xx, d) in line.iter_mut().enumerate() {
                *d += dxp[first + xx * channels];
            }
        }
    }
}

/// `sums[tap][channel] += Σ g · xp[window + tap][channel]` over one filter's flows, for
/// one channel block; the sums stay in registers.
///
/// # Safety
/// Every flow's `window + taps[k] + block` elements from `xp` are readable.
#[inline(always)]
unsafe fn add_filter_gradient<V: Lanes>(
    taps: &[usize; TAPS],
    xp: *const f32,
    flows: &[(f32, u32)],
    sums: &mut [f32],
) {
    let mut acc = [[V::zero(); BLOCK_VECTORS]; TAPS];
    for &(g, window) in flows {
        let g = V::splat(g);
        let at = xp.add(window as usize);
        for (k, acc) in acc.iter_mut().enumerate() {
            for (v, acc) in acc.iter_mut().enumerate() {
                *acc = g.mul_add(V::load(at.add(taps[k] + v * V::LANES)), *acc);
            }
        }
    }
    for (k, acc) in acc.iter().enumerate() {
        for (v, acc) in acc.iter().enumerate() {
            let sum = &mut sums[(k * BLOCK_VECTORS + v) * V::LANES..][..V::LANES];
            V::load(sum.as_ptr()).add(*acc).store(sum.as_mut_ptr());
        }
    }
}

/// `dxp[window + tap][channel] += g · filter[tap][channel]` over one filter's flows, for
/// one channel block; the filter's taps stay in registers.
///
/// # Safety
/// Every flow's `window + taps[k] + block` elements from `dxp` are writable.
#[inline(always)]
unsafe fn add_input_gradient<V: Lanes>(
    taps: &[usize; TAPS],
    filter: &[f32],
    flows: &[(f32, u32)],
    dxp: *mut f32,
) {
    assert!(filter.len() >= TAPS * BLOCK_VECTORS * V::LANES);
    let w: [[V; BLOCK_VECTORS]; TAPS] = std::array::from_fn(|k| {
        std::array::from_fn(|v| V::load(filter[(k * BLOCK_VECTORS + v) * V::LANES..].as_ptr()))
    });
    for &(g, window) in flows {
        let g = V::splat(g);
        let at = dxp.add(window as usize);
        for (k, w) in w.iter().enumerate() {
            for (v, w) in w.iter().enumerate() {
                let p = at.add(taps[k] + v * V::LANES);
                g.mul_add(*w, V::load(p)).store(p);
            }
        }
    }
}
