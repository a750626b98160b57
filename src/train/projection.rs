//! The cluster view's arithmetic: the penultimate features of the fixed test subset
//! projected onto their first two principal components.
//!
//! Why randomized: the `seed` model's features are 3 136 wide, and a full
//! eigendecomposition of their covariance (or of the 1 000×1 000 Gram matrix) would cost
//! a good part of a second at every quick evaluation. Only two components are wanted, so
//! the range of the centred data is found with a few products against 8 random directions
//! and two power iterations (Halko, Martinsson and Tropp's randomized range finder, as
//! scikit-learn's `svd_solver="randomized"`), and the decompositions left — a QR of a
//! 1 000×8 matrix and the 8×8 symmetric eigenproblem — go to nalgebra.
//!
//! The products with the data run on the `gemm` crate straight from the features as the
//! worker has them, and the centring is applied to their small results
//! (`(X − 1μᵀ) M = X M − 1 (μᵀ M)`): nalgebra's own product took 6 ms each and a centred
//! copy of the data 15 ms more: 35 ms a `seed` projection, about 17 ms now.

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use crate::model::matrix_product;

/// Random directions of the range finder: the two components wanted and six more, which
/// makes the first two accurate to far better than a pixel of the scatter.
const SKETCH: usize = 8;
/// Power iterations: each sharpens the gap between the leading components and the rest.
const POWER_ITERATIONS: usize = 2;
/// The random directions are the same at every evaluation, so one model gives one picture.
const SKETCH_SEED: u64 = 0x5ca7;

/// The first two principal axes in feature space (`width × 2`), kept between evaluations
/// so that an axis keeps its direction (an eigenvector's sign is arbitrary).
#[derive(Debug, Clone, PartialEq)]
pub struct Axes(DMatrix<f32>);

/// Points in the plane of the first two components.
#[derive(Debug, Clone, PartialEq)]
pub struct Components {
    /// Each row's coordinates along the first and the second component.
    pub points: Vec<[f32; 2]>,
    /// The share of the data's variance along each component.
    pub explained: [f32; 2],
    pub axes: Axes,
}

/// Projects `n` rows of `width` features onto their first two principal components; with
/// `previous` axes, each new axis points the way the previous one did.
pub fn principal_components(
    features: &[f32],
    n: usize,
    width: usize,
    previous: Option<&Axes>,
) -> Components {
    assert_eq!(features.len(), n * width);
    let x = Centred::new(features, n, width);
    let Sketched {
        q,
        bt,
        eigen,
        order,
    } = sketch(&x, SKETCH);
    let mut axes = DMatrix::<f32>::zeros(width, 2);
    let mut scores = DMatrix::<f32>::zeros(n, 2);
    let mut explained = [0.0f32; 2];
    for (c, &i) in order.iter().take(2).enumerate() {
        let lambda = eigen.eigenvalues[i].max(0.0);
        let sigma = lambda.sqrt().max(f32::MIN_POSITIVE);
        let u: DVector<f32> = eigen.eigenvectors.column(i).into();
        let mut axis = &bt * &u / sigma;
        let mut score = &q * &u * sigma;
        if previous.is_some_and(|p| p.0.column(c).dot(&axis) < 0.0) {
            axis.neg_mut();
            score.neg_mut();
        }
        axes.set_column(c, &axis);
        scores.set_column(c, &score);
        explained[c] = if x.total > 0.0 {
            (f64::from(lambda) / x.total) as f32
        } else {
            0.0
        };
    }
    Components {
        points: (0..n).map(|r| [scores[(r, 0)], scores[(r, 1)]]).collect(),
        explained,
        axes: Axes(axes),
    }
}

/// The scores of `n` rows of `width` features on their first `k` principal components,
/// row after row (`n × k`): what t-SNE starts from.
pub fn leading_components(features: &[f32], n: usize, width: usize, k: usize) -> Vec<f32> {
    assert_eq!(features.len(), n * width);
    let x = Centred::new(features, n, width);
    // The components wanted and the six more that make them accurate.
    let Sketched {
        q, eigen, order, ..
    } = sketch(&x, k + SKETCH - 2);
    let mut out = vec![0.0f32; n * k];
    for (c, &i) in order.iter().take(k).enumerate() {
        let sigma = eigen.eigenvalues[i].max(0.0).sqrt();
        let u: DVector<f32> = eigen.eigenvectors.column(i).into();
        let score = &q * &u * sigma;
        for r in 0..n {
            out[r * k + c] = score[r];
        }
    }
    out
}

/// The randomized range finder's result: `X ≈ Q B`, and `B Bᵀ`'s eigenvectors (the left
/// singular vectors in `Q`'s basis), largest eigenvalue first in `order`.
struct Sketched {
    q: DMatrix<f32>,
    bt: DMatrix<f32>,
    eigen: SymmetricEigen<f32, nalgebra::Dyn>,
    order: Vec<usize>,
}

fn sketch(x: &Centred, directions: usize) -> Sketched {
    let k = directions.min(x.n).min(x.width);
    let mut rng = StdRng::seed_from_u64(SKETCH_SEED);
    let omega = DMatrix::<f32>::from_fn(x.width, k, |_, _| StandardNormal.sample(&mut rng));
    let mut q = x.times(&omega).qr().q();
    for _ in 0..POWER_ITERATIONS {
        let z = x.tr_times(&q).qr().q();
        q = x.times(&z).qr().q();
    }
    // X ≈ Q B with B = Qᵀ X small; B Bᵀ's eigenvectors are the left singular vectors.
    let bt = x.tr_times(&q);
    let b = bt.transpose();
    let eigen = SymmetricEigen::new(&b * &bt);
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&i, &j| eigen.eigenvalues[j].total_cmp(&eigen.eigenvalues[i]));
    Sketched {
        q,
        bt,
        eigen,
        order,
    }
}

/// `n` rows of `width` features (row-major, as the model gives them) with their mean
/// taken out of every product, never out of a copy.
struct Centred<'a> {
    x: &'a [f32],
    n: usize,
    width: usize,
    mean: DVector<f32>,
    /// Σ of the centred values squared: the variance to share out.
    total: f64,
}

impl<'a> Centred<'a> {
    fn new(x: &'a [f32], n: usize, width: usize) -> Self {
        let mut sum = vec![0.0f64; width];
        let mut squares = 0.0f64;
        for row in x.chunks_exact(width) {
            for (s, &v) in sum.iter_mut().zip(row) {
                *s += f64::from(v);
                squares += f64::from(v) * f64::from(v);
            }
        }
        let mean: Vec<f64> = sum.iter().map(|s| s / n as f64).collect();
        // Σ (x − μ)² = Σ x² − n Σ μ².
        let total = squares - n as f64 * mean.iter().map(|m| m * m).sum::<f64>();
        let mean = DVector::from_iterator(width, mean.iter().map(|&m| m as f32));
        Self {
            x,
            n,
            width,
            mean,
            total: total.max(0.0),
        }
    }

    /// `(X − 1μᵀ) M` for `M` of `width × k`.
    fn times(&self, m: &DMatrix<f32>) -> DMatrix<f32> {
        let k = m.ncols();
        let mut out = DMatrix::<f32>::zeros(self.n, k);
        // Column-major matrices: row stride 1, column stride their row count.
        let (x, x_strides) = (self.x, (self.width, 1));
        let out_strides = (1, self.n);
        let m_strides = (1, self.width);
        let dims = (self.n, k, self.width);
        matrix_product(
            dims,
            out.as_mut_slice(),
            out_strides,
            false,
            x,
            x_strides,
            m.as_slice(),
            m_strides,
        );
        let shift = m.tr_mul(&self.mean);
        for (mut column, s) in out.column_iter_mut().zip(shift.iter()) {
            column.add_scalar_mut(-s);
        }
        out
    }

    /// `(X − 1μᵀ)ᵀ M` for `M` of `n × k`.
    fn tr_times(&self, m: &DMatrix<f32>) -> DMatrix<f32> {
        let k = m.ncols();
        let mut out = DMatrix::<f32>::zeros(self.width, k);
        let (x, xt_strides) = (self.x, (1, self.width));
        let out_strides = (1, self.width);
        let m_strides = (1, self.n);
        let dims = (self.width, k, self.n);
        matrix_product(
            dims,
            out.as_mut_slice(),
            out_strides,
            false,
            x,
            xt_strides,
            m.as_slice(),
            m_strides,
        );
        for (mut column, m_column) in out.column_iter_mut().zip(m.column_iter()) {
            column.axpy(-m_column.sum(), &self.mean, 1.0);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two clusters in the plane around (−5, 0) and (5, 0), with noise of 0.3 across and
    /// 1.0 along the second axis.
    fn two_clusters() -> (Vec<f32>, Vec<bool>) {
        let mut rng = StdRng::seed_from_u64(7);
        let noise = rand_distr::Normal::new(0.0f32, 0.3).unwrap();
        let (mut data, mut second) = (Vec::new(), Vec::new());
        for i in 0..200 {
            let right = i % 2 == 1;
            data.push(if right { 5.0 } else { -5.0 } + noise.sample(&mut rng));
            data.push(noise.sample(&mut rng) * 3.3);
            second.push(right);
        }
        (data, second)
    }

    #[test]
    fn two_clusters_separate_along_the_first_component() {
        let (data, right) = two_clusters();
        let c = principal_components(&data, 200, 2, None);
        let side = |p: &[f32; 2]| p[0] > 0.0;
        let first = side(&c.points[0]);
        for (p, &r) in c.points.iter().zip(&right) {
            assert_eq!(side(p), first ^ r, "a point on the wrong side: {p:?}");
            assert!((p[0].abs() - 5.0).abs() < 1.5, "{p:?} is not near ±5");
        }
        // Variance ~25.1 along the first axis, ~1 along the second.
        assert!(
            c.explained[0] > 0.93 && c.explained[0] < 0.98,
            "{:?}",
            c.explained
        );
        assert!(
            (c.explained[0] + c.explained[1] - 1.0).abs() < 1e-4,
            "{:?}",
            c.explained
        );
        // The first axis is (±1, 0).
        assert!((c.axes.0[(0, 0)].abs() - 1.0).abs() < 1e-3);
    }

    #[test]
    fn an_axis_keeps_its_direction_from_one_evaluation_to_the_next() {
        let (data, _) = two_clusters();
        let first = principal_components(&data, 200, 2, None);
        let flipped: Vec<f32> = data.iter().map(|v| -v).collect();
        let again = principal_components(&flipped, 200, 2, Some(&first.axes));
        for c in 0..2 {
            assert!(again.axes.0.column(c).dot(&first.axes.0.column(c)) > 0.0);
        }
        // The data flipped, the axes did not: every point moved to the other side.
        assert!(first.points[1][0] * again.points[1][0] < 0.0);
    }
}
