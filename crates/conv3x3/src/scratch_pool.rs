//! One thread's scratch buffers kept between calls, for the Winograd layers: zeroing a
//! fresh set for every call cost more than some of the transforms.

use std::cell::RefCell;
use std::thread::LocalKey;

/// Scratches a pool keeps at most: a handful of layer shapes are in use; the bound only
/// guards against surprises.
const KEPT: usize = 8;

/// Runs `f` with a scratch from this thread's `pool` that `fits` (or a new one from
/// `make`), then keeps it there for the next call.
pub(super) fn with_pooled<S: 'static, R>(
    pool: &'static LocalKey<RefCell<Vec<S>>>,
    fits: impl Fn(&S) -> bool,
    make: impl FnOnce() -> S,
    f: impl FnOnce(&mut S) -> R,
) -> R {
    let taken = pool.with(|cell| {
        let mut kept = cell.borrow_mut();
        let at = kept.iter().position(&fits);
        at.map(|i| kept.swap_remove(i))
    });
    let mut scratch = taken.unwrap_or_else(make);
    let r = f(&mut scratch);
    pool.with(|cell| {
        let mut kept = cell.borrow_mut();
        if kept.len() < KEPT {
            kept.push(scratch);
        }
    });
    r
}
