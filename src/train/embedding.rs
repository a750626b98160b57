//! t-SNE for the Clusters view: where PCA keeps the two directions of most variance,
//! t-SNE keeps each image's neighbours near it, so the ten digits the network has learned
//! to tell apart show as ten islands. Barnes-Hut t-SNE from the `bhtsne` crate, on the
//! penultimate features first reduced to their leading principal components (the usual
//! practice: it drops the noise dimensions and makes the neighbour search cheap).

use crate::train::projection::leading_components;

/// How many neighbours each point weighs: the usual 30 for a thousand points.
pub const PERPLEXITY: f32 = 30.0;
/// Barnes-Hut's accuracy: cells seen under a smaller angle than this are one point
/// (0.5, the usual trade, is within a few per cent of the exact gradient).
const THETA: f32 = 0.5;
/// Gradient steps: 250 with exaggerated attraction, then 500 (openTSNE's 750 in all).
const EPOCHS: usize = 750;
/// Dimensions kept before t-SNE (as scikit-learn's and openTSNE's guides advise).
pub const REDUCED: usize = 50;

/// Each of `n` points (rows of `width` features) placed on a plane.
pub fn tsne(features: &[f32], n: usize, width: usize) -> Vec<[f32; 2]> {
    if n < 4 {
        return vec![[0.0, 0.0]; n];
    }
    let keep = REDUCED.min(width).min(n - 1);
    let reduced = leading_components(features, n, width, keep);
    let rows: Vec<&[f32]> = reduced.chunks_exact(keep).collect();
    // The perplexity must leave each point three times as many neighbours.
    let perplexity = PERPLEXITY.min(((n - 1) / 3) as f32);
    let mut t: bhtsne::tSNE<f32, &[f32]> = bhtsne::tSNE::new(&rows);
    t.embedding_dim(2)
        .perplexity(perplexity)
        .epochs(EPOCHS)
        .barnes_hut(THETA, |a, b| {
            a.iter()
                .zip(b.iter())
                .map(|(x, y)| (x - y) * (x - y))
                .sum::<f32>()
                .sqrt()
        });
    t.embedding()
        .chunks_exact(2)
        .map(|p| [p[0], p[1]])
        .collect()
}

/// The share of points whose nearest neighbour on the plane has the same label: how well
/// a map keeps the classes apart (1.0: every point sits beside its own kind).
pub fn neighbour_agreement(points: &[[f32; 2]], labels: &[u8]) -> f64 {
    let n = points.len();
    if n < 2 {
        return 1.0;
    }
    let same = (0..n)
        .filter(|&i| {
            let nearest = (0..n)
                .filter(|&j| j != i)
                .min_by(|&a, &b| {
                    let d = |j: usize| {
                        let (dx, dy) = (points[j][0] - points[i][0], points[j][1] - points[i][1]);
                        dx * dx + dy * dy
                    };
                    d(a).total_cmp(&d(b))
                })
                .expect("two points at least");
            labels[nearest] == labels[i]
        })
        .count();
    same as f64 / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn well_separated_clusters_come_out_as_islands() {
        // Five clusters of 60 points in 20 dimensions, centres 10 apart, spread 1.
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let (k, per, width) = (5, 60, 20);
        let mut features = Vec::new();
        let mut labels = Vec::new();
        for c in 0..k {
            for _ in 0..per {
                for d in 0..width {
                    let centre = if d % k == c { 10.0 } else { 0.0 };
                    features.push(centre + rng.gen_range(-1.0f32..1.0));
                }
                labels.push(c as u8);
            }
        }
        let points = tsne(&features, k * per, width);
        assert_eq!(points.len(), k * per);
        let agreement = neighbour_agreement(&points, &labels);
        assert!(agreement >= 0.95, "nearest-neighbour agreement {agreement}");
    }

    #[test]
    fn agreement_counts_points_whose_nearest_neighbour_shares_their_label() {
        let points = [[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
        assert_eq!(neighbour_agreement(&points, &[0, 0, 1, 1]), 1.0);
        assert_eq!(neighbour_agreement(&points, &[0, 1, 1, 1]), 0.5);
    }
}
