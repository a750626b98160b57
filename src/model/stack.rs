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

use std::mem::MaybeUninit;

use dfdx::prelude::*;
use rayon::prelude::*;

use super::conv::{pool_out, winograd, ConvShape, LaneSet};
use super::copies::ReusedCopy;
use super::ops::{add_into, to_vec, Dev, HalveCeil};

/// Elements per task when the gradient between the layers is zeroed: large enough that
/// a task is all streaming stores, small enough that the seed network's 627 200 split
/// into ten.
const ZEROING_TASK: usize = 64 * 1024;

/// One of the two layers: its weight and the instruction set its kernels use.
pub type StackLayer<'a, const CO: usize, const CI: usize> =
    (&'a Tensor<Rank4<CO, CI, 3, 3>, f32, Dev>, LaneSet);

/// The output shape of two fused layers: `(B, CO, ⌈⌈H/2⌉/2⌉, ⌈⌈W/2⌉/2⌉)`.
type PairOut<B, const CO: usize, const H: usize, const W: usize> = (
    B,
    Const<CO>,
    <<Const<H> as HalveCeil>::Out as HalveCeil>::Out,
    <<Const<W> as HalveCeil>::Out as HalveCeil>::Out,
);

/// `second(first(x))`, each a 3×3 SAME convolution, then 2×2 SAME max-pool and ReLU:
/// `(B, CI, H, W) → (B, CO, ⌈⌈H/2⌉/2⌉, ⌈⌈W/2⌉/2⌉)`. The same bits, forward and backward,
/// as the two [`super::ops::conv3x3_pool_relu`] ops in a row.
///
/// `input_grad: false` skips the first layer's input gradient, for a first layer whose
/// input is data.
#[allow(clippy::type_complexity)]
pub fn conv3x3_pool_relu_pair<
    B,
    const CI: usize,
    const CM: usize,
    const CO: usize,
    const H: usize,
    const W: usize,
    T,
>(
    x: Tensor<(B, Const<CI>, Const<H>, Const<W>), f32, Dev, T>,
    (first, first_lanes): StackLayer<'_, CM, CI>,
    (second, second_lanes): StackLayer<'_, CO, CM>,
    input_grad: bool,
) -> Tensor<PairOut<B, CO, H, W>, f32, Dev, T>
where
    B: Dim,
    T: Tape<f32, Dev>,
    Const<H>: HalveCeil,
    Const<W>: HalveCeil,
    <Const<H> as HalveCeil>::Out: HalveCeil,
    <Const<W> as HalveCeil>::Out: HalveCeil,
{
    let (x, mut tape) = x.split_tape();
    let batch = x.shape().0;
    let s1 = ConvShape {
        batch: batch.size(),
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
    let xs = ReusedCopy::of(&x);
    let (w1, w2) = (to_vec(first), to_vec(second));
    let (mid, argmax1) = winograd::conv3x3_pool_relu_forward_new(s1, first_lanes, &xs, &w1);
    let (out, argmax2) = winograd::conv3x3_pool_relu_forward_new(s2, second_lanes, &mid, &w2);
    let shape = (
        batch,
        Default::default(),
        Default::default(),
        Default::default(),
    );
    let out = x.device().tensor_from_vec(out, shape);
    if T::OWNS_TAPE {
        let (x_g, w1_g, w2_g, out_g) = (x.ghost(), first.ghost(), second.ghost(), out.ghost());
        tape.add_backward_op(move |grads| {
            grads.try_alloc_for(&w1_g)?;
            grads.try_alloc_for(&w2_g)?;
            let dout = std::mem::take(&mut **grads.get_or_alloc_mut(&out_g)?);
            let mut dmid = zeroed_on_pool(mid.len());
            let mut dw2 = vec![0.0f32; w2.len()];
            let (inputs, pooled) = ((&mid[..], &w2[..]), (&dout[..], &argmax2[..]));
            let lanes = second_lanes;
            winograd::conv3x3_pool_relu_backward(
                s2,
                lanes,
                inputs,
                pooled,
                &mut dw2,
                Some(&mut dmid),
            );
            **grads.get_or_alloc_mut(&out_g)? = dout;
            add_into(grads.get_or_alloc_mut(&w2_g)?, &dw2);
            let mut dw1 = vec![0.0f32; w1.len()];
            let (inputs, pooled) = ((&xs[..], &w1[..]), (&dmid[..], &argmax1[..]));
            let lanes = first_lanes;
            if input_grad {
                grads.try_alloc_for(&x_g)?;
                let dx = grads.get_or_alloc_mut(&x_g)?;
                winograd::conv3x3_pool_relu_backward(s1, lanes, inputs, pooled, &mut dw1, Some(dx));
            } else {
                winograd::conv3x3_pool_relu_backward(s1, lanes, inputs, pooled, &mut dw1, None);
            }
            add_into(grads.get_or_alloc_mut(&w1_g)?, &dw1);
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// `n` zeros, written in tasks on every thread of the pool (a zeroed allocation is
/// zeroed on the calling thread alone).
fn zeroed_on_pool(n: usize) -> Vec<f32> {
    let mut v = Vec::<f32>::with_capacity(n);
    v.spare_capacity_mut()[..n]
        .par_chunks_mut(ZEROING_TASK)
        .for_each(|chunk| chunk.fill(MaybeUninit::new(0.0)));
    // SAFETY: the tasks above wrote each of the first `n` elements.
    unsafe { v.set_len(n) };
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ops::conv3x3_pool_relu;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    type Pair = (
        Tensor<Rank4<4, 2, 3, 3>, f32, Dev>,
        Tensor<Rank4<3, 4, 3, 3>, f32, Dev>,
    );

    fn random_vec(rng: &mut StdRng, n: usize) -> Vec<f32> {
        (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect()
    }

    /// Runs `net` on a seeded batch of 5 images of 2 × 8 × 6 and back from a seeded
    /// output gradient: the output, the input's gradient and both weights' gradients.
    fn run(
        net: impl Fn(
            Tensor<(usize, Const<2>, Const<8>, Const<6>), f32, Dev, OwnedTape<f32, Dev>>,
            &Pair,
        )
            -> Tensor<(usize, Const<3>, Const<2>, Const<2>), f32, Dev, OwnedTape<f32, Dev>>,
    ) -> [Vec<f32>; 4] {
        let dev = Dev::default();
        let mut rng = StdRng::seed_from_u64(5);
        let mut weights: Pair = (dev.zeros(), dev.zeros());
        weights.0.copy_from(&random_vec(&mut rng, 4 * 2 * 9));
        weights.1.copy_from(&random_vec(&mut rng, 3 * 4 * 9));
        let x = dev.tensor_from_vec(
            random_vec(&mut rng, 5 * 2 * 8 * 6),
            (5, Const, Const, Const),
        );
        let probe = dev.tensor_from_vec(
            random_vec(&mut rng, 5 * 3 * 2 * 2),
            (5, Const, Const, Const),
        );
        let y = net(x.trace(Gradients::leaky()), &weights);
        let out = to_vec(&y);
        let grads = (y * probe).sum().backward();
        let dw = (
            to_vec(&grads.get(&weights.0)),
            to_vec(&grads.get(&weights.1)),
        );
        [out, to_vec(&grads.get(&x)), dw.0, dw.1]
    }

    #[test]
    fn the_pair_gives_the_bits_of_its_two_layers_one_after_the_other() {
        for lanes in LaneSet::available() {
            let pair = run(|x, w| conv3x3_pool_relu_pair(x, (&w.0, lanes), (&w.1, lanes), true));
            let layers = run(|x, w| {
                conv3x3_pool_relu(conv3x3_pool_relu(x, &w.0, true, lanes), &w.1, true, lanes)
            });
            let names = [
                "output",
                "input gradient",
                "first weight gradient",
                "second",
            ];
            for ((a, b), name) in pair.iter().zip(&layers).zip(names) {
                assert!(
                    a.iter().any(|v| *v != 0.0),
                    "{name} is all zeros ({lanes:?})"
                );
                let same = a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{name} differs ({lanes:?})");
            }
        }
    }
}
