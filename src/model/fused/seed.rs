//! The seed network's training pass as one op: conv1, conv2 and the dense head.

use dfdx::prelude::*;

use super::chain::{zeroed_on_pool, Chain, StageSpec};
use super::{Head, Maps, StackLayer};
use crate::model::copies::ReusedCopy;
use crate::model::dense::DenseLayer;
use crate::model::layers::Volume;
use crate::model::ops::{add_into, to_vec, Dev, HalveCeil};
use conv3x3::{pool_out, ConvShape};

/// `dense(flatten(second(first(x))))`, where `first` and `second` are each a 3×3 SAME
/// convolution, then 2×2 SAME max-pool and ReLU, and `dense` is `y = x·Wᵀ + b`:
/// `(B, CI, H, W) → (B, O)`. The same bits, forward and backward, as
/// [`crate::model::ops::conv3x3_pool_relu`] twice, [`crate::model::layers::Flatten`] and
/// [`crate::model::dense::dense`] in a row; the dense layer's width `I` must be the maps'
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
    let dense = DenseLayer::of(weight, bias);
    let out = x
        .device()
        .tensor_from_vec(dense.forward(&maps, n), (batch, Const));
    if T::OWNS_TAPE && n > 0 {
        let (x_g, out_g) = (x.ghost(), out.ghost());
        let (w1_g, w2_g) = (first.0.ghost(), second.0.ghost());
        let (w_g, b_g) = (weight.ghost(), bias.ghost());
        tape.add_backward_op(move |grads| {
            grads.try_alloc_for(&w_g)?;
            grads.try_alloc_for(&b_g)?;
            let dy = std::mem::take(&mut **grads.get_or_alloc_mut(&out_g)?);
            dense.add_bias_gradient(&dy, grads.get_or_alloc_mut(&b_g)?);
            dense.add_weight_gradient(&maps, &dy, grads.get_or_alloc_mut(&w_g)?);
            // Into zeros, as into the dense op's gradient buffer.
            let mut dmaps = zeroed_on_pool(maps.len());
            dense.add_input_gradient(&dy, &mut dmaps);
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
