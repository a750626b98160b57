//! Helpers shared by the two chart panels.

use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Dataset, GraphType};

use super::theme::{self, fg};
use crate::app::{Branch, ColorMode, CurvesView, History, RunMark, RunProgress};

/// At most about `max` points of `curve`, evenly picked (the last one always kept), so a
/// long run draws as fast as a short one.
pub fn thin(curve: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    let max = max.max(2);
    if curve.len() <= max {
        return curve.to_vec();
    }
    let step = curve.len().div_ceil(max);
    let mut out: Vec<(f64, f64)> = curve.iter().step_by(step).copied().collect();
    if let Some(&last) = curve.last() {
        if out.last() != Some(&last) {
            out.push(last);
        }
    }
    out
}

/// Each of `columns` slices of `[x0, x1]` filled from the lowest to the highest value of
/// `curve` in it, as braille points `rows` to the unit of `(y1 - y0)`: the batch losses'
/// spread behind their smoothed line, where hundreds of batches share a column.
pub fn min_max_band(
    curve: &[(f64, f64)],
    (x0, x1): (f64, f64),
    columns: usize,
    (y0, y1): (f64, f64),
    rows: usize,
) -> Vec<(f64, f64)> {
    let columns = columns.max(1);
    let width = (x1 - x0).max(1e-12);
    let mut ranges = vec![(f64::INFINITY, f64::NEG_INFINITY); columns];
    for &(x, y) in curve.iter().filter(|p| p.1.is_finite()) {
        let c = (((x - x0) / width) * columns as f64).clamp(0.0, columns as f64 - 1.0) as usize;
        ranges[c] = (ranges[c].0.min(y), ranges[c].1.max(y));
    }
    let step = (y1 - y0).max(1e-12) / rows.max(1) as f64;
    let mut out = Vec::new();
    for (c, &(lo, hi)) in ranges.iter().enumerate().filter(|(_, r)| r.0 <= r.1) {
        let x = x0 + (c as f64 + 0.5) * width / columns as f64;
        let mut y = lo;
        while y < hi {
            out.push((x, y));
            y += step;
        }
        out.push((x, hi));
    }
    out
}

/// Y bounds of the finite values, with a margin; a unit range when there are none.
pub fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-3);
    (lo - pad, hi + pad)
}

/// What the cost and accuracy panels draw: the runs' curves, on the axes their view
/// asks for.
#[derive(Clone, Copy)]
pub struct Curves<'a> {
    pub run: &'a RunProgress,
    pub branch: Option<&'a Branch>,
    pub view: CurvesView,
    pub colors: ColorMode,
    /// A recorded run drawn over the live one (`o`).
    pub compared: Option<&'a crate::app::ComparedRun>,
}

impl<'a> Curves<'a> {
    /// The main run's curves and the branch's, as the dashboard's state holds them.
    pub fn of(app: &'a crate::app::App) -> Self {
        Self {
            run: &app.run,
            branch: app.branch.as_ref(),
            view: app.curves,
            colors: app.screen.colors,
            compared: app.compare.run.as_ref(),
        }
    }
}

/// The x range, in epochs: the run so far up to the next epoch boundary, so the first
/// epoch fills the chart rather than its left fifteenth; or, when the view asks, the
/// whole planned run.
pub fn x_bounds(run: &RunProgress, view: CurvesView) -> (f64, f64) {
    let done = run.progress_epochs();
    let end = if view.whole_run {
        run.epochs.max(1) as f64
    } else {
        (done - 1e-9).ceil().max(1.0)
    };
    (0.0, end.max(done))
}

/// The point of `curve` with the best value (lowest when `lowest`), as chart data.
pub fn best_point(curve: &[(f64, f64)], lowest: bool) -> Option<(f64, f64)> {
    let finite = curve.iter().copied().filter(|p| p.1.is_finite());
    if lowest {
        finite.min_by(|a, b| a.1.total_cmp(&b.1))
    } else {
        finite.max_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// The compared run's legend name.
pub fn compared_name(run: &crate::app::ComparedRun) -> String {
    format!("vs {}", super::workspace::short_label(&run.name))
}

/// The compared run's smoothed loss (at the live smoothed line's weight, 1 − 0.05), at
/// most about `points` points.
pub fn compared_loss(run: &crate::app::ComparedRun, points: usize) -> Vec<(f64, f64)> {
    thin(
        &crate::app::workspace::smooth(&run.curves.losses, 0.95),
        points,
    )
}

/// Three labels: low, middle, high.
pub fn axis_labels(lo: f64, hi: f64, fmt: impl Fn(f64) -> String) -> Vec<Line<'static>> {
    vec![
        Line::from(fmt(lo)),
        Line::from(fmt((lo + hi) / 2.0)),
        Line::from(fmt(hi)),
    ]
}

/// A curve drawn as a Braille line (unnamed: `.name(..)` puts it in the legend).
pub fn line<'a>(data: &'a [(f64, f64)], style: Style) -> Dataset<'a> {
    Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(style)
        .data(data)
}

/// Points drawn as dots, unconnected.
pub fn points<'a>(data: &'a [(f64, f64)], marker: Marker, style: Style) -> Dataset<'a> {
    Dataset::default()
        .marker(marker)
        .graph_type(GraphType::Scatter)
        .style(style)
        .data(data)
}

/// One kind of mark as chart data: a set of points, or one vertical line per mark.
pub type MarkSeries = (RunMark, Vec<Vec<(f64, f64)>>);

/// The run's marks (and its rate changes) as chart data, per kind present: the frequent
/// ones (epoch ends, checkpoints) as one set of points near the top, the others as
/// vertical lines.
pub fn mark_series(h: &History, (y0, y1): (f64, f64)) -> Vec<MarkSeries> {
    // The first rate is where the run started, not a change.
    let rate_changes = h
        .learning_rates
        .iter()
        .skip(1)
        .map(|&(x, _)| (x, RunMark::RateChange));
    let marks: Vec<(f64, RunMark)> = h.marks.iter().copied().chain(rate_changes).collect();
    RunMark::ALL
        .into_iter()
        .filter_map(|kind| {
            let xs: Vec<f64> = marks.iter().filter(|m| m.1 == kind).map(|m| m.0).collect();
            if xs.is_empty() {
                return None;
            }
            let series = match kind {
                RunMark::EpochEnd => vec![xs.iter().map(|&x| (x, y1)).collect()],
                RunMark::Saved => {
                    let y = y1 - 0.06 * (y1 - y0);
                    vec![xs.iter().map(|&x| (x, y)).collect()]
                }
                _ => xs.iter().map(|&x| vec![(x, y0), (x, y1)]).collect(),
            };
            Some((kind, series))
        })
        .collect()
}

/// Adds the marks to a chart's datasets, each kind in its own colour and glyph, named
/// once in the legend.
pub fn push_marks<'a>(
    datasets: &mut Vec<Dataset<'a>>,
    series: &'a [MarkSeries],
    mode: ColorMode,
    named: bool,
) {
    for (kind, lines) in series {
        let (colour, marker) = match kind {
            RunMark::EpochEnd => (theme::REFERENCE, Some(Marker::Dot)),
            RunMark::RateChange => (theme::RATE_CHANGE, None),
            RunMark::Saved => (theme::RIGHT, Some(Marker::Block)),
            RunMark::ScheduleChange => (theme::SCHEDULE_CHANGE, None),
            RunMark::Branch => (theme::BRANCH, None),
            RunMark::Restore => (theme::WRONG, None),
            RunMark::FinderApplied => (theme::FINDER_APPLIED, None),
        };
        let style = fg(mode, colour);
        for (i, data) in lines.iter().enumerate() {
            let d = match marker {
                Some(m) => points(data, m, style),
                None => line(data, style),
            };
            datasets.push(if i == 0 && named {
                d.name(kind.label())
            } else {
                d
            });
        }
    }
}
