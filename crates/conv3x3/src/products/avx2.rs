//! The AVX2 kernel of [`super::product`]: blocks of six rows × two registers of eight
//! columns (twelve sums in registers, with two loads of `B` and six broadcasts of `A` a
//! step, within AVX2's sixteen registers), each element one chain of fused
//! multiply-adds over `k` from zero, as in the AVX-512 kernel (so both give the same
//! bits, and so does gemm for the training layer's products).
//!
//! Why not gemm here: at the Winograd layers' sizes (an inner dimension of 32 or 64, a
//! hundred columns) gemm's per-call set-up and packing are a good part of the work. A
//! ragged last block stores through the stack: AMD's cores microcode `vmaskmovps`
//! stores, and a kernel that used them lost to gemm.

use std::arch::x86_64::*;

use crate::lanes::first_lanes;

/// Rows per block.
const MR: usize = 6;
/// Registers of eight columns per full block.
const NC: usize = 2;
/// Columns per full block.
const COLUMNS: usize = 8 * NC;

/// How a block reads `A`: its rows one element apart (`a_rs == 1`: the training layer's
/// filters), each row contiguous (`a_cs == 1`: inference's transformed tiles), or
/// otherwise. A constant, so that a step's broadcasts need no address arithmetic beyond
/// one register: with a pointer per row stepped by a run-time stride, that arithmetic
/// made this kernel slower than gemm.
struct Walk;

impl Walk {
    const ROWS_ADJACENT: u8 = 0;
    const ROWS_CONTIGUOUS: u8 = 1;
    const STRIDED: u8 = 2;
}

/// `R` rows × `C` registers of columns, the first `cols` of them (all `8·C` with `FULL`;
/// else masked loads of `B`, and the sums stored through the stack, touching only those
/// columns of `C`).
///
/// # Safety
/// The CPU has AVX2 and FMA; `a`, `b` and `c` hold the rows and columns the
/// product reads and writes, at the strides given.
#[inline(always)]
unsafe fn block<const R: usize, const C: usize, const FULL: bool, const WALK: u8>(
    k: usize,
    cols: usize,
    (c, ldc): (*mut f32, usize),
    (a, (a_rs, a_cs)): (*const f32, (usize, usize)),
    (b, ldb): (*const f32, usize),
) {
    let mut masks = [_mm256_setzero_si256(); C];
    if !FULL {
        for (j, mask) in masks.iter_mut().enumerate() {
            *mask = first_lanes(cols.saturating_sub(8 * j));
        }
    }
    let mut rows = [a; R];
    for (r, row) in rows.iter_mut().enumerate() {
        *row = a.add(r * a_rs);
    }
    let mut acc = [[_mm256_setzero_ps(); C]; R];
    let mut line = b;
    for kk in 0..k {
        let mut bv = [_mm256_setzero_ps(); C];
        for (j, v) in bv.iter_mut().enumerate() {
            *v = if FULL {
                _mm256_loadu_ps(line.add(8 * j))
            } else {
                _mm256_maskload_ps(line.add(8 * j), masks[j])
            };
        }
        if WALK == Walk::ROWS_ADJACENT {
            for (r, acc) in acc.iter_mut().enumerate() {
                let av = _mm256_broadcast_ss(&*rows[0].add(r));
                for j in 0..C {
                    acc[j] = _mm256_fmadd_ps(av, bv[j], acc[j]);
                }
            }
            rows[0] = rows[0].add(a_cs);
        } else if WALK == Walk::ROWS_CONTIGUOUS {
            for (acc, row) in acc.iter_mut().zip(rows) {
                let av = _mm256_broadcast_ss(&*row.add(kk));
                for j in 0..C {
                    acc[j] = _mm256_fmadd_ps(av, bv[j], acc[j]);
                }
            }
        } else {
            for (acc, row) in acc.iter_mut().zip(rows.iter_mut()) {
                let av = _mm256_broadcast_ss(&**row);
                for j in 0..C {
                    acc[j] = _mm256_fmadd_ps(av, bv[j], acc[j]);
                }
                *row = row.add(a_cs);
            }
        }
        line = line.add(ldb);
    }
    for (r, acc) in acc.iter().enumerate() {
        let out = c.add(r * ldc);
        if FULL {
            for (j, v) in acc.iter().enumerate() {
                _mm256_storeu_ps(out.add(8 * j), *v);
            }
        } else {
            let mut lanes = [0.0f32; 16];
            for (j, v) in acc.iter().enumerate() {
                _mm256_storeu_ps(lanes.as_mut_ptr().add(8 * j), *v);
            }
            std::ptr::copy_nonoverlapping(lanes.as_ptr(), out, cols);
        }
    }
}

/// Every row of one block of `cols` columns, [`MR`] at a time and the rest one by one.
///
/// # Safety
/// The CPU has AVX2 and FMA; `a`, `b` and `c` hold the rows and columns the
/// product reads and writes, at the strides given.
#[inline(always)]
unsafe fn column_block<const C: usize, const FULL: bool>(
    (m, k, cols): (usize, usize, usize),
    (c, ldc): (*mut f32, usize),
    (a, (a_rs, a_cs)): (*const f32, (usize, usize)),
    b: (*const f32, usize),
) {
    let mut i = 0;
    while i + MR <= m {
        let (ci, a) = ((c.add(i * ldc), ldc), (a.add(i * a_rs), (a_rs, a_cs)));
        match (a_rs, a_cs) {
            (1, _) => block::<MR, C, FULL, { Walk::ROWS_ADJACENT }>(k, cols, ci, a, b),
            (_, 1) => block::<MR, C, FULL, { Walk::ROWS_CONTIGUOUS }>(k, cols, ci, a, b),
            _ => block::<MR, C, FULL, { Walk::STRIDED }>(k, cols, ci, a, b),
        }
        i += MR;
    }
    while i < m {
        let (ci, a) = ((c.add(i * ldc), ldc), (a.add(i * a_rs), (a_rs, a_cs)));
        block::<1, C, FULL, { Walk::STRIDED }>(k, cols, ci, a, b);
        i += 1;
    }
}

/// See [`super::product`]; the caller checks the CPU and the bounds.
///
/// # Safety
/// The CPU has AVX2 and FMA; `a`, `b` and `c` hold the rows and columns the
/// product reads and writes, at the strides given.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn product(
    (m, n, k): (usize, usize, usize),
    (c, ldc): (*mut f32, usize),
    a: (*const f32, (usize, usize)),
    (b, ldb): (*const f32, usize),
) {
    let mut j = 0;
    while j < n {
        let cols = (n - j).min(COLUMNS);
        let (cj, bj) = ((c.add(j), ldc), (b.add(j), ldb));
        match cols {
            COLUMNS => column_block::<NC, true>((m, k, cols), cj, a, bj),
            8 => column_block::<1, true>((m, k, cols), cj, a, bj),
            1..8 => column_block::<1, false>((m, k, cols), cj, a, bj),
            _ => column_block::<NC, false>((m, k, cols), cj, a, bj),
        }
        j += cols;
    }
}
