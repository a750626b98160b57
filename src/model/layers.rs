//! Typed layers: each one's input and output shapes are part of its type, so a network
//! whose layers do not fit together is a type error, caught by `cargo check`.
//!
//! A network whose layers fit builds and runs:
//! ```
//! use dfdx::nn::modules::{Linear, ReLU};
//! use dfdx::prelude::{BuildModule, Const, Module, HasShape, ZerosTensor};
//! use mnist_tui::model::layers::{Conv3x3, Flatten, MaxPool2x2};
//! use mnist_tui::model::{Dev, Images, Logits};
//! type Net = (
//!     (Conv3x3<1, 8, f32, Dev>, MaxPool2x2, ReLU),
//!     (Conv3x3<8, 16, f32, Dev>, MaxPool2x2, ReLU),
//!     (Flatten, Linear<784, 10, f32, Dev>),
//! );
//! let dev = Dev::default();
//! let net = Net::build(&dev);
//! let x: Images = dev.zeros_like(&(2, Const, Const, Const));
//! let y: Logits = net.forward(x);
//! assert_eq!(y.shape().0, 2);
//! ```
//! The same network with the second convolution expecting 4 input channels instead of
//! the 8 the first one makes does not compile:
//! ```compile_fail
//! use dfdx::nn::modules::{Linear, ReLU};
//! use dfdx::prelude::{BuildModule, Const, Module, HasShape, ZerosTensor};
//! use mnist_tui::model::layers::{Conv3x3, Flatten, MaxPool2x2};
//! use mnist_tui::model::{Dev, Images, Logits};
//! type Net = (
//!     (Conv3x3<1, 8, f32, Dev>, MaxPool2x2, ReLU),
//!     (Conv3x3<4, 16, f32, Dev>, MaxPool2x2, ReLU),
//!     (Flatten, Linear<784, 10, f32, Dev>),
//! );
//! let dev = Dev::default();
//! let net = Net::build(&dev);
//! let x: Images = dev.zeros_like(&(2, Const, Const, Const));
//! let y: Logits = net.forward(x);
//! ```
//! Nor does a dense layer whose width differs from the flattened 16·7·7 = 784:
//! ```compile_fail
//! use dfdx::nn::modules::{Linear, ReLU};
//! use dfdx::prelude::{BuildModule, Const, Module, HasShape, ZerosTensor};
//! use mnist_tui::model::layers::{Conv3x3, Flatten, MaxPool2x2};
//! use mnist_tui::model::{Dev, Images, Logits};
//! type Net = (
//!     (Conv3x3<1, 8, f32, Dev>, MaxPool2x2, ReLU),
//!     (Conv3x3<8, 16, f32, Dev>, MaxPool2x2, ReLU),
//!     (Flatten, Linear<800, 10, f32, Dev>),
//! );
//! let dev = Dev::default();
//! let net = Net::build(&dev);
//! let x: Images = dev.zeros_like(&(2, Const, Const, Const));
//! let y: Logits = net.forward(x);
//! ```
//! Nor does a network that forgets the second pooling (flatten 16·14·14, dense 784):
//! ```compile_fail
//! use dfdx::nn::modules::{Linear, ReLU};
//! use dfdx::prelude::{BuildModule, Const, Module, HasShape, ZerosTensor};
//! use mnist_tui::model::layers::{Conv3x3, Flatten, MaxPool2x2};
//! use mnist_tui::model::{Dev, Images, Logits};
//! type Net = (
//!     (Conv3x3<1, 8, f32, Dev>, MaxPool2x2, ReLU),
//!     (Conv3x3<8, 16, f32, Dev>, ReLU),
//!     (Flatten, Linear<784, 10, f32, Dev>),
//! );
//! let dev = Dev::default();
//! let net = Net::build(&dev);
//! let x: Images = dev.zeros_like(&(2, Const, Const, Const));
//! let y: Logits = net.forward(x);
//! ```

use dfdx::nn::modules::{NonMutableModule, ZeroSizedModule};
use dfdx::prelude::*;

use super::copies::ReusedCopy;
use super::dense::dense;
use super::dropout::dropout;
use super::infer::dense::{InputOrder, PreparedDense};
use super::ops::{
    conv3x3_pool_relu, conv3x3_same, maxpool2x2_relu_same, maxpool2x2_same, to_vec, Dev, HalveCeil,
};
use conv3x3::LaneSet;

/// How mnist_cnn.py initialises every conv weight: N(0, 0.01), from the device's seeded RNG.
fn conv_weight_init<S: ConstShape>() -> TensorOptions<S, f32, Dev> {
    TensorOptions::reset_with(|t| {
        t.try_fill_with_distr(rand_distr::Normal::new(0.0f32, 0.01).unwrap())
    })
}

/// A 3×3 convolution, stride 1, SAME padding, no bias (as in mnist_cnn.py), weights
/// initialised from N(0, 0.01).
#[derive(Debug, Clone)]
pub struct Conv3x3<const CI: usize, const CO: usize, E: Dtype, D: Storage<E>> {
    /// Shape `(out, in, ky, kx)`.
    pub weight: Tensor<Rank4<CO, CI, 3, 3>, E, D>,
}

impl<const CI: usize, const CO: usize> TensorCollection<f32, Dev> for Conv3x3<CI, CO, f32, Dev> {
    type To<E2: Dtype, D2: Device<E2>> = Conv3x3<CI, CO, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, Dev>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            Self::tensor(
                "weight",
                |s| &s.weight,
                |s| &mut s.weight,
                conv_weight_init(),
            ),
            |weight| Conv3x3 { weight },
        )
    }
}

impl<const CI: usize, const CO: usize> NonMutableModule for Conv3x3<CI, CO, f32, Dev> {}

impl<
        B: Dim,
        const CI: usize,
        const CO: usize,
        const H: usize,
        const W: usize,
        T: Tape<f32, Dev>,
    > Module<Tensor<(B, Const<CI>, Const<H>, Const<W>), f32, Dev, T>>
    for Conv3x3<CI, CO, f32, Dev>
{
    type Output = Tensor<(B, Const<CO>, Const<H>, Const<W>), f32, Dev, T>;
    type Error = <Dev as HasErr>::Err;

    fn try_forward(
        &self,
        x: Tensor<(B, Const<CI>, Const<H>, Const<W>), f32, Dev, T>,
    ) -> Result<Self::Output, Self::Error> {
        Ok(conv3x3_same(x, &self.weight))
    }
}

/// A 3×3 SAME convolution (no bias, N(0, 0.01) weights), then 2×2 SAME max-pool and ReLU,
/// fused into one op ([`conv3x3_pool_relu`]): the same result as `Conv3x3`, ReLU,
/// `MaxPool2x2` (max-pool commutes with ReLU), with a quarter of the memory traffic.
///
/// `INPUT_GRAD = false` (see [`InputConvPoolReLU`]) is for a first layer: its input is data,
/// so the input gradient, a third of the layer's backward work, is skipped.
#[derive(Debug, Clone)]
pub struct ConvPoolReLU<
    const CI: usize,
    const CO: usize,
    E: Dtype,
    D: Storage<E>,
    const INPUT_GRAD: bool = true,
> {
    /// Shape `(out, in, ky, kx)`.
    pub weight: Tensor<Rank4<CO, CI, 3, 3>, E, D>,
    /// The instruction set its kernels use: the widest the CPU has unless set.
    pub kernels: LaneSet,
}

/// [`ConvPoolReLU`] as a network's first layer: no gradient for its input.
pub type InputConvPoolReLU<const CI: usize, const CO: usize, E, D> =
    ConvPoolReLU<CI, CO, E, D, false>;

impl<const CI: usize, const CO: usize, const G: bool> TensorCollection<f32, Dev>
    for ConvPoolReLU<CI, CO, f32, Dev, G>
{
    type To<E2: Dtype, D2: Device<E2>> = ConvPoolReLU<CI, CO, E2, D2, G>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, Dev>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            Self::tensor(
                "weight",
                |s| &s.weight,
                |s| &mut s.weight,
                conv_weight_init(),
            ),
            |weight| ConvPoolReLU {
                weight,
                kernels: LaneSet::best(),
            },
        )
    }
}

impl<const CI: usize, const CO: usize, const G: bool> NonMutableModule
    for ConvPoolReLU<CI, CO, f32, Dev, G>
{
}

impl<
        B: Dim,
        const CI: usize,
        const CO: usize,
        const H: usize,
        const W: usize,
        const G: bool,
        T: Tape<f32, Dev>,
    > Module<Tensor<(B, Const<CI>, Const<H>, Const<W>), f32, Dev, T>>
    for ConvPoolReLU<CI, CO, f32, Dev, G>
where
    Const<H>: HalveCeil,
    Const<W>: HalveCeil,
{
    type Output = Tensor<
        (
            B,
            Const<CO>,
            <Const<H> as HalveCeil>::Out,
            <Const<W> as HalveCeil>::Out,
        ),
        f32,
        Dev,
        T,
    >;
    type Error = <Dev as HasErr>::Err;

    fn try_forward(
        &self,
        x: Tensor<(B, Const<CI>, Const<H>, Const<W>), f32, Dev, T>,
    ) -> Result<Self::Output, Self::Error> {
        Ok(conv3x3_pool_relu(x, &self.weight, G, self.kernels))
    }
}

/// A dense layer, `y = x·Wᵀ + b`, on the faster [`dense`] op: dfdx's `Linear` with the
/// same tensors under the same names (checkpoints are unchanged) and the same
/// initialisation, uniform in ±1/√I. Its products run on the `gemm` crate's widest
/// kernels whatever `--kernels` says, as the conv layers' do outside the AVX-512 set.
#[derive(Debug, Clone)]
pub struct Dense<const I: usize, const O: usize, E: Dtype, D: Storage<E>> {
    /// Shape `(out, in)`.
    pub weight: Tensor<Rank2<O, I>, E, D>,
    pub bias: Tensor<Rank1<O>, E, D>,
}

/// dfdx's `Linear` initialisation: uniform in ±1/√I, weight then bias.
fn dense_init<S: ConstShape, const I: usize>() -> TensorOptions<S, f32, Dev> {
    TensorOptions::reset_with(|t| {
        let b = 1.0 / (I as f32).sqrt();
        t.try_fill_with_distr(rand_distr::Uniform::new(-b, b))
    })
}

impl<const I: usize, const O: usize> TensorCollection<f32, Dev> for Dense<I, O, f32, Dev> {
    type To<E2: Dtype, D2: Device<E2>> = Dense<I, O, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, Dev>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::tensor(
                    "weight",
                    |s| &s.weight,
                    |s| &mut s.weight,
                    dense_init::<_, I>(),
                ),
                Self::tensor("bias", |s| &s.bias, |s| &mut s.bias, dense_init::<_, I>()),
            ),
            |(weight, bias)| Dense { weight, bias },
        )
    }
}

impl<const I: usize, const O: usize> NonMutableModule for Dense<I, O, f32, Dev> {}

impl<const I: usize, const O: usize> Dense<I, O, f32, Dev> {
    /// The layer laid out for inference on slices (the fused conv stack's output, which
    /// never becomes a tensor), once for all the batches of an evaluation. On the widest
    /// instruction set the CPU has, whatever the conv layers' set: in training gemm
    /// chooses its own kernels the same way.
    pub fn prepare(&self, order: InputOrder) -> PreparedDense {
        // A reused buffer: the deep model's first dense weight is 5 MB, which a fresh
        // vector would zero (on one thread) before the copy overwrites it.
        let weight = ReusedCopy::of(&self.weight);
        PreparedDense::new(weight, to_vec(&self.bias), (I, O), LaneSet::best(), order)
    }
}

impl<B: Dim, const I: usize, const O: usize, T: Tape<f32, Dev>>
    Module<Tensor<(B, Const<I>), f32, Dev, T>> for Dense<I, O, f32, Dev>
{
    type Output = Tensor<(B, Const<O>), f32, Dev, T>;
    type Error = <Dev as HasErr>::Err;

    fn try_forward(
        &self,
        x: Tensor<(B, Const<I>), f32, Dev, T>,
    ) -> Result<Self::Output, Self::Error> {
        Ok(dense(x, &self.weight, &self.bias))
    }
}

/// A parameter-free pooling layer whose output size is [`HalveCeil`] of its input's.
macro_rules! pool_layer {
    ($(#[$doc:meta])* $name:ident => $op:ident) => {
        $(#[$doc])*
        #[derive(Debug, Default, Clone, Copy)]
        pub struct $name;

        impl ZeroSizedModule for $name {}
        impl NonMutableModule for $name {}

        impl<B: Dim, C: ConstDim, H: HalveCeil, W: HalveCeil, T: Tape<f32, Dev>>
            Module<Tensor<(B, C, H, W), f32, Dev, T>> for $name
        {
            type Output = Tensor<(B, C, H::Out, W::Out), f32, Dev, T>;
            type Error = <Dev as HasErr>::Err;

            fn try_forward(
                &self,
                x: Tensor<(B, C, H, W), f32, Dev, T>,
            ) -> Result<Self::Output, Self::Error> {
                Ok($op(x))
            }
        }
    };
}

pool_layer!(
    /// 2×2 max-pool, stride 2, TensorFlow SAME padding (7 → 4).
    MaxPool2x2 => maxpool2x2_same
);
pool_layer!(
    /// 2×2 max-pool (TF SAME) and ReLU in one layer: equal to ReLU-then-pool, since max-pool
    /// commutes with ReLU, at a fraction of the cost.
    MaxPoolReLU => maxpool2x2_relu_same
);

/// The number of elements of a `C×H×W` feature map, as a type.
///
/// Listed per size because stable Rust cannot compute `Const<{ C * H * W }>` generically;
/// the `const` assert next to each entry keeps the table honest.
pub trait Volume {
    type Out: ConstDim;
}

macro_rules! volume {
    ($(($c:literal, $h:literal, $w:literal) => $n:literal),* $(,)?) => {
        $(
            impl Volume for (Const<$c>, Const<$h>, Const<$w>) {
                type Out = Const<$n>;
            }
            const _: () = assert!($c * $h * $w == $n);
        )*
    };
}
volume!(
    (64, 7, 7) => 3136,
    (128, 4, 4) => 2048,
    (32, 14, 14) => 6272,
    (32, 7, 7) => 1568,
    (64, 4, 4) => 1024,
    (16, 7, 7) => 784,
    (16, 14, 14) => 3136,
);

/// Flattens `(B, C, H, W)` into `(B, C·H·W)`; the width is [`Volume`] of the input's type.
#[derive(Debug, Default, Clone, Copy)]
pub struct Flatten;

impl ZeroSizedModule for Flatten {}
impl NonMutableModule for Flatten {}

impl<B: Dim, C: ConstDim, H: ConstDim, W: ConstDim, T: Tape<f32, Dev>>
    Module<Tensor<(B, C, H, W), f32, Dev, T>> for Flatten
where
    (C, H, W): Volume,
{
    type Output = Tensor<(B, <(C, H, W) as Volume>::Out), f32, Dev, T>;
    type Error = <Dev as HasErr>::Err;

    fn try_forward(
        &self,
        x: Tensor<(B, C, H, W), f32, Dev, T>,
    ) -> Result<Self::Output, Self::Error> {
        let batch = x.shape().0;
        x.try_reshape_like(&(batch, Default::default()))
    }
}

/// Dropout while training (the identity otherwise), as dfdx's `Dropout` and with its
/// results to the bit, on the faster [`dropout`] op.
#[derive(Debug, Clone)]
pub struct Dropout {
    /// Probability of zeroing an element.
    pub p: f32,
}

impl Default for Dropout {
    fn default() -> Self {
        Self { p: 0.5 }
    }
}

impl TensorCollection<f32, Dev> for Dropout {
    type To<E2: Dtype, D2: Device<E2>> = Dropout;

    fn iter_tensors<V: ModuleVisitor<Self, f32, Dev>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            Self::scalar(
                "p",
                |s| &s.p,
                |s| &mut s.p,
                ScalarOptions::from_default(0.5),
            ),
            |p| Dropout { p },
        )
    }
}

impl<S: Shape> Module<Tensor<S, f32, Dev>> for Dropout {
    type Output = Tensor<S, f32, Dev>;
    type Error = <Dev as HasErr>::Err;

    /// Inference: nothing is dropped.
    fn try_forward(&self, x: Tensor<S, f32, Dev>) -> Result<Self::Output, Self::Error> {
        Ok(x)
    }
}

impl<S: Shape> ModuleMut<Tensor<S, f32, Dev, OwnedTape<f32, Dev>>> for Dropout {
    type Output = Tensor<S, f32, Dev, OwnedTape<f32, Dev>>;
    type Error = <Dev as HasErr>::Err;

    fn try_forward_mut(
        &mut self,
        x: Tensor<S, f32, Dev, OwnedTape<f32, Dev>>,
    ) -> Result<Self::Output, Self::Error> {
        Ok(dropout(x, self.p))
    }
}
