//! The fused ops against their layers one op at a time, to the bit.

use super::*;
use crate::model::dense::dense;
use crate::model::dropout::dropout;
use crate::model::layers::Flatten;
use crate::model::ops::{conv3x3_pool_relu, to_vec};
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

/// The deep network, fused ([`deep_network`]) or one op at a time, on a device seeded
/// with 9: the output, the gradients of the three conv weights and of the two dense
/// layers' weights and biases, and the next number the device draws after the forward
/// pass.
fn deep_run(fused: bool) -> [Vec<f32>; 9] {
    let dev = Dev::seed_from_u64(9);
    let mut rng = StdRng::seed_from_u64(6);
    let mut random = |n| random_vec(&mut rng, n);
    let mut w1: Tensor<Rank4<32, 1, 3, 3>, f32, Dev> = dev.zeros();
    let mut w2: Tensor<Rank4<64, 32, 3, 3>, f32, Dev> = dev.zeros();
    let mut w3: Tensor<Rank4<128, 64, 3, 3>, f32, Dev> = dev.zeros();
    let mut d1: (
        Tensor<Rank2<625, 2048>, f32, Dev>,
        Tensor<Rank1<625>, f32, Dev>,
    ) = (dev.zeros(), dev.zeros());
    let mut d2: (
        Tensor<Rank2<10, 625>, f32, Dev>,
        Tensor<Rank1<10>, f32, Dev>,
    ) = (dev.zeros(), dev.zeros());
    w1.copy_from(&random(32 * 9));
    w2.copy_from(&random(64 * 32 * 9));
    w3.copy_from(&random(128 * 64 * 9));
    // Small dense weights, so that about half the hidden units pass ReLU.
    let small = |v: Vec<f32>| v.into_iter().map(|w| w * 0.05).collect::<Vec<_>>();
    d1.0.copy_from(&small(random(625 * 2048)));
    d1.1.copy_from(&small(random(625)));
    d2.0.copy_from(&random(10 * 625));
    d2.1.copy_from(&random(10));
    let x = dev.tensor_from_vec(random(3 * 784), (3, Const, Const, Const));
    let probe = dev.tensor_from_vec(random(3 * 10), (3, Const));
    let (lanes, p) = (LaneSet::best(), [0.3, 0.5, 0.2, 0.4]);
    let x = x.trace(Gradients::leaky());
    let y = if fused {
        let convs = ((&w1, lanes), (&w2, lanes), (&w3, lanes));
        deep_network(x, convs, ((&d1.0, &d1.1), (&d2.0, &d2.1)), p)
    } else {
        let a = dropout(conv3x3_pool_relu(x, &w1, false, lanes), p[0]);
        let a = dropout(conv3x3_pool_relu(a, &w2, true, lanes), p[1]);
        let a = dropout(conv3x3_pool_relu(a, &w3, true, lanes), p[2]);
        let hidden = dense(Flatten.forward(a), &d1.0, &d1.1).relu();
        dense(dropout(hidden, p[3]), &d2.0, &d2.1)
    };
    let next_draw = vec![f32::from_bits(dev.random_u64() as u32)];
    let out = to_vec(&y);
    let grads = (y * probe).sum().backward();
    [
        out,
        to_vec(&grads.get(&w1)),
        to_vec(&grads.get(&w2)),
        to_vec(&grads.get(&w3)),
        to_vec(&grads.get(&d1.0)),
        to_vec(&grads.get(&d1.1)),
        to_vec(&grads.get(&d2.0)),
        to_vec(&grads.get(&d2.1)),
        next_draw,
    ]
}

#[test]
fn the_deep_network_as_one_op_gives_the_bits_of_its_ops_and_draws_as_they_do() {
    let (fused, ops) = (deep_run(true), deep_run(false));
    let names = [
        "output",
        "conv1 dW",
        "conv2 dW",
        "conv3 dW",
        "dense1 dW",
        "dense1 db",
    ];
    let names = names
        .into_iter()
        .chain(["dense2 dW", "dense2 db", "next draw"]);
    for ((a, b), name) in fused.iter().zip(&ops).zip(names) {
        assert!(a.iter().any(|v| *v != 0.0), "{name} is all zeros");
        let same = a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "{name} differs");
    }
    // Dropout and ReLU both stopped some of the hidden units' gradients, not all.
    let stopped = fused[5].iter().filter(|g| **g == 0.0).count();
    assert!(stopped > 0 && stopped < 625, "{stopped} of 625 stopped");
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
