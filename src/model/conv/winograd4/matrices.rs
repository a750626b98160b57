//! The F(4×4, 3×3) matrices (Lavin & Gray 2016, interpolation points 0, ±1, ±2 and ∞):
//! `Bᵀ` and `Aᵀ` as functions on lanes, and the filter transform `U = G g Gᵀ`, computed
//! in f64 and rounded once, because `G` holds sixths and twenty-fourths.

use rayon::prelude::*;

use super::super::lanes::Lanes;

/// Six values times `B` (or `Bᵀ` times a column of six):
/// `Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0;
/// 0 4 0 −5 0 1]`, with the shared sums of its middle rows formed once.
#[inline(always)]
pub(super) fn times_b<V: Lanes>(d: [V; 6]) -> [V; 6] {
    let (four, five, two) = (V::splat(4.0), V::splat(5.0), V::splat(2.0));
    let d4_d2 = d[4].sub(d[2]);
    let d1_d3 = d[1].sub(d[3]);
    // Rows 1 and 2 are (d4 − 4d2) ± (d3 − 4d1); rows 3 and 4 (d4 − d2) ∓ 2(d1 − d3).
    let a = d[4].sub(four.mul(d[2]));
    let b = d[3].sub(four.mul(d[1]));
    [
        four.mul(d[0]).sub(five.mul(d[2])).add(d[4]),
        a.add(b),
        a.sub(b),
        d4_d2.sub(two.mul(d1_d3)),
        d4_d2.add(two.mul(d1_d3)),
        four.mul(d[1]).sub(five.mul(d[3])).add(d[5]),
    ]
}

/// Six values times `A`: `Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]`.
#[inline(always)]
pub(super) fn times_a<V: Lanes>(m: [V; 6]) -> [V; 4] {
    let (two, four, eight) = (V::splat(2.0), V::splat(4.0), V::splat(8.0));
    let (s12, d12) = (m[1].add(m[2]), m[1].sub(m[2]));
    let (s34, d34) = (m[3].add(m[4]), m[3].sub(m[4]));
    [
        m[0].add(s12).add(s34),
        two.mul_add(d34, d12),
        four.mul_add(s34, s12),
        eight.mul_add(d34, d12).add(m[5]),
    ]
}

/// `G` (6×3).
const G: [[f64; 3]; 6] = [
    [1.0 / 4.0, 0.0, 0.0],
    [-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0],
    [-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0],
    [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
    [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
    [0.0, 0.0, 1.0],
];

/// `Uᵀ[ξ][c][o] = (G g Gᵀ)[ξ]` for every filter `g = w[o][c]` (`weight` is
/// `(co, ci, 3, 3)`): each `U[ξ]` stored by input channel, so that the products read
/// contiguous rows of output channels. Both steps run on every thread: inference
/// prepares its layers once per batch, and on one thread this was 3 % of the deep
/// model's inference time.
pub(super) fn filter_transform(weight: &[f32], co: usize, ci: usize) -> Vec<f32> {
    assert_eq!(weight.len(), co * ci * 9);
    // U of each filter, [o][c][ξ].
    let mut by_filter = vec![0.0f32; 36 * co * ci];
    by_filter
        .par_chunks_mut(36)
        .zip(weight.par_chunks(9))
        .for_each(|(u, g)| {
            // a = G g (6×3), then U = a Gᵀ (6×6).
            let mut a = [[0.0f64; 3]; 6];
            for (p, row) in a.iter_mut().enumerate() {
                for (v, value) in row.iter_mut().enumerate() {
                    *value = (0..3).map(|k| G[p][k] * g[3 * k + v] as f64).sum();
                }
            }
            for (xi, value) in u.iter_mut().enumerate() {
                let (p, q) = (xi / 6, xi % 6);
                *value = (0..3).map(|v| a[p][v] * G[q][v]).sum::<f64>() as f32;
            }
        });
    let mut ut = vec![0.0f32; 36 * ci * co];
    ut.par_chunks_mut(ci * co)
        .enumerate()
        .for_each(|(xi, rows)| {
            for (f, u) in by_filter.chunks_exact(36).enumerate() {
                let (o, c) = (f / ci, f % ci);
                rows[c * co + o] = u[xi];
            }
        });
    ut
}

#[cfg(test)]
mod tests {
    use super::super::super::lanes::{Lanes, Portable};
    use super::{times_a, times_b, G};

    /// One dimension of the algorithm, F(4, 3): `Aᵀ [(G g) ⊙ (Bᵀ d)]` is the correlation
    /// of six inputs with three taps, so the three matrices belong together.
    #[test]
    fn the_matrices_compute_a_correlation_of_four_outputs() {
        let d = [0.5f32, -1.25, 2.0, 0.75, -3.0, 1.5];
        let g = [0.3f64, -0.7, 1.1];
        let lanes = |v: [f32; 6]| v.map(Portable::splat);
        let bd = times_b(lanes(d));
        let gg: [f32; 6] =
            std::array::from_fn(|p| (0..3).map(|k| G[p][k] * g[k]).sum::<f64>() as f32);
        let m: [Portable; 6] = std::array::from_fn(|i| bd[i].mul(Portable::splat(gg[i])));
        let y = times_a(m);
        for (i, yi) in y.iter().enumerate() {
            let want: f64 = (0..3).map(|k| d[i + k] as f64 * g[k]).sum();
            let mut lanes = [0.0f32; 8];
            // SAFETY: the array holds the vector's eight lanes.
            unsafe { yi.store(lanes.as_mut_ptr()) };
            let got = lanes[0];
            assert!(
                (got as f64 - want).abs() < 1e-5,
                "y[{i}] = {got}, want {want}"
            );
        }
    }
}
