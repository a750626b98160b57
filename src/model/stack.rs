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

use super::conv::{general_on_threads, pool_out, winograd, ConvShape, LaneSet};
use super::copies::ReusedCopy;
use super::dense::dense_forward;
use super::layers::Volume;
use super::ops::{add_into, dropout_mask, to_vec, Dev, HalveCeil};

/// Elements per task when a gradient between layers is zeroed: large enough that a task
/// is all streaming stores, small enough that the seed network's 627 200 split into ten.
const ZEROING_TASK: usize = 64 * 1024;

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

/// One stage of a [`Chain`], as its forward pass asks for it.
enum StageSpec {
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
struct Chain {
    x: ReusedCopy,
    stages: Vec<Stage>,
    /// `maps[i]` is stage `i`'s output, stage `i + 1`'s input.
    maps: Vec<Vec<f32>>,
}

impl Chain {
    /// Runs the stages over `x`, `(batch, channels, h, w)` as the first stage takes it:
    /// what the backward pass needs, and the last stage's output.
    fn forward(x: ReusedCopy, specs: Vec<StageSpec>) -> (Self, Vec<f32>) {
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
    fn backward(&self, dout: &[f32], input_grad: bool) -> (Vec<Vec<f32>>, Option<Vec<f32>>) {
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
    use crate::model::dense::dense;
    use crate::model::layers::Flatten;
    use crate::model::ops::{conv3x3_pool_relu, dropout};
    use rand::{rngs::StdRng, Rng, SeedableRng};

    /// Two conv layers 2 → 4 → 16 channels and a dense head 16·7·7 → 3.
    struct Small {
        first: Tensor<Rank4<4, 2, 3, 3>, f32, Dev>,
        second: Tensor<Rank4<16, 4, 3, 3>, f32, Dev>,
        weight: Tensor<Rank2<3, 784>, f32, Dev>,
        bias: Tensor<Rank1<3>, f32, Dev>,
    }

    type Input = Tensor<(usize, Const<2>, Const<28>, Const<28>), f32, Dev, OwnedTape<f32, Dev>>;
    type Output = Tensor<(usize, Const<3>), f32, Dev, OwnedTape<f32, Dev>>;

    fn random_vec(rng: &mut StdRng, n: usize) -> Vec<f32> {
        (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect()
    }

    /// Runs `net` on a seeded batch of 5 images and back from a seeded output gradient:
    /// the output, then the gradients of the input, the two conv weights, the dense
    /// weight and the bias.
    fn run(net: impl Fn(Input, &Small) -> Output) -> [Vec<f32>; 6] {
        let dev = Dev::default();
        let mut rng = StdRng::seed_from_u64(5);
        let mut small = Small {
            first: dev.zeros(),
            second: dev.zeros(),
            weight: dev.zeros(),
            bias: dev.zeros(),
        };
        small.first.copy_from(&random_vec(&mut rng, 4 * 2 * 9));
        small.second.copy_from(&random_vec(&mut rng, 16 * 4 * 9));
        small.weight.copy_from(&random_vec(&mut rng, 3 * 784));
        small.bias.copy_from(&random_vec(&mut rng, 3));
        let x = random_vec(&mut rng, 5 * 2 * 28 * 28);
        let x = dev.tensor_from_vec(x, (5, Const, Const, Const));
        let probe = dev.tensor_from_vec(random_vec(&mut rng, 5 * 3), (5, Const));
        let y = net(x.trace(Gradients::leaky()), &small);
        let out = to_vec(&y);
        let grads = (y * probe).sum().backward();
        // No gradient for the input is all zeros (`get` would panic).
        let mut grads = grads;
        let dx = grads.get_or_alloc_mut(&x).map(|dx| dx.to_vec()).unwrap();
        [
            out,
            dx,
            to_vec(&grads.get(&small.first)),
            to_vec(&grads.get(&small.second)),
            to_vec(&grads.get(&small.weight)),
            to_vec(&grads.get(&small.bias)),
        ]
    }

    #[test]
    fn the_fused_stack_gives_the_bits_of_its_layers_one_after_the_other() {
        for lanes in LaneSet::available() {
            let fused = run(|x, n| {
                let convs = ((&n.first, lanes), (&n.second, lanes));
                conv_pair_dense(x, convs, (&n.weight, &n.bias), true)
            });
            let layers = run(|x, n| {
                let maps = conv3x3_pool_relu(x, &n.first, true, lanes);
                let maps = conv3x3_pool_relu(maps, &n.second, true, lanes);
                dense(Flatten.forward(maps), &n.weight, &n.bias)
            });
            let names = [
                "output",
                "dx",
                "first dW",
                "second dW",
                "dense dW",
                "dense db",
            ];
            for ((a, b), name) in fused.iter().zip(&layers).zip(names) {
                assert!(
                    a.iter().any(|v| *v != 0.0),
                    "{name} is all zeros ({lanes:?})"
                );
                let same = a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{name} differs ({lanes:?})");
            }
        }
    }

    /// The deep network's conv layers, fused ([`conv_dropout_chain`]) or one op at a time,
    /// on a device seeded with 9: the output, the three weights' gradients, and the next
    /// number the device draws after the forward pass.
    fn deep_run(fused: bool) -> [Vec<f32>; 5] {
        let dev = Dev::seed_from_u64(9);
        let mut rng = StdRng::seed_from_u64(6);
        let mut w1: Tensor<Rank4<32, 1, 3, 3>, f32, Dev> = dev.zeros();
        let mut w2: Tensor<Rank4<64, 32, 3, 3>, f32, Dev> = dev.zeros();
        let mut w3: Tensor<Rank4<128, 64, 3, 3>, f32, Dev> = dev.zeros();
        w1.copy_from(&random_vec(&mut rng, 32 * 9));
        w2.copy_from(&random_vec(&mut rng, 64 * 32 * 9));
        w3.copy_from(&random_vec(&mut rng, 128 * 64 * 9));
        let x = dev.tensor_from_vec(random_vec(&mut rng, 3 * 784), (3, Const, Const, Const));
        let probe = random_vec(&mut rng, 3 * 128 * 16);
        let probe = dev.tensor_from_vec(probe, (3, Const, Const, Const));
        let (lanes, p) = (LaneSet::best(), [0.3, 0.5, 0.2]);
        let x = x.trace(Gradients::leaky());
        let y = if fused {
            conv_dropout_chain(x, ((&w1, lanes), (&w2, lanes), (&w3, lanes)), p)
        } else {
            let a = dropout(conv3x3_pool_relu(x, &w1, false, lanes), p[0]);
            let a = dropout(conv3x3_pool_relu(a, &w2, true, lanes), p[1]);
            dropout(conv3x3_pool_relu(a, &w3, true, lanes), p[2])
        };
        let next_draw = vec![f32::from_bits(dev.random_u64() as u32)];
        let out = to_vec(&y);
        let grads = (y * probe).sum().backward();
        [
            out,
            to_vec(&grads.get(&w1)),
            to_vec(&grads.get(&w2)),
            to_vec(&grads.get(&w3)),
            next_draw,
        ]
    }

    #[test]
    fn the_deep_chain_gives_the_bits_of_its_six_ops_and_draws_as_they_do() {
        let (fused, ops) = (deep_run(true), deep_run(false));
        let dropped = fused[0].iter().filter(|v| **v == 0.0).count();
        assert!(dropped > 0 && dropped < fused[0].len(), "{dropped} zeros");
        let names = ["output", "dW1", "dW2", "dW3", "next draw"];
        for ((a, b), name) in fused.iter().zip(&ops).zip(names) {
            assert!(a.iter().any(|v| *v != 0.0), "{name} is all zeros");
            let same = a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{name} differs");
        }
    }

    #[test]
    fn without_the_input_gradient_the_weights_get_the_same_gradients() {
        let lanes = LaneSet::best();
        let net = |input_grad| {
            move |x, n: &Small| {
                let convs = ((&n.first, lanes), (&n.second, lanes));
                conv_pair_dense(x, convs, (&n.weight, &n.bias), input_grad)
            }
        };
        let (with, without) = (run(net(true)), run(net(false)));
        assert!(
            without[1].iter().all(|g| *g == 0.0),
            "the input got a gradient"
        );
        assert!(with[1].iter().any(|g| *g != 0.0));
        for k in [0, 2, 3, 4, 5] {
            assert_eq!(with[k], without[k], "part {k} of the run differs");
        }
    }
}
