//! The numeric kernels behind the convolution and pooling layers, on plain slices in NCHW
//! order. They know nothing of dfdx: `ops` records them on the tape.
//!
//! Each image of a batch is independent, so the batch is split into as many contiguous
//! chunks as the current rayon pool has threads. Weight gradients are summed per chunk and
//! the chunks are added in a fixed order, so one thread count always gives one result.

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
    let (a_rs, a_cs) = if a_transposed { (1, m) } else { (k, 1) };
    let (b_rs, b_cs) = if b_transposed { (1, k) } else { (n, 1) };
    // SAFETY: the asserts above keep every index the strides produce inside the slices.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.as_ptr(),
            a_cs as isize,
            a_rs as isize,
            b.as_ptr(),
            b_cs as isize,
            b_rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Contiguous ranges that split `n` items into at most `parts` nearly equal chunks.
pub fn chunk_ranges(n: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let parts = parts.clamp(1, n.max(1));
    (0..parts)
        .map(|p| (p * n / parts)..((p + 1) * n / parts))
        .filter(|r| !r.is_empty())
        .collect()
}

fn parts() -> usize {
    rayon::current_num_threads()
}

/// Lays out the 3×3 neighbourhoods of one image (`ci×h×w`, zero padded by one) as the
/// columns of a `(ci·9)×(h·w)` matrix.
pub fn im2col(x: &[f32], ci: usize, h: usize, w: usize, col: &mut [f32]) {
    let hw = h * w;
    for c in 0..ci {
        let plane = &x[c * hw..(c + 1) * hw];
        for ky in 0..3 {
            for kx in 0..3 {
                let row = &mut col[(c * 9 + ky * 3 + kx) * hw..][..hw];
                for y in 0..h {
                    let dst = &mut row[y * w..(y + 1) * w];
                    let sy = y as isize + ky as isize - 1;
                    if sy < 0 || sy >= h as isize {
                        dst.fill(0.0);
                        continue;
                    }
                    let src = &plane[sy as usize * w..(sy as usize + 1) * w];
                    match kx {
                        0 => {
                            dst[0] = 0.0;
                            dst[1..].copy_from_slice(&src[..w - 1]);
                        }
                        1 => dst.copy_from_slice(src),
                        _ => {
                            dst[..w - 1].copy_from_slice(&src[1..]);
                            dst[w - 1] = 0.0;
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds each column entry back onto the pixel it came from.
pub fn col2im_add(col: &[f32], ci: usize, h: usize, w: usize, dx: &mut [f32]) {
    let hw = h * w;
    for c in 0..ci {
        let plane = &mut dx[c * hw..(c + 1) * hw];
        for ky in 0..3 {
            for kx in 0..3 {
                let row = &col[(c * 9 + ky * 3 + kx) * hw..][..hw];
                for y in 0..h {
                    let sy = y as isize + ky as isize - 1;
                    if sy < 0 || sy >= h as isize {
                        continue;
                    }
                    let src = &row[y * w..(y + 1) * w];
                    let dst = &mut plane[sy as usize * w..(sy as usize + 1) * w];
                    match kx {
                        0 => dst[..w - 1]
                            .iter_mut()
                            .zip(&src[1..])
                            .for_each(|(d, s)| *d += s),
                        1 => dst.iter_mut().zip(src).for_each(|(d, s)| *d += s),
                        _ => dst[1..]
                            .iter_mut()
                            .zip(&src[..w - 1])
                            .for_each(|(d, s)| *d += s),
                    }
                }
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

/// Forward 3×3 SAME convolution: `out[b, co] = Σ_ci w[co, ci] ⋆ x[b, ci]`, no bias.
pub fn conv3x3_forward(s: ConvShape, x: &[f32], weight: &[f32], out: &mut [f32]) {
    let hw = s.h * s.w;
    x.par_chunks(s.in_len())
        .zip(out.par_chunks_mut(s.out_len()))
        .for_each_init(
            || vec![0.0f32; s.k() * hw],
            |col, (xi, oi)| {
                im2col(xi, s.ci, s.h, s.w, col);
                matmul(s.co, hw, s.k(), oi, false, weight, false, col, false);
            },
        );
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
    let ranges = chunk_ranges(s.batch, parts());
    let mut dx_chunks: Vec<Option<&mut [f32]>> = match dx {
        Some(dx) => {
            let mut rest = dx;
            ranges
                .iter()
                .map(|r| {
                    let (head, tail) = std::mem::take(&mut rest).split_at_mut(r.len() * s.in_len());
                    rest = tail;
                    Some(head)
                })
                .collect()
        }
        None => ranges.iter().map(|_| None).collect(),
    };
    let partial_dw: Vec<Vec<f32>> = ranges
        .par_iter()
        .zip(dx_chunks.par_iter_mut())
        .map(|(r, dx)| {
            let mut dw = vec![0.0f32; s.co * s.k()];
            let mut col = vec![0.0f32; s.k() * hw];
            let mut dcol = vec![0.0f32; s.k() * hw];
            for (j, b) in r.clone().enumerate() {
                let xi = &x[b * s.in_len()..][..s.in_len()];
                let gi = &dout[b * s.out_len()..][..s.out_len()];
                im2col(xi, s.ci, s.h, s.w, &mut col);
                // dW[co×k] += dout[co×hw] · colᵀ[hw×k]
                matmul(s.co, s.k(), hw, &mut dw, true, gi, false, &col, true);
                if let Some(dx) = dx.as_deref_mut() {
                    // dcol[k×hw] = Wᵀ[k×co] · dout[co×hw]
                    matmul(s.k(), hw, s.co, &mut dcol, false, weight, true, gi, false);
                    col2im_add(
                        &dcol,
                        s.ci,
                        s.h,
                        s.w,
                        &mut dx[j * s.in_len()..][..s.in_len()],
                    );
                }
            }
            dw
        })
        .collect();
    for dw in partial_dw {
        dweight.iter_mut().zip(&dw).for_each(|(d, p)| *d += p);
    }
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
    out.par_chunks_mut(oh * ow)
        .zip(argmax.par_chunks_mut(oh * ow))
        .enumerate()
        .with_min_len(16)
        .for_each(|(p, (o, a))| {
            let plane = &x[p * h * w..(p + 1) * h * w];
            let base = (p * h * w) as u32;
            for oy in 0..oh {
                // A window hanging over the edge repeats its last row or column: a repeated
                // value never changes a maximum, and keeps every read in bounds.
                let (r0, r1) = (2 * oy * w, (2 * oy + 1).min(h - 1) * w);
                for ox in 0..ow {
                    let (c0, c1) = (2 * ox, (2 * ox + 1).min(w - 1));
                    let mut best_i = r0 + c0;
                    for i in [r0 + c1, r1 + c0, r1 + c1] {
                        if plane[i] > plane[best_i] {
                            best_i = i;
                        }
                    }
                    let best = plane[best_i];
                    let k = oy * ow + ox;
                    if relu && best <= 0.0 {
                        o[k] = 0.0;
                        a[k] = NO_GRADIENT;
                    } else {
                        o[k] = best;
                        a[k] = base + best_i as u32;
                    }
                }
            }
        });
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
