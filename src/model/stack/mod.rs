//! Two fused conv layers ([`conv3x3_pool_relu`]'s) as one op on dfdx's tape, so that the
//! maps between them never become a dfdx tensor.
//!
//! Why: between two ops, dfdx 0.13 lends no view of a tensor's elements, and creates a
//! gradient buffer only zeroed. Each step, the seed network's conv2 copied its input
//! (100 × 32 × 14 × 14 floats, 2.5 MB) out of conv1's output tensor, and dfdx zeroed a
//! buffer as large for that input's gradient: two passes on one thread while the other
//! waited, about a tenth of the one-thread time in a two-thread step. Here the first
//! layer's output stays in our own vector, which the second layer reads in place, and
//! the gradient between them is our own vector too, zeroed on every thread.
//!
//! [`conv3x3_pool_relu`]: super::ops::conv3x3_pool_relu

use dfdx::prelude::*;

use super::conv::{general_on_threads, pool_out, ConvShape, LaneSet};
use super::copies::ReusedCopy;
use super::dense::dense_forward;
use super::layers::Volume;
use super::ops::{add_into, to_vec, Dev, HalveCeil};
use chain::{zeroed_on_pool, Chain, StageSpec};

mod chain;
#[cfg(test)]
mod tests;

/// One of the two conv layers: its weight and the instruction set its kernels use.
pub type StackLayer<'a, const CO: usize, const CI: usize> =
    (&'a Tensor<Rank4<CO, CI, 3, 3>, f32, Dev>, LaneSet);

/// The dense head: weight `(O, I)` and bias, as [`super::layers::Dense`] keeps them.
pub type Head<'a, const I: usize, const O: usize> = (
    &'a Tensor<Rank2<O, I>, f32, Dev>,
    &'a Tensor<Rank1<O>, f32, Dev>,
);

/// The maps after both conv layers: `(CO, ⌈⌈H/2⌉/2⌉, ⌈⌈W/2⌉/2⌉)`.
type Maps<const CO: usize, const H: usize, const W: usize> = (
    Const<CO>,
    <<Const<H> as HalveCeil>::Out as HalveCeil>::Out,
    <<Const<W> as HalveCeil>::Out as HalveCeil>::Out,
);

/// `dense(flatten(second(first(x))))`, where `first` and `second` are each a 3×3 SAME
/// convolution, then 2×2 SAME max-pool and ReLU, and `dense` is `y = x·Wᵀ + b`:
/// `(B, CI, H, W) → (B, O)`. The same bits, forward and backward, as
/// [`super::ops::conv3x3_pool_relu`] twice, [`super::layers::Flatten`] and
/// [`super::dense::dense`] in a row; the dense layer's width `I` must be the maps'
/// [`Volume`], or it does not compile.
///
/// `input_grad: false` skips the first layer's input gradient, for a first layer whose
/// input is data.
#[allow(clippy::type_complexity)]
pub fn conv_pair_dense<
    B,
    const CI: usize,
    const CM: usize,
    const CO: usize,
    const H: usize,
    const W: usize,
    const I: usize,
    const O: usize,
    T,
>(
    x: Tensor<(B, Const<CI>, Const<H>, Const<W>), f32, Dev, T>,
    (first, second): (StackLayer<'_, CM, CI>, StackLayer<'_, CO, CM>),
    (weight, bias): Head<'_, I, O>,
    input_grad: bool,
) -> Tensor<(B, Const<O>), f32, Dev, T>
where
    B: Dim,
    T: Tape<f32, Dev>,
    Const<H>: HalveCeil,
    Const<W>: HalveCeil,
    <Const<H> as HalveCeil>::Out: HalveCeil,
    <Const<W> as HalveCeil>::Out: HalveCeil,
    Maps<CO, H, W>: Volume<Out = Const<I>>,
{
    let threads = rayon::current_num_threads();
    let (x, mut tape) = x.split_tape();
    let batch = x.shape().0;
    let n = batch.size();
    let s1 = ConvShape {
        batch: n,
        ci: CI,
        co: CM,
        h: H,
        w: W,
    };
    let s2 = ConvShape {
        ci: CM,
        co: CO,
        h: pool_out(H),
        w: pool_out(W),
        ..s1
    };
    let specs = vec![
        StageSpec::Conv(s1, first.1, to_vec(first.0)),
        StageSpec::Conv(s2, second.1, to_vec(second.0)),
    ];
    let (chain, maps) = Chain::forward(ReusedCopy::of(&x), specs);
    let ws = ReusedCopy::of(weight);
    let y = dense_forward(&maps, n, (&ws, &to_vec(bias)), (I, O));
    let out = x.device().tensor_from_vec(y, (batch, Const));
    if T::OWNS_TAPE && n > 0 {
        let (x_g, out_g) = (x.ghost(), out.ghost());
        let (w1_g, w2_g) = (first.0.ghost(), second.0.ghost());
        let (w_g, b_g) = (weight.ghost(), bias.ghost());
        tape.add_backward_op(move |grads| {
            grads.try_alloc_for(&w_g)?;
            grads.try_alloc_for(&b_g)?;
            let dy = std::mem::take(&mut **grads.get_or_alloc_mut(&out_g)?);
            let db = grads.get_or_alloc_mut(&b_g)?;
            for row in dy.chunks_exact(O) {
                db.iter_mut().zip(row).for_each(|(d, g)| *d += g);
            }
            // dW (O × I) += dyᵀ · maps, dyᵀ read down dy's columns.
            let dw = (&mut grads.get_or_alloc_mut(&w_g)?[..], (I, 1), true);
            general_on_threads(threads, (O, I, n), dw, (&dy, (1, O)), (&maps, (I, 1)));
            // dmaps (n × I) = dy · W, into zeros as the dense op's gradient buffer.
            let mut dmaps = zeroed_on_pool(n * I);
            let dmaps_at = (&mut dmaps[..], (I, 1), true);
            general_on_threads(threads, (n, I, O), dmaps_at, (&dy, (O, 1)), (&ws, (I, 1)));
            **grads.get_or_alloc_mut(&out_g)? = dy;
            let (dws, dx) = chain.backward(&dmaps, input_grad);
            grads.try_alloc_for(&w1_g)?;
            add_into(grads.get_or_alloc_mut(&w1_g)?, &dws[0]);
            grads.try_alloc_for(&w2_g)?;
            add_into(grads.get_or_alloc_mut(&w2_g)?, &dws[1]);
            if let Some(dx) = dx {
                grads.try_alloc_for(&x_g)?;
                add_into(grads.get_or_alloc_mut(&x_g)?, &dx);
            }
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// The deep network's conv layers 1 → 32 → 64 → 128 channels on 28 × 28 images, each
/// followed by dropout with its probability in `p`, as one op: `(B, 1, 28, 28) →
/// (B, 128, 4, 4)`. The same bits, forward and backward, as the six ops in a row
/// ([`super::ops::conv3x3_pool_relu`] and [`super::ops::dropout`]), drawing the same
/// dropout seeds from the device in the same order. The first layer's input is data, so
/// it gets no gradient.
#[allow(clippy::type_complexity)]
pub fn conv_dropout_chain(
    x: Tensor<(usize, Const<1>, Const<28>, Const<28>), f32, Dev, OwnedTape<f32, Dev>>,
    convs: (
        StackLayer<'_, 32, 1>,
        StackLayer<'_, 64, 32>,
        StackLayer<'_, 128, 64>,
    ),
    p: [f32; 3],
) -> Tensor<(usize, Const<128>, Const<4>, Const<4>), f32, Dev, OwnedTape<f32, Dev>> {
    let seeds = [(); 3].map(|()| x.device().random_u64());
    let (x, mut tape) = x.split_tape();
    let batch = x.shape().0;
    let shape = |ci, co, side| ConvShape {
        batch,
        ci,
        co,
        h: side,
        w: side,
    };
    let specs = vec![
        StageSpec::Conv(shape(1, 32, 28), convs.0 .1, to_vec(convs.0 .0)),
        StageSpec::Dropout {
            seed: seeds[0],
            p: p[0],
        },
        StageSpec::Conv(shape(32, 64, 14), convs.1 .1, to_vec(convs.1 .0)),
        StageSpec::Dropout {
            seed: seeds[1],
            p: p[1],
        },
        StageSpec::Conv(shape(64, 128, 7), convs.2 .1, to_vec(convs.2 .0)),
        StageSpec::Dropout {
            seed: seeds[2],
            p: p[2],
        },
    ];
    let (chain, out) = Chain::forward(ReusedCopy::of(&x), specs);
    let out = x
        .device()
        .tensor_from_vec(out, (batch, Const, Const, Const));
    let ghosts = (convs.0 .0.ghost(), convs.1 .0.ghost(), convs.2 .0.ghost());
    let out_g = out.ghost();
    tape.add_backward_op(move |grads| {
        let dout = std::mem::take(&mut **grads.get_or_alloc_mut(&out_g)?);
        let (dws, _) = chain.backward(&dout, false);
        **grads.get_or_alloc_mut(&out_g)? = dout;
        grads.try_alloc_for(&ghosts.0)?;
        add_into(grads.get_or_alloc_mut(&ghosts.0)?, &dws[0]);
        grads.try_alloc_for(&ghosts.1)?;
        add_into(grads.get_or_alloc_mut(&ghosts.1)?, &dws[1]);
        grads.try_alloc_for(&ghosts.2)?;
        add_into(grads.get_or_alloc_mut(&ghosts.2)?, &dws[2]);
        Ok(())
    });
    out.put_tape(tape)
}
