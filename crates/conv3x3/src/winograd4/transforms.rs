//! The passes of a tiled layer over a group of images, vectorised across channels:
//! the input copied into a zero-padded channels-last image, `V = B_yᵀ d B_x` of every
//! window of one class of tiles, and `Y = A_yᵀ M A_x` of every tile of the class with its
//! 2×2 max-pools and ReLU, written back planar or channels-last.
//!
//! Why across channels: a 14×14 image has 4×4 tiles of this size, too few to fill
//! sixteen lanes along a row, while every layer this path takes has a multiple of sixteen
//! channels; so a window's element is one contiguous vector load, and no lane idles.
//!
//! Each pass is generic over the class's two one-dimensional algorithms ([`Tile1d`]),
//! so that every loop has constant bounds and unrolls; [`input_transform`] and
//! [`output_transform_pool`] pick the instance by the class's tile size.

// The transforms walk windows by row and by column, indexing both ways on purpose.
#![allow(clippy::needless_range_loop)]

use std::mem::MaybeUninit;

use super::geometry::{Class, Geometry};
use super::matrices::{Tile1d, F1, F2, F3, F4};
use crate::lane_set::LaneSet;
use crate::lanes::{with_lanes, Has, Lanes};

/// Copies the `n` planar images of `x` into the interior of `padded` (channels last, one
/// pixel of border, whose zeros the caller keeps), a vector of channels per gather.
/// `_has` is the proof that the CPU runs the lane set, which its loads and stores
/// need (they are the only vector operations here; see `Has`).
#[inline(always)]
fn pad_channels_last_body<N: Lanes, W: Lanes>(
    _has: (Has<N>, Has<W>),
    g: &Geometry,
    x: &[f32],
    n: usize,
    padded: &mut [f32],
) {
    let (hw, ci) = (g.h * g.w, g.ci);
    assert!(ci.is_multiple_of(W::LANES));
    assert!(x.len() >= n * ci * hw && padded.len() >= n * g.padded_len());
    let (src, dst) = (x.as_ptr(), padded.as_mut_ptr());
    for j in 0..n {
        for y in 0..g.h {
            for xx in 0..g.w {
                let pixel = (j * g.rows + y + 1) * g.cols + xx + 1;
                for cb in (0..ci).step_by(W::LANES) {
                    // SAFETY: channels cb..cb+LANES of pixel (y, xx) of image j are inside
                    // x, and their channels-last slots inside image j of `padded`
                    // (asserted lengths).
                    unsafe {
                        let v = W::gather_first(
                            src.add((j * ci + cb) * hw + y * g.w + xx),
                            hw,
                            W::LANES,
                        );
                        v.store(dst.add(pixel * ci + cb));
                    }
                }
            }
        }
    }
}

with_lanes!(fn pad_channels_last => pad_channels_last_body(
    g: &Geometry, x: &[f32], n: usize, padded: &mut [f32],
));

/// Copies the `n` channels-last images of `x` into the interior of `padded`: one row of
/// pixels at a time, already in the order the padded image keeps them.
pub(super) fn pad_from_channels_last(g: &Geometry, x: &[f32], n: usize, padded: &mut [f32]) {
    let row = g.w * g.ci;
    assert!(x.len() >= n * g.h * row && padded.len() >= n * g.padded_len());
    for (j, image) in x.chunks_exact(g.h * row).take(n).enumerate() {
        for (y, src) in image.chunks_exact(row).enumerate() {
            let at = j * g.padded_len() + ((y + 1) * g.cols + 1) * g.ci;
            padded[at..at + row].copy_from_slice(src);
        }
    }
}

/// `V[ξ][t][c] = (B_yᵀ d B_x)[ξ]` (`ξ = p·nx + q`) for every tile of `class` in the `n`
/// padded images, `W` channels at a time; `t` counts the class's tiles over the group's
/// images.
#[inline(always)]
fn input_class_body<N: Lanes, W: Lanes, Y: Tile1d, X: Tile1d>(
    has: (Has<N>, Has<W>),
    g: &Geometry,
    class: &Class,
    padded: &[f32],
    n: usize,
    v: &mut [f32],
) {
    let (ny, nx) = (Y::M + 2, X::M + 2);
    let (ci, per) = (g.ci, class.origins.len());
    let tiles = n * per;
    assert!((class.my, class.mx) == (Y::M, X::M));
    assert!(ci.is_multiple_of(W::LANES) && padded.len() >= n * g.padded_len());
    assert!(v.len() >= ny * nx * tiles * ci);
    assert!(class
        .origins
        .iter()
        .all(|&(oy, ox)| oy + ny <= g.rows && ox + nx <= g.cols));
    let (src, dst) = (padded.as_ptr(), v.as_mut_ptr());
    for j in 0..n {
        for (t, &(oy, ox)) in class.origins.iter().enumerate() {
            let tile = j * per + t;
            let corner = (j * g.rows + oy) * g.cols + ox;
            for cb in (0..ci).step_by(W::LANES) {
                // SAFETY: the window's rows oy..oy+ny ≤ rows and columns ox..ox+nx ≤ cols
                // (asserted) lie inside image j (asserted length); the stores' last lane
                // is ((ny·nx − 1)·tiles + tile)·ci + cb + LANES − 1 < ny·nx·tiles·ci.
                unsafe {
                    // No closures here: they would not inherit the caller's target
                    // features, and the intrinsics inside them would become calls.
                    let mut e = [[has.1.zero(); 6]; 6];
                    for i in 0..ny {
                        let mut d = [has.1.zero(); 6];
                        for jj in 0..nx {
                            d[jj] = W::load(src.add(((corner + i * g.cols + jj) * ci) + cb));
                        }
                        e[i] = X::times_b(d);
                    }
                    for q in 0..nx {
                        let mut column = [has.1.zero(); 6];
                        for i in 0..ny {
                            column[i] = e[i][q];
                        }
                        let column = Y::times_b(column);
                        for p in 0..ny {
                            column[p].store(dst.add(((p * nx + q) * tiles + tile) * ci + cb));
                        }
                    }
                }
            }
        }
    }
}

with_lanes!(fn input_class<Y: Tile1d, X: Tile1d> => input_class_body(
    g: &Geometry, class: &Class, padded: &[f32], n: usize, v: &mut [f32],
));

/// Runs `$f::<Y, X>(args)` with the algorithms of `class`'s tile sizes.
macro_rules! by_tile_size {
    ($class:expr, $f:ident $args:tt) => {
        by_tile_size!(@down $class, $f $args, [1 F1, 2 F2, 3 F3, 4 F4])
    };
    (@down $class:expr, $f:ident $args:tt, [$($m:literal $t:ident),*]) => {
        match $class.my {
            $($m => by_tile_size!(@along $t, $class, $f $args, [1 F1, 2 F2, 3 F3, 4 F4]),)*
            my => unreachable!("no F({my}, 3) here"),
        }
    };
    (@along $y:ident, $class:expr, $f:ident $args:tt, [$($m:literal $t:ident),*]) => {
        match $class.mx {
            $($m => $f::<$y, $t> $args,)*
            mx => unreachable!("no F({mx}, 3) here"),
        }
    };
}

/// [`input_class_body`] for `class`, with the lanes `lanes`.
pub(super) fn input_transform(
    lanes: LaneSet,
    (g, class): (&Geometry, &Class),
    padded: &[f32],
    n: usize,
    v: &mut [f32],
) {
    by_tile_size!(class, input_class(lanes, g, class, padded, n, v))
}

/// From `M[ξ][t][o]` of `class`: every tile's `Y = A_yᵀ M A_x`, its 2×2 max-pools and
/// ReLU, into the `n` pooled images of `out`, planar or (with `channels_last`)
/// channels-last. The classes' tiles together write every element of `out`.
#[inline(always)]
fn output_class_body<N: Lanes, W: Lanes, Y: Tile1d, X: Tile1d>(
    has: (Has<N>, Has<W>),
    g: &Geometry,
    class: &Class,
    m: &[f32],
    n: usize,
    out: &mut [MaybeUninit<f32>],
    channels_last: bool,
) {
    let (ny, nx) = (Y::M + 2, X::M + 2);
    let (co, per) = (g.co, class.origins.len());
    let tiles = n * per;
    let (ph, pw) = g.pooled();
    assert!((class.my, class.mx) == (Y::M, X::M));
    assert!(co.is_multiple_of(W::LANES) && m.len() >= ny * nx * tiles * co);
    assert_eq!(out.len(), n * co * ph * pw);
    assert!(class
        .origins
        .iter()
        .all(|&(oy, ox)| { oy % 2 == 0 && ox % 2 == 0 && oy + Y::M <= g.h && ox + X::M <= g.w }));
    // Every element is written by some class; `MaybeUninit<f32>` has the layout of `f32`.
    let (src, dst) = (m.as_ptr(), out.as_mut_ptr().cast::<f32>());
    for j in 0..n {
        for (t, &(oy, ox)) in class.origins.iter().enumerate() {
            let tile = j * per + t;
            for ob in (0..co).step_by(W::LANES) {
                // No closures here (see `input_class_body`).
                let mut f = [[has.1.zero(); 4]; 6];
                for p in 0..ny {
                    let mut row = [has.1.zero(); 6];
                    for q in 0..nx {
                        // SAFETY: (ξ·tiles + tile)·co + ob + LANES − 1 < ny·nx·tiles·co.
                        row[q] =
                            unsafe { W::load(src.add(((p * nx + q) * tiles + tile) * co + ob)) };
                    }
                    f[p] = X::times_a(row);
                }
                let mut y = [[has.1.zero(); 4]; 4];
                for b in 0..X::M {
                    let mut column = [has.1.zero(); 6];
                    for p in 0..ny {
                        column[p] = f[p][b];
                    }
                    let column = Y::times_a(column);
                    for a in 0..Y::M {
                        y[a][b] = column[a];
                    }
                }
                // A tile's outputs are all inside the image and it starts at an even
                // output (asserted), so its pooling windows are its own; one past an odd
                // side's end takes no part, as in SAME pooling.
                for pa in 0..Y::M.div_ceil(2) {
                    let py = oy / 2 + pa;
                    for pb in 0..X::M.div_ceil(2) {
                        let px = ox / 2 + pb;
                        let mut best = y[2 * pa][2 * pb];
                        if 2 * pb + 1 < X::M {
                            best = best.max(y[2 * pa][2 * pb + 1]);
                        }
                        if 2 * pa + 1 < Y::M {
                            best = best.max(y[2 * pa + 1][2 * pb]);
                            if 2 * pb + 1 < X::M {
                                best = best.max(y[2 * pa + 1][2 * pb + 1]);
                            }
                        }
                        let value = best.max(has.1.zero());
                        // SAFETY: py < ph and px < pw (the tile is inside the image), and
                        // channel ob + LANES − 1 of image j < n·co, so the last lane's
                        // element is inside `out` (asserted length) in either layout.
                        unsafe {
                            if channels_last {
                                let at = ((j * ph + py) * pw + px) * co + ob;
                                value.store(dst.add(at));
                            } else {
                                let at = (j * co + ob) * ph * pw + py * pw + px;
                                value.scatter(dst.add(at), ph * pw);
                            }
                        }
                    }
                }
            }
        }
    }
}

with_lanes!(fn output_class<Y: Tile1d, X: Tile1d> => output_class_body(
    g: &Geometry, class: &Class, m: &[f32], n: usize, out: &mut [MaybeUninit<f32>],
    channels_last: bool,
));

/// [`output_class_body`] for `class`, with the lanes `lanes`.
pub(super) fn output_transform_pool(
    lanes: LaneSet,
    (g, class): (&Geometry, &Class),
    m: &[f32],
    n: usize,
    out: &mut [MaybeUninit<f32>],
    channels_last: bool,
) {
    by_tile_size!(
        class,
        output_class(lanes, g, class, m, n, out, channels_last)
    )
}
