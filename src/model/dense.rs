//! The dense layer `y = x·Wᵀ + b` as an op on dfdx's tape, its three products on the
//! `gemm` crate's AVX-512 kernels, on every thread of the pool.
//!
//! Why not dfdx's `Linear`: dfdx calls gemm 0.15, whose widest x86 kernels are AVX2
//! (half the multiply-adds per cycle of an AVX-512 core), and adds the bias by a
//! broadcast whose backward pass walks a strided iterator on one thread. Our own product
//! kernel ([`super::conv`]'s, made for the Winograd layers' short inner dimension) lost
//! to gemm here, even for the weight gradient's 100-term sums: it reads its operands in
//! place, strided across pages, where gemm packs them into blocks.
//!
//! gemm cuts the work among the threads by rows and columns of the output, never inside
//! a sum, so each output element is the same chain of multiply-adds for every thread
//! count and every batch size an image comes in.

use dfdx::prelude::*;
use rayon::prelude::*;

use super::copies::ReusedCopy;
use super::ops::{to_vec, Dev};
use conv3x3::{general_on_pool, general_on_threads};

/// Dense layer: `(B, I) → (B, O)`, `y = x·Wᵀ + b` with `W` of `(O, I)` as dfdx's
/// `Linear` keeps it.
pub fn dense<B: Dim, const I: usize, const O: usize, T: Tape<f32, Dev>>(
    x: Tensor<(B, Const<I>), f32, Dev, T>,
    weight: &Tensor<Rank2<O, I>, f32, Dev>,
    bias: &Tensor<Rank1<O>, f32, Dev>,
) -> Tensor<(B, Const<O>), f32, Dev, T> {
    let (x, mut tape) = x.split_tape();
    let batch = x.shape().0;
    let n = batch.size();
    let xs = ReusedCopy::of(&x);
    let layer = DenseLayer::of(weight, bias);
    let out = x
        .device()
        .tensor_from_vec(layer.forward(&xs, n), (batch, Const));
    if T::OWNS_TAPE && n > 0 {
        let (x_g, w_g, b_g, out_g) = (x.ghost(), weight.ghost(), bias.ghost(), out.ghost());
        tape.add_backward_op(move |grads| {
            grads.try_alloc_for(&x_g)?;
            grads.try_alloc_for(&w_g)?;
            grads.try_alloc_for(&b_g)?;
            let dy = std::mem::take(&mut **grads.get_or_alloc_mut(&out_g)?);
            layer.add_bias_gradient(&dy, grads.get_or_alloc_mut(&b_g)?);
            layer.add_weight_gradient(&xs, &dy, grads.get_or_alloc_mut(&w_g)?);
            layer.add_input_gradient(&dy, grads.get_or_alloc_mut(&x_g)?);
            **grads.get_or_alloc_mut(&out_g)? = dy;
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// A dense layer's weight `(o, i)` and bias, copied out of their tensors for a step, and
/// its passes on slices: what [`dense`] and the fused ops of [`super::fused`] run.
pub struct DenseLayer {
    i: usize,
    o: usize,
    weight: ReusedCopy,
    bias: Vec<f32>,
}

impl DenseLayer {
    pub fn of<const I: usize, const O: usize>(
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
    pub fn forward(&self, x: &[f32], n: usize) -> Vec<f32> {
        dense_forward(x, n, (&self.weight, &self.bias), (self.i, self.o))
    }

    /// Adds the bias's gradient, the sum of `dy`'s rows, into `db`.
    pub fn add_bias_gradient(&self, dy: &[f32], db: &mut [f32]) {
        for row in dy.chunks_exact(self.o) {
            db.iter_mut().zip(row).for_each(|(d, g)| *d += g);
        }
    }

    /// Adds `dyᵀ · x` (`o × i`) into `dw`, `dyᵀ` read down `dy`'s columns.
    pub fn add_weight_gradient(&self, x: &[f32], dy: &[f32], dw: &mut [f32]) {
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

    /// Adds `dy · W` (`n × i`) into `dx`.
    pub fn add_input_gradient(&self, dy: &[f32], dx: &mut [f32]) {
        let (n, i, o) = (dy.len() / self.o, self.i, self.o);
        let threads = rayon::current_num_threads();
        let at = (dx, (i, 1), true);
        general_on_threads(threads, (n, i, o), at, (dy, (o, 1)), (&self.weight, (i, 1)));
    }
}

/// Rows of [`dense_forward`]'s output per task that writes the bias into them.
const BIAS_ROWS_PER_TASK: usize = 64;

/// `y = x·Wᵀ + b` on slices, for `n` rows `x` of `i` and `W` of `o × i`: the forward
/// pass of [`dense`], which inference also calls on the conv layers' output directly
/// (no tensor to copy it out of) where [`super::infer::dense`] does not take the shape.
pub fn dense_forward(
    x: &[f32],
    n: usize,
    (w, b): (&[f32], &[f32]),
    (i, o): (usize, usize),
) -> Vec<f32> {
    assert_eq!((x.len(), w.len(), b.len()), (n * i, o * i, o));
    // The bias first, row by row in tasks (2.5 MB for the deep model's first dense
    // layer at a 1 000-image batch): the product then adds onto it.
    let mut y = vec![0.0f32; n * o];
    y.par_chunks_mut(o.max(1) * BIAS_ROWS_PER_TASK)
        .for_each(|rows| {
            rows.chunks_exact_mut(o)
                .for_each(|row| row.copy_from_slice(b))
        });
    if n > 0 {
        // y (n × o) = b + x · Wᵀ, Wᵀ read down W's rows.
        general_on_pool((n, o, i), (&mut y, o, true), (x, (i, 1)), (w, (1, i)));
    }
    y
}
