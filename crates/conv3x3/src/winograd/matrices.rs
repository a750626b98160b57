//! The F(2×2, 3×3) matrices as functions on lanes (`B` for the input side, `A` for the
//! output side, and their adjoints for the backward pass), and the filter transform
//! `U = G g Gᵀ` with its adjoint.

use rayon::prelude::*;

use crate::lanes::Lanes;

/// `(d0 − d2, d1 + d2, d2 − d1, d1 − d3)`: four values times `B` (or `Bᵀ` times them).
#[inline(always)]
pub(super) fn times_b<V: Lanes>(d: [V; 4]) -> [V; 4] {
    [
        d[0].sub(d[2]),
        d[1].add(d[2]),
        d[2].sub(d[1]),
        d[1].sub(d[3]),
    ]
}

/// `(s0 + s1 + s2, s1 − s2 − s3)`: four values times `A`.
#[inline(always)]
pub(super) fn times_a<V: Lanes>(s: [V; 4]) -> [V; 2] {
    [s[0].add(s[1]).add(s[2]), s[1].sub(s[2]).sub(s[3])]
}

/// `(e0, e0 + e1, e0 − e1, −e1)`: the adjoint of [`times_a`].
#[inline(always)]
pub(super) fn times_a_adjoint<V: Lanes>(e: [V; 2]) -> [V; 4] {
    [e[0], e[0].add(e[1]), e[0].sub(e[1]), e[1].neg()]
}

/// `U[ξ][c][o] = (G g Gᵀ)[ξ]` for every filter `g = w[o][c]`: each `U[ξ]` by columns,
/// which the products read whole. (With one input channel this is `U[ξ][o]`.) In two
/// passes on every thread of the pool, filters then planes: on the trainer's thread
/// alone this had been one of the larger pieces of each step the other threads idled
/// through.
pub(super) fn filter_transform_by_columns(weight: &[f32], co: usize, ci: usize) -> Vec<f32> {
    assert_eq!(weight.len(), co * ci * 9);
    // t[o][c][ξ]: each filter's sixteen values together.
    let mut t = vec![0.0f32; co * ci * 16];
    t.par_chunks_exact_mut(16)
        .zip(weight.par_chunks_exact(9))
        .for_each(|(t, g)| t.copy_from_slice(&transform_filter(g)));
    let mut u = vec![0.0f32; 16 * co * ci];
    u.par_chunks_exact_mut(co * ci)
        .enumerate()
        .for_each(|(xi, plane)| {
            for (c, column) in plane.chunks_exact_mut(co).enumerate() {
                for (o, value) in column.iter_mut().enumerate() {
                    *value = t[(o * ci + c) * 16 + xi];
                }
            }
        });
    u
}

/// `G g Gᵀ` (4×4, row-major) of one 3×3 filter `g`.
fn transform_filter(g: &[f32]) -> [f32; 16] {
    // a = G g (4×3), then U = a Gᵀ (4×4).
    let row = |r: [f32; 3]| {
        [
            r[0],
            0.5 * (r[0] + r[1] + r[2]),
            0.5 * (r[0] - r[1] + r[2]),
            r[2],
        ]
    };
    let a: [[f32; 3]; 4] = {
        let cols: [[f32; 4]; 3] = std::array::from_fn(|v| row([g[v], g[3 + v], g[6 + v]]));
        std::array::from_fn(|p| [cols[0][p], cols[1][p], cols[2][p]])
    };
    let rows = a.map(row);
    std::array::from_fn(|xi| rows[xi / 4][xi % 4])
}

/// Adds `Gᵀ dU G` (the adjoint of [`filter_transform_by_columns`]) onto the weight
/// gradient of filters with one input channel.
pub(super) fn filter_transform_adjoint(du: &[f32], co: usize, ci: usize, dweight: &mut [f32]) {
    // Gᵀ applied to a column of four: the adjoint of `row` in the filter transform.
    let back = |d: [f32; 4]| {
        [
            d[0] + 0.5 * (d[1] + d[2]),
            0.5 * (d[1] - d[2]),
            0.5 * (d[1] + d[2]) + d[3],
        ]
    };
    for (f, dg) in dweight.chunks_exact_mut(9).enumerate() {
        let m: [[f32; 4]; 4] =
            std::array::from_fn(|p| std::array::from_fn(|q| du[(p * 4 + q) * co * ci + f]));
        // e[p][v] = Σ_q m[p][q] G[q][v], then dg[u][v] = Σ_p G[p][u] e[p][v].
        let e: [[f32; 3]; 4] = std::array::from_fn(|p| back(m[p]));
        for v in 0..3 {
            let col = back([e[0][v], e[1][v], e[2][v], e[3][v]]);
            for (u, val) in col.into_iter().enumerate() {
                dg[u * 3 + v] += val;
            }
        }
    }
}
