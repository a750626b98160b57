//! The separate 3×3 SAME convolution: im2col and one matrix product per group of images.
//! The unfused `Conv3x3` layer runs it; the networks run the fused Winograd layer
//! ([`super::winograd`]), which the tests hold to this one and to naive loops.
//!
//! Each image of a batch is independent, so the batch is split into as many contiguous
//! chunks as the current rayon pool has threads. Weight gradients are summed per chunk and
//! the chunks are added in a fixed order, so one thread count always gives one result.

use rayon::prelude::*;

use super::general::general;
use super::shape::{chunk_ranges, split_by_images, ConvShape};

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
    general(
        (m, n, k),
        dst,
        (n, 1),
        accumulate,
        a,
        a_strides,
        b,
        b_strides,
    );
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

/// Images per matrix product: small images are put side by side so products are at least
/// about 400 columns wide. Measured here: 400 columns was no slower than one image per
/// product, and 1 600 or 3 200 columns were clearly slower (the buffers leave the cache).
fn group_size(hw: usize) -> usize {
    (400 / hw).max(1)
}

/// Forward 3×3 SAME convolution: `out[b, co] = Σ_ci w[co, ci] ⋆ x[b, ci]`, no bias. A
/// group of images at a time: `conv[co × n·hw]` (rows `ld = n·hw` apart) holds the
/// group's output, channel-major, which is then copied image by image into `out`.
pub fn conv3x3_forward(s: ConvShape, x: &[f32], weight: &[f32], out: &mut [f32]) {
    let hw = s.h * s.w;
    let g = group_size(hw);
    x.par_chunks(s.in_len() * g)
        .zip(out.par_chunks_mut(s.out_len() * g))
        .for_each_init(
            || (vec![0.0f32; s.k() * hw * g], vec![0.0f32; s.co * hw * g]),
            |(col, conv), (xg, og)| {
                let n = xg.len() / s.in_len();
                let ld = n * hw;
                for j in 0..n {
                    let xj = &xg[j * s.in_len()..][..s.in_len()];
                    im2col_ld(xj, s.ci, s.h, s.w, &mut col[j * hw..], ld);
                }
                matmul(s.co, ld, s.k(), conv, false, weight, false, col, false);
                for (j, oj) in og.chunks_exact_mut(s.out_len()).enumerate() {
                    for c in 0..s.co {
                        oj[c * hw..][..hw].copy_from_slice(&conv[c * ld + j * hw..][..hw]);
                    }
                }
            },
        );
}

/// Backward of [`conv3x3_forward`]: adds the weight gradient into `dweight` and, when
/// given, the input gradient into `dx`. A group of images at a time, each thread over
/// its own contiguous range of images.
pub fn conv3x3_backward(
    s: ConvShape,
    x: &[f32],
    weight: &[f32],
    dout: &[f32],
    dweight: &mut [f32],
    dx: Option<&mut [f32]>,
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
                    for c in 0..s.co {
                        let src = &dout[b * s.out_len() + c * hw..][..hw];
                        grad[c * ld + j * hw..][..hw].copy_from_slice(src);
                    }
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
