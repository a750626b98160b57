//! The gradients that flow back through the pooling: which of an image's pooled
//! gradients reach the convolution, and where their 3×3 windows start.

use super::layout::Layout;
use crate::lane_set::LaneSet;
use crate::shape::{pool_out, NO_GRADIENT};

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
    /// The instruction set of the gather (AVX-512's compressing stores, AVX2's
    /// permutes, or plain code).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    lanes: LaneSet,
}

/// Room past the last flow: the AVX2 gather stores whole vectors of eight, of which only
/// the flowing lanes count.
const SLACK: usize = 8;

impl Flows {
    pub(super) fn new(l: &Layout, lanes: LaneSet) -> Self {
        let (s, across) = (&l.s, pool_out(l.s.w));
        let pooled = pool_out(s.h) * across;
        let corner = |t: usize| (2 * (t / across), 2 * (t % across));
        Self {
            gradients: vec![0.0; s.co * pooled + SLACK],
            windows: vec![0; s.co * pooled + SLACK],
            starts: vec![0; s.co + 1],
            places: (0..pooled)
                .map(corner)
                .map(|(y, x)| (y * s.w + x) as u32)
                .collect(),
            cells: (0..pooled)
                .map(corner)
                .map(|(y, x)| (y * l.row + x) as u32)
                .collect(),
            lanes: if lanes.is_available() {
                lanes
            } else {
                LaneSet::Portable
            },
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
        match self.lanes {
            // SAFETY: the CPU has AVX-512F (checked in `new`).
            LaneSet::Avx512 => return unsafe { self.gather_avx512(l, (dout, argmax)) },
            // SAFETY: the CPU has AVX2 (checked in `new`).
            LaneSet::Avx2 => return unsafe { self.gather_avx2(l, (dout, argmax)) },
            LaneSet::Portable => {}
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
    ///
    /// # Safety
    /// The CPU has AVX-512F.
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

    /// [`Self::gather`], eight pooled outputs at a time: AVX2 has no compressing store,
    /// so the flowing lanes are moved to the front by a permute from [`PACKED`] and the
    /// whole vector is stored; the lanes past them are overwritten next, or lie past
    /// the last flow.
    ///
    /// # Safety
    /// The CPU has AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn gather_avx2(&mut self, l: &Layout, (dout, argmax): (&[f32], &[u32])) {
        use std::arch::x86_64::*;
        let s = &l.s;
        let pooled = self.places.len();
        let splat = |v: u32| _mm256_set1_epi32(v as i32);
        let (w, channels, two) = (splat(s.w as u32), splat(l.channels() as u32), splat(2));
        let (none, last) = (splat(NO_GRADIENT), splat(last_window(l)));
        let iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        let mut n = 0;
        for o in 0..s.co {
            self.starts[o] = n;
            let base = splat((o * s.h * s.w) as u32);
            for t in (0..pooled).step_by(8) {
                let live = _mm256_set1_epi32((pooled - t).min(8) as i32);
                let live = _mm256_cmpgt_epi32(live, iota);
                let at = o * pooled + t;
                // SAFETY (all loads): lanes past `live` are masked off, and `at + live`
                // is within the plane, which is within `dout` and `argmax` (asserted by
                // the caller); `t + live <= pooled` for the corners.
                let g = _mm256_maskload_ps(dout.as_ptr().add(at), live);
                let a = _mm256_maskload_epi32(argmax.as_ptr().add(at).cast(), live);
                let place = _mm256_maskload_epi32(self.places.as_ptr().add(t).cast(), live);
                let cell = _mm256_maskload_epi32(self.cells.as_ptr().add(t).cast(), live);
                let stopped = _mm256_cmpeq_epi32(a, none);
                let nonzero =
                    _mm256_castps_si256(_mm256_cmp_ps::<_CMP_NEQ_UQ>(g, _mm256_setzero_ps()));
                let flows = _mm256_andnot_si256(stopped, _mm256_and_si256(live, nonzero));
                let flows = _mm256_movemask_ps(_mm256_castsi256_ps(flows)) as usize;
                let d = _mm256_sub_epi32(a, _mm256_add_epi32(base, place));
                let at = _mm256_add_epi32(cell, d);
                // `d >= w`, unsigned: the larger of the two is `d`.
                let below = _mm256_cmpeq_epi32(_mm256_max_epu32(d, w), d);
                let at = _mm256_add_epi32(at, _mm256_and_si256(below, two));
                let window = _mm256_mullo_epi32(at, channels);
                let inside = _mm256_cmpeq_epi32(_mm256_max_epu32(window, last), last);
                let outside = !_mm256_movemask_ps(_mm256_castsi256_ps(inside)) as usize & 0xff;
                assert!(outside & flows == 0, "argmax outside its pooling window");
                let order = _mm256_loadu_si256(PACKED[flows].as_ptr().cast());
                // SAFETY: eight values go to `n..n + 8`; `n` counts only flows of the
                // entries before these, so `n <= co · pooled`, and the buffers have
                // `SLACK` more.
                _mm256_storeu_ps(
                    self.gradients.as_mut_ptr().add(n),
                    _mm256_permutevar8x32_ps(g, order),
                );
                _mm256_storeu_si256(
                    self.windows.as_mut_ptr().add(n).cast(),
                    _mm256_permutevar8x32_epi32(window, order),
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

/// For each 8-bit mask, the lanes whose bit is set, in order, then zeros: the permute
/// that packs a vector's flowing lanes at its front.
#[cfg(target_arch = "x86_64")]
static PACKED: [[u32; 8]; 256] = packed_lanes();

#[cfg(target_arch = "x86_64")]
const fn packed_lanes() -> [[u32; 8]; 256] {
    let mut table = [[0u32; 8]; 256];
    let mut mask = 0;
    while mask < 256 {
        let (mut lane, mut n) = (0, 0);
        while lane < 8 {
            if mask & (1 << lane) != 0 {
                table[mask][n] = lane as u32;
                n += 1;
            }
            lane += 1;
        }
        mask += 1;
    }
    table
}

/// The element where the image's last cell's window starts: the bound every tap's
/// access relies on (its last tap is two rows and two cells on, inside the padding).
fn last_window(l: &Layout) -> u32 {
    (((l.s.h - 1) * l.row + l.s.w - 1) * l.channels()) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::shape;

    /// Pooled gradients and argmax for `co` planes of an `h × w` convolution: some
    /// gradients zero, some stopped by ReLU, the rest at a random place of their window.
    fn routed(l: &Layout, seed: u64) -> (Vec<f32>, Vec<u32>) {
        let s = &l.s;
        let (down, across) = (pool_out(s.h), pool_out(s.w));
        let mut state = seed;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as u32
        };
        let (mut dout, mut argmax) = (vec![], vec![]);
        for o in 0..s.co {
            for t in 0..down * across {
                let (y, x) = (2 * (t / across) + next() as usize % 2, 2 * (t % across));
                let x = x + next() as usize % 2;
                let inside = y < s.h && x < s.w;
                let a = if inside {
                    (o * s.h * s.w + y * s.w + x) as u32
                } else {
                    0
                };
                match next() % 4 {
                    0 => (dout.push(0.0), argmax.push(a)),
                    1 => (dout.push(0.5), argmax.push(NO_GRADIENT)),
                    _ if inside => (dout.push(next() as f32 / 1e9 - 2.0), argmax.push(a)),
                    _ => (dout.push(0.0), argmax.push(NO_GRADIENT)),
                };
            }
        }
        (dout, argmax)
    }

    #[test]
    fn every_lane_sets_gather_finds_the_flows_the_plain_one_finds() {
        let mut compared = 0;
        for (h, w, co) in [(14, 14, 3), (7, 7, 5), (5, 9, 2), (1, 1, 4), (3, 6, 1)] {
            for lanes in LaneSet::available() {
                let l = Layout::new(shape(1, 3, co, h, w), lanes.lanes());
                let (dout, argmax) = routed(&l, (h * w + co) as u64);
                let mut plain = Flows::new(&l, LaneSet::Portable);
                plain.gather(&l, (&dout, &argmax));
                let mut fast = Flows::new(&l, lanes);
                fast.gather(&l, (&dout, &argmax));
                for o in 0..co {
                    let (want, got) = (plain.of(o), fast.of(o));
                    let bits = |g: &[f32]| g.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(got.0), bits(want.0), "{lanes:?} {h}x{w} filter {o}");
                    assert_eq!(got.1, want.1, "{lanes:?} {h}x{w} filter {o}");
                }
                compared += plain.starts[co];
            }
        }
        assert!(compared > 100, "only {compared} flows compared");
    }
}
