//! Typed layers: each one's input and output shapes are part of its type, so a network
//! whose layers do not fit together is a type error, caught by `cargo check`.

use dfdx::nn::modules::{NonMutableModule, ZeroSizedModule};
use dfdx::prelude::*;

use super::ops::{conv3x3_same, maxpool2x2_same, Dev, HalveCeil};

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
                TensorOptions::reset_with(|t| {
                    t.try_fill_with_distr(rand_distr::Normal::new(0.0f32, 0.01).unwrap())
                }),
            ),
            |weight| Conv3x3 { weight },
        )
    }
}

impl<const CI: usize, const CO: usize> NonMutableModule for Conv3x3<CI, CO, f32, Dev> {}

impl<B: Dim, const CI: usize, const CO: usize, const H: usize, const W: usize, T: Tape<f32, Dev>>
    Module<Tensor<(B, Const<CI>, Const<H>, Const<W>), f32, Dev, T>> for Conv3x3<CI, CO, f32, Dev>
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

/// 2×2 max-pool, stride 2, TensorFlow SAME padding (7 → 4).
#[derive(Debug, Default, Clone, Copy)]
pub struct MaxPool2x2;

impl ZeroSizedModule for MaxPool2x2 {}
impl NonMutableModule for MaxPool2x2 {}

impl<B: Dim, C: ConstDim, H: HalveCeil, W: HalveCeil, T: Tape<f32, Dev>>
    Module<Tensor<(B, C, H, W), f32, Dev, T>> for MaxPool2x2
{
    type Output = Tensor<(B, C, H::Out, W::Out), f32, Dev, T>;
    type Error = <Dev as HasErr>::Err;

    fn try_forward(&self, x: Tensor<(B, C, H, W), f32, Dev, T>) -> Result<Self::Output, Self::Error> {
        Ok(maxpool2x2_same(x))
    }
}

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

    fn try_forward(&self, x: Tensor<(B, C, H, W), f32, Dev, T>) -> Result<Self::Output, Self::Error> {
        let batch = x.shape().0;
        x.try_reshape_like(&(batch, Default::default()))
    }
}
