//! Differentiable 3×3 SAME convolution and 2×2 SAME max-pool, recorded on dfdx's tape.
//!
//! dfdx 0.13 keeps its own conv and pool ops behind a `nightly` feature that no longer
//! builds, so these are written on its public API: split the tape off the input, compute
//! the output with the kernels in [`super::conv`], register the backward pass (only
//! when a tape is recorded), and put the tape back on the output.

use std::mem::MaybeUninit;

use dfdx::prelude::*;
use rand::{Rng, SeedableRng};
use rand_distr::Bernoulli;
use rayon::prelude::*;

use super::chacha;
use super::conv::{im2col, pool, pool_out, winograd, ConvShape, LaneSet};
use super::copies::ReusedCopy;

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

/// Elements per task of the dropout mask: enough that a task's seek (one ChaCha key
/// set-up) costs nothing beside its 64 Ki words, few enough that each of the deep model's
/// masks splits into several tasks (conv1's 627 200 elements: ten).
const DROPOUT_TASK: usize = 64 * 1024;

/// `out = x / keep` and `scale = back` where the element's word is at or above
/// `threshold`, both 0 where it is below (everywhere without a threshold).
///
/// Branch-free, so that it vectorises: with a branch per element and a scalar division
/// it was 7 % of the deep model's training step. On AVX-512 it is compiled for it (the
/// 64-bit compares need it to be wide).
fn apply_mask(
    words: &[u64],
    threshold: Option<u64>,
    keep_back: (f32, f32),
    x: &[f32],
    out: (&mut [MaybeUninit<f32>], &mut [MaybeUninit<f32>]),
) {
    type Out<'a> = (&'a mut [MaybeUninit<f32>], &'a mut [MaybeUninit<f32>]);
    #[inline(always)]
    fn branch_free(words: &[u64], threshold: Option<u64>, k: (f32, f32), x: &[f32], o: Out) {
        let (all, t) = (threshold.is_none(), threshold.unwrap_or(0));
        let elements = o.0.iter_mut().zip(o.1.iter_mut()).zip(x).zip(words);
        for (((v, s), x), w) in elements {
            let dropped = all | (*w < t);
            v.write(if dropped { 0.0 } else { x / k.0 });
            s.write(if dropped { 0.0 } else { k.1 });
        }
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn avx512(words: &[u64], threshold: Option<u64>, k: (f32, f32), x: &[f32], o: Out) {
        branch_free(words, threshold, k, x, o)
    }
    #[cfg(target_arch = "x86_64")]
    if LaneSet::Avx512.is_available() {
        // SAFETY: the CPU has AVX-512F (checked); the function is safe code compiled
        // for it.
        unsafe { avx512(words, threshold, keep_back, x, out) };
        return;
    }
    branch_free(words, threshold, keep_back, x, out)
}

/// Dropout with probability `p` of zeroing each element (the rest scaled by `1/(1 − p)`),
/// the same to the bit as dfdx's `try_dropout`: the same seed drawn from the device, the
/// same random stream, the same arithmetic.
///
/// Why not dfdx's: it draws the whole random mask twice (again in the backward pass) and
/// walks the elements through a strided iterator; in the deep model that was 14 % of a
/// training step. Here the mask is drawn once and kept as the backward pass's scale,
/// in tasks of [`DROPOUT_TASK`] elements on every thread: `StdRng` is ChaCha12, whose
/// stream can be entered at any word, so each task draws exactly the words the one
/// generator would have drawn there (a 1.2 million-word mask per step of the deep model
/// was a tenth of its step, on one thread).
pub fn dropout<S: Shape>(
    x: Tensor<S, f32, Dev, OwnedTape<f32, Dev>>,
    p: f32,
) -> Tensor<S, f32, Dev, OwnedTape<f32, Dev>> {
    let seed = x.device().random_u64();
    let (x, mut tape) = x.split_tape();
    let (out, scale) = dropout_mask(seed, p, &ReusedCopy::of(&x));
    let out = x.device().tensor_from_vec(out, *x.shape());
    let (x_g, out_g) = (x.ghost(), out.ghost());
    tape.add_backward_op(move |grads| {
        grads.try_alloc_for(&x_g)?;
        let dout = std::mem::take(&mut **grads.get_or_alloc_mut(&out_g)?);
        let dx = grads.get_or_alloc_mut(&x_g)?;
        for ((d, s), g) in dx.iter_mut().zip(&scale).zip(&dout) {
            *d += s * g;
        }
        **grads.get_or_alloc_mut(&out_g)? = dout;
        Ok(())
    });
    out.put_tape(tape)
}

/// [`dropout`]'s forward pass on `xs`, with the device's draw `seed`: the output, and the
/// scale its backward pass multiplies the output's gradient by (0 where dropped).
pub(super) fn dropout_mask(seed: u64, p: f32, xs: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let prob = f64::from(p);
    // `Bernoulli::sample` is `next_u64() < p·2⁶⁴` (always true at p = 1). The same words
    // are drawn in bulk, which a fresh generator gives in the same order.
    Bernoulli::new(prob).expect("dropout probability in [0, 1]");
    let threshold = if prob >= 1.0 {
        None
    } else {
        Some((prob * 18_446_744_073_709_551_616.0) as u64)
    };
    let keep = (1.0 - prob) as f32;
    let back = (1.0 - prob).recip() as f32;
    let n = xs.len();
    // Written whole by the tasks below, so never zeroed first.
    let (mut out, mut scale) = (Vec::<f32>::with_capacity(n), Vec::<f32>::with_capacity(n));
    out.spare_capacity_mut()[..n]
        .par_chunks_mut(DROPOUT_TASK)
        .zip(scale.spare_capacity_mut()[..n].par_chunks_mut(DROPOUT_TASK))
        .zip(xs.par_chunks(DROPOUT_TASK))
        .enumerate()
        .for_each(|(task, ((out, scale), xs))| {
            // The generator seeks to this task's place in the one stream: each u64 is
            // two of its 32-bit words.
            let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(seed);
            rng.set_word_pos(2 * (task * DROPOUT_TASK) as u128);
            let key = rng.get_seed();
            let mut words = [0u64; 1024];
            let mut first = (task * DROPOUT_TASK) as u64;
            for ((out, scale), xs) in out
                .chunks_mut(words.len())
                .zip(scale.chunks_mut(words.len()))
                .zip(xs.chunks(words.len()))
            {
                let words = &mut words[..out.len()];
                if !chacha::fill_words(&key, first, words) {
                    rng.fill(words);
                }
                first += words.len() as u64;
                apply_mask(words, threshold, (keep, back), xs, (out, scale));
            }
        });
    // SAFETY: the chunks above cover the first `n` elements of both, and `apply_mask`
    // writes every element of its chunks.
    unsafe {
        out.set_len(n);
        scale.set_len(n);
    }
    (out, scale)
}
