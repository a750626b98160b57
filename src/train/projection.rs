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

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

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
    let mut x = DMatrix::from_row_slice(n, width, features);
    for mut column in x.column_iter_mut() {
        let mean = column.mean();
        column.add_scalar_mut(-mean);
    }
    let total: f32 = x.iter().map(|v| v * v).sum();
    let k = SKETCH.min(n).min(width);
    let mut rng = StdRng::seed_from_u64(SKETCH_SEED);
    let omega = DMatrix::<f32>::from_fn(width, k, |_, _| StandardNormal.sample(&mut rng));
    let mut q = (&x * omega).qr().q();
    for _ in 0..POWER_ITERATIONS {
        let z = (x.transpose() * &q).qr().q();
        q = (&x * z).qr().q();
    }
    // X ≈ Q B with B = Qᵀ X small; B Bᵀ's eigenvectors are the left singular vectors.
    let b = q.transpose() * &x;
    let eigen = SymmetricEigen::new(&b * b.transpose());
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&i, &j| eigen.eigenvalues[j].total_cmp(&eigen.eigenvalues[i]));
    let mut axes = DMatrix::<f32>::zeros(width, 2);
    let mut scores = DMatrix::<f32>::zeros(n, 2);
    let mut explained = [0.0f32; 2];
    for (c, &i) in order.iter().take(2).enumerate() {
        let lambda = eigen.eigenvalues[i].max(0.0);
        let sigma = lambda.sqrt().max(f32::MIN_POSITIVE);
        let u: DVector<f32> = eigen.eigenvectors.column(i).into();
        let mut axis = b.transpose() * &u / sigma;
        let mut score = &q * &u * sigma;
        if previous.is_some_and(|p| p.0.column(c).dot(&axis) < 0.0) {
            axis.neg_mut();
            score.neg_mut();
        }
        axes.set_column(c, &axis);
        scores.set_column(c, &score);
        explained[c] = if total > 0.0 { lambda / total } else { 0.0 };
    }
    Components {
        points: (0..n).map(|r| [scores[(r, 0)], scores[(r, 1)]]).collect(),
        explained,
        axes: Axes(axes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two clusters around (−5, 0, 0) and (5, 0, 0), with noise of 0.3 in every direction
    /// and a wider spread (1.0) along the third axis.
    fn two_clusters() -> (Vec<f32>, Vec<bool>) {
        let mut rng = StdRng::seed_from_u64(7);
        let noise = rand_distr::Normal::new(0.0f32, 0.3).unwrap();
        let (mut data, mut second) = (Vec::new(), Vec::new());
        for i in 0..200 {
            let right = i % 2 == 1;
            data.push(if right { 5.0 } else { -5.0 } + noise.sample(&mut rng));
            data.push(noise.sample(&mut rng));
            data.push(noise.sample(&mut rng) * 3.3);
            second.push(right);
        }
        (data, second)
    }

    #[test]
    fn two_clusters_separate_along_the_first_component() {
        let (data, right) = two_clusters();
        let c = principal_components(&data, 200, 3, None);
        let side = |p: &[f32; 2]| p[0] > 0.0;
        let first = side(&c.points[0]);
        for (p, &r) in c.points.iter().zip(&right) {
            assert_eq!(side(p), first ^ r, "a point on the wrong side: {p:?}");
            assert!((p[0].abs() - 5.0).abs() < 1.5, "{p:?} is not near ±5");
        }
        // Variance 25 along the first axis, ~1 along the third, ~0.09 along the second.
        assert!(c.explained[0] > 0.9, "{:?}", c.explained);
        assert!(
            c.explained[1] > 0.02 && c.explained[1] < 0.1,
            "{:?}",
            c.explained
        );
        // The first axis is (±1, 0, 0).
        assert!((c.axes.0[(0, 0)].abs() - 1.0).abs() < 1e-3);
    }

    #[test]
    fn an_axis_keeps_its_direction_from_one_evaluation_to_the_next() {
        let (data, _) = two_clusters();
        let first = principal_components(&data, 200, 3, None);
        let flipped: Vec<f32> = data.iter().map(|v| -v).collect();
        let again = principal_components(&flipped, 200, 3, Some(&first.axes));
        for c in 0..2 {
            assert!(again.axes.0.column(c).dot(&first.axes.0.column(c)) > 0.0);
        }
        // The data flipped, the axes did not: every point moved to the other side.
        assert!(first.points[1][0] * again.points[1][0] < 0.0);
    }
}
