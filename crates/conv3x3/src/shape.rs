//! The shape of a 3×3 SAME convolution and of the 2×2 SAME pooling after it, and how a
//! batch is cut into parts for the threads.

use rayon::prelude::*;

/// Contiguous ranges that split `n` items into at most `parts` nearly equal chunks.
pub fn chunk_ranges(n: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let parts = parts.clamp(1, n.max(1));
    (0..parts)
        .map(|p| (p * n / parts)..((p + 1) * n / parts))
        .filter(|r| !r.is_empty())
        .collect()
}

/// The greatest common divisor.
pub fn gcd(mut x: usize, mut y: usize) -> usize {
    while y != 0 {
        (x, y) = (y, x % y);
    }
    x
}

/// The least common multiple (of group sizes: a task of images that every layer
/// groups evenly).
pub fn lcm(a: usize, b: usize) -> usize {
    a / gcd(a, b) * b
}

/// Tasks the backward pass cuts a batch into. The cut depends on the batch only, not on
/// the threads, so the result is the same to the bit for every thread count; sixteen
/// keep 16 cores busy, and divide evenly among 2, 4 or 8 (17 tasks of six images left
/// one of two threads a task behind the other: 9 against 8, about 6 % idle).
pub const BACKWARD_TASKS: usize = 16;

/// Sums the tasks' partial weight gradients into `du`, each element over the parts in
/// their order (so the sum does not depend on which thread ran which task), with the
/// elements cut into chunks that run in parallel.
pub fn add_in_order<P: AsRef<[f32]> + Sync>(du: &mut [f32], parts: &[P]) {
    const CHUNK: usize = 4096;
    du.par_chunks_mut(CHUNK).enumerate().for_each(|(c, out)| {
        for part in parts {
            let part = &part.as_ref()[c * CHUNK..c * CHUNK + out.len()];
            out.iter_mut().zip(part).for_each(|(d, p)| *d += p);
        }
    });
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
    /// Elements of one input image.
    pub fn in_len(&self) -> usize {
        self.ci * self.h * self.w
    }
    /// Elements of one (unpooled) output image.
    pub fn out_len(&self) -> usize {
        self.co * self.h * self.w
    }
    /// Rows of the im2col matrix: nine taps per input channel.
    pub fn k(&self) -> usize {
        self.ci * 9
    }
}

/// Output side of a 2×2, stride 2 max-pool with TensorFlow's SAME padding: `ceil(n / 2)`.
pub const fn pool_out(n: usize) -> usize {
    n.div_ceil(2)
}

/// `argmax` entry of an output that ReLU clamped to zero: no gradient flows back.
pub const NO_GRADIENT: u32 = u32::MAX;

/// How a batch of feature maps lies in memory: `[image][channel][y][x]` (what the dense
/// layers and the views read), or `[image][y][x][channel]` (what the inference layers
/// hand each other, so that a pixel's channels are whole vectors). With one channel the
/// two are the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapLayout {
    Planar,
    ChannelsLast,
}
