//! The one-dimensional Winograd algorithms F(m, 3) a layer's tiles are built from (m
//! outputs of a 3-tap correlation from m + 2 inputs): `Bᵀ` and `Aᵀ` as functions on
//! lanes, and `G` in f64. A 2-D tile of `my × mx` outputs is F(my, 3) down its rows and
//! F(mx, 3) along them.
//!
//! F(4, 3) is Lavin & Gray's (2016; interpolation points 0, ±1, ±2 and ∞), which does
//! the interior tiles; the smaller ones fit the edge of a map that four does not divide
//! (14 = 4 + 4 + 4 + 2, 7 = 4 + 3) without computing outputs past it. Their matrices
//! are the Toom–Cook construction on the first points of the same list (0, 1, −1, 2 and
//! ∞; F(1, 3) is the plain dot product), derived with exact fractions and checked below
//! and in the layer's tests.
//!
//! The filter transform `U = G_y g G_xᵀ` is in f64 and rounded once, because `G` holds
//! sixths and twenty-fourths.

use rayon::prelude::*;

use crate::lanes::{Has, Lanes};

/// One F(m, 3): `M` outputs from `M + 2` inputs. Vectors are passed in arrays of the
/// largest size; only the first `M + 2` (or `M`) elements mean anything.
pub(super) trait Tile1d {
    /// Outputs per tile.
    const M: usize;
    /// `G` (`(M + 2) × 3`), the rows past `M + 2` unused.
    const G: [[f64; 3]; 6];
    /// The first `M + 2` values times `B` (or `Bᵀ` times a column of them).
    fn times_b<V: Lanes>(d: [V; 6]) -> [V; 6];
    /// The first `M + 2` values times `A`: the tile's `M` outputs.
    fn times_a<V: Lanes>(m: [V; 6]) -> [V; 4];
}

/// F(1, 3): the dot product itself (`B`, `G` the identity, `Aᵀ = [1 1 1]`).
pub(super) struct F1;
/// F(2, 3), points 0, ±1, ∞.
pub(super) struct F2;
/// F(3, 3), points 0, ±1, 2, ∞.
pub(super) struct F3;
/// F(4, 3), points 0, ±1, ±2, ∞.
pub(super) struct F4;

const SIXTH: f64 = 1.0 / 6.0;

impl Tile1d for F1 {
    const M: usize = 1;
    const G: [[f64; 3]; 6] = [
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [0.0; 3],
        [0.0; 3],
        [0.0; 3],
    ];
    #[inline(always)]
    fn times_b<V: Lanes>(d: [V; 6]) -> [V; 6] {
        d
    }
    #[inline(always)]
    fn times_a<V: Lanes>(m: [V; 6]) -> [V; 4] {
        let has = Has::of(&m[0]);
        let z = has.zero();
        [m[0].add(m[1]).add(m[2]), z, z, z]
    }
}

impl Tile1d for F2 {
    const M: usize = 2;
    const G: [[f64; 3]; 6] = [
        [1.0, 0.0, 0.0],
        [0.5, 0.5, 0.5],
        [0.5, -0.5, 0.5],
        [0.0, 0.0, 1.0],
        [0.0; 3],
        [0.0; 3],
    ];
    /// `Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 −1 0 1]`.
    #[inline(always)]
    fn times_b<V: Lanes>(d: [V; 6]) -> [V; 6] {
        let has = Has::of(&d[0]);
        let z = has.zero();
        [
            d[0].sub(d[2]),
            d[1].add(d[2]),
            d[2].sub(d[1]),
            d[3].sub(d[1]),
            z,
            z,
        ]
    }
    /// `Aᵀ = [1 1 1 0; 0 1 −1 1]`.
    #[inline(always)]
    fn times_a<V: Lanes>(m: [V; 6]) -> [V; 4] {
        let has = Has::of(&m[0]);
        let z = has.zero();
        [m[0].add(m[1]).add(m[2]), m[1].sub(m[2]).add(m[3]), z, z]
    }
}

impl Tile1d for F3 {
    const M: usize = 3;
    const G: [[f64; 3]; 6] = [
        [0.5, 0.0, 0.0],
        [-0.5, -0.5, -0.5],
        [-SIXTH, SIXTH, -SIXTH],
        [SIXTH, 2.0 * SIXTH, 4.0 * SIXTH],
        [0.0, 0.0, 1.0],
        [0.0; 3],
    ];
    /// `Bᵀ = [2 −1 −2 1 0; 0 −2 −1 1 0; 0 2 −3 1 0; 0 −1 0 1 0; 0 2 −1 −2 1]`.
    #[inline(always)]
    fn times_b<V: Lanes>(d: [V; 6]) -> [V; 6] {
        let has = Has::of(&d[0]);
        let two = has.splat(2.0);
        let d3_d2 = d[3].sub(d[2]);
        let d3_d1 = d[3].sub(d[1]);
        [
            two.mul(d[0].sub(d[2])).add(d3_d1),
            d3_d2.sub(two.mul(d[1])),
            two.mul(d[1].sub(d[2])).add(d3_d2),
            d3_d1,
            two.mul(d[1].sub(d[3])).add(d[4]).sub(d[2]),
            has.zero(),
        ]
    }
    /// `Aᵀ = [1 1 1 1 0; 0 1 −1 2 0; 0 1 1 4 1]`.
    #[inline(always)]
    fn times_a<V: Lanes>(m: [V; 6]) -> [V; 4] {
        let has = Has::of(&m[0]);
        let (two, four) = (has.splat(2.0), has.splat(4.0));
        let s12 = m[1].add(m[2]);
        [
            m[0].add(s12).add(m[3]),
            two.mul_add(m[3], m[1].sub(m[2])),
            four.mul_add(m[3], s12).add(m[4]),
            has.zero(),
        ]
    }
}

impl Tile1d for F4 {
    const M: usize = 4;
    const G: [[f64; 3]; 6] = [
        [1.0 / 4.0, 0.0, 0.0],
        [-SIXTH, -SIXTH, -SIXTH],
        [-SIXTH, SIXTH, -SIXTH],
        [1.0 / 24.0, 1.0 / 12.0, SIXTH],
        [1.0 / 24.0, -1.0 / 12.0, SIXTH],
        [0.0, 0.0, 1.0],
    ];
    /// `Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0;
    /// 0 4 0 −5 0 1]`, with the shared sums of its middle rows formed once.
    #[inline(always)]
    fn times_b<V: Lanes>(d: [V; 6]) -> [V; 6] {
        let has = Has::of(&d[0]);
        let (four, five, two) = (has.splat(4.0), has.splat(5.0), has.splat(2.0));
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
    /// `Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]`.
    #[inline(always)]
    fn times_a<V: Lanes>(m: [V; 6]) -> [V; 4] {
        let has = Has::of(&m[0]);
        let (two, four, eight) = (has.splat(2.0), has.splat(4.0), has.splat(8.0));
        let (s12, d12) = (m[1].add(m[2]), m[1].sub(m[2]));
        let (s34, d34) = (m[3].add(m[4]), m[3].sub(m[4]));
        [
            m[0].add(s12).add(s34),
            two.mul_add(d34, d12),
            four.mul_add(s34, s12),
            eight.mul_add(d34, d12).add(m[5]),
        ]
    }
}

/// `G` of F(`m`, 3), by its number of outputs.
pub(super) fn g_of(m: usize) -> &'static [[f64; 3]] {
    match m {
        1 => &F1::G[..3],
        2 => &F2::G[..4],
        3 => &F3::G[..5],
        4 => &F4::G[..6],
        _ => unreachable!("no F({m}, 3) here"),
    }
}

/// `Uᵀ[ξ][c][o] = (G_y g G_xᵀ)[ξ]` (`ξ = p·nx + q`) for every filter `g = w[o][c]`
/// (`weight` is `(co, ci, 3, 3)`), for tiles of `my × mx` outputs: each `U[ξ]` stored by
/// input channel, so that the products read contiguous rows of output channels. Both
/// steps run on every thread: inference prepares its layers once per evaluation, and
/// on one thread this was 3 % of the deep model's inference time.
pub(super) fn filter_transform(
    weight: &[f32],
    co: usize,
    ci: usize,
    (my, mx): (usize, usize),
) -> Vec<f32> {
    assert_eq!(weight.len(), co * ci * 9);
    let (gy, gx) = (g_of(my), g_of(mx));
    let xis = gy.len() * gx.len();
    // U of each filter, [o][c][ξ].
    let mut by_filter = vec![0.0f32; xis * co * ci];
    by_filter
        .par_chunks_mut(xis)
        .zip(weight.par_chunks(9))
        .for_each(|(u, g)| {
            // a = G_y g (ny×3), then U = a G_xᵀ (ny×nx).
            let a: Vec<[f64; 3]> = gy
                .iter()
                .map(|row| {
                    std::array::from_fn(|v| (0..3).map(|k| row[k] * g[3 * k + v] as f64).sum())
                })
                .collect();
            for (xi, value) in u.iter_mut().enumerate() {
                let (p, q) = (xi / gx.len(), xi % gx.len());
                *value = (0..3).map(|v| a[p][v] * gx[q][v]).sum::<f64>() as f32;
            }
        });
    let mut ut = vec![0.0f32; xis * ci * co];
    ut.par_chunks_mut(ci * co)
        .enumerate()
        .for_each(|(xi, rows)| {
            for (f, u) in by_filter.chunks_exact(xis).enumerate() {
                let (o, c) = (f / ci, f % ci);
                rows[c * co + o] = u[xi];
            }
        });
    ut
}

#[cfg(test)]
mod tests {
    use super::{Tile1d, F1, F2, F3, F4};
    use crate::lanes::{Has, Lanes, Portable};

    /// `Aᵀ [(G g) ⊙ (Bᵀ d)]` for one algorithm against the correlation of its `M + 2`
    /// inputs with three taps: the three matrices belong together.
    fn assert_correlates<T: Tile1d>() {
        let d = [0.5f32, -1.25, 2.0, 0.75, -3.0, 1.5];
        let g = [0.3f64, -0.7, 1.1];
        let n = T::M + 2;
        let mut input = [0.0f32; 6];
        input[..n].copy_from_slice(&d[..n]);
        let has = Has::<Portable>::PORTABLE;
        let bd = T::times_b(input.map(|v| has.splat(v)));
        let gg: [f32; 6] =
            std::array::from_fn(|p| (0..3).map(|k| T::G[p][k] * g[k]).sum::<f64>() as f32);
        // Past the algorithm's inputs the transformed values are unused: zero them.
        let m: [Portable; 6] = std::array::from_fn(|i| match i < n {
            true => bd[i].mul(has.splat(gg[i])),
            false => has.zero(),
        });
        let y = T::times_a(m);
        for (i, yi) in y.iter().enumerate().take(T::M) {
            let want: f64 = (0..3).map(|k| d[i + k] as f64 * g[k]).sum();
            let mut lanes = [0.0f32; 8];
            // SAFETY: the array holds the vector's eight lanes.
            unsafe { yi.store(lanes.as_mut_ptr()) };
            let got = lanes[0];
            assert!(
                (got as f64 - want).abs() < 1e-5,
                "F({}, 3): y[{i}] = {got}, want {want}",
                T::M
            );
        }
    }

    #[test]
    fn each_algorithm_computes_a_correlation_of_its_outputs() {
        assert_correlates::<F1>();
        assert_correlates::<F2>();
        assert_correlates::<F3>();
        assert_correlates::<F4>();
    }
}
