//! The gradients that flow back through the pooling: which of an image's pooled
//! gradients reach the convolution, and where their 3×3 windows start.

use super::super::lane_set::LaneSet;
use super::super::shape::{pool_out, NO_GRADIENT};
use super::layout::Layout;

/// The gradients that flow back in one image, filter by filter: each a value and the
/// element of the padded, channel-last image where its 3×3 window starts.
pub(super) struct Flows {
    gradients: Vec<f32>,
    windows: Vec<u32>,
    /// Where each filter's flows start (and, last, where they end).
    starts: Vec<usize>,
    /// Per pooled output, the first place of its 2×2 window in the convolution output,
    /// and the padded image's cell there (where that place's 3×3 window starts).
    places: Vec<u32>,
    cells: Vec<u32>,
    /// Whether to gather with AVX-512's compressing stores.
    compress: bool,
}

impl Flows {
    pub(super) fn new(l: &Layout, lanes: LaneSet) -> Self {
        let (s, across) = (&l.s, pool_out(l.s.w));
        let pooled = pool_out(s.h) * across;
        let corner = |t: usize| (2 * (t / across), 2 * (t % across));
        Self {
            gradients: vec![0.0; s.co * pooled],
            windows: vec![0; s.co * pooled],
            starts: vec![0; s.co + 1],
            places: (0..pooled)
                .map(corner)
                .map(|(y, x)| (y * s.w + x) as u32)
                .collect(),
            cells: (0..pooled)
                .map(corner)
                .map(|(y, x)| (y * l.row + x) as u32)
                .collect(),
            compress: lanes == LaneSet::Avx512 && lanes.is_available(),
        }
    }

    /// The flows of one image from its pooled gradients and argmax (`co` planes each).
    /// A zero gradient (dropout's, say) adds nothing and is left out, as is one that
    /// ReLU stopped.
    ///
    /// Without a branch per gradient: about half of them flow, at random, so a branch
    /// would be mispredicted every other time.
    pub(super) fn gather(&mut self, l: &Layout, (dout, argmax): (&[f32], &[u32])) {
        let s = &l.s;
        let pooled = self.places.len();
        assert!(dout.len() == s.co * pooled && argmax.len() == s.co * pooled);
        #[cfg(target_arch = "x86_64")]
        if self.compress {
            // SAFETY: the CPU has AVX-512F (checked in `new`).
            unsafe { self.gather_avx512(l, (dout, argmax)) };
            return;
        }
        let (w, channels) = (s.w as u32, l.channels() as u32);
        let last_window = last_window(l);
        let mut n = 0;
        for o in 0..s.co {
            self.starts[o] = n;
            let base = (o * s.h * s.w) as u32;
            let planes = dout[o * pooled..][..pooled]
                .iter()
                .zip(&argmax[o * pooled..]);
            for ((&g, &a), (&place, &cell)) in planes.zip(self.places.iter().zip(&self.cells)) {
                let flows = (a != NO_GRADIENT) & (g != 0.0);
                // 0, 1, w or w + 1 places into the pooling window; a row of the padded
                // image is two cells longer.
                let d = a.wrapping_sub(base + place);
                let at = cell.wrapping_add(d).wrapping_add(2 * u32::from(d >= w));
                let window = if flows { at.wrapping_mul(channels) } else { 0 };
                assert!(window <= last_window, "argmax outside its pooling window");
                self.gradients[n] = g;
                self.windows[n] = window;
                n += usize::from(flows);
            }
        }
        self.starts[s.co] = n;
    }

    /// [`Self::gather`], sixteen pooled outputs at a time, the flowing ones packed by
    /// compressing stores.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn gather_avx512(&mut self, l: &Layout, (dout, argmax): (&[f32], &[u32])) {
        use std::arch::x86_64::*;
        let s = &l.s;
        let pooled = self.places.len();
        let splat = |v: u32| _mm512_set1_epi32(v as i32);
        let (w, channels, two) = (splat(s.w as u32), splat(l.channels() as u32), splat(2));
        let (none, last) = (splat(NO_GRADIENT), splat(last_window(l)));
        let mut n = 0;
        for o in 0..s.co {
            self.starts[o] = n;
            let base = splat((o * s.h * s.w) as u32);
            for t in (0..pooled).step_by(16) {
                let live = (pooled - t).min(16);
                let m = (u32::MAX >> (32 - live)) as __mmask16;
                let at = o * pooled + t;
                // SAFETY (all loads): lanes past `live` are masked off, and `at + live`
                // is within the plane, which is within `dout` and `argmax` (asserted by
                // the caller); `t + live <= pooled` for the corners.
                let g = _mm512_maskz_loadu_ps(m, dout.as_ptr().add(at));
                let a = _mm512_maskz_loadu_epi32(m, argmax.as_ptr().add(at).cast());
                let place = _mm512_maskz_loadu_epi32(m, self.places.as_ptr().add(t).cast());
                let cell = _mm512_maskz_loadu_epi32(m, self.cells.as_ptr().add(t).cast());
                let flows = m
                    & _mm512_cmpneq_epi32_mask(a, none)
                    & _mm512_cmp_ps_mask::<_CMP_NEQ_UQ>(g, _mm512_setzero_ps());
                let d = _mm512_sub_epi32(a, _mm512_add_epi32(base, place));
                let at = _mm512_add_epi32(cell, d);
                let at = _mm512_mask_add_epi32(at, _mm512_cmpge_epu32_mask(d, w), at, two);
                let window = _mm512_mullo_epi32(at, channels);
                let outside = _mm512_mask_cmpgt_epu32_mask(flows, window, last);
                assert!(outside == 0, "argmax outside its pooling window");
                // SAFETY: at most `live` values go to `n..`, and `n` counts only flows
                // of the entries before these, so they end within `co · pooled`.
                _mm512_mask_compressstoreu_ps(self.gradients.as_mut_ptr().add(n).cast(), flows, g);
                _mm512_mask_compressstoreu_epi32(
                    self.windows.as_mut_ptr().add(n).cast(),
                    flows,
                    window,
                );
                n += flows.count_ones() as usize;
            }
        }
        self.starts[s.co] = n;
    }

    /// Filter `o`'s flows: their gradients and windows.
    pub(super) fn of(&self, o: usize) -> (&[f32], &[u32]) {
        let r = self.starts[o]..self.starts[o + 1];
        (&self.gradients[r.clone()], &self.windows[r])
    }
}

/// The element where the image's last cell's window starts: the bound every tap's
/// access relies on (its last tap is two rows and two cells on, inside the padding).
fn last_window(l: &Layout) -> u32 {
    (((l.s.h - 1) * l.row + l.s.w - 1) * l.channels()) as u32
}
