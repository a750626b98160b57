//! Recorded runs' curves made into a [`Figure`]: what `mnist-tui plot` draws, and what
//! the workspace's `P` saves of its overlay.

use crate::app::workspace::{band, smooth};
use crate::train::runs::RunCurves;
use crate::ui::workspace::{short_label, without_seed};

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

/// The runs' curves (named by their folders) as a figure: each group of one run as its
/// curve, each group of repeats as their mean in a min–max band.
pub fn figure(groups: &[Vec<(&str, &RunCurves)>], view: View) -> Figure {
    let series = groups
        .iter()
        .filter(|g| !g.is_empty())
        .map(|group| {
            let curves: Vec<Vec<(f64, f64)>> = group.iter().map(|&(_, c)| curve(c, view)).collect();
            let label = short_label(group[0].0);
            if group.len() == 1 {
                return Series {
                    label,
                    points: curves.into_iter().next().unwrap_or_default(),
                    band: None,
                };
            }
            let b = band(&curves);
            Series {
                label: format!("{} ×{} (mean, min–max)", without_seed(&label), group.len()),
                points: b.mean,
                band: Some((b.low, b.high)),
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

/// One run's curve as the view draws it, at most [`MAX_POINTS`] points.
fn curve(c: &RunCurves, view: View) -> Vec<(f64, f64)> {
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
    raw.iter().step_by(step).map(|&(e, y)| (x(e), y)).collect()
}
