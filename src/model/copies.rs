//! Copies of a tensor's elements in buffers reused from one training step to the next.
//!
//! Why: dfdx 0.13 lends no view of a tensor's elements, so every step the ops copy their
//! operands out of their tensors (a conv layer its input, which the backward pass needs
//! too; a dense layer its input and weight; dropout its input) and the optimiser each
//! weight it updates. Into a fresh buffer,
//! that copy was two passes on one thread while the other waited: zeroing (or faulting
//! in) 2.5 MB for the seed network's conv2 input, then the copy itself. A buffer of the
//! same size from the step before is already mapped and needs no zeroing, only the copy.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

use dfdx::prelude::*;

/// Buffers waiting for their next copy. A training step holds a few at a time (one per
/// conv layer, two per dense layer); more than this are let go rather than kept.
static SPARE: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());
/// Spare buffers kept at most: what the deep model's step holds at once, and a few more.
const SPARE_KEPT: usize = 12;

/// A tensor's elements, in a buffer that goes back to [`SPARE`] when dropped.
pub struct ReusedCopy(Vec<f32>);

impl ReusedCopy {
    /// Copies `t`'s elements, into a spare buffer of exactly their number when there is
    /// one.
    pub fn of<S: Shape, T>(t: &Tensor<S, f32, Cpu, T>) -> Self {
        let mut v = Self::buffer(t.shape().num_elements());
        t.copy_into(&mut v.0);
        v
    }

    /// A buffer of `n` elements for a caller that writes every one of them: a spare of
    /// that size (holding whatever its last user left) or fresh zeros.
    pub fn buffer(n: usize) -> Self {
        let spare = SPARE.lock().ok().and_then(|mut spare| {
            let at = spare.iter().position(|v| v.len() == n)?;
            Some(spare.swap_remove(at))
        });
        Self(spare.unwrap_or_else(|| vec![0.0; n]))
    }
}

impl Deref for ReusedCopy {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.0
    }
}

impl DerefMut for ReusedCopy {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.0
    }
}

impl Drop for ReusedCopy {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        if let Ok(mut spare) = SPARE.lock() {
            if spare.len() < SPARE_KEPT {
                spare.push(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_buffer_holds_the_new_tensor_not_the_old_one() {
        let dev = Cpu::default();
        let first = dev.tensor([1.0f32, 2.0, 3.0]);
        let second = dev.tensor([7.0f32, 8.0, 9.0]);
        let a = ReusedCopy::of(&first);
        assert_eq!(&a[..], &[1.0, 2.0, 3.0]);
        drop(a);
        let b = ReusedCopy::of(&second);
        assert_eq!(&b[..], &[7.0, 8.0, 9.0]);
    }
}
