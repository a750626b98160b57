//! The deep network's training pass as one op: three conv layers, each followed by
//! dropout, then the head (dense 2 048 → 625, ReLU, dropout, dense 625 → 10).

use dfdx::prelude::*;
use rayon::prelude::*;

use super::chain::{zeroed_on_pool, Chain, StageSpec};
use super::{Head, StackLayer};
use crate::model::copies::ReusedCopy;
use crate::model::dense::DenseLayer;
use crate::model::dropout::dropout_mask;
use crate::model::ops::{add_into, to_vec, Dev};
use conv3x3::ConvShape;

/// The deep network's conv layers, 1 → 32 → 64 → 128 channels on 28 × 28 images.
pub type DeepConvs<'a> = (
    StackLayer<'a, 32, 1>,
    StackLayer<'a, 64, 32>,
    StackLayer<'a, 128, 64>,
);

/// The deep network's dense layers, 2 048 → 625 → 10.
pub type DeepHead<'a> = (Head<'a, 2048, 625>, Head<'a, 625, 10>);

/// The deep network while training: `(B, 1, 28, 28) → (B, 10)`, each conv layer followed
/// by dropout with its probability in `p[..3]`, the flattened maps through the first
/// dense layer, ReLU, dropout with `p[3]` and the second dense layer. The same bits,
/// forward and backward, as its layers one op at a time ([`crate::model::ops`]'s conv and
/// dropout ops, [`crate::model::layers::Flatten`], [`crate::model::dense::dense`] and
/// dfdx's ReLU), drawing the same dropout seeds from the device in the same order. The
/// input is data, so it gets no gradient.
#[allow(clippy::type_complexity)]
pub fn deep_network(
    x: Tensor<(usize, Const<1>, Const<28>, Const<28>), f32, Dev, OwnedTape<f32, Dev>>,
    convs: DeepConvs<'_>,
    head: DeepHead<'_>,
    p: [f32; 4],
) -> Tensor<(usize, Const<10>), f32, Dev, OwnedTape<f32, Dev>> {
    let seeds = [(); 4].map(|()| x.device().random_u64());
    let (x, mut tape) = x.split_tape();
    let batch = x.shape().0;
    let shape = |ci, co, side| ConvShape {
        batch,
        ci,
        co,
        h: side,
        w: side,
    };
    let dropout = |i: usize| StageSpec::Dropout {
        seed: seeds[i],
        p: p[i],
    };
    let specs = vec![
        StageSpec::Conv(shape(1, 32, 28), convs.0 .1, to_vec(convs.0 .0)),
        dropout(0),
        StageSpec::Conv(shape(32, 64, 14), convs.1 .1, to_vec(convs.1 .0)),
        dropout(1),
        StageSpec::Conv(shape(64, 128, 7), convs.2 .1, to_vec(convs.2 .0)),
        dropout(2),
    ];
    // The dense weights' copies (dense1's is 5 MB: one thread's memcpy, about 2 % of a
    // step) beside the conv layers, whose tasks the other thread takes meanwhile.
    let input = ReusedCopy::of(&x);
    let ((chain, maps), (dense1, dense2)) = rayon::join(
        || Chain::forward(input, specs),
        || {
            (
                DenseLayer::of(head.0 .0, head.0 .1),
                DenseLayer::of(head.1 .0, head.1 .1),
            )
        },
    );
    // ReLU as dfdx computes it, in place.
    let mut hidden = dense1.forward(&maps, batch);
    hidden.par_iter_mut().for_each(|h| *h = h.max(0.0));
    let (dropped, scale) = dropout_mask(seeds[3], p[3], &hidden);
    let out = dense2.forward(&dropped, batch);
    let out = x.device().tensor_from_vec(out, (batch, Const));
    let conv_ghosts = (convs.0 .0.ghost(), convs.1 .0.ghost(), convs.2 .0.ghost());
    let head_ghosts = (
        (head.0 .0.ghost(), head.0 .1.ghost()),
        (head.1 .0.ghost(), head.1 .1.ghost()),
    );
    let out_g = out.ghost();
    tape.add_backward_op(move |grads| {
        let ((w1_g, b1_g), (w2_g, b2_g)) = &head_ghosts;
        grads.try_alloc_for(w1_g)?;
        grads.try_alloc_for(b1_g)?;
        grads.try_alloc_for(w2_g)?;
        grads.try_alloc_for(b2_g)?;
        let dy = std::mem::take(&mut **grads.get_or_alloc_mut(&out_g)?);
        dense2.add_bias_gradient(&dy, grads.get_or_alloc_mut(b2_g)?);
        dense2.add_weight_gradient(&dropped, &dy, grads.get_or_alloc_mut(w2_g)?);
        // Into zeros, as into the dense op's gradient buffer.
        let mut dhidden = zeroed_on_pool(hidden.len());
        dense2.add_input_gradient(&dy, &mut dhidden);
        **grads.get_or_alloc_mut(&out_g)? = dy;
        // Dropout's and ReLU's backward passes as dfdx's zeroed buffers would add them
        // (`0.0 +`: a −0 becomes +0); ReLU's derivative is 1 where its output is above 0.
        dhidden
            .par_iter_mut()
            .zip(&scale)
            .zip(&hidden)
            .for_each(|((g, s), h)| {
                let through_dropout = 0.0 + s * *g;
                let slope = if *h > 0.0 { 1.0 } else { 0.0 };
                *g = 0.0 + slope * through_dropout;
            });
        dense1.add_bias_gradient(&dhidden, grads.get_or_alloc_mut(b1_g)?);
        dense1.add_weight_gradient(&maps, &dhidden, grads.get_or_alloc_mut(w1_g)?);
        let mut dmaps = zeroed_on_pool(maps.len());
        dense1.add_input_gradient(&dhidden, &mut dmaps);
        let (dws, _) = chain.backward(&dmaps, false);
        grads.try_alloc_for(&conv_ghosts.0)?;
        add_into(grads.get_or_alloc_mut(&conv_ghosts.0)?, &dws[0]);
        grads.try_alloc_for(&conv_ghosts.1)?;
        add_into(grads.get_or_alloc_mut(&conv_ghosts.1)?, &dws[1]);
        grads.try_alloc_for(&conv_ghosts.2)?;
        add_into(grads.get_or_alloc_mut(&conv_ghosts.2)?, &dws[2]);
        Ok(())
    });
    out.put_tape(tape)
}
