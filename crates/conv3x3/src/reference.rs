//! Naive references the kernel tests hold the fast kernels to: plain loops, in f64 where
//! they sum. Public so that code built on the kernels (the app's dense layers) can test
//! against the same references and draw its values from the same generator.

use rand::{rngs::StdRng, Rng, SeedableRng};

use super::shape::{pool_out, ConvShape};

/// `n` values uniform in [−1, 1), the same for the same seed.
pub fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect()
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

/// Naive backward of the 3×3 SAME convolution: (dW, dx) by direct loops.
pub fn conv_backward_reference(
    s: ConvShape,
    x: &[f32],
    w: &[f32],
    dout: &[f32],
) -> (Vec<f64>, Vec<f64>) {
    let (h, wd) = (s.h as isize, s.w as isize);
    let mut dw = vec![0.0f64; s.co * s.ci * 9];
    let mut dx = vec![0.0f64; x.len()];
    for b in 0..s.batch {
        for o in 0..s.co {
            for y in 0..h {
                for xx in 0..wd {
                    let g =
                        dout[((b * s.co + o) as isize * h + y) as usize * s.w + xx as usize] as f64;
                    for c in 0..s.ci {
                        for ky in 0..3isize {
                            for kx in 0..3isize {
                                let (sy, sx) = (y + ky - 1, xx + kx - 1);
                                if sy >= 0 && sy < h && sx >= 0 && sx < wd {
                                    let xi =
                                        (((b * s.ci + c) as isize * h + sy) * wd + sx) as usize;
                                    let wi = ((o * s.ci + c) * 3 + ky as usize) * 3 + kx as usize;
                                    dw[wi] += g * x[xi] as f64;
                                    dx[xi] += g * w[wi] as f64;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    (dw, dx)
}
