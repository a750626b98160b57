//! Recorded runs' curves made into a [`Figure`]: what `mnist-tui plot` draws, and what
//! the workspace's `P` saves of its overlay.

use crate::app::workspace::smooth;
use crate::train::runs::RunCurves;
use crate::ui::workspace::short_label;

use super::{Figure, Series};

/// Points per curve at most: more than the picture has pixels across is wasted.
const MAX_POINTS: usize = 2000;

/// Which curve of the runs a figure draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// The batch losses, smoothed.
    Cost,
    /// The full test accuracy at each epoch's end.
    Accuracy,
}

/// How a figure of runs is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub metric: Metric,
    /// Training seconds across instead of epochs.
    pub time: bool,
    /// The cost's smoothing weight.
    pub smoothing: f64,
    pub size: (u32, u32),
}

/// The runs' curves (named by their folders) as a figure.
pub fn figure(runs: &[(&str, &RunCurves)], view: View) -> Figure {
    let series = runs
        .iter()
        .map(|&(name, c)| {
            let x = |epoch: f64| {
                if view.time {
                    c.seconds_at(epoch)
                } else {
                    epoch
                }
            };
            let raw = match view.metric {
                Metric::Cost => smooth(&c.losses, view.smoothing),
                Metric::Accuracy => c.accuracy.clone(),
            };
            let step = raw.len().div_ceil(MAX_POINTS).max(1);
            Series {
                label: short_label(name),
                points: raw.iter().step_by(step).map(|&(e, y)| (x(e), y)).collect(),
            }
        })
        .collect();
    let (title, y_label) = match view.metric {
        Metric::Cost => (format!("Cost (smoothing {})", view.smoothing), "cost"),
        Metric::Accuracy => ("Test accuracy".to_string(), "accuracy"),
    };
    Figure {
        title,
        x_label: if view.time {
            "training time (s)"
        } else {
            "epoch"
        }
        .into(),
        y_label: y_label.into(),
        series,
        width: view.size.0,
        height: view.size.1,
    }
}
