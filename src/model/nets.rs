//! The two networks, each one type, and the [`Network`] trait the trainer drives them by.

use dfdx::nn::modules::ReLU;
use dfdx::prelude::*;
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, Normal, Uniform};
use rayon::prelude::*;

use super::fused::{conv_pair_dense, deep_network, Head, StackLayer};
use super::infer::dense::{InputOrder, PreparedDense};
use super::infer::{conv_stack, planar_as, stack_output};
use super::inspect::{conv_activity, Inspection, LayerActivity};
use super::layers::{ConvPoolReLU, Dense, Dropout, Flatten, InputConvPoolReLU};
use super::ops::{conv3x3_pool_relu, conv3x3_same, maxpool2x2_relu_same, to_vec, Dev};
use super::walk::{Walk, WalkLayer, SOURCES};
use conv3x3::{InferenceConv, LaneSet, MapLayout};

/// A batch of 28×28 greyscale images.
pub type Images<T = NoneTape> = Tensor<(usize, Const<1>, Const<28>, Const<28>), f32, Dev, T>;
/// One row of 10 class scores (logits) per image.
pub type Logits<T = NoneTape> = Tensor<(usize, Const<10>), f32, Dev, T>;
/// The tape a training forward pass records on.
pub type Taped = OwnedTape<f32, Dev>;
/// A network's inference pass with its weights laid out ([`Network::inference`]): `n`
/// images of 28×28 values in, `n` rows of 10 logits out.
pub type Inference<'a> = Box<dyn Fn(&[f32], usize) -> Vec<f32> + 'a>;

/// The fused conv layers of a network, prepared for inference from their weights.
fn prepared<const CI: usize, const CO: usize, const G: bool>(
    layer: &ConvPoolReLU<CI, CO, f32, Dev, G>,
    side: usize,
) -> InferenceConv {
    InferenceConv::new(CI, CO, side, side, &to_vec(&layer.weight), layer.kernels)
}

/// mnist_cnn.py: conv 1→32, ReLU, pool; conv 32→64, ReLU, pool; flatten 3136; dense 10.
///
/// Each conv, its ReLU and its pool are one fused layer ([`ConvPoolReLU`]): max-pool
/// commutes with ReLU, so the result is identical to conv → ReLU → pool.
pub type SeedNet = (
    InputConvPoolReLU<1, 32, f32, Dev>,
    ConvPoolReLU<32, 64, f32, Dev>,
    (Flatten, Dense<3136, 10, f32, Dev>),
);

/// The tutorial's deeper variant: three conv blocks with dropout, dense 625, dense 10.
pub type DeepNet = (
    (InputConvPoolReLU<1, 32, f32, Dev>, Dropout),
    (ConvPoolReLU<32, 64, f32, Dev>, Dropout),
    (ConvPoolReLU<64, 128, f32, Dev>, Dropout),
    (
        Flatten,
        Dense<2048, 625, f32, Dev>,
        ReLU,
        Dropout,
        Dense<625, 10, f32, Dev>,
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
    fn forward_infer(&self, x: Images) -> Logits {
        let n = x.shape().0;
        x.device()
            .tensor_from_vec(self.infer_rows(&to_vec(&x), n), (n, Const))
    }

    /// [`Network::forward_infer`] on `n` images of 28×28 values in a slice, returning
    /// `n` rows of 10 logits: the same bits, without copying the images into a tensor and
    /// out again.
    fn infer_rows(&self, x: &[f32], n: usize) -> Vec<f32> {
        self.inference()(x, n)
    }

    /// [`Network::infer_rows`] with the weights laid out once for many batches (the
    /// filters transformed, the dense weights transposed): what evaluation and `bench`
    /// call, a batch at a time.
    fn inference(&self) -> Inference<'_>;

    /// The layers with weights, in order, as the dashboard names them; the first ones
    /// are followed by a ReLU (all but the last).
    const LAYERS: &'static [&'static str];

    /// Inference with a tape that reaches the input (dropout off), for explaining a
    /// prediction by its input gradient ([`super::saliency`]).
    fn forward_explain(&self, x: Images<Taped>) -> Logits<Taped>;

    /// The inference pass over `x`, keeping what happens inside: each ReLU layer's
    /// activity, the penultimate features and the logits (the same bits as
    /// [`Network::forward_infer`]'s).
    fn inspect(&self, x: &Images) -> Inspection;

    /// Makes every fused conv layer use `lanes` (the widest the CPU has by default).
    fn set_kernels(&mut self, lanes: LaneSet);

    /// The first two convolutions' weights, which the dashboard shows.
    fn conv1_weight(&self) -> &Tensor<Rank4<32, 1, 3, 3>, f32, Dev>;
    fn conv2_weight(&self) -> &Tensor<Rank4<64, 32, 3, 3>, f32, Dev>;

    /// The first layer's filters, `(32, 1, 3, 3)` flattened.
    fn first_filters(&self) -> Vec<f32> {
        to_vec(self.conv1_weight())
    }

    /// One image (28×28 values in [0, 1]) through every layer, in order.
    fn walk(&self, dev: &Dev, pixels: &[f32]) -> Walk;
}

/// ReLU of a few maps, on this thread.
fn relu(mut v: Vec<f32>) -> Vec<f32> {
    v.iter_mut().for_each(|x| *x = x.max(0.0));
    v
}

/// ReLU in place on every thread of the pool (the one ReLU on plain vectors here): the
/// deep model's 625 hidden values of a 1 000-image batch are 2.5 MB, which one thread
/// would walk while the other waits.
fn relu_in_tasks(v: &mut [f32]) {
    v.par_chunks_mut(RELU_TASK)
        .for_each(|part| part.iter_mut().for_each(|x| *x = x.max(0.0)));
}

/// Values per task of [`relu_in_tasks`]: a few pages, so a batch makes tens of tasks.
const RELU_TASK: usize = 16 * 1024;

/// Glorot-uniform weights and N(0, 1) bias, as mnist_cnn.py initialises its dense layers.
fn init_dense<const I: usize, const O: usize>(layer: &mut Dense<I, O, f32, Dev>, rng: &mut StdRng) {
    let limit = (6.0 / (I + O) as f32).sqrt();
    let glorot = Uniform::new_inclusive(-limit, limit);
    let weight: Vec<f32> = (0..I * O).map(|_| glorot.sample(rng)).collect();
    layer.weight.copy_from(&weight);
    let normal = Normal::new(0.0f32, 1.0).unwrap();
    let bias: Vec<f32> = (0..O).map(|_| normal.sample(rng)).collect();
    layer.bias.copy_from(&bias);
}

/// The seed network's parts as [`conv_pair_dense`] takes them.
trait SeedParts {
    fn convs(&self) -> (StackLayer<'_, 32, 1>, StackLayer<'_, 64, 32>);
    fn head(&self) -> Head<'_, 3136, 10>;
}

impl SeedParts for SeedNet {
    fn convs(&self) -> (StackLayer<'_, 32, 1>, StackLayer<'_, 64, 32>) {
        (
            (&self.0.weight, self.0.kernels),
            (&self.1.weight, self.1.kernels),
        )
    }

    fn head(&self) -> Head<'_, 3136, 10> {
        (&self.2 .1.weight, &self.2 .1.bias)
    }
}

impl Network for SeedNet {
    const NAME: &'static str = "seed";

    fn build_seeded(dev: &Dev, seed: u64) -> Self {
        let mut net = <Self as BuildModule<Dev, f32>>::build(dev);
        init_dense(&mut net.2 .1, &mut StdRng::seed_from_u64(seed));
        net
    }

    /// The whole network as one op ([`conv_pair_dense`]), so that the maps between its
    /// layers stay out of dfdx; `false`: the first layer's input is data, as its type
    /// ([`InputConvPoolReLU`]) says.
    fn forward_train(&mut self, x: Images<Taped>) -> Logits<Taped> {
        conv_pair_dense(x, self.convs(), self.head(), false)
    }

    fn inference(&self) -> Inference<'_> {
        let convs = [prepared(&self.0, 28), prepared(&self.1, 14)];
        let layout = stack_output(&convs);
        let dense = self.2 .1.prepare(InputOrder::of(layout, 64));
        Box::new(move |x, n| dense.infer(&conv_stack(x, &convs, layout), n))
    }

    const LAYERS: &'static [&'static str] = &["conv1", "conv2", "dense"];

    fn forward_explain(&self, x: Images<Taped>) -> Logits<Taped> {
        // The first layer as a hidden one: its input gradient is the point here.
        conv_pair_dense(x, self.convs(), self.head(), true)
    }

    fn inspect(&self, x: &Images) -> Inspection {
        let convs = [prepared(&self.0, 28), prepared(&self.1, 14)];
        let (activity, features) = conv_activity(&to_vec(x), &convs);
        // The dense layer as inference runs it, on the maps in the same order.
        let layout = stack_output(&convs);
        let dense = self.2 .1.prepare(InputOrder::of(layout, 64));
        let maps = planar_as(&features, 64, 64 * 7 * 7, layout);
        Inspection {
            activity,
            logits: dense.infer(&maps, x.shape().0),
            features,
            feature_width: 64 * 7 * 7,
        }
    }

    fn walk(&self, dev: &Dev, pixels: &[f32]) -> Walk {
        let x: Images = dev.tensor_from_vec(pixels.to_vec(), (1, Const, Const, Const));
        let c1 = conv3x3_same(x.clone(), &self.0.weight);
        let p1 = maxpool2x2_relu_same(c1.clone());
        let c2 = conv3x3_same(p1.clone(), &self.1.weight);
        let p2 = maxpool2x2_relu_same(c2.clone());
        let inside = self.inspect(&x);
        let layers = vec![
            WalkLayer::new("input", 1, 28, pixels.to_vec()),
            WalkLayer::new("conv1 + ReLU", 32, 28, relu(to_vec(&c1))).with_filters(
                &to_vec(&self.0.weight),
                1,
                SOURCES,
            ),
            WalkLayer::new("pool1", 32, 14, to_vec(&p1)),
            WalkLayer::new("conv2 + ReLU", 64, 14, relu(to_vec(&c2))).with_filters(
                &to_vec(&self.1.weight),
                32,
                SOURCES,
            ),
            WalkLayer::new("pool2", 64, 7, to_vec(&p2)),
        ];
        Walk::new(layers, &inside.logits)
    }

    fn set_kernels(&mut self, lanes: LaneSet) {
        (self.0.kernels, self.1.kernels) = (lanes, lanes);
    }

    fn conv1_weight(&self) -> &Tensor<Rank4<32, 1, 3, 3>, f32, Dev> {
        &self.0.weight
    }

    fn conv2_weight(&self) -> &Tensor<Rank4<64, 32, 3, 3>, f32, Dev> {
        &self.1.weight
    }
}

/// The deep network's three conv layers, prepared for inference.
fn deep_convs(net: &DeepNet) -> [InferenceConv; 3] {
    [
        prepared(&net.0 .0, 28),
        prepared(&net.1 .0, 14),
        prepared(&net.2 .0, 7),
    ]
}

/// The deep network's two dense layers, prepared for inference on the conv layers'
/// maps in `layout`.
fn deep_head(net: &DeepNet, layout: MapLayout) -> (PreparedDense, PreparedDense) {
    let hidden = net.3 .1.prepare(InputOrder::of(layout, 128));
    (hidden, net.3 .4.prepare(InputOrder::AsTrained))
}

impl Network for DeepNet {
    const NAME: &'static str = "deep";

    fn build_seeded(dev: &Dev, seed: u64) -> Self {
        let mut net = <Self as BuildModule<Dev, f32>>::build(dev);
        let mut rng = StdRng::seed_from_u64(seed);
        init_dense(&mut net.3 .1, &mut rng);
        init_dense(&mut net.3 .4, &mut rng);
        let p = 1.0 - DEEP_KEEP;
        (net.0 .1.p, net.1 .1.p, net.2 .1.p, net.3 .3.p) = (p, p, p, p);
        net
    }

    /// The whole network as one op ([`deep_network`]), so that the maps between its
    /// layers stay out of dfdx.
    fn forward_train(&mut self, x: Images<Taped>) -> Logits<Taped> {
        let convs = (
            (&self.0 .0.weight, self.0 .0.kernels),
            (&self.1 .0.weight, self.1 .0.kernels),
            (&self.2 .0.weight, self.2 .0.kernels),
        );
        let head = (
            (&self.3 .1.weight, &self.3 .1.bias),
            (&self.3 .4.weight, &self.3 .4.bias),
        );
        let p = [self.0 .1.p, self.1 .1.p, self.2 .1.p, self.3 .3.p];
        deep_network(x, convs, head, p)
    }

    /// Dropout is the identity here, so only the conv layers and the dense head run.
    fn inference(&self) -> Inference<'_> {
        let convs = deep_convs(self);
        let layout = stack_output(&convs);
        let (hidden, out) = deep_head(self, layout);
        Box::new(move |x, n| {
            let mut features = hidden.infer(&conv_stack(x, &convs, layout), n);
            relu_in_tasks(&mut features);
            out.infer(&features, n)
        })
    }

    const LAYERS: &'static [&'static str] = &["conv1", "conv2", "conv3", "dense1", "dense2"];

    fn forward_explain(&self, x: Images<Taped>) -> Logits<Taped> {
        let a = conv3x3_pool_relu(x, &self.0 .0.weight, true, self.0 .0.kernels);
        let c = self.2 .0.forward(self.1 .0.forward(a));
        let hidden = self.3 .1.forward(Flatten.forward(c)).relu();
        self.3 .4.forward(hidden)
    }

    /// The head's layers one at a time (dropout is the identity here), so the dense
    /// layer's 625 outputs are kept: they are the penultimate features.
    fn inspect(&self, x: &Images) -> Inspection {
        let n = x.shape().0;
        let convs = deep_convs(self);
        let (mut activity, maps) = conv_activity(&to_vec(x), &convs);
        // The head as inference runs it, on the maps in the same order.
        let layout = stack_output(&convs);
        let (hidden, out) = deep_head(self, layout);
        let maps = planar_as(&maps, 128, 128 * 4 * 4, layout);
        let mut features = hidden.infer(&maps, n);
        relu_in_tasks(&mut features);
        let mut dense = LayerActivity::new(625);
        dense.observe(&features, 1);
        activity.push(dense);
        Inspection {
            activity,
            logits: out.infer(&features, n),
            features,
            feature_width: 625,
        }
    }

    fn walk(&self, dev: &Dev, pixels: &[f32]) -> Walk {
        let x: Images = dev.tensor_from_vec(pixels.to_vec(), (1, Const, Const, Const));
        let c1 = conv3x3_same(x.clone(), &self.0 .0.weight);
        let p1 = maxpool2x2_relu_same(c1.clone());
        let c2 = conv3x3_same(p1.clone(), &self.1 .0.weight);
        let p2 = maxpool2x2_relu_same(c2.clone());
        let c3 = conv3x3_same(p2.clone(), &self.2 .0.weight);
        let p3 = maxpool2x2_relu_same(c3.clone());
        let inside = self.inspect(&x);
        let layers = vec![
            WalkLayer::new("input", 1, 28, pixels.to_vec()),
            WalkLayer::new("conv1 + ReLU", 32, 28, relu(to_vec(&c1))).with_filters(
                &to_vec(&self.0 .0.weight),
                1,
                SOURCES,
            ),
            WalkLayer::new("pool1", 32, 14, to_vec(&p1)),
            WalkLayer::new("conv2 + ReLU", 64, 14, relu(to_vec(&c2))).with_filters(
                &to_vec(&self.1 .0.weight),
                32,
                SOURCES,
            ),
            WalkLayer::new("pool2", 64, 7, to_vec(&p2)),
            WalkLayer::new("conv3 + ReLU", 128, 7, relu(to_vec(&c3))).with_filters(
                &to_vec(&self.2 .0.weight),
                64,
                SOURCES,
            ),
            WalkLayer::new("pool3", 128, 4, to_vec(&p3)),
            WalkLayer::new("dense1 + ReLU", 625, 1, inside.features),
        ];
        Walk::new(layers, &inside.logits)
    }

    fn set_kernels(&mut self, lanes: LaneSet) {
        (self.0 .0.kernels, self.1 .0.kernels, self.2 .0.kernels) = (lanes, lanes, lanes);
    }

    fn conv1_weight(&self) -> &Tensor<Rank4<32, 1, 3, 3>, f32, Dev> {
        &self.0 .0.weight
    }

    fn conv2_weight(&self) -> &Tensor<Rank4<64, 32, 3, 3>, f32, Dev> {
        &self.1 .0.weight
    }
}
