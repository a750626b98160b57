//! The small matrix products of the Winograd layers.
//!
//! Why not only the `gemm` crate: a layer makes sixteen products per group of images,
//! each with an inner dimension of 32 or 64 and about a hundred columns; at that size a
//! general kernel's per-call set-up and packing cost a good part of the arithmetic. On
//! CPUs with AVX-512 or AVX2 a small kernel that reads its operands in place does them
//! (`avx512.rs`: the forward pass of the seed network's conv2 took about 8 % less time;
//! `avx2.rs`); elsewhere, and for the weight gradient's product (a long inner
//! dimension), the `gemm` crate does.

use super::general::{check_bounds, general};
use super::lane_set::LaneSet;

/// `c[i·ldc + j] = Σ_k a[i·a_rs + k·a_cs] · b[k·ldb + j]` for `i < m`, `j < n`: `B` and
/// `C` have contiguous rows; `A` is read one element at a time.
///
/// `lanes` says which of our kernels may run, the AVX-512 one or the AVX2 one; the
/// portable set uses `gemm` (which has kernels for every target, NEON included).
#[allow(clippy::too_many_arguments)]
pub fn product(
    lanes: LaneSet,
    (m, n, k): (usize, usize, usize),
    c: &mut [f32],
    ldc: usize,
    a: &[f32],
    (a_rs, a_cs): (usize, usize),
    b: &[f32],
    ldb: usize,
) {
    check_bounds(
        (m, n, k),
        (c.len(), (ldc, 1)),
        (a.len(), (a_rs, a_cs)),
        (b.len(), (ldb, 1)),
    );
    #[cfg(target_arch = "x86_64")]
    if lanes == LaneSet::Avx512 {
        assert!(lanes.is_available(), "this CPU cannot run AVX-512");
        // SAFETY: the CPU has AVX-512F (asserted); `check_bounds` keeps every access
        // inside the slices.
        unsafe {
            avx512::product(
                m,
                n,
                k,
                c.as_mut_ptr(),
                ldc,
                a.as_ptr(),
                (a_rs, a_cs),
                b.as_ptr(),
                ldb,
            )
        };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if lanes == LaneSet::Avx2 {
        assert!(lanes.is_available(), "this CPU cannot run AVX2 and FMA");
        // SAFETY: the CPU has AVX2 and FMA (asserted); `check_bounds` keeps every access
        // inside the slices.
        unsafe {
            avx2::product(
                (m, n, k),
                (c.as_mut_ptr(), ldc),
                (a.as_ptr(), (a_rs, a_cs)),
                (b.as_ptr(), ldb),
            )
        };
        return;
    }
    let _ = lanes;
    general((m, n, k), c, (ldc, 1), false, a, (a_rs, a_cs), b, (ldb, 1));
}

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;

#[cfg(test)]
mod tests {
    use super::product;
    use crate::LaneSet;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / 8_388_608.0 - 1.0
            })
            .collect()
    }

    /// `A` by rows and by columns (which takes the ragged-end path on AVX-512, and by
    /// rows over whole blocks of 64 columns the six-row block) give the same bits, and
    /// both match a plain f64 sum.
    #[test]
    fn a_by_rows_and_by_columns_agree_with_every_lane_set() {
        for lanes in LaneSet::available() {
            a_by_rows_and_by_columns_agree(lanes);
        }
    }

    fn a_by_rows_and_by_columns_agree(lanes: LaneSet) {
        let ours = lanes != LaneSet::Portable;
        for (m, n, k) in [
            (64, 98, 32),
            (32, 98, 64),
            (5, 17, 3),
            (70, 33, 9),
            (64, 20, 1),
            // Whole blocks of 64 columns with A by rows: the six-row block and its
            // one-row remainder.
            (50, 64, 32),
            (13, 128, 16),
        ] {
            let a = values(m * k, 1);
            let mut a_columns = vec![0.0; m * k];
            for i in 0..m {
                for kk in 0..k {
                    a_columns[kk * m + i] = a[i * k + kk];
                }
            }
            let ldb = n + 3;
            let b = values(k * ldb, 2);
            let (mut by_rows, mut by_columns) = (vec![0.0; m * n], vec![0.0; m * n]);
            product(lanes, (m, n, k), &mut by_rows, n, &a, (k, 1), &b, ldb);
            product(
                lanes,
                (m, n, k),
                &mut by_columns,
                n,
                &a_columns,
                (1, m),
                &b,
                ldb,
            );
            for i in 0..m {
                for j in 0..n {
                    let exact: f64 = (0..k)
                        .map(|kk| a[i * k + kk] as f64 * b[kk * ldb + j] as f64)
                        .sum();
                    let (r, c) = (by_rows[i * n + j], by_columns[i * n + j]);
                    // Bit for bit where our kernels run; gemm may order its sums by layout.
                    if ours {
                        assert_eq!(r.to_bits(), c.to_bits(), "{m}×{n}×{k} at ({i}, {j})");
                    }
                    for got in [r, c] {
                        assert!((got as f64 - exact).abs() < 1e-4 * (1.0 + exact.abs()));
                    }
                }
            }
        }
    }

    /// The AVX2 and AVX-512 kernels sum each element in the same order (one fused
    /// multiply-add per step of `k`, from zero), so they give the same bits: a network's
    /// inference does not depend on which of them the CPU has. Every way of reading `A`,
    /// and ragged column blocks of both widths.
    #[test]
    fn the_avx2_and_avx512_kernels_give_the_same_bits() {
        if !(LaneSet::Avx2.is_available() && LaneSet::Avx512.is_available()) {
            return;
        }
        for (m, n, k, a_strides) in [
            (64, 98, 32, (1, 64)),
            (54, 64, 32, (32, 1)),
            (7, 29, 5, (5, 1)),
            (13, 21, 6, (1, 13)),
            (9, 5, 4, (8, 2)),
        ] {
            let (a, b) = (values(m * k * 2, 3), values(k * n, 4));
            let [x, y] = [LaneSet::Avx2, LaneSet::Avx512].map(|lanes| {
                let mut c = vec![0.0f32; m * n];
                product(lanes, (m, n, k), &mut c, n, &a, a_strides, &b, n);
                c.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            });
            assert!(x == y, "{m}×{n}×{k}");
        }
    }
}
