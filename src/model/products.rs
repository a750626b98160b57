//! The small matrix products of the Winograd layers.
//!
//! Why not only the `gemm` crate: a layer makes sixteen products per group of images,
//! each with an inner dimension of 32 or 64 and about a hundred columns; at that size a
//! general kernel's per-call set-up and packing cost a good part of the arithmetic. On
//! CPUs with AVX-512 a small kernel that reads its operands in place does them (the
//! forward pass of the seed network's conv2 took about 8 % less time); elsewhere, and for
//! the weight gradient's product (a long inner dimension), the `gemm` crate does.

/// `c[i·ldc + j] = Σ_k a[i·a_rs + k·a_cs] · b[k·ldb + j]` for `i < m`, `j < n`: `B` and
/// `C` have contiguous rows; `A` is read one element at a time.
#[allow(clippy::too_many_arguments)]
pub fn product(
    m: usize,
    n: usize,
    k: usize,
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
    if super::winograd::lanes_in_use() == super::winograd::LaneSet::Avx512 {
        // SAFETY: the CPU has AVX-512F; `check_bounds` keeps every access inside the slices.
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
    general(m, n, k, c, (ldc, 1), false, a, (a_rs, a_cs), b, (ldb, 1));
}

/// Asserts that `C (m×n)`, `A (m×k)` and `B (k×n)`, each a length and its (row, column)
/// strides, hold every element a product reaches.
fn check_bounds(
    (m, n, k): (usize, usize, usize),
    (c_len, c): (usize, (usize, usize)),
    (a_len, a): (usize, (usize, usize)),
    (b_len, b): (usize, (usize, usize)),
) {
    let last =
        |(rs, cs): (usize, usize), rows: usize, cols: usize| (rows - 1) * rs + (cols - 1) * cs;
    assert!(m > 0 && n > 0 && k > 0);
    assert!(last(c, m, n) < c_len && last(a, m, k) < a_len && last(b, k, n) < b_len);
}

/// `c (+)= A · B` (`m×n`, `m×k`, `k×n`) by the `gemm` crate, each matrix given by its row
/// and column strides.
#[allow(clippy::too_many_arguments)]
pub fn general(
    m: usize,
    n: usize,
    k: usize,
    c: &mut [f32],
    (c_rs, c_cs): (usize, usize),
    accumulate: bool,
    a: &[f32],
    (a_rs, a_cs): (usize, usize),
    b: &[f32],
    (b_rs, b_cs): (usize, usize),
) {
    check_bounds(
        (m, n, k),
        (c.len(), (c_rs, c_cs)),
        (a.len(), (a_rs, a_cs)),
        (b.len(), (b_rs, b_cs)),
    );
    // SAFETY: `check_bounds` keeps every element the strides reach inside the slices.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            c_cs as isize,
            c_rs as isize,
            accumulate,
            a.as_ptr(),
            a_cs as isize,
            a_rs as isize,
            b.as_ptr(),
            b_cs as isize,
            b_rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    #[inline(always)]
    fn mask(n: usize) -> __mmask16 {
        if n >= 16 {
            0xffff
        } else {
            ((1u32 << n) - 1) as __mmask16
        }
    }

    /// `MR` rows × `NC` registers of columns (the last one masked to `cols`).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn block<const MR: usize, const NC: usize>(
        k: usize,
        cols: usize,
        c: *mut f32,
        ldc: usize,
        a: *const f32,
        (a_rs, a_cs): (usize, usize),
        b: *const f32,
        ldb: usize,
    ) {
        let masks: [__mmask16; NC] = std::array::from_fn(|j| mask(cols.saturating_sub(16 * j)));
        let mut acc = [[_mm512_setzero_ps(); NC]; MR];
        for kk in 0..k {
            let row = b.add(kk * ldb);
            let bv: [__m512; NC] =
                std::array::from_fn(|j| _mm512_maskz_loadu_ps(masks[j], row.add(16 * j)));
            for (r, acc) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_ps(*a.add(r * a_rs + kk * a_cs));
                for j in 0..NC {
                    acc[j] = _mm512_fmadd_ps(av, bv[j], acc[j]);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            let out = c.add(r * ldc);
            for j in 0..NC {
                _mm512_mask_storeu_ps(out.add(16 * j), masks[j], acc[j]);
            }
        }
    }

    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn rows<const NC: usize>(
        m: usize,
        k: usize,
        cols: usize,
        c: *mut f32,
        ldc: usize,
        a: *const f32,
        a_strides: (usize, usize),
        b: *const f32,
        ldb: usize,
    ) {
        let mut i = 0;
        while i + 8 <= m {
            let ai = a.add(i * a_strides.0);
            block::<8, NC>(k, cols, c.add(i * ldc), ldc, ai, a_strides, b, ldb);
            i += 8;
        }
        while i < m {
            let ai = a.add(i * a_strides.0);
            block::<1, NC>(k, cols, c.add(i * ldc), ldc, ai, a_strides, b, ldb);
            i += 1;
        }
    }

    /// See [`super::product`]; the caller checks the CPU and the bounds.
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn product(
        m: usize,
        n: usize,
        k: usize,
        c: *mut f32,
        ldc: usize,
        a: *const f32,
        a_strides: (usize, usize),
        b: *const f32,
        ldb: usize,
    ) {
        // Blocks of 32 columns, a last one of 16 if that covers the rest.
        let mut j = 0;
        while j < n {
            let cols = (n - j).min(32);
            let (cj, bj) = (c.add(j), b.add(j));
            if cols > 16 {
                rows::<2>(m, k, cols, cj, ldc, a, a_strides, bj, ldb);
            } else {
                rows::<1>(m, k, cols, cj, ldc, a, a_strides, bj, ldb);
            }
            j += cols;
        }
    }
}
