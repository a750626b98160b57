//! A chain of fused conv layers and dropouts, run forward and back on our own vectors:
//! what the fused ops of [`super`] are made of.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::model::copies::ReusedCopy;
use crate::model::dropout::dropout_mask;
use conv3x3::{winograd, ConvShape, LaneSet};

/// Elements per task when a gradient between layers is zeroed: large enough that a task
/// is all streaming stores, small enough that the seed network's 627 200 split into ten.
const ZEROING_TASK: usize = 64 * 1024;

/// One stage of a [`Chain`], as its forward pass asks for it.
pub(super) enum StageSpec {
    /// A fused conv layer: its shape, lane set and weight.
    Conv(ConvShape, LaneSet, Vec<f32>),
    /// Dropout with probability `p`, from the device's draw `seed`.
    Dropout { seed: u64, p: f32 },
}

/// One stage of a [`Chain`], with what its backward pass needs of its forward pass.
enum Stage {
    Conv {
        s: ConvShape,
        lanes: LaneSet,
        weight: Vec<f32>,
        argmax: Vec<u32>,
    },
    Dropout {
        scale: Vec<f32>,
    },
}

/// Fused conv layers and dropouts run one after another, and what their backward pass
/// needs: the input, and each stage's output but the last (ours, not a dfdx tensor's).
pub(super) struct Chain {
    x: ReusedCopy,
    stages: Vec<Stage>,
    /// `maps[i]` is stage `i`'s output, stage `i + 1`'s input; empty where stage `i + 1`
    /// is a dropout, whose backward pass does not read it.
    maps: Vec<Vec<f32>>,
}

impl Chain {
    /// Runs the stages over `x`, `(batch, channels, h, w)` as the first stage takes it:
    /// what the backward pass needs, and the last stage's output.
    pub(super) fn forward(x: ReusedCopy, specs: Vec<StageSpec>) -> (Self, Vec<f32>) {
        let mut chain = Self {
            x,
            stages: Vec::with_capacity(specs.len()),
            maps: Vec::with_capacity(specs.len()),
        };
        for spec in specs {
            let input = chain.maps.last().map_or(&chain.x[..], |m| &m[..]);
            let (out, stage) = match spec {
                StageSpec::Conv(s, lanes, weight) => {
                    let (out, argmax) =
                        winograd::conv3x3_pool_relu_forward_new(s, lanes, input, &weight);
                    let stage = Stage::Conv {
                        s,
                        lanes,
                        weight,
                        argmax,
                    };
                    (out, stage)
                }
                StageSpec::Dropout { seed, p } => {
                    let (out, scale) = dropout_mask(seed, p, input);
                    // Dropout's backward pass needs only its scale, so a map it read
                    // goes now rather than at the backward pass (the deep model's
                    // conv outputs: 4.6 MB a step).
                    if let Some(read) = chain.maps.last_mut() {
                        *read = Vec::new();
                    }
                    (out, Stage::Dropout { scale })
                }
            };
            chain.maps.push(out);
            chain.stages.push(stage);
        }
        let out = chain.maps.pop().expect("a chain has stages");
        (chain, out)
    }

    /// From the gradient of the chain's output: the gradients of the conv stages' weights, in
    /// order, and, when asked for, of the input.
    pub(super) fn backward(
        &self,
        dout: &[f32],
        input_grad: bool,
    ) -> (Vec<Vec<f32>>, Option<Vec<f32>>) {
        let mut dweights = Vec::new();
        let mut grad: Option<Vec<f32>> = None;
        for (i, stage) in self.stages.iter().enumerate().rev() {
            let input = if i == 0 {
                &self.x[..]
            } else {
                &self.maps[i - 1][..]
            };
            let dout = grad.as_deref().unwrap_or(dout);
            let wanted = i > 0 || input_grad;
            let dinput = match stage {
                Stage::Conv {
                    s,
                    lanes,
                    weight,
                    argmax,
                } => {
                    let mut dweight = vec![0.0f32; weight.len()];
                    let mut dinput = wanted.then(|| zeroed_on_pool(input.len()));
                    let (inputs, pooled) = ((input, &weight[..]), (dout, &argmax[..]));
                    let backward = winograd::conv3x3_pool_relu_backward;
                    backward(
                        *s,
                        *lanes,
                        inputs,
                        pooled,
                        &mut dweight,
                        dinput.as_deref_mut(),
                    );
                    dweights.push(dweight);
                    dinput
                }
                // `0.0 +` as dfdx's zeroed gradient buffer would add it (a −0 becomes +0).
                Stage::Dropout { scale } => wanted.then(|| {
                    let mut dinput = vec![0.0f32; 0];
                    dout.par_iter()
                        .zip(scale)
                        .map(|(g, s)| 0.0 + s * g)
                        .collect_into_vec(&mut dinput);
                    dinput
                }),
            };
            grad = dinput;
        }
        dweights.reverse();
        (dweights, grad.filter(|_| input_grad))
    }
}

/// `n` zeros, written in tasks on every thread of the pool (a zeroed allocation is
/// zeroed on the calling thread alone).
pub(super) fn zeroed_on_pool(n: usize) -> Vec<f32> {
    let mut v = Vec::<f32>::with_capacity(n);
    v.spare_capacity_mut()[..n]
        .par_chunks_mut(ZEROING_TASK)
        .for_each(|chunk| chunk.fill(MaybeUninit::new(0.0)));
    // SAFETY: the tasks above wrote each of the first `n` elements.
    unsafe { v.set_len(n) };
    v
}
