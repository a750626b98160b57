//! A dense layer `y = x·Wᵀ + b` on our own vectors, forward and back, as the fused ops'
//! head: the same calls, so the same bits, as [`crate::model::dense::dense`].

use dfdx::prelude::*;

use super::chain::zeroed_on_pool;
use crate::model::conv::general_on_threads;
use crate::model::copies::ReusedCopy;
use crate::model::dense::dense_forward;
use crate::model::ops::{to_vec, Dev};

/// A dense layer's weight `(o, i)` and bias, copied out of their tensors for a step.
pub(super) struct DenseLayer {
    i: usize,
    o: usize,
    weight: ReusedCopy,
    bias: Vec<f32>,
}

impl DenseLayer {
    pub(super) fn of<const I: usize, const O: usize>(
        weight: &Tensor<Rank2<O, I>, f32, Dev>,
        bias: &Tensor<Rank1<O>, f32, Dev>,
    ) -> Self {
        Self {
            i: I,
            o: O,
            weight: ReusedCopy::of(weight),
            bias: to_vec(bias),
        }
    }

    /// `y = x·Wᵀ + b` for the `n` rows of `x`.
    pub(super) fn forward(&self, x: &[f32], n: usize) -> Vec<f32> {
        dense_forward(x, n, (&self.weight, &self.bias), (self.i, self.o))
    }

    /// Adds the bias's gradient, the sum of `dy`'s rows, into `db`.
    pub(super) fn add_bias_gradient(&self, dy: &[f32], db: &mut [f32]) {
        for row in dy.chunks_exact(self.o) {
            db.iter_mut().zip(row).for_each(|(d, g)| *d += g);
        }
    }

    /// Adds `dyᵀ · x` (`o × i`) into `dw`, `dyᵀ` read down `dy`'s columns.
    pub(super) fn add_weight_gradient(&self, x: &[f32], dy: &[f32], dw: &mut [f32]) {
        let (n, i, o) = (dy.len() / self.o, self.i, self.o);
        let threads = rayon::current_num_threads();
        general_on_threads(
            threads,
            (o, i, n),
            (dw, (i, 1), true),
            (dy, (1, o)),
            (x, (i, 1)),
        );
    }

    /// `dx = dy · W` (`n × i`), added into zeros as into the dense op's gradient buffer.
    pub(super) fn input_gradient(&self, dy: &[f32]) -> Vec<f32> {
        let (n, i, o) = (dy.len() / self.o, self.i, self.o);
        let threads = rayon::current_num_threads();
        let mut dx = zeroed_on_pool(n * i);
        let at = (&mut dx[..], (i, 1), true);
        general_on_threads(threads, (n, i, o), at, (dy, (o, 1)), (&self.weight, (i, 1)));
        dx
    }
}
