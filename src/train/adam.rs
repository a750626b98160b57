//! Adam with the same arithmetic as dfdx's `Adam`, but with its state in the open.
//!
//! dfdx keeps Adam's moments in private fields, so a checkpoint could not carry them and a
//! resumed run would restart the optimiser cold. This one walks the network's parameters
//! with dfdx's public [`TensorVisitor`], keeps one pair of moment vectors per parameter in
//! visiting order, and reports whether every updated weight stayed finite.

use dfdx::nn::tensor_collection::{
    RecursiveWalker, ScalarOptions, TensorCollection, TensorOptions, TensorVisitor, ViewTensorMut,
};
use dfdx::prelude::*;
use rayon::prelude::*;

use crate::model::{copies::ReusedCopy, Dev, Grads};

/// Hyper-parameters, as mnist_cnn.py sets them (TensorFlow's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    pub lr: f64,
    pub betas: [f64; 2],
    pub eps: f64,
}

impl AdamConfig {
    pub fn with_lr(lr: f64) -> Self {
        Self {
            lr,
            betas: [0.9, 0.999],
            eps: 1e-8,
        }
    }
}

/// The optimiser and its whole state.
#[derive(Debug, PartialEq)]
pub struct Adam {
    pub cfg: AdamConfig,
    /// Steps taken so far (the bias correction's exponent).
    pub t: i32,
    /// First and second moments, one vector each per trainable tensor, in visiting order.
    pub moments: Vec<(Vec<f32>, Vec<f32>)>,
}

/// Field by field, so that `clone_from` (a snapshot taken again) writes the moments into
/// the vectors the copy already has instead of allocating the whole state anew: the
/// `deep` model's moments are 11 MB, and holding two copies of them for a moment at
/// each snapshot had set the training run's peak memory.
impl Clone for Adam {
    fn clone(&self) -> Self {
        Self {
            cfg: self.cfg,
            t: self.t,
            moments: self.moments.clone(),
        }
    }

    fn clone_from(&mut self, other: &Self) {
        (self.cfg, self.t) = (other.cfg, other.t);
        self.moments.truncate(other.moments.len());
        for ((m, v), (other_m, other_v)) in self.moments.iter_mut().zip(&other.moments) {
            m.clone_from(other_m);
            v.clone_from(other_v);
        }
        let have = self.moments.len();
        self.moments.extend_from_slice(&other.moments[have..]);
    }
}

/// What an update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    Applied,
    /// Some weight became NaN or ∞; the caller must restore a snapshot.
    NonFiniteWeights,
}

/// One tensor's step, as sums of squares: its weights before the step, its gradient, and
/// the change the step made (for the layer-health view: ‖W‖, ‖∇W‖, ‖ΔW‖).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StepSizes {
    pub weight_sq: f64,
    pub gradient_sq: f64,
    pub update_sq: f64,
}

impl Adam {
    pub fn new(cfg: AdamConfig) -> Self {
        Self {
            cfg,
            t: 0,
            moments: Vec::new(),
        }
    }

    /// One step on every trainable tensor of `net` with `grads`, read in place and left
    /// at zero for the next step to add into (what dfdx's `zero_grads` would do).
    pub fn update<N: TensorCollection<f32, Dev>>(
        &mut self,
        net: &mut N,
        grads: &mut Grads,
    ) -> Update {
        self.step(net, grads, None)
    }

    /// [`Adam::update`], also measuring each trainable tensor's step (in visiting order).
    /// The weights it leaves are the same bits; the measuring costs a copy and three
    /// sums per tensor, so it is for the steps that are looked at.
    pub fn update_measured<N: TensorCollection<f32, Dev>>(
        &mut self,
        net: &mut N,
        grads: &mut Grads,
    ) -> (Update, Vec<StepSizes>) {
        let mut sizes = Vec::new();
        let update = self.step(net, grads, Some(&mut sizes));
        (update, sizes)
    }

    fn step<N: TensorCollection<f32, Dev>>(
        &mut self,
        net: &mut N,
        grads: &mut Grads,
        sizes: Option<&mut Vec<StepSizes>>,
    ) -> Update {
        self.t = self.t.saturating_add(1);
        let mut step = Step {
            adam: self,
            grads,
            index: 0,
            finite: true,
            sizes,
        };
        let walked = N::iter_tensors(&mut RecursiveWalker {
            m: net,
            f: &mut step,
        });
        if let Err(e) = walked {
            match e {}
        }
        if step.finite {
            Update::Applied
        } else {
            Update::NonFiniteWeights
        }
    }
}

struct Step<'a> {
    adam: &'a mut Adam,
    grads: &'a mut Grads,
    index: usize,
    finite: bool,
    sizes: Option<&'a mut Vec<StepSizes>>,
}

/// Σ v².
fn sum_sq(v: impl Iterator<Item = f32>) -> f64 {
    v.map(|x| f64::from(x) * f64::from(x)).sum()
}

impl TensorVisitor<f32, Dev> for Step<'_> {
    type Viewer = ViewTensorMut;
    type Err = std::convert::Infallible;
    type E2 = f32;
    type D2 = Dev;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, f32, Dev>,
        p: &mut Tensor<S, f32, Dev>,
    ) -> Result<Option<Tensor<S, f32, Dev>>, Self::Err> {
        if !opts.do_gradient_update {
            return Ok(None);
        }
        let g: &mut [f32] = self
            .grads
            .get_or_alloc_mut(p)
            .expect("allocating a CPU gradient cannot fail");
        let mut w = ReusedCopy::of(p);
        if self.adam.moments.len() <= self.index {
            self.adam
                .moments
                .push((vec![0.0; w.len()], vec![0.0; w.len()]));
        }
        let (m, v) = &mut self.adam.moments[self.index];
        // What the measured step reports of the weights and the gradient, taken before
        // the kernel changes one and zeroes the other.
        let before = self
            .sizes
            .is_some()
            .then(|| (w.to_vec(), sum_sq(g.iter().copied())));
        self.finite &= adam_kernel(&self.adam.cfg, self.adam.t, &mut w, m, v, g);
        if let (Some(sizes), Some((before, gradient_sq))) = (self.sizes.as_mut(), before) {
            sizes.push(StepSizes {
                weight_sq: sum_sq(before.iter().copied()),
                gradient_sq,
                update_sq: sum_sq(w.iter().zip(&before).map(|(a, b)| a - b)),
            });
        }
        p.copy_from(&w);
        self.index += 1;
        Ok(None)
    }

    fn visit_scalar<M: num_traits::NumCast>(
        &mut self,
        _: ScalarOptions<M>,
        _: &mut M,
    ) -> Result<Option<M>, Self::Err> {
        Ok(None)
    }
}

/// dfdx's CPU Adam kernel, operation for operation (so results match it to the bit);
/// returns whether every new weight is finite. Zeroes the gradient as it reads it, for
/// the next step to add into: dfdx's `zero_grads` did that on one thread, a pass over
/// the deep model's 5 MB of dense weights' gradient (1.4 % of its step) while the other
/// thread waited.
fn adam_kernel(
    cfg: &AdamConfig,
    t: i32,
    w: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    g: &mut [f32],
) -> bool {
    let [b1, b2] = cfg.betas.map(|b| b as f32);
    let (eps, lr) = (cfg.eps as f32, cfg.lr as f32);
    let (c1, c2) = ((1.0 - b1.powi(t)).recip(), (1.0 - b2.powi(t)).recip());
    // Each element on its own, so chunks on every thread give the same bits: the deep
    // model's 1.3 million weights took about 3 % of a step on one thread.
    w.par_chunks_mut(ADAM_TASK)
        .zip(m.par_chunks_mut(ADAM_TASK))
        .zip(v.par_chunks_mut(ADAM_TASK))
        .zip(g.par_chunks_mut(ADAM_TASK))
        .map(|(((w, m), v), g)| {
            let mut finite = true;
            for (((p, g), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                let g = std::mem::take(g);
                *m = *m * b1 + g * (1.0 - b1);
                *v = *v * b2 + g.powi(2) * (1.0 - b2);
                let m_hat = *m * c1;
                let v_hat = *v * c2;
                *p -= lr * m_hat / (v_hat.sqrt() + eps);
                finite &= p.is_finite();
            }
            finite
        })
        .reduce(|| true, |a, b| a & b)
}

/// Weights per task of the update: big enough that a task's hand-over costs nothing
/// beside it, small enough that the largest tensors split among many threads (and that
/// the seed model's dense weights, 31 360, are two tasks in the test against dfdx).
const ADAM_TASK: usize = 16 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn adam(t: i32, sizes: &[usize], fill: f32) -> Adam {
        Adam {
            cfg: AdamConfig::with_lr(t as f64 * 1e-3),
            t,
            moments: sizes
                .iter()
                .map(|&n| (vec![fill; n], vec![-fill; n]))
                .collect(),
        }
    }

    #[test]
    fn a_state_cloned_into_another_becomes_equal_to_it_whatever_the_shapes_before() {
        let source = adam(7, &[3, 5, 2], 1.5);
        // Fewer, more, and differently sized vectors than the source's.
        for before in [
            adam(1, &[], 0.0),
            adam(2, &[3], 9.0),
            adam(3, &[1, 8, 2, 4], 9.0),
        ] {
            let mut copy = before;
            copy.clone_from(&source);
            assert_eq!(copy, source);
        }
        assert_eq!(source.clone(), source);
    }

    #[test]
    fn cloning_into_a_state_of_the_same_shapes_keeps_its_vectors() {
        let source = adam(7, &[300, 500], 1.5);
        let mut copy = adam(2, &[300, 500], 0.0);
        let at: Vec<*const f32> = copy.moments.iter().map(|(m, _)| m.as_ptr()).collect();
        copy.clone_from(&source);
        assert_eq!(copy, source);
        let after: Vec<*const f32> = copy.moments.iter().map(|(m, _)| m.as_ptr()).collect();
        assert_eq!(after, at, "the moments were allocated anew");
    }
}
