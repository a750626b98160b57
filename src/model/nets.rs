//! The two networks, each one type, and the [`Network`] trait the trainer drives them by.

use dfdx::prelude::*;
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, Normal, Uniform};

use dfdx::nn::modules::{Dropout, Linear, ReLU};

use super::layers::{Conv3x3, Flatten, MaxPoolReLU};
use super::ops::{to_vec, Dev};

/// A batch of 28×28 greyscale images.
pub type Images<T = NoneTape> = Tensor<(usize, Const<1>, Const<28>, Const<28>), f32, Dev, T>;
/// One row of 10 class scores (logits) per image.
pub type Logits<T = NoneTape> = Tensor<(usize, Const<10>), f32, Dev, T>;
/// The tape a training forward pass records on.
pub type Taped = OwnedTape<f32, Dev>;

/// mnist_cnn.py: conv 1→32, ReLU, pool; conv 32→64, ReLU, pool; flatten 3136; dense 10.
///
/// ReLU and pooling are one fused layer ([`MaxPoolReLU`]): max-pool commutes with ReLU, so
/// the result is identical to conv → ReLU → pool.
pub type SeedNet = (
    (Conv3x3<1, 32, f32, Dev>, MaxPoolReLU),
    (Conv3x3<32, 64, f32, Dev>, MaxPoolReLU),
    (Flatten, Linear<3136, 10, f32, Dev>),
);

/// The tutorial's deeper variant: three conv blocks with dropout, dense 625, dense 10.
pub type DeepNet = (
    (Conv3x3<1, 32, f32, Dev>, MaxPoolReLU, Dropout),
    (Conv3x3<32, 64, f32, Dev>, MaxPoolReLU, Dropout),
    (Conv3x3<64, 128, f32, Dev>, MaxPoolReLU, Dropout),
    (
        Flatten,
        Linear<2048, 625, f32, Dev>,
        ReLU,
        Dropout,
        Linear<625, 10, f32, Dev>,
    ),
);

/// Keep probability of the deep model's dropout, as in the tutorial.
const DEEP_KEEP: f32 = 0.7;

/// What the trainer needs of a network.
pub trait Network:
    TensorCollection<f32, Dev, To<f32, Dev> = Self> + Clone + Send + Sync + 'static
{
    /// Name used on the command line, in the config file and on screen.
    const NAME: &'static str;

    /// Builds the network with the tutorial's initialisation, drawn from `seed`.
    fn build_seeded(dev: &Dev, seed: u64) -> Self;

    /// Training forward pass (dropout active).
    fn forward_train(&mut self, x: Images<Taped>) -> Logits<Taped>;

    /// Inference forward pass (dropout off).
    fn forward_infer(&self, x: Images) -> Logits;

    /// The first layer's filters, `(32, 1, 3, 3)` flattened.
    fn first_filters(&self) -> Vec<f32>;

    /// Feature maps of one image after conv1+ReLU `(32×28×28)` and conv2+ReLU `(64×14×14)`.
    fn feature_maps(&self, x: Images) -> (Vec<f32>, Vec<f32>);
}

/// Glorot-uniform weights and N(0, 1) bias, as mnist_cnn.py initialises its dense layers.
fn init_dense<const I: usize, const O: usize>(
    layer: &mut Linear<I, O, f32, Dev>,
    rng: &mut StdRng,
) {
    let limit = (6.0 / (I + O) as f32).sqrt();
    let glorot = Uniform::new_inclusive(-limit, limit);
    let weight: Vec<f32> = (0..I * O).map(|_| glorot.sample(rng)).collect();
    layer.weight.copy_from(&weight);
    let normal = Normal::new(0.0f32, 1.0).unwrap();
    let bias: Vec<f32> = (0..O).map(|_| normal.sample(rng)).collect();
    layer.bias.copy_from(&bias);
}

/// The methods both networks implement alike: each starts with a conv block whose layers
/// are `.0` (conv) and `.1` (fused pool+ReLU), followed by a block starting with a conv.
macro_rules! shared_network_methods {
    () => {
        fn forward_train(&mut self, x: Images<Taped>) -> Logits<Taped> {
            self.forward_mut(x)
        }

        fn forward_infer(&self, x: Images) -> Logits {
            self.forward(x)
        }

        fn first_filters(&self) -> Vec<f32> {
            to_vec(&self.0 .0.weight)
        }

        fn feature_maps(&self, x: Images) -> (Vec<f32>, Vec<f32>) {
            let c1 = self.0 .0.forward(x);
            let maps1 = relu_maps(to_vec(&c1));
            let p1 = self.0 .1.forward(c1);
            let maps2 = relu_maps(to_vec(&self.1 .0.forward(p1)));
            (maps1, maps2)
        }
    };
}

fn relu_maps(v: Vec<f32>) -> Vec<f32> {
    v.into_iter().map(|x| x.max(0.0)).collect()
}

impl Network for SeedNet {
    const NAME: &'static str = "seed";

    fn build_seeded(dev: &Dev, seed: u64) -> Self {
        let mut net = <Self as BuildModule<Dev, f32>>::build(dev);
        init_dense(&mut net.2 .1, &mut StdRng::seed_from_u64(seed));
        net
    }

    shared_network_methods!();
}

impl Network for DeepNet {
    const NAME: &'static str = "deep";

    fn build_seeded(dev: &Dev, seed: u64) -> Self {
        let mut net = <Self as BuildModule<Dev, f32>>::build(dev);
        let mut rng = StdRng::seed_from_u64(seed);
        init_dense(&mut net.3 .1, &mut rng);
        init_dense(&mut net.3 .4, &mut rng);
        let p = 1.0 - DEEP_KEEP;
        (net.0 .2.p, net.1 .2.p, net.2 .2.p, net.3 .3.p) = (p, p, p, p);
        net
    }

    shared_network_methods!();
}
