//! The numeric kernels behind the convolution and pooling layers, on plain slices in NCHW
//! order. They know nothing of dfdx: `ops` records them on the tape.
//!
//! The separate convolution (im2col and one matrix product per group of images) and
//! max-pool here are the straightforward kernels: the reference that tests hold the fast
//! fused layer to. The networks run the fused conv + pool + ReLU, which is Winograd's
//! F(2×2, 3×3) in [`super::winograd`].
//!
//! Each image of a batch is independent, so the batch is split into as many contiguous
//! chunks as the current rayon pool has threads. Weight gradients are summed per chunk and
//! the chunks are added in a fixed order, so one thread count always gives one result.

use std::mem::MaybeUninit;

use rayon::prelude::*;

/// `dst[m×n] (+)= op(a)[m×k] · op(b)[k×n]`, all row-major; `op` transposes when asked.
#[allow(clippy::too_many_arguments)]
pub fn matmul(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    accumulate: bool,
    a: &[f32],
    a_transposed: bool,
    b: &[f32],
    b_transposed: bool,
) {
    assert!(dst.len() >= m * n && a.len() >= m * k && b.len() >= k * n);
    // Row-major A[m×k] has row stride k, column stride 1; its transpose stored as [k×m]
    // has row stride 1, column stride m.
    let a_strides = if a_transposed { (1, m) } else { (k, 1) };
    let b_strides = if b_transposed { (1, k) } else { (n, 1) };
    super::products::general(m, n, k, dst, (n, 1), accumulate, a, a_strides, b, b_strides);
}

/// Contiguous ranges that split `n` items into at most `parts` nearly equal chunks.
pub fn chunk_ranges(n: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let parts = parts.clamp(1, n.max(1));
    (0..parts)
        .map(|p| (p * n / parts)..((p + 1) * n / parts))
        .filter(|r| !r.is_empty())
        .collect()
}

/// `dx` (when given) cut into one part per range of images, `per_image` values each, so
/// that each thread adds into its own part.
pub fn split_by_images<'a>(
    dx: Option<&'a mut [f32]>,
    ranges: &[std::ops::Range<usize>],
    per_image: usize,
) -> Vec<Option<&'a mut [f32]>> {
    match dx {
        Some(dx) => {
            let mut rest = dx;
            ranges
                .iter()
                .map(|r| {
                    let (head, tail) = std::mem::take(&mut rest).split_at_mut(r.len() * per_image);
                    rest = tail;
                    Some(head)
                })
                .collect()
        }
        None => ranges.iter().map(|_| None).collect(),
    }
}

fn parts() -> usize {
    rayon::current_num_threads()
}

/// The part of an im2col row for filter tap `(ky, kx)` that reads inside the image, as a
/// range of output positions, and the flat offset from an output position to the input
/// pixel it reads. Positions in the range on the left (`kx = 0`) or right (`kx = 2`) edge
/// read the neighbouring row's pixel instead of the padding: callers fix those up.
fn tap_span(ky: usize, kx: usize, h: usize, w: usize) -> (std::ops::Range<usize>, isize) {
    let ylo = usize::from(ky == 0);
    let yhi = if ky == 2 { h.saturating_sub(1) } else { h };
    let shift = (ky as isize - 1) * w as isize + kx as isize - 1;
    if yhi <= ylo {
        // An image one row high: this tap row reads only padding.
        return (0..0, shift);
    }
    let start = ylo * w + usize::from(kx == 0);
    let end = (yhi * w).saturating_sub(usize::from(kx == 2)).max(start);
    (start..end, shift)
}

/// The output positions of tap column `kx` that fall in the left or right padding, within
/// the rows `span` covers.
fn wrapped(kx: usize, w: usize, span: &std::ops::Range<usize>) -> impl Iterator<Item = usize> {
    let first_row = span.start / w;
    let rows = span.end.div_ceil(w);
    let col = match kx {
        0 => Some(0),
        2 => Some(w - 1),
        _ => None,
    };
    (first_row..rows).filter_map(move |y| col.map(|c| y * w + c))
}

/// Lays out the 3×3 neighbourhoods of `ci×h×w` images (zero padded by one) as the columns
/// of a `(ci·9)×(h·w)` matrix whose rows are `ld` apart, so that a group of images can sit
/// side by side as one wide matrix.
///
/// Each row is one flat copy of the shifted image (not one short copy per image row), with
/// the few positions that wrapped around an edge then zeroed.
fn im2col_ld(x: &[f32], ci: usize, h: usize, w: usize, col: &mut [f32], ld: usize) {
    let hw = h * w;
    for c in 0..ci {
        let plane = &x[c * hw..(c + 1) * hw];
        for ky in 0..3 {
            for kx in 0..3 {
                let row = &mut col[(c * 9 + ky * 3 + kx) * ld..][..hw];
                let (span, shift) = tap_span(ky, kx, h, w);
                row[..span.start].fill(0.0);
                row[span.end..].fill(0.0);
                if span.is_empty() {
                    continue;
                }
                let src =
                    (span.start as isize + shift) as usize..(span.end as isize + shift) as usize;
                row[span.clone()].copy_from_slice(&plane[src]);
                for i in wrapped(kx, w, &span) {
                    row[i] = 0.0;
                }
            }
        }
    }
}

/// The adjoint of [`im2col_ld`]: adds each column entry back onto the pixel it came from.
/// Clobbers `col` (the positions that wrapped around an edge are zeroed first, so that one
/// flat add per row is exact).
fn col2im_add_ld(col: &mut [f32], ci: usize, h: usize, w: usize, dx: &mut [f32], ld: usize) {
    let hw = h * w;
    for c in 0..ci {
        let plane = &mut dx[c * hw..(c + 1) * hw];
        for ky in 0..3 {
            for kx in 0..3 {
                let row = &mut col[(c * 9 + ky * 3 + kx) * ld..][..hw];
                let (span, shift) = tap_span(ky, kx, h, w);
                if span.is_empty() {
                    continue;
                }
                for i in wrapped(kx, w, &span) {
                    row[i] = 0.0;
                }
                let dst =
                    (span.start as isize + shift) as usize..(span.end as isize + shift) as usize;
                plane[dst]
                    .iter_mut()
                    .zip(&row[span])
                    .for_each(|(d, s)| *d += s);
            }
        }
    }
}

/// Shape of a 3×3 SAME convolution with stride 1: `ci` in, `co` out, `h×w` both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvShape {
    pub batch: usize,
    pub ci: usize,
    pub co: usize,
    pub h: usize,
    pub w: usize,
}

impl ConvShape {
    fn in_len(&self) -> usize {
        self.ci * self.h * self.w
    }
    fn out_len(&self) -> usize {
        self.co * self.h * self.w
    }
    fn k(&self) -> usize {
        self.ci * 9
    }
}

/// Images per matrix product: small images are put side by side so products are at least
/// about 400 columns wide. Measured here: 400 columns was no slower than one image per
/// product, and 1 600 or 3 200 columns were clearly slower (the buffers leave the cache).
fn group_size(hw: usize) -> usize {
    (400 / hw).max(1)
}

/// Receives a group's convolution output: `(first image, images, output, row stride)`.
type GroupSink<'a> = dyn Fn(usize, usize, &[f32], usize) + Sync + 'a;

/// Forward convolution of the images of `x` a group at a time: `conv[co × n·hw]` (rows
/// `ld = n·hw` apart) holds a group's output, channel-major; `emit(first, n, conv, ld)`
/// takes it where it must go.
fn conv3x3_forward_with(s: ConvShape, x: &[f32], weight: &[f32], emit: &GroupSink) {
    let hw = s.h * s.w;
    let g = group_size(hw);
    x.par_chunks(s.in_len() * g).enumerate().for_each_init(
        || (vec![0.0f32; s.k() * hw * g], vec![0.0f32; s.co * hw * g]),
        |(col, conv), (gi, xg)| {
            let n = xg.len() / s.in_len();
            let ld = n * hw;
            for j in 0..n {
                im2col_ld(
                    &xg[j * s.in_len()..][..s.in_len()],
                    s.ci,
                    s.h,
                    s.w,
                    &mut col[j * hw..],
                    ld,
                );
            }
            matmul(s.co, ld, s.k(), conv, false, weight, false, col, false);
            emit(gi * g, n, &conv[..s.co * ld], ld);
        },
    );
}

/// Forward 3×3 SAME convolution: `out[b, co] = Σ_ci w[co, ci] ⋆ x[b, ci]`, no bias.
pub fn conv3x3_forward(s: ConvShape, x: &[f32], weight: &[f32], out: &mut [f32]) {
    let hw = s.h * s.w;
    let out = SharedOut::new(out);
    conv3x3_forward_with(s, x, weight, &|first, n, conv, ld| {
        for j in 0..n {
            // SAFETY: groups cover disjoint images, so their output ranges are disjoint.
            let oi = unsafe { out.slice((first + j) * s.out_len(), s.out_len()) };
            for c in 0..s.co {
                oi[c * hw..][..hw].copy_from_slice(&conv[c * ld + j * hw..][..hw]);
            }
        }
    });
}

/// A mutable output that parallel groups write disjoint ranges of.
struct SharedOut<T> {
    ptr: *mut T,
    len: usize,
}

// SAFETY: callers of `slice` guarantee that concurrent ranges are disjoint.
unsafe impl<T: Send> Sync for SharedOut<T> {}

impl<T> SharedOut<T> {
    fn new(v: &mut [T]) -> Self {
        Self {
            ptr: v.as_mut_ptr(),
            len: v.len(),
        }
    }

    /// # Safety
    /// No two live slices may overlap.
    #[allow(clippy::mut_from_ref)]
    unsafe fn slice(&self, start: usize, len: usize) -> &mut [T] {
        assert!(start + len <= self.len);
        std::slice::from_raw_parts_mut(self.ptr.add(start), len)
    }
}

/// Backward of [`conv3x3_forward`]: adds the weight gradient into `dweight` and, when
/// given, the input gradient into `dx`.
pub fn conv3x3_backward(
    s: ConvShape,
    x: &[f32],
    weight: &[f32],
    dout: &[f32],
    dweight: &mut [f32],
    dx: Option<&mut [f32]>,
) {
    let hw = s.h * s.w;
    conv3x3_backward_with(s, x, weight, dweight, dx, &|b, g, ld| {
        for c in 0..s.co {
            g[c * ld..][..hw].copy_from_slice(&dout[b * s.out_len() + c * hw..][..hw]);
        }
    });
}

/// The convolution backward pass, a group of images at a time. `image_grad(b, g, ld)`
/// writes image `b`'s output gradient, channel `c` at `g[c·ld..][..hw]`: a plain copy for
/// the convolution alone, a scatter through the pooling's argmax for the fused layer (so
/// the full-size gradient never exists in memory).
fn conv3x3_backward_with(
    s: ConvShape,
    x: &[f32],
    weight: &[f32],
    dweight: &mut [f32],
    dx: Option<&mut [f32]>,
    image_grad: &(dyn Fn(usize, &mut [f32], usize) + Sync),
) {
    let hw = s.h * s.w;
    let g = group_size(hw);
    let ranges = chunk_ranges(s.batch, parts());
    let mut dx_chunks = split_by_images(dx, &ranges, s.in_len());
    let partial_dw: Vec<Vec<f32>> = ranges
        .par_iter()
        .zip(dx_chunks.par_iter_mut())
        .map(|(r, dx)| {
            let mut dw = vec![0.0f32; s.co * s.k()];
            let mut col = vec![0.0f32; s.k() * hw * g];
            let mut dcol = vec![0.0f32; s.k() * hw * g];
            let mut grad = vec![0.0f32; s.co * hw * g];
            let images: Vec<usize> = r.clone().collect();
            for group in images.chunks(g) {
                let ld = group.len() * hw;
                for (j, &b) in group.iter().enumerate() {
                    image_grad(b, &mut grad[j * hw..], ld);
                    im2col_ld(
                        &x[b * s.in_len()..][..s.in_len()],
                        s.ci,
                        s.h,
                        s.w,
                        &mut col[j * hw..],
                        ld,
                    );
                }
                // dW[co×k] += dout[co × n·hw] · colᵀ[n·hw × k]
                matmul(s.co, s.k(), ld, &mut dw, true, &grad, false, &col, true);
                if let Some(dx) = dx.as_deref_mut() {
                    // dcol[k × n·hw] = Wᵀ[k×co] · dout[co × n·hw]
                    matmul(
                        s.k(),
                        ld,
                        s.co,
                        &mut dcol,
                        false,
                        weight,
                        true,
                        &grad,
                        false,
                    );
                    for (j, &b) in group.iter().enumerate() {
                        let at = (b - r.start) * s.in_len();
                        col2im_add_ld(
                            &mut dcol[j * hw..],
                            s.ci,
                            s.h,
                            s.w,
                            &mut dx[at..][..s.in_len()],
                            ld,
                        );
                    }
                }
            }
            dw
        })
        .collect();
    for dw in partial_dw {
        dweight.iter_mut().zip(&dw).for_each(|(d, p)| *d += p);
    }
}

/// Convolution, 2×2 SAME max-pool and ReLU, fused (by Winograd, see [`super::winograd`]):
/// `out` holds the pooled output and `argmax`, per pooled output, the raster index of its
/// maximum within its image's convolution output (or [`NO_GRADIENT`] where ReLU clamped).
pub fn conv3x3_pool_relu_forward(
    s: ConvShape,
    x: &[f32],
    weight: &[f32],
    out: &mut [f32],
    argmax: &mut [u32],
) {
    // SAFETY: MaybeUninit<T> has T's layout, and the kernel only writes valid values.
    let (out, argmax) = unsafe {
        (
            &mut *(out as *mut [f32] as *mut [MaybeUninit<f32>]),
            &mut *(argmax as *mut [u32] as *mut [MaybeUninit<u32>]),
        )
    };
    super::winograd::conv3x3_pool_relu_forward(s, x, weight, out, argmax)
}

/// [`conv3x3_pool_relu_forward`] into fresh vectors, which it fills without zeroing
/// them first (the zeroing was a few per cent of a training step).
pub fn conv3x3_pool_relu_forward_new(
    s: ConvShape,
    x: &[f32],
    weight: &[f32],
) -> (Vec<f32>, Vec<u32>) {
    let n = s.batch * s.co * pool_out(s.h) * pool_out(s.w);
    let (mut out, mut argmax) = (Vec::with_capacity(n), Vec::with_capacity(n));
    super::winograd::conv3x3_pool_relu_forward(
        s,
        x,
        weight,
        &mut out.spare_capacity_mut()[..n],
        &mut argmax.spare_capacity_mut()[..n],
    );
    // SAFETY: the kernel wrote all n elements of both.
    unsafe {
        out.set_len(n);
        argmax.set_len(n);
    }
    (out, argmax)
}

/// Backward of [`conv3x3_pool_relu_forward`].
#[allow(clippy::too_many_arguments)]
pub fn conv3x3_pool_relu_backward(
    s: ConvShape,
    x: &[f32],
    weight: &[f32],
    dout: &[f32],
    argmax: &[u32],
    dweight: &mut [f32],
    dx: Option<&mut [f32]>,
) {
    super::winograd::conv3x3_pool_relu_backward(s, x, weight, dout, argmax, dweight, dx)
}

/// Output side of a 2×2, stride 2 max-pool with TensorFlow's SAME padding: `ceil(n / 2)`.
pub const fn pool_out(n: usize) -> usize {
    n.div_ceil(2)
}

/// `argmax` entry of an output that ReLU clamped to zero: no gradient flows back.
pub const NO_GRADIENT: u32 = u32::MAX;

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

/// Straightforward reference convolution (direct loops), kept to check the fast kernels.
pub fn conv3x3_reference(s: ConvShape, x: &[f32], weight: &[f32]) -> Vec<f32> {
    let (h, w) = (s.h as isize, s.w as isize);
    let mut out = vec![0.0f32; s.batch * s.out_len()];
    for b in 0..s.batch {
        for o in 0..s.co {
            for y in 0..h {
                for xx in 0..w {
                    let mut acc = 0.0f64;
                    for c in 0..s.ci {
                        for ky in 0..3isize {
                            for kx in 0..3isize {
                                let (sy, sx) = (y + ky - 1, xx + kx - 1);
                                if sy >= 0 && sy < h && sx >= 0 && sx < w {
                                    let xi = ((b * s.ci + c) as isize * h + sy) * w + sx;
                                    let wi = ((o * s.ci + c) * 3 + ky as usize) * 3 + kx as usize;
                                    acc += x[xi as usize] as f64 * weight[wi] as f64;
                                }
                            }
                        }
                    }
                    out[((b * s.co + o) as isize * h + y) as usize * s.w + xx as usize] =
                        acc as f32;
                }
            }
        }
    }
    out
}

/// Straightforward reference max-pool (TF SAME semantics), kept to check the fast kernel.
pub fn maxpool_reference(planes: usize, h: usize, w: usize, x: &[f32]) -> Vec<f32> {
    let (oh, ow) = (pool_out(h), pool_out(w));
    let mut out = vec![f32::NEG_INFINITY; planes * oh * ow];
    for p in 0..planes {
        for y in 0..h {
            for xx in 0..w {
                let o = &mut out[(p * oh + y / 2) * ow + xx / 2];
                *o = o.max(x[(p * h + y) * w + xx]);
            }
        }
    }
    out
}
