//! The first layer for inference: a 3×3 SAME convolution of one input channel fused with
//! 2×2 SAME max-pool and ReLU, computed directly, sixteen (or eight) output channels per
//! vector.
//!
//! Why not Winograd here: with one input channel there is no sum over channels to save,
//! so F(2×2)'s transforms cost more than the nine multiply-adds an output takes directly
//! (seed inference spent 15 % of its time in this layer by F(2×2)). And a pixel's output
//! channels come out as one vector, which is the channels-last layout the next
//! (F(4×4)) layer reads without a gather.

use std::mem::MaybeUninit;

use super::lane_set::LaneSet;
use super::lanes::{with_lanes, Has, Lanes};
use super::shape::{pool_out, MapLayout};

/// Channels per vector of the widest lanes (see [`PreparedDirect::fits`]).
const CHANNEL_BLOCK: usize = 16;

/// A direct first layer's filters, `[tap][channel]`, for images of one size and one lane
/// set.
pub struct PreparedDirect {
    h: usize,
    w: usize,
    co: usize,
    taps: Vec<f32>,
    lanes: LaneSet,
}

impl PreparedDirect {
    /// Whether this layer computes `ci → co` channels: one input channel, and output
    /// channels that fill every lane set's vectors.
    pub fn fits(ci: usize, co: usize) -> bool {
        ci == 1 && co > 0 && co.is_multiple_of(CHANNEL_BLOCK)
    }

    /// `weight` is `(co, 1, 3, 3)`; images are `h×w`.
    ///
    /// # Panics
    /// If the channels do not [`fit`](Self::fits), or this CPU cannot run `lanes`.
    pub fn new(co: usize, h: usize, w: usize, weight: &[f32], lanes: LaneSet) -> Self {
        assert!(
            Self::fits(1, co),
            "{co} output channels: not a multiple of 16"
        );
        assert_eq!(weight.len(), co * 9);
        assert!(
            lanes.is_available(),
            "this CPU cannot run {}",
            lanes.label()
        );
        let mut taps = vec![0.0f32; 9 * co];
        for (o, filter) in weight.chunks_exact(9).enumerate() {
            for (t, &v) in filter.iter().enumerate() {
                taps[t * co + o] = v;
            }
        }
        Self {
            h,
            w,
            co,
            taps,
            lanes,
        }
    }

    /// Elements of one input image.
    pub fn in_len(&self) -> usize {
        self.h * self.w
    }

    /// Output values per image (channels × pooled positions).
    pub fn out_len(&self) -> usize {
        self.co * pool_out(self.h) * pool_out(self.w)
    }

    /// Output channels.
    pub fn out_channels(&self) -> usize {
        self.co
    }

    /// Every image of `x` on the calling thread, its pooled maps written to `out` in
    /// `layout`; every element of `out` is written.
    pub fn forward(&self, x: &[f32], out: &mut [MaybeUninit<f32>], layout: MapLayout) {
        let n = x.len() / self.in_len();
        assert_eq!(x.len(), n * self.in_len());
        assert_eq!(out.len(), n * self.out_len());
        // Room for whole pooling windows: an odd size's last window reads one row or
        // column past the padding, whose outputs the pooling then leaves out.
        let stride = 2 * pool_out(self.w) + 2;
        let mut padded = vec![0.0f32; (2 * pool_out(self.h) + 2) * stride];
        let channels_last = layout == MapLayout::ChannelsLast;
        for (image, dst) in x
            .chunks_exact(self.in_len())
            .zip(out.chunks_exact_mut(self.out_len()))
        {
            // Only the interior is written: the border stays zero from one image to the next.
            for (y, row) in image.chunks_exact(self.w).enumerate() {
                padded[(y + 1) * stride + 1..][..self.w].copy_from_slice(row);
            }
            let shape = (self.h, self.w, self.co);
            direct_pool_relu(self.lanes, shape, &self.taps, &padded, dst, channels_last);
        }
    }
}

/// One image (`padded`: `2·ph + 2` rows of `2·pw + 2`, the image at row 1, column 1,
/// zeros around it): every pooled output's channels, `W` at a time, each the largest of
/// its window's convolution outputs inside the image, then ReLU.
#[inline(always)]
fn direct_pool_relu_body<N: Lanes, W: Lanes>(
    has: (Has<N>, Has<W>),
    (h, w, co): (usize, usize, usize),
    taps: &[f32],
    padded: &[f32],
    out: &mut [MaybeUninit<f32>],
    channels_last: bool,
) {
    let (ph, pw) = (pool_out(h), pool_out(w));
    let stride = 2 * pw + 2;
    assert!(co.is_multiple_of(W::LANES) && taps.len() == 9 * co);
    assert!(padded.len() == (2 * ph + 2) * stride && out.len() == co * ph * pw);
    // Every element is written below; `MaybeUninit<f32>` has the layout of `f32`.
    let (src, dst) = (padded.as_ptr(), out.as_mut_ptr().cast::<f32>());
    let mut offsets = [0usize; 9];
    for (t, o) in offsets.iter_mut().enumerate() {
        *o = (t / 3) * stride + t % 3;
    }
    for cb in (0..co).step_by(W::LANES) {
        // No closures here: they would not inherit the caller's target features.
        let mut filter = [has.1.zero(); 9];
        for (t, f) in filter.iter_mut().enumerate() {
            // SAFETY: t·co + cb + LANES ≤ 9·co = taps.len().
            *f = unsafe { W::load(taps.as_ptr().add(t * co + cb)) };
        }
        for py in 0..ph {
            for px in 0..pw {
                // The window's four outputs as four independent chains of nine
                // multiply-adds (one chain at a time waited on each one's latency).
                let corner = 2 * py * stride + 2 * px;
                let mut sums = [has.1.zero(); 4];
                for (f, off) in filter.iter().zip(offsets) {
                    for (k, sum) in sums.iter_mut().enumerate() {
                        let at = corner + off + (k / 2) * stride + k % 2;
                        // SAFETY: at < (2py + 4)·stride ≤ padded.len() (asserted).
                        let pixel = unsafe { *src.add(at) };
                        *sum = has.1.splat(pixel).mul_add(*f, *sum);
                    }
                }
                // Outputs past the image's edge (from the padding) take no part, as in
                // SAME pooling; the first is always inside.
                let (right, below) = (2 * px + 1 < w, 2 * py + 1 < h);
                let mut best = sums[0];
                if right {
                    best = best.max(sums[1]);
                }
                if below {
                    best = best.max(sums[2]);
                    if right {
                        best = best.max(sums[3]);
                    }
                }
                let value = best.max(has.1.zero());
                // SAFETY: channel cb + LANES − 1 < co, so the last lane lies inside `out`
                // (asserted length) in either layout.
                unsafe {
                    if channels_last {
                        value.store(dst.add((py * pw + px) * co + cb));
                    } else {
                        value.scatter(dst.add(cb * ph * pw + py * pw + px), ph * pw);
                    }
                }
            }
        }
    }
}

with_lanes!(fn direct_pool_relu => direct_pool_relu_body(
    shape: (usize, usize, usize), taps: &[f32], padded: &[f32], out: &mut [MaybeUninit<f32>], channels_last: bool,
));

#[cfg(test)]
mod tests {
    use std::mem::MaybeUninit;

    use super::PreparedDirect;
    use crate::reference::{conv3x3_reference, maxpool_reference, random};
    use crate::shape::MapLayout;
    use crate::tests::shape;
    use crate::LaneSet;

    #[test]
    fn every_lane_set_matches_the_naive_reference_in_both_layouts() {
        for lanes in LaneSet::available() {
            for (batch, co, h, w) in [(3, 32, 28, 28), (2, 16, 7, 9), (2, 48, 1, 1), (1, 16, 2, 5)]
            {
                let x = random(batch * h * w, 61);
                let wt = random(co * 9, 62);
                let layer = PreparedDirect::new(co, h, w, &wt, lanes);
                let s = shape(batch, 1, co, h, w);
                let pooled = maxpool_reference(batch * co, h, w, &conv3x3_reference(s, &x, &wt));
                let (ph, pw) = (h.div_ceil(2), w.div_ceil(2));
                for layout in [MapLayout::Planar, MapLayout::ChannelsLast] {
                    let mut out = vec![MaybeUninit::new(f32::NAN); batch * layer.out_len()];
                    layer.forward(&x, &mut out, layout);
                    for (i, v) in out.iter().enumerate() {
                        // SAFETY: every element was initialised (NaN) before.
                        let got = unsafe { v.assume_init() };
                        let (b, rest) = (i / layer.out_len(), i % layer.out_len());
                        let (c, p) = match layout {
                            MapLayout::Planar => (rest / (ph * pw), rest % (ph * pw)),
                            MapLayout::ChannelsLast => (rest % co, rest / co),
                        };
                        let want = pooled[(b * co + c) * ph * pw + p].max(0.0);
                        assert!(
                            (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
                            "{lanes:?} {s:?} {layout:?} [{i}]: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn only_one_input_channel_and_whole_vectors_of_outputs_are_taken() {
        assert!(PreparedDirect::fits(1, 32) && PreparedDirect::fits(1, 16));
        for (ci, co) in [(2, 32), (1, 8), (1, 0), (1, 20)] {
            assert!(!PreparedDirect::fits(ci, co), "{ci}→{co}");
        }
    }
}
