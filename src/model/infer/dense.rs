//! Inference through a dense layer with many outputs (the deep model's 2 048 → 625) on
//! our own AVX-512 product kernel, in tasks of a few dozen images each.
//!
//! Why: at an inference batch of 1 000 images, gemm's own split over two threads ran this
//! product at 1.74× its one-thread speed (16.1 ms against 28.0 ms a batch), packing all
//! of the batch's features (8 MB) before the threads share the work. In tasks of rows
//! nothing waits for a pack, and the kernel reads its operands in place: each task's
//! rows against one block of 64 transposed weight columns (512 KB, kept in L2) at a time.
//!
//! Each output is one chain of fused multiply-adds over the inputs in order, then the
//! bias: the same bits for every batch size, task and thread, but not the bits of the
//! training pass's product (gemm sums in blocks), from which it differs by rounding.
//! Smaller layers stay on the training pass's gemm product.
//!
//! Every layer fed by the conv stack takes its maps in the order the stack writes them
//! ([`InputOrder`]): channels-last, its weight's columns permuted once to match, so the
//! stack's last layer needs no scatter into planes.

use rayon::prelude::*;

use super::planar_to_channels_last;
use crate::model::copies::ReusedCopy;
use crate::model::dense::dense_forward;
use conv3x3::{product, LaneSet, MapLayout};

/// Output columns of one block of the product kernel: the transposed weight's rows are
/// padded with zeros to a multiple of this.
const COLUMN_BLOCK: usize = 64;

/// Rows (images) per task: a multiple of the kernel's six-row block, and a 1 000-image
/// batch makes 21 tasks, enough to keep 16 threads busy.
const ROWS_PER_TASK: usize = 48;

/// Rows of the transposed weight each task of [`transpose_padded`] writes: sixteen
/// inputs are one cache line of a weight row.
const TRANSPOSE_ROWS: usize = 16;

/// The order of a dense layer's inputs at inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputOrder {
    /// As in training: flat vectors, or conv maps flattened channel by channel.
    AsTrained,
    /// Conv maps of this many channels, channels-last (as the conv stack writes them
    /// without a scatter): the weight's columns are permuted to match.
    ChannelsLast(usize),
}

impl InputOrder {
    /// The order of maps of `channels` channels in `layout`.
    pub fn of(layout: MapLayout, channels: usize) -> Self {
        match layout {
            MapLayout::Planar => Self::AsTrained,
            MapLayout::ChannelsLast => Self::ChannelsLast(channels),
        }
    }
}

/// A dense layer laid out once for the batches of an evaluation: with AVX-512 and at
/// least [`COLUMN_BLOCK`] outputs, its weight transposed and padded for our kernel;
/// otherwise as the training pass keeps it, for [`dense_forward`].
pub struct PreparedDense {
    i: usize,
    o: usize,
    lanes: LaneSet,
    weight: Weight,
    bias: Vec<f32>,
}

/// A [`PreparedDense`]'s weight.
enum Weight {
    /// `W` (`o × i`), as the training pass keeps it.
    AsTrained(ReusedCopy),
    /// `Wᵀ` (`i × padded`). A plain vector, not a reused buffer: no training step has
    /// one of its size, so a spare would stay resident for nothing.
    Transposed(Vec<f32>),
}

impl PreparedDense {
    /// `w` is `o × i`, as dfdx's `Linear` keeps it; the inputs will come in `order`.
    pub fn new(
        w: ReusedCopy,
        bias: Vec<f32>,
        (i, o): (usize, usize),
        lanes: LaneSet,
        order: InputOrder,
    ) -> Self {
        assert_eq!((w.len(), bias.len()), (o * i, o));
        let w = match order {
            InputOrder::AsTrained => w,
            InputOrder::ChannelsLast(channels) => columns_channels_last(&w, i, channels),
        };
        let weight = if lanes == LaneSet::Avx512 && o >= COLUMN_BLOCK {
            Weight::Transposed(transpose_padded(
                &w,
                (i, o),
                o.next_multiple_of(COLUMN_BLOCK),
            ))
        } else {
            Weight::AsTrained(w)
        };
        Self {
            i,
            o,
            lanes,
            weight,
            bias,
        }
    }

    /// `y = x·Wᵀ + b` for the `n` rows of `x`: on our kernel in row tasks when the
    /// weight is transposed, else the training pass's [`dense_forward`].
    pub fn infer(&self, x: &[f32], n: usize) -> Vec<f32> {
        let (i, o) = (self.i, self.o);
        assert_eq!(x.len(), n * i);
        let wt = match &self.weight {
            Weight::AsTrained(w) => return dense_forward(x, n, (w, &self.bias), (i, o)),
            Weight::Transposed(wt) => wt,
        };
        let padded = o.next_multiple_of(COLUMN_BLOCK);
        let mut y = vec![0.0f32; n * o];
        y.par_chunks_mut(ROWS_PER_TASK * o)
            .zip(x.par_chunks(ROWS_PER_TASK * i))
            .for_each(|(y, x)| {
                let rows = x.len() / i;
                let mut sums = vec![0.0f32; rows * padded];
                let shape = (rows, padded, i);
                product(self.lanes, shape, &mut sums, padded, x, (i, 1), wt, padded);
                for (y, sums) in y.chunks_exact_mut(o).zip(sums.chunks_exact(padded)) {
                    y.iter_mut()
                        .zip(sums)
                        .zip(&self.bias)
                        .for_each(|((y, s), b)| *y = s + b);
                }
            });
        y
    }
}

/// `W` (`o × i`) with each row's inputs, conv maps of `channels` channels flattened
/// channel by channel, reordered channels-last: a row is laid out as one image's maps.
fn columns_channels_last(w: &[f32], i: usize, channels: usize) -> ReusedCopy {
    let mut out = ReusedCopy::buffer(w.len());
    planar_to_channels_last(w, channels, i, &mut out);
    out
}

/// `Wᵀ` (`i × padded`, row-major) of `W` (`o × i`), its columns past `o` zero, written
/// in tasks of [`TRANSPOSE_ROWS`] rows, a tile of sixteen by sixteen at a time (read as
/// sixteen cache lines of `W`, written as sixteen of `Wᵀ`).
fn transpose_padded(w: &[f32], (i, o): (usize, usize), padded: usize) -> Vec<f32> {
    const T: usize = TRANSPOSE_ROWS;
    let mut wt = vec![0.0f32; i * padded];
    wt.par_chunks_mut(T * padded)
        .enumerate()
        .for_each(|(task, rows)| {
            let (first, count) = (task * T, rows.len() / padded);
            for j0 in (0..o).step_by(T) {
                let cols = T.min(o - j0);
                let mut tile = [[0.0f32; T]; T];
                for (jj, line) in tile.iter_mut().enumerate().take(cols) {
                    let from = &w[(j0 + jj) * i + first..][..count];
                    line[..count].copy_from_slice(from);
                }
                for (t, row) in rows.chunks_exact_mut(padded).enumerate() {
                    for (jj, v) in row[j0..j0 + cols].iter_mut().enumerate() {
                        *v = tile[jj][t];
                    }
                }
            }
            for row in rows.chunks_exact_mut(padded) {
                row[o..].fill(0.0);
            }
        });
    wt
}

#[cfg(test)]
mod tests {
    use super::*;
    use conv3x3::reference::random as values;

    /// `v` in a reused buffer, as a layer's weight comes.
    fn reused(v: &[f32]) -> ReusedCopy {
        let mut copy = ReusedCopy::buffer(v.len());
        copy.copy_from_slice(v);
        copy
    }

    /// For every lane set: close to a sum in f64; with AVX-512 (our kernel), the same
    /// bits whether the rows come all at once (whole tasks and a ragged last one) or one
    /// at a time. 70 outputs pad to two column blocks; 625 are the deep model's.
    #[test]
    fn inference_rows_agree_with_an_exact_sum_and_do_not_depend_on_the_batch() {
        for lanes in LaneSet::available() {
            for (n, i, o) in [(100, 2048, 625), (53, 40, 70), (7, 9, 10)] {
                let (x, w, b) = (values(n * i, 1), values(o * i, 2), values(o, 3));
                let order = InputOrder::AsTrained;
                let layer = PreparedDense::new(reused(&w), b.clone(), (i, o), lanes, order);
                let whole = layer.infer(&x, n);
                let alone: Vec<f32> = x
                    .chunks_exact(i)
                    .flat_map(|row| layer.infer(row, 1))
                    .collect();
                // Our kernel's promise; gemm (the other sets) may take another kernel
                // for a single row.
                let same = whole
                    .iter()
                    .zip(&alone)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same || lanes != LaneSet::Avx512, "{n}×{i}→{o}");
                for r in 0..n {
                    for j in 0..o {
                        let exact: f64 = b[j] as f64
                            + (0..i)
                                .map(|k| x[r * i + k] as f64 * w[j * i + k] as f64)
                                .sum::<f64>();
                        let got = whole[r * o + j] as f64;
                        let scale = 1.0 + (i as f64).sqrt();
                        assert!(
                            (got - exact).abs() < 1e-5 * scale,
                            "{lanes:?} {n}×{i}→{o} at ({r}, {j}): {got} vs {exact}"
                        );
                    }
                }
            }
        }
    }

    /// Maps written channels-last into a layer prepared for them give the logits of the
    /// planar maps through the layer as trained, up to the order of the sums.
    #[test]
    fn channels_last_inputs_meet_their_permuted_weights() {
        use crate::model::infer::planar_as;
        let (n, channels, places, o) = (5, 16, 6, 70);
        let i = channels * places;
        let (x, w, b) = (values(n * i, 7), values(o * i, 8), values(o, 9));
        for lanes in LaneSet::available() {
            let order = InputOrder::ChannelsLast(channels);
            let planar =
                PreparedDense::new(reused(&w), b.clone(), (i, o), lanes, InputOrder::AsTrained);
            let last = PreparedDense::new(reused(&w), b.clone(), (i, o), lanes, order);
            let want = planar.infer(&x, n);
            let x_last = planar_as(&x, channels, i, MapLayout::ChannelsLast);
            assert_ne!(x_last, x, "nothing was reordered");
            let got = last.infer(&x_last, n);
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g - w).abs() < 1e-4 * (1.0 + w.abs()),
                    "{lanes:?}: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn the_transposed_weight_holds_each_weight_once_and_zeros_past_the_outputs() {
        let (i, o, padded) = (35, 70, 128);
        // 35 inputs: two whole tasks of sixteen rows and a ragged one; 70 outputs: a
        // ragged last tile.
        let w = values(o * i, 4);
        let wt = transpose_padded(&w, (i, o), padded);
        assert_eq!(wt.len(), i * padded);
        for k in 0..i {
            for j in 0..padded {
                let want = if j < o { w[j * i + k] } else { 0.0 };
                assert_eq!(wt[k * padded + j], want, "({k}, {j})");
            }
        }
    }
}
