//! Differentiable 3×3 SAME convolution and 2×2 SAME max-pool, recorded on dfdx's tape.
//!
//! dfdx 0.13 keeps its own conv and pool ops behind a `nightly` feature that no longer
//! builds, so these are written on its public API: split the tape off the input, compute
//! the output with the kernels of the `conv3x3` crate, register the backward pass (only
//! when a tape is recorded), and put the tape back on the output. Dropout, the other op of
//! ours, is in [`super::dropout`].

use dfdx::prelude::*;

use super::copies::ReusedCopy;
use conv3x3::{im2col, pool, pool_out, winograd, ConvShape, LaneSet};

/// The device and element type every layer of this program runs on.
pub type Dev = Cpu;

/// The gradients of a backward pass over this program's tensors.
pub type Grads = Gradients<f32, Dev>;

/// Reads a tensor's elements into a fresh vector (dfdx offers no borrowed view).
pub fn to_vec<S: Shape, T>(t: &Tensor<S, f32, Dev, T>) -> Vec<f32> {
    let mut v = vec![0.0; t.shape().num_elements()];
    t.copy_into(&mut v);
    v
}

/// Adds `src` elementwise into the gradient buffer `dst`.
pub(super) fn add_into(dst: &mut [f32], src: &[f32]) {
    dst.iter_mut().zip(src).for_each(|(d, s)| *d += s);
}

/// 3×3 convolution, stride 1, SAME (zero) padding, no bias: `(B, CI, H, W) → (B, CO, H, W)`.
pub fn conv3x3_same<B: Dim, const CI: usize, const CO: usize, const H: usize, const W: usize, T>(
    x: Tensor<(B, Const<CI>, Const<H>, Const<W>), f32, Dev, T>,
    weight: &Tensor<Rank4<CO, CI, 3, 3>, f32, Dev>,
) -> Tensor<(B, Const<CO>, Const<H>, Const<W>), f32, Dev, T>
where
    T: Tape<f32, Dev>,
{
    let (x, mut tape) = x.split_tape();
    let batch = x.shape().0;
    let s = ConvShape {
        batch: batch.size(),
        ci: CI,
        co: CO,
        h: H,
        w: W,
    };
    let xs = to_vec(&x);
    let ws = to_vec(weight);
    let mut out = vec![0.0f32; s.batch * CO * H * W];
    im2col::conv3x3_forward(s, &xs, &ws, &mut out);
    let out = x
        .device()
        .tensor_from_vec(out, (batch, Const, Const, Const));
    if T::OWNS_TAPE {
        let (x_g, w_g, out_g) = (x.ghost(), weight.ghost(), out.ghost());
        tape.add_backward_op(move |grads| {
            grads.try_alloc_for(&x_g)?;
            grads.try_alloc_for(&w_g)?;
            let dout = std::mem::take(&mut **grads.get_or_alloc_mut(&out_g)?);
            let mut dw = vec![0.0f32; CO * CI * 9];
            // The kernel adds into the input's gradient buffer in place.
            im2col::conv3x3_backward(
                s,
                &xs,
                &ws,
                &dout,
                &mut dw,
                Some(grads.get_or_alloc_mut(&x_g)?),
            );
            add_into(grads.get_or_alloc_mut(&w_g)?, &dw);
            **grads.get_or_alloc_mut(&out_g)? = dout;
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// The output side of a TF-SAME 2×2/2 pooling, as a type: `ceil(N / 2)`.
///
/// Stable Rust cannot write `Const<{ N.div_ceil(2) }>` for a generic `N`, so each size a
/// network uses is listed here; a size missing from the list is a compile error.
pub trait HalveCeil: ConstDim {
    type Out: ConstDim;
}

macro_rules! halve_ceil {
    ($($n:literal => $m:literal),* $(,)?) => {
        $(
            impl HalveCeil for Const<$n> {
                type Out = Const<$m>;
            }
            const _: () = assert!(pool_out($n) == $m);
        )*
    };
}
halve_ceil!(28 => 14, 14 => 7, 7 => 4, 4 => 2, 2 => 1, 8 => 4, 6 => 3, 5 => 3, 3 => 2);

/// 2×2 max-pool, stride 2, TensorFlow SAME padding: `(B, C, H, W) → (B, C, ⌈H/2⌉, ⌈W/2⌉)`.
#[allow(clippy::type_complexity)]
pub fn maxpool2x2_same<B: Dim, C: ConstDim, H: HalveCeil, W: HalveCeil, T: Tape<f32, Dev>>(
    x: Tensor<(B, C, H, W), f32, Dev, T>,
) -> Tensor<(B, C, H::Out, W::Out), f32, Dev, T> {
    pool(x, pool::maxpool_forward)
}

/// [`maxpool2x2_same`] then ReLU, fused: identical results, one pass instead of three.
#[allow(clippy::type_complexity)]
pub fn maxpool2x2_relu_same<B: Dim, C: ConstDim, H: HalveCeil, W: HalveCeil, T: Tape<f32, Dev>>(
    x: Tensor<(B, C, H, W), f32, Dev, T>,
) -> Tensor<(B, C, H::Out, W::Out), f32, Dev, T> {
    pool(x, pool::maxpool_relu_forward)
}

type PoolKernel = fn(usize, usize, usize, &[f32], &mut [f32], &mut [u32]);

#[allow(clippy::type_complexity)]
fn pool<B: Dim, C: ConstDim, H: HalveCeil, W: HalveCeil, T: Tape<f32, Dev>>(
    x: Tensor<(B, C, H, W), f32, Dev, T>,
    forward: PoolKernel,
) -> Tensor<(B, C, H::Out, W::Out), f32, Dev, T> {
    let (x, mut tape) = x.split_tape();
    let (batch, c, h, w) = *x.shape();
    let (h, w) = (h.size(), w.size());
    let planes = batch.size() * c.size();
    let out_len = planes * pool_out(h) * pool_out(w);
    let xs = to_vec(&x);
    let mut out = vec![0.0f32; out_len];
    let mut argmax = vec![0u32; out_len];
    forward(planes, h, w, &xs, &mut out, &mut argmax);
    drop(xs);
    let out = x
        .device()
        .tensor_from_vec(out, (batch, c, Default::default(), Default::default()));
    if T::OWNS_TAPE {
        let (x_g, out_g) = (x.ghost(), out.ghost());
        tape.add_backward_op(move |grads| {
            grads.try_alloc_for(&x_g)?;
            let dout = std::mem::take(&mut **grads.get_or_alloc_mut(&out_g)?);
            pool::maxpool_backward(&dout, &argmax, grads.get_or_alloc_mut(&x_g)?);
            **grads.get_or_alloc_mut(&out_g)? = dout;
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// 3×3 SAME convolution, then 2×2 SAME max-pool and ReLU, as one op:
/// `(B, CI, H, W) → (B, CO, ⌈H/2⌉, ⌈W/2⌉)`. Equal to [`conv3x3_same`] followed by
/// [`maxpool2x2_relu_same`], but the full-size convolution output never becomes a dfdx
/// tensor, nor even a full-size buffer: each image's convolution output is pooled while
/// in cache, and the backward pass rebuilds each image's convolution gradient from the
/// pooled gradient and the argmax.
///
/// `input_grad: false` skips the input gradient, for a first layer whose input is data.
/// `lanes` is the instruction set the kernels use.
#[allow(clippy::type_complexity)]
pub fn conv3x3_pool_relu<B, const CI: usize, const CO: usize, const H: usize, const W: usize, T>(
    x: Tensor<(B, Const<CI>, Const<H>, Const<W>), f32, Dev, T>,
    weight: &Tensor<Rank4<CO, CI, 3, 3>, f32, Dev>,
    input_grad: bool,
    lanes: LaneSet,
) -> Tensor<
    (
        B,
        Const<CO>,
        <Const<H> as HalveCeil>::Out,
        <Const<W> as HalveCeil>::Out,
    ),
    f32,
    Dev,
    T,
>
where
    B: Dim,
    T: Tape<f32, Dev>,
    Const<H>: HalveCeil,
    Const<W>: HalveCeil,
{
    let (x, mut tape) = x.split_tape();
    let batch = x.shape().0;
    let s = ConvShape {
        batch: batch.size(),
        ci: CI,
        co: CO,
        h: H,
        w: W,
    };
    let xs = ReusedCopy::of(&x);
    let ws = to_vec(weight);
    let (out, argmax) = winograd::conv3x3_pool_relu_forward_new(s, lanes, &xs, &ws);
    let out = x.device().tensor_from_vec(
        out,
        (
            batch,
            Default::default(),
            Default::default(),
            Default::default(),
        ),
    );
    if T::OWNS_TAPE {
        let (x_g, w_g, out_g) = (x.ghost(), weight.ghost(), out.ghost());
        tape.add_backward_op(move |grads| {
            grads.try_alloc_for(&w_g)?;
            let dout = std::mem::take(&mut **grads.get_or_alloc_mut(&out_g)?);
            let mut dw = vec![0.0f32; CO * CI * 9];
            let (inputs, pooled) = ((&xs[..], &ws[..]), (&dout[..], &argmax[..]));
            if input_grad {
                grads.try_alloc_for(&x_g)?;
                let dx = grads.get_or_alloc_mut(&x_g)?;
                winograd::conv3x3_pool_relu_backward(s, lanes, inputs, pooled, &mut dw, Some(dx));
            } else {
                winograd::conv3x3_pool_relu_backward(s, lanes, inputs, pooled, &mut dw, None);
            }
            **grads.get_or_alloc_mut(&out_g)? = dout;
            add_into(grads.get_or_alloc_mut(&w_g)?, &dw);
            Ok(())
        });
    }
    out.put_tape(tape)
}
