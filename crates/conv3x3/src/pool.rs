//! The separate 2×2 SAME max-pool (with ReLU fused if asked) and its backward pass, on
//! planes in NCHW order: the layers the fused conv layer is tested against use it.

use rayon::prelude::*;

use super::shape::{pool_out, NO_GRADIENT};

/// 2×2/2 max-pool with SAME padding over `planes` planes of `h×w`; records in `argmax`
/// the index (within the whole input) of each output's maximum for the backward pass.
/// Windows that hang over the bottom or right edge only see the pixels inside.
pub fn maxpool_forward(
    planes: usize,
    h: usize,
    w: usize,
    x: &[f32],
    out: &mut [f32],
    argmax: &mut [u32],
) {
    maxpool_forward_impl(planes, h, w, x, out, argmax, false)
}

/// [`maxpool_forward`] followed by ReLU, in one pass. Max-pool commutes with ReLU (both
/// are monotone), so this equals ReLU-then-pool while touching a quarter of the values.
pub fn maxpool_relu_forward(
    planes: usize,
    h: usize,
    w: usize,
    x: &[f32],
    out: &mut [f32],
    argmax: &mut [u32],
) {
    maxpool_forward_impl(planes, h, w, x, out, argmax, true)
}

fn maxpool_forward_impl(
    planes: usize,
    h: usize,
    w: usize,
    x: &[f32],
    out: &mut [f32],
    argmax: &mut [u32],
    relu: bool,
) {
    let (oh, ow) = (pool_out(h), pool_out(w));
    debug_assert_eq!(x.len(), planes * h * w);
    // Chunks of whole planes; each chunk's argmax is offset to index the whole input.
    const PLANES: usize = 16;
    out.par_chunks_mut(PLANES * oh * ow)
        .zip(argmax.par_chunks_mut(PLANES * oh * ow))
        .enumerate()
        .for_each(|(c, (o, a))| {
            let first = c * PLANES;
            let n = o.len() / (oh * ow);
            pool_planes(n, h, w, &x[first * h * w..(first + n) * h * w], o, a, relu);
            let base = (first * h * w) as u32;
            a.iter_mut()
                .filter(|i| **i != NO_GRADIENT)
                .for_each(|i| *i += base);
        });
}

/// Serial 2×2 SAME max-pool (and ReLU if asked) of `planes` consecutive `h×w` planes;
/// argmax indices are relative to `x`.
fn pool_planes(
    planes: usize,
    h: usize,
    w: usize,
    x: &[f32],
    out: &mut [f32],
    argmax: &mut [u32],
    relu: bool,
) {
    let (hw, ohw) = (h * w, pool_out(h) * pool_out(w));
    for p in 0..planes {
        let (o, a) = (&mut out[p * ohw..][..ohw], &mut argmax[p * ohw..][..ohw]);
        pool_plane(&x[p * hw..][..hw], h, w, o, a, (p * hw) as u32, relu);
    }
}

/// 2×2 SAME max-pool (and ReLU if asked) of one `h×w` plane; argmax indices are offset by
/// `base`.
fn pool_plane(
    plane: &[f32],
    h: usize,
    w: usize,
    out: &mut [f32],
    argmax: &mut [u32],
    base: u32,
    relu: bool,
) {
    let (oh, ow) = (pool_out(h), pool_out(w));
    for oy in 0..oh {
        // A window hanging over the edge repeats its last row or column: a repeated value
        // never changes a maximum, and keeps every read in bounds.
        let (r0, r1) = (2 * oy * w, (2 * oy + 1).min(h - 1) * w);
        let (o, a) = (&mut out[oy * ow..][..ow], &mut argmax[oy * ow..][..ow]);
        let (top, bottom) = (&plane[r0..r0 + w], &plane[r1..r1 + w]);
        for ox in 0..ow {
            let (c0, c1) = (2 * ox, (2 * ox + 1).min(w - 1));
            // A tournament of selects (no data-dependent branches, short dependency
            // chains); ties go to the first of top-left, top-right, bottom-left,
            // bottom-right.
            let (t, tc) = if top[c1] > top[c0] {
                (top[c1], r0 + c1)
            } else {
                (top[c0], r0 + c0)
            };
            let (b, bc) = if bottom[c1] > bottom[c0] {
                (bottom[c1], r1 + c1)
            } else {
                (bottom[c0], r1 + c0)
            };
            let (best, at) = if b > t { (b, bc) } else { (t, tc) };
            let clamped = relu && best <= 0.0;
            o[ox] = if clamped { 0.0 } else { best };
            a[ox] = if clamped {
                NO_GRADIENT
            } else {
                base + at as u32
            };
        }
    }
}

/// Backward of [`maxpool_forward`]: each output gradient flows to its window's maximum.
pub fn maxpool_backward(dout: &[f32], argmax: &[u32], dx: &mut [f32]) {
    for (g, &i) in dout.iter().zip(argmax) {
        if i != NO_GRADIENT {
            dx[i as usize] += g;
        }
    }
}
