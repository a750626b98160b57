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
//! Layout (`layout.rs`): inside a task, an image's input and its input gradient are kept channel-last
//! with a border of zeros, `[h + 2][w + 2][channels]`, so that a tap of a window is a
//! couple of whole vectors across channels. Channels go in blocks of [`BLOCK_VECTORS`]
//! vectors; one filter's nine taps of a block stay in registers while its gradients are
//! added, and so do the nine sums of its weight gradient.
//!
//! The parts: where things are in the buffers (`layout.rs`), which gradients flow and
//! where (`flows.rs`), and the arithmetic (`kernels.rs`); this file runs them over the
//! batch's images in tasks.

use std::mem::MaybeUninit;
use std::ops::Range;

use rayon::prelude::*;

mod flows;
mod kernels;
mod layout;

use super::lane_set::LaneSet;
use super::lanes::{Has, Lanes, Portable};
use super::shape::{
    add_in_order, chunk_ranges, pool_out, split_by_images, ConvShape, BACKWARD_TASKS,
};
use flows::Flows;
use kernels::{add_channels_first, add_filter_gradient, add_input_gradient, to_channels_last};
use layout::{add_from_blocks, by_blocks, Layout, TAPS};

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
    let l = Layout::new(s, lanes.lanes());
    let filters = by_blocks(weight, &l);
    let ranges = chunk_ranges(s.batch, BACKWARD_TASKS);
    let mut dx_parts = split_by_images(dx, &ranges, s.in_len());
    let pass = Pass {
        l: &l,
        lanes,
        weight_gradient: dweight.is_some(),
        filters: &filters,
        x,
        dout,
        argmax,
    };
    // The tasks' weight gradients in one buffer, allocated and freed here, each task
    // zeroing its own part: sixteen vectors allocated on the pool's threads and freed on
    // this one had stayed with the allocator in pieces (the deep model's conv3 gradients
    // are 4.7 MB a step; its peak RSS fell by about 12 MB).
    let len = if pass.weight_gradient {
        l.filters_len()
    } else {
        0
    };
    let mut partial = Vec::<f32>::with_capacity(ranges.len() * len);
    let mut parts: Vec<&mut [MaybeUninit<f32>]> = match len {
        0 => ranges.iter().map(|_| &mut [][..]).collect(),
        _ => partial.spare_capacity_mut()[..ranges.len() * len]
            .chunks_exact_mut(len)
            .collect(),
    };
    parts
        .par_iter_mut()
        .zip(ranges.par_iter().zip(dx_parts.par_iter_mut()))
        .for_each(|(part, (r, dx))| {
            part.fill(MaybeUninit::new(0.0));
            // SAFETY: every element was just written; `MaybeUninit<f32>` has the layout
            // of `f32`.
            let du =
                unsafe { &mut *(std::ptr::from_mut::<[MaybeUninit<f32>]>(*part) as *mut [f32]) };
            pass.images(r.clone(), du, dx.as_deref_mut())
        });
    drop(parts);
    // SAFETY: each task wrote the whole of its part, and the parts cover the first
    // `ranges.len() · len` elements.
    unsafe { partial.set_len(ranges.len() * len) };
    if let Some(dweight) = dweight {
        let mut du = vec![0.0f32; l.filters_len()];
        let parts: Vec<&[f32]> = partial.chunks_exact(len).collect();
        add_in_order(&mut du, &parts);
        add_from_blocks(&du, &l, dweight);
    }
}

/// What every task reads.
struct Pass<'a> {
    l: &'a Layout,
    lanes: LaneSet,
    weight_gradient: bool,
    filters: &'a [f32],
    x: &'a [f32],
    dout: &'a [f32],
    argmax: &'a [u32],
}

impl Pass<'_> {
    /// The images `r` with the lane set asked for: adds their weight gradient (laid out
    /// by blocks) into `du` (empty when the pass takes none) and their input gradient
    /// into `dx` (which holds just these images) when given.
    fn images(&self, r: Range<usize>, du: &mut [f32], dx: Option<&mut [f32]>) {
        #[cfg(target_arch = "x86_64")]
        {
            use super::lanes::{Avx2, Avx512};
            /// # Safety
            /// The CPU has AVX-512F, AVX2 and FMA.
            #[target_feature(enable = "avx2,fma,avx512f")]
            unsafe fn avx512(p: &Pass, r: Range<usize>, du: &mut [f32], dx: Option<&mut [f32]>) {
                // SAFETY: the caller's contract.
                let has = unsafe { Has::<Avx512>::new_unchecked() };
                p.images_body(has, r, du, dx)
            }
            /// # Safety
            /// The CPU has AVX2 and FMA.
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2(p: &Pass, r: Range<usize>, du: &mut [f32], dx: Option<&mut [f32]>) {
                // SAFETY: the caller's contract.
                let has = unsafe { Has::<Avx2>::new_unchecked() };
                p.images_body(has, r, du, dx)
            }
            match self.lanes {
                // SAFETY: the caller asserted that the CPU has the set.
                LaneSet::Avx512 => return unsafe { avx512(self, r, du, dx) },
                // SAFETY: as above.
                LaneSet::Avx2 => return unsafe { avx2(self, r, du, dx) },
                LaneSet::Portable => {}
            }
        }
        self.images_body(Has::<Portable>::PORTABLE, r, du, dx)
    }

    #[inline(always)]
    fn images_body<V: Lanes>(
        &self,
        has: Has<V>,
        r: Range<usize>,
        du: &mut [f32],
        mut dx: Option<&mut [f32]>,
    ) {
        let (l, s) = (self.l, &self.l.s);
        assert_eq!(l.lanes, V::LANES);
        assert_eq!(
            du.len(),
            if self.weight_gradient {
                l.filters_len()
            } else {
                0
            }
        );
        let in_len = s.in_len();
        let pooled = pool_out(s.h) * pool_out(s.w);
        // The borders and the channels past `ci` stay zero; the rest is rewritten for
        // each image.
        let mut xp = vec![0.0f32; l.image_len()];
        let mut dxp = vec![0.0f32; if dx.is_some() { l.image_len() } else { 0 }];
        let mut flows = Flows::new(l, self.lanes);
        for (j, image) in r.enumerate() {
            to_channels_last(has, &self.x[image * in_len..][..in_len], l, &mut xp);
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
                    unsafe { add_filter_gradient(has, &l.taps, xp[channel..].as_ptr(), own, sums) };
                }
                if dx.is_none() {
                    continue;
                }
                for o in 0..s.co {
                    let own = flows.of(o);
                    let taps = &self.filters[l.filter_at(b, o)..][..TAPS * l.block];
                    let dst = dxp[channel..].as_mut_ptr();
                    // SAFETY: as above, for the padded input gradient.
                    unsafe { add_input_gradient(has, &l.taps, taps, own, dst) };
                }
            }
            if let Some(dx) = dx.as_deref_mut() {
                add_channels_first(has, &dxp, l, &mut dx[j * in_len..][..in_len]);
                dxp.fill(0.0);
            }
        }
    }
}
