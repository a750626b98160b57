//! Dropout on dfdx's tape, the same to the bit as dfdx's `try_dropout`, and the masks it
//! draws: the op ([`dropout`]), its forward pass on plain vectors for the fused training
//! passes ([`dropout_mask`]), and ChaCha12's stream on AVX-512 for the masks (`chacha.rs`).

mod chacha;

use std::mem::MaybeUninit;

use dfdx::prelude::*;
use rand::{Rng, SeedableRng};
use rand_distr::Bernoulli;
use rayon::prelude::*;

use super::copies::ReusedCopy;
use super::ops::Dev;

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
    /// [`branch_free`] compiled for AVX-512, whose 64-bit compares it needs to be wide.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn avx512(words: &[u64], threshold: Option<u64>, k: (f32, f32), x: &[f32], o: Out) {
        branch_free(words, threshold, k, x, o)
    }
    #[cfg(target_arch = "x86_64")]
    if conv3x3::LaneSet::Avx512.is_available() {
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
pub(crate) fn dropout_mask(seed: u64, p: f32, xs: &[f32]) -> (Vec<f32>, Vec<f32>) {
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
