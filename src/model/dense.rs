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

use super::conv::{general_on_pool, general_on_threads};
use super::copies::ReusedCopy;
use super::ops::{to_vec, Dev};

/// Dense layer: `(B, I) → (B, O)`, `y = x·Wᵀ + b` with `W` of `(O, I)` as dfdx's
/// `Linear` keeps it.
pub fn dense<B: Dim, const I: usize, const O: usize, T: Tape<f32, Dev>>(
    x: Tensor<(B, Const<I>), f32, Dev, T>,
    weight: &Tensor<Rank2<O, I>, f32, Dev>,
    bias: &Tensor<Rank1<O>, f32, Dev>,
) -> Tensor<(B, Const<O>), f32, Dev, T> {
    let threads = rayon::current_num_threads();
    let (x, mut tape) = x.split_tape();
    let batch = x.shape().0;
    let n = batch.size();
    let xs = ReusedCopy::of(&x);
    let ws = ReusedCopy::of(weight);
    let y = dense_forward(&xs, n, (&ws, &to_vec(bias)), (I, O));
    let out = x.device().tensor_from_vec(y, (batch, Const));
    if T::OWNS_TAPE && n > 0 {
        let (x_g, w_g, b_g, out_g) = (x.ghost(), weight.ghost(), bias.ghost(), out.ghost());
        tape.add_backward_op(move |grads| {
            grads.try_alloc_for(&x_g)?;
            grads.try_alloc_for(&w_g)?;
            grads.try_alloc_for(&b_g)?;
            let dy = std::mem::take(&mut **grads.get_or_alloc_mut(&out_g)?);
            let db = grads.get_or_alloc_mut(&b_g)?;
            for row in dy.chunks_exact(O) {
                db.iter_mut().zip(row).for_each(|(d, g)| *d += g);
            }
            // dW (O × I) += dyᵀ · x, dyᵀ read down dy's columns.
            let dw = (&mut grads.get_or_alloc_mut(&w_g)?[..], (I, 1), true);
            general_on_threads(threads, (O, I, n), dw, (&dy, (1, O)), (&xs, (I, 1)));
            // dx (n × I) += dy · W.
            let dx = (&mut grads.get_or_alloc_mut(&x_g)?[..], (I, 1), true);
            general_on_threads(threads, (n, I, O), dx, (&dy, (O, 1)), (&ws, (I, 1)));
            **grads.get_or_alloc_mut(&out_g)? = dy;
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// `y = x·Wᵀ + b` on slices, for `n` rows `x` of `i` and `W` of `o × i`: the forward
/// pass of [`dense`], which inference also calls on the conv layers' output directly
/// (no tensor to copy it out of), with the same bits.
pub fn dense_forward(
    x: &[f32],
    n: usize,
    (w, b): (&[f32], &[f32]),
    (i, o): (usize, usize),
) -> Vec<f32> {
    assert_eq!((x.len(), w.len(), b.len()), (n * i, o * i, o));
    let mut y = b.repeat(n);
    if n > 0 {
        // y (n × o) = b + x · Wᵀ, Wᵀ read down W's rows.
        general_on_pool((n, o, i), (&mut y, o, true), (x, (i, 1)), (w, (1, i)));
    }
    y
}
