//! Occlusion, the second explanation beside gradient × input: a blank patch slides over
//! the digit, and each pixel gets the mean drop of each class's probability over the
//! patches that hid it. Where gradient × input says how the score *would* move for a
//! tiny change, occlusion says what happens when a piece of the digit is really gone.
//!
//! All the occluded copies go through one batched inference pass (at most 145 images).

use super::nets::Network;
use super::probability::softmax;
use super::saliency::Saliency;
use crate::data::{PIXELS, SIDE};

/// The patch's side in pixels: MNIST strokes are 2–4 pixels wide, so a 6-pixel patch hides
/// a piece of a stroke across its width without hiding a whole part of the digit.
pub const PATCH: usize = 6;
/// Pixels between patches: each pixel is hidden by up to nine of them, so the map is
/// smooth at a fraction of the passes a stride of 1 would take (144 copies, not 529).
pub const STRIDE: usize = 2;

/// The patches' top-left corners, row by row.
fn corners() -> impl Iterator<Item = (usize, usize)> {
    let last = SIDE - PATCH;
    (0..=last)
        .step_by(STRIDE)
        .flat_map(move |y| (0..=last).step_by(STRIDE).map(move |x| (y, x)))
}

/// The pixels a patch at `(y, x)` hides.
fn hidden(y: usize, x: usize) -> impl Iterator<Item = usize> {
    (y..y + PATCH).flat_map(move |r| (x..x + PATCH).map(move |c| r * SIDE + c))
}

/// Each class's occlusion map of `pixels` (28×28 in [0, 1]): ten maps of 28×28, class
/// after class, positive where hiding the pixel lowers the class's probability — drawn
/// by the same overlay as gradient × input.
pub fn occlusion<N: Network>(net: &N, pixels: &[f32]) -> Saliency {
    assert_eq!(pixels.len(), PIXELS);
    // A patch over blank pixels changes nothing: it is not run, and its drop is exactly
    // zero (the same image through a pass of another batch size might differ in its
    // last bits).
    let inked: Vec<(usize, usize)> = corners()
        .filter(|&(y, x)| hidden(y, x).any(|i| pixels[i] != 0.0))
        .collect();
    let mut batch = Vec::with_capacity((inked.len() + 1) * PIXELS);
    batch.extend_from_slice(pixels);
    for &(y, x) in &inked {
        let start = batch.len();
        batch.extend_from_slice(pixels);
        for i in hidden(y, x) {
            batch[start + i] = 0.0;
        }
    }
    let logits = net.infer_rows(&batch, inked.len() + 1);
    let probabilities: Vec<[f32; 10]> = logits.chunks_exact(10).map(softmax).collect();
    let original = probabilities[0];
    let mut drop = vec![0.0f32; 10 * PIXELS];
    let mut covered = vec![0u32; PIXELS];
    for (y, x) in corners() {
        hidden(y, x).for_each(|i| covered[i] += 1);
    }
    for (&(y, x), p) in inked.iter().zip(&probabilities[1..]) {
        for i in hidden(y, x) {
            for c in 0..10 {
                drop[c * PIXELS + i] += original[c] - p[c];
            }
        }
    }
    for map in drop.chunks_exact_mut(PIXELS) {
        for (d, &n) in map.iter_mut().zip(&covered) {
            *d /= n.max(1) as f32;
        }
    }
    Saliency(drop)
}
