//! General matrix products on the `gemm` crate: on one thread, on gemm's own split over
//! several, or cut into column tasks (the dense layers' forward pass at a training batch).
//!
//! gemm never splits an inner sum: each element of `C` is one chain of multiply-adds over
//! `k` whichever thread runs it, so results do not depend on the thread count.

/// Asserts that `C (m×n)`, `A (m×k)` and `B (k×n)`, each a length and its (row, column)
/// strides, hold every element a product reaches.
pub(super) fn check_bounds(
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
    (m, n, k): (usize, usize, usize),
    c: &mut [f32],
    c_strides: (usize, usize),
    accumulate: bool,
    a: &[f32],
    a_strides: (usize, usize),
    b: &[f32],
    b_strides: (usize, usize),
) {
    general_on_threads(
        1,
        (m, n, k),
        (c, c_strides, accumulate),
        (a, a_strides),
        (b, b_strides),
    );
}

/// [`general`] on `threads` threads of the current rayon pool. gemm cuts the work by the
/// shape and the thread count, but never an inner sum: each element of `C` is one chain
/// over `k`, whichever thread runs it.
#[allow(clippy::type_complexity)]
pub fn general_on_threads(
    threads: usize,
    (m, n, k): (usize, usize, usize),
    (c, (c_rs, c_cs), accumulate): (&mut [f32], (usize, usize), bool),
    (a, (a_rs, a_cs)): (&[f32], (usize, usize)),
    (b, (b_rs, b_cs)): (&[f32], (usize, usize)),
) {
    check_bounds(
        (m, n, k),
        (c.len(), (c_rs, c_cs)),
        (a.len(), (a_rs, a_cs)),
        (b.len(), (b_rs, b_cs)),
    );
    let parallelism = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    let c = (c.as_mut_ptr(), (c_rs, c_cs), accumulate);
    // SAFETY: `check_bounds` keeps every element the strides reach inside the slices.
    unsafe {
        gemm_at(
            (m, n, k),
            c,
            (a.as_ptr(), (a_rs, a_cs)),
            (b.as_ptr(), (b_rs, b_cs)),
            parallelism,
        )
    };
}

/// One call of gemm on pointers, each matrix by its (row, column) strides.
///
/// # Safety
/// Every element the strides reach from each pointer, over `m×n`, `m×k` and `k×n`, is
/// inside one allocation; nothing else writes `C`'s elements meanwhile.
#[allow(clippy::type_complexity)]
unsafe fn gemm_at(
    (m, n, k): (usize, usize, usize),
    (c, (c_rs, c_cs), accumulate): (*mut f32, (usize, usize), bool),
    (a, (a_rs, a_cs)): (*const f32, (usize, usize)),
    (b, (b_rs, b_cs)): (*const f32, (usize, usize)),
    parallelism: gemm::Parallelism,
) {
    let stride = |s: usize| s as isize;
    gemm::gemm(
        m,
        n,
        k,
        c,
        stride(c_cs),
        stride(c_rs),
        accumulate,
        a,
        stride(a_cs),
        stride(a_rs),
        b,
        stride(b_cs),
        stride(b_rs),
        1.0,
        1.0,
        false,
        false,
        false,
        parallelism,
    )
}

/// Rows of `A` up to which [`general_on_pool`] cuts the product into column tasks: a
/// training batch. Each task packs all of `A`'s rows for itself, so inference's batches
/// of a thousand (8 MB of rows a task for the deep model's dense layer, and packing a
/// tenth of its inference profile when cut) go to gemm's own split, which packs them once.
pub const COLUMN_TASK_ROWS: usize = 128;

/// `c (+)= A · B` with `C` row-major (`ldc` apart) on every thread of the current pool:
/// in column tasks ([`general_in_column_tasks`]) when `A` is short, by gemm's own split
/// otherwise. For the dense layers' shapes both give each element the same chain of
/// multiply-adds (tested), so a batch's size does not change its images' results.
#[allow(clippy::type_complexity)]
pub fn general_on_pool(
    (m, n, k): (usize, usize, usize),
    (c, ldc, accumulate): (&mut [f32], usize, bool),
    a: (&[f32], (usize, usize)),
    b: (&[f32], (usize, usize)),
) {
    if m <= COLUMN_TASK_ROWS {
        general_in_column_tasks((m, n, k), (c, ldc, accumulate), a, b);
    } else {
        let threads = rayon::current_num_threads();
        general_on_threads(threads, (m, n, k), (c, (ldc, 1), accumulate), a, b);
    }
}

/// Output columns per task of [`general_in_column_tasks`]: a multiple of 16, the width of
/// gemm's AVX-512 microkernel, so that every task but the last covers whole microkernel
/// tiles (for the dense layers' shapes each output is then the same chain of
/// multiply-adds as in one product over all columns: tested).
pub const COLUMN_TASK: usize = 64;

/// `C`'s first element, shared by the tasks of [`general_in_column_tasks`], each of which
/// writes its own columns of `C`.
struct SharedColumns(*mut f32);

// SAFETY: the tasks that share the pointer write disjoint columns of `C`, which the
// caller lends mutably for the whole product; see `general_in_column_tasks`.
unsafe impl Sync for SharedColumns {}

impl SharedColumns {
    /// The element `offset` places on (a method, so that tasks capture the whole `Sync`
    /// struct rather than its raw pointer).
    fn at(&self, offset: usize) -> *mut f32 {
        self.0.wrapping_add(offset)
    }
}

/// `c (+)= A · B` with `C` row-major (`ldc` apart), cut into tasks of [`COLUMN_TASK`]
/// columns, each one single-threaded gemm on a thread of the current pool.
///
/// Why: for the deep model's dense forward pass at a training batch (`100 × 625`
/// outputs, 2 048 terms each) gemm's own split across two threads ran 1.7–2× slower
/// than the same product cut by columns like this (4.3–5.5 ms against 2.5–2.7 ms a
/// batch), while its two backward products (short or wide) ran as fast either way. The
/// cut does not depend on the thread count, so neither do the results. It is for short
/// `A`s: each task packs all of `A` for itself (a thousand rows of 2 048 are 8 MB a task).
#[allow(clippy::type_complexity)]
fn general_in_column_tasks(
    (m, n, k): (usize, usize, usize),
    (c, ldc, accumulate): (&mut [f32], usize, bool),
    (a, (a_rs, a_cs)): (&[f32], (usize, usize)),
    (b, (b_rs, b_cs)): (&[f32], (usize, usize)),
) {
    use rayon::prelude::*;
    check_bounds(
        (m, n, k),
        (c.len(), (ldc, 1)),
        (a.len(), (a_rs, a_cs)),
        (b.len(), (b_rs, b_cs)),
    );
    assert!(ldc >= n, "rows of C may not overlap");
    let shared = SharedColumns(c.as_mut_ptr());
    (0..n.div_ceil(COLUMN_TASK))
        .into_par_iter()
        .for_each(|task| {
            let first = task * COLUMN_TASK;
            let cols = COLUMN_TASK.min(n - first);
            // SAFETY: `check_bounds` keeps every element the strides reach, for all `n`
            // columns, inside the slices; this task's columns `first..first + cols` of `C`
            // are written by no other task (rows are `ldc ≥ n` apart), and `c` is borrowed
            // mutably until every task has returned.
            unsafe {
                gemm_at(
                    (m, cols, k),
                    (shared.at(first), (ldc, 1), accumulate),
                    (a.as_ptr(), (a_rs, a_cs)),
                    (b.as_ptr().add(first * b_cs), (b_rs, b_cs)),
                    gemm::Parallelism::None,
                )
            };
        });
}

#[cfg(test)]
mod tests {
    use super::{general_in_column_tasks, general_on_threads};
    use crate::reference::random;

    /// Cut into column tasks, a product has the same bits on one thread or two, with or
    /// without adding onto what `C` held. For the dense layers' shapes they are the bits
    /// of one gemm over all columns, and so are those of gemm's own split over two
    /// threads (which the dense layer uses for big batches), so neither the cut nor the
    /// batch size changes a result; a ragged last task of a couple of columns may take
    /// another gemm kernel, so elsewhere they are only close.
    #[test]
    fn a_product_cut_into_column_tasks_does_not_depend_on_the_threads() {
        for (m, n, k, dense) in [
            (100, 625, 2048, true),
            (1000, 625, 2048, true),
            (100, 10, 3136, true),
            (100, 10, 625, true),
            (7, 64, 30, false),
            (20, 130, 5, false),
        ] {
            let a = random(m * k, 3);
            let b = random(k * n, 4);
            let start = random(m * n, 5);
            for accumulate in [false, true] {
                let mut whole = start.clone();
                let c = (&mut whole[..], (n, 1), accumulate);
                general_on_threads(1, (m, n, k), c, (&a, (k, 1)), (&b, (1, k)));
                let cut: Vec<Vec<f32>> = [1, 2]
                    .map(|threads| {
                        let pool = rayon::ThreadPoolBuilder::new()
                            .num_threads(threads)
                            .build()
                            .unwrap();
                        let mut cut = start.clone();
                        pool.install(|| {
                            let c = (&mut cut[..], n, accumulate);
                            general_in_column_tasks((m, n, k), c, (&a, (k, 1)), (&b, (1, k)));
                        });
                        cut
                    })
                    .into();
                let mut split = start.clone();
                rayon::ThreadPoolBuilder::new()
                    .num_threads(2)
                    .build()
                    .unwrap()
                    .install(|| {
                        let c = (&mut split[..], (n, 1), accumulate);
                        general_on_threads(2, (m, n, k), c, (&a, (k, 1)), (&b, (1, k)));
                    });
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert!(
                    bits(&split) == bits(&whole),
                    "gemm's own split changed the bits"
                );
                let at = format!("{m}×{n}×{k}, adding {accumulate}");
                assert!(bits(&cut[0]) == bits(&cut[1]), "{at}: threads differ");
                assert!(
                    !dense || bits(&cut[0]) == bits(&whole),
                    "{at}: not the whole's"
                );
                for (x, y) in whole.iter().zip(&cut[0]) {
                    assert!((x - y).abs() <= 1e-5 * (1.0 + x.abs()), "{at}");
                }
            }
        }
    }
}
