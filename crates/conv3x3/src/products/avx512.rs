//! The AVX-512 kernel of [`super::product`]: blocks of rows × registers of sixteen
//! columns, sums in registers, each element one chain of fused multiply-adds over `k`.

use std::arch::x86_64::*;

#[inline(always)]
fn mask(n: usize) -> __mmask16 {
    if n >= 16 {
        0xffff
    } else {
        ((1u32 << n) - 1) as __mmask16
    }
}

/// `MR` rows × `NC` registers of columns (the last one masked to `cols`). `UNIT`:
/// `A`'s rows are one element apart (`a_rs == 1`), so that the `MR` broadcasts of a
/// step read fixed offsets from one pointer; with the stride a run-time value, the
/// address arithmetic between them took as many instructions as the multiply-adds.
///
/// # Safety
/// The CPU has AVX-512F; `a`, `b` and `c` hold the rows and columns the product
/// reads and writes, at the strides given.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn block<const MR: usize, const NC: usize, const UNIT: bool>(
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
    let a_rs = if UNIT { 1 } else { a_rs };
    let (mut row, mut col) = (b, a);
    for _ in 0..k {
        let bv: [__m512; NC] =
            std::array::from_fn(|j| _mm512_maskz_loadu_ps(masks[j], row.add(16 * j)));
        for (r, acc) in acc.iter_mut().enumerate() {
            let av = _mm512_set1_ps(*col.add(r * a_rs));
            for j in 0..NC {
                acc[j] = _mm512_fmadd_ps(av, bv[j], acc[j]);
            }
        }
        row = row.add(ldb);
        col = col.add(a_cs);
    }
    for (r, acc) in acc.iter().enumerate() {
        let out = c.add(r * ldc);
        for j in 0..NC {
            _mm512_mask_storeu_ps(out.add(16 * j), masks[j], acc[j]);
        }
    }
}

/// Every row of `C` for `NC` registers of columns, [`block`]s of rows and the rest one
/// by one.
///
/// # Safety
/// The CPU has AVX-512F; `a`, `b` and `c` hold the rows and columns the product
/// reads and writes, at the strides given.
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
        if a_strides.0 == 1 {
            block::<8, NC, true>(k, cols, c.add(i * ldc), ldc, ai, a_strides, b, ldb);
        } else {
            block::<8, NC, false>(k, cols, c.add(i * ldc), ldc, ai, a_strides, b, ldb);
        }
        i += 8;
    }
    while i < m {
        let ai = a.add(i * a_strides.0);
        block::<1, NC, false>(k, cols, c.add(i * ldc), ldc, ai, a_strides, b, ldb);
        i += 1;
    }
}

/// The last `T` columns of `C` (`c` and `b` point at the first of them), with vectors
/// over 64 rows of `C` and `A`'s columns contiguous (`A[i][kk]` at `a[i + kk·a_cs]`);
/// each element is the same chain of
/// fused multiply-adds over `kk` as in [`block`], so the result is the same to the bit.
///
/// # Safety
/// The CPU has AVX-512F; `a`, `b` and `c` hold the rows and columns the product
/// reads and writes, at the strides given.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tail_columns<const T: usize>(
    m: usize,
    k: usize,
    c: *mut f32,
    ldc: usize,
    a: *const f32,
    a_cs: usize,
    b: *const f32,
    ldb: usize,
) {
    const R: usize = 4;
    let mut i = 0;
    while i < m {
        let rows = (m - i).min(16 * R);
        let masks: [__mmask16; R] = std::array::from_fn(|r| mask(rows.saturating_sub(16 * r)));
        let mut acc = [[_mm512_setzero_ps(); R]; T];
        for kk in 0..k {
            let col = a.add(i + kk * a_cs);
            let av: [__m512; R] =
                std::array::from_fn(|r| _mm512_maskz_loadu_ps(masks[r], col.add(16 * r)));
            for (t, acc) in acc.iter_mut().enumerate() {
                let bv = _mm512_set1_ps(*b.add(kk * ldb + t));
                for r in 0..R {
                    acc[r] = _mm512_fmadd_ps(av[r], bv, acc[r]);
                }
            }
        }
        for (t, acc) in acc.iter().enumerate() {
            for (r, v) in acc.iter().enumerate() {
                let mut lanes = [0.0f32; 16];
                _mm512_storeu_ps(lanes.as_mut_ptr(), *v);
                for (l, value) in lanes.iter().take(rows.saturating_sub(16 * r)).enumerate() {
                    *c.add((i + 16 * r + l) * ldc + t) = *value;
                }
            }
        }
        i += 16 * R;
    }
}

/// `MR` rows × `NC` whole registers of columns, `A`'s rows contiguous
/// (`A[i][kk]` at `a[i·a_rs + kk]`): the layout of the F(4×4) layer's transformed
/// tiles, whose `k` (channels) runs along a row. One pointer per row, so that each
/// broadcast is one load at a register plus the step, with no stride arithmetic.
/// Each element is the same chain of fused multiply-adds over `kk` as in [`block`].
///
/// # Safety
/// The CPU has AVX-512F; `a`, `b` and `c` hold the rows and columns the product
/// reads and writes, at the strides given.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn block_rows_contiguous<const MR: usize, const NC: usize>(
    k: usize,
    c: *mut f32,
    ldc: usize,
    a: *const f32,
    a_rs: usize,
    b: *const f32,
    ldb: usize,
) {
    let mut rows = [a; MR];
    for (r, row) in rows.iter_mut().enumerate() {
        *row = a.add(r * a_rs);
    }
    let mut acc = [[_mm512_setzero_ps(); NC]; MR];
    for kk in 0..k {
        let line = b.add(kk * ldb);
        let mut bv = [_mm512_setzero_ps(); NC];
        for (j, v) in bv.iter_mut().enumerate() {
            *v = _mm512_loadu_ps(line.add(16 * j));
        }
        for (acc, row) in acc.iter_mut().zip(rows) {
            let av = _mm512_set1_ps(*row.add(kk));
            for j in 0..NC {
                acc[j] = _mm512_fmadd_ps(av, bv[j], acc[j]);
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        for (j, v) in acc.iter().enumerate() {
            _mm512_storeu_ps(c.add(r * ldc + 16 * j), *v);
        }
    }
}

/// `C` in blocks of six rows by 64 columns (24 sums in registers, each step's four
/// loads and six broadcasts feeding 24 multiply-adds), the last rows one at a time.
///
/// # Safety
/// The CPU has AVX-512F; `a`, `b` and `c` hold the rows and columns the product
/// reads and writes, at the strides given.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn product_rows_contiguous(
    (m, n, k): (usize, usize, usize),
    c: *mut f32,
    ldc: usize,
    a: *const f32,
    a_rs: usize,
    b: *const f32,
    ldb: usize,
) {
    for j in (0..n).step_by(64) {
        let (cj, bj) = (c.add(j), b.add(j));
        let mut i = 0;
        while i < m {
            let (ci, ai) = (cj.add(i * ldc), a.add(i * a_rs));
            if i + 6 <= m {
                block_rows_contiguous::<6, 4>(k, ci, ldc, ai, a_rs, bj, ldb);
                i += 6;
            } else {
                block_rows_contiguous::<1, 4>(k, ci, ldc, ai, a_rs, bj, ldb);
                i += 1;
            }
        }
    }
}

/// See [`super::product`]; the caller checks the CPU and the bounds.
///
/// # Safety
/// The CPU has AVX-512F; `a`, `b` and `c` hold the rows and columns the product
/// reads and writes, at the strides given.
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
    if a_strides.1 == 1 && a_strides.0 != 1 && n.is_multiple_of(64) {
        return product_rows_contiguous((m, n, k), c, ldc, a, a_strides.0, b, ldb);
    }
    // A ragged end of a few columns costs a whole vector per row the usual way;
    // with A's columns contiguous it is done the other way round instead.
    let tail = if a_strides.0 == 1 { n % 16 } else { 0 };
    match tail {
        1 => tail_columns::<1>(m, k, c.add(n - 1), ldc, a, a_strides.1, b.add(n - 1), ldb),
        2 => tail_columns::<2>(m, k, c.add(n - 2), ldc, a, a_strides.1, b.add(n - 2), ldb),
        3 => tail_columns::<3>(m, k, c.add(n - 3), ldc, a, a_strides.1, b.add(n - 3), ldb),
        4 => tail_columns::<4>(m, k, c.add(n - 4), ldc, a, a_strides.1, b.add(n - 4), ldb),
        _ => {}
    }
    let main = if (1..=4).contains(&tail) { n - tail } else { n };
    // Blocks of 48 columns (24 sums in registers: each step's loads and broadcasts
    // feed half again as many multiply-adds as with 32), the last one of 32 or 16
    // if that covers the rest.
    let mut j = 0;
    while j < main {
        let cols = (main - j).min(48);
        let (cj, bj) = (c.add(j), b.add(j));
        if cols > 32 {
            rows::<3>(m, k, cols, cj, ldc, a, a_strides, bj, ldb);
        } else if cols > 16 {
            rows::<2>(m, k, cols, cj, ldc, a, a_strides, bj, ldb);
        } else {
            rows::<1>(m, k, cols, cj, ldc, a, a_strides, bj, ldb);
        }
        j += cols;
    }
}
