//! The marked runs' curves over each other: the cost (smoothed as the title says) and
//! the full test accuracy, one colour per run, each run's best value marked, the legend
//! in the emptiest corner. Grouped repeats draw as their mean, between the dim edges of
//! their min–max band.

use crate::tr;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Block, Chart, Dataset, Paragraph};
use ratatui::Frame;

use crate::app::workspace::{band, smooth, OverlayView, Workspace, XAxis};
use crate::app::ColorMode;
use crate::train::runs::RunCurves;
use crate::ui::chart::{axis_labels, bounds, line, points, thin};
use crate::ui::chart_legend::emptiest_corner;
use crate::ui::theme::{self, fg};

/// Which of a run's curves a chart draws: the curve, its best point, and its band's
/// edges (none for a single run).
type Pick = fn(&Series) -> (&Vec<(f64, f64)>, &Vec<(f64, f64)>, &[Vec<(f64, f64)>]);

/// One run's curves, on the overlay's axes.
struct Series {
    label: String,
    colour: ratatui::style::Color,
    cost: Vec<(f64, f64)>,
    accuracy: Vec<(f64, f64)>,
    best_cost: Vec<(f64, f64)>,
    best_accuracy: Vec<(f64, f64)>,
    /// A group's min and max curves of the cost, and of the accuracy.
    cost_band: Vec<Vec<(f64, f64)>>,
    accuracy_band: Vec<Vec<(f64, f64)>>,
    /// The best accuracy itself (the axis may hold the error rate's log).
    best_value: Option<f64>,
    /// How far the run has trained, and plans to, on the x axis.
    trained: f64,
    planned: f64,
}

/// The cost panel and the accuracy panel of the marked runs.
pub fn draw_overlay(
    frame: &mut Frame,
    (cost, accuracy): (Rect, Rect),
    ws: &Workspace,
    mode: ColorMode,
) {
    let view = ws.overlay;
    let width = cost.width as usize * 2;
    let mut series: Vec<Series> = Vec::new();
    let mut drawn_groups: Vec<&str> = Vec::new();
    for (run, curves) in ws.marked_runs() {
        let (Some(i), Some(curves)) = (ws.colour_index(&run.name), curves) else {
            continue;
        };
        let colour = theme::RUNS[i % theme::RUNS.len()];
        let Some(group) = ws.group_of(&run.name) else {
            series.push(series_of(&run.name, curves, colour, view, width));
            continue;
        };
        if drawn_groups.contains(&group.members[0].as_str()) {
            continue;
        }
        drawn_groups.push(&group.members[0]);
        let members: Vec<Series> = ws
            .marked_runs()
            .into_iter()
            .filter(|(r, _)| group.members.contains(&r.name))
            .filter_map(|(r, c)| Some(series_of(&r.name, c?, colour, view, width)))
            .collect();
        series.push(group_series(members, group.members.len()));
    }
    let x_title = tr!(match view.x_axis {
        XAxis::Epochs => "chart-epoch",
        XAxis::Time => "runs-training-time",
    });
    let x1 = series
        .iter()
        .map(|s| {
            if view.whole_run {
                s.planned
            } else {
                follow_end(s.trained, view.x_axis)
            }
        })
        .fold(0.0, f64::max)
        .max(1e-9);
    let smoothing = view.smoothing_weight();
    let log = if view.log_y {
        format!(" · {}", tr!("runs-log"))
    } else {
        String::new()
    };
    let cost_title = if cost.width >= 60 {
        let title = tr!(
            "runs-cost-title",
            smoothing = smoothing.to_string(),
            x = x_title.clone()
        );
        format!(" {title}{log} ")
    } else {
        format!(" {} · w {smoothing}{log} ", tr!("cost-title"))
    };
    let best_acc = series
        .iter()
        .flat_map(|s| s.best_value.map(|v| (v, s.label.as_str())))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let acc_title = match best_acc {
        Some((v, label)) if accuracy.width >= 60 => {
            let best = tr!("runs-best", value = format!("{v:.4}"));
            format!(" {} · {best} {label} ", tr!("runs-test-accuracy"))
        }
        Some((v, _)) => {
            let best = tr!("runs-best", value = format!("{v:.4}"));
            format!(" {} · {best} ", tr!("accuracy-title"))
        }
        None => format!(" {} ", tr!("runs-test-accuracy")),
    };
    if series.is_empty() {
        let hint = tr!(if ws.marked.is_empty() {
            "runs-mark-hint"
        } else {
            "runs-reading-marked"
        });
        frame.render_widget(
            Paragraph::new(hint).block(Block::bordered().title(cost_title)),
            cost,
        );
        frame.render_widget(
            Paragraph::new("").block(Block::bordered().title(acc_title)),
            accuracy,
        );
        return;
    }
    let x_title: &str = &x_title;
    let mut make =
        |pick: Pick, title: String, area: Rect, y_fmt: &dyn Fn(f64) -> String, floor_zero: bool| {
            let (y0, y1) = bounds(series.iter().flat_map(|s| {
                let (curve, _, edges) = pick(s);
                curve
                    .iter()
                    .chain(edges.iter().flatten())
                    .filter(|p| p.0 <= x1)
                    .map(|p| p.1)
            }));
            let y0 = if floor_zero && !view.log_y {
                y0.max(0.0)
            } else {
                y0
            };
            let mut datasets: Vec<Dataset> = Vec::new();
            for s in &series {
                let (curve, best, edges) = pick(s);
                for edge in edges {
                    datasets.push(line(edge, fg(mode, s.colour).add_modifier(Modifier::DIM)));
                }
                datasets.push(line(curve, fg(mode, s.colour)).name(s.label.as_str()));
                datasets.push(points(
                    best,
                    Marker::Block,
                    fg(mode, s.colour).add_modifier(Modifier::BOLD),
                ));
            }
            let legend = emptiest_corner(
                series.iter().flat_map(|s| pick(s).0.iter()),
                (0.0, x1),
                (y0, y1),
            );
            let x_fmt = |v: f64| match view.x_axis {
                XAxis::Epochs => format!("{v:.1}"),
                XAxis::Time => super::table::duration(v),
            };
            let chart = Chart::new(datasets)
                .block(Block::bordered().title(title))
                .legend_position(Some(legend))
                .hidden_legend_constraints((
                    ratatui::layout::Constraint::Percentage(60),
                    ratatui::layout::Constraint::Percentage(60),
                ))
                .x_axis(
                    Axis::default()
                        .title(Span::styled(x_title, Style::default()))
                        .bounds([0.0, x1])
                        .labels(axis_labels(0.0, x1, x_fmt)),
                )
                .y_axis(
                    Axis::default()
                        .bounds([y0, y1])
                        .labels(axis_labels(y0, y1, y_fmt)),
                );
            frame.render_widget(chart, area);
        };
    let cost_fmt = |v: f64| {
        if view.log_y {
            format!("{:.3}", 10f64.powf(v))
        } else {
            format!("{v:.3}")
        }
    };
    let acc_fmt = |v: f64| accuracy_text(v, view.log_y);
    make(
        |s| (&s.cost, &s.best_cost, &s.cost_band),
        cost_title,
        cost,
        &cost_fmt,
        true,
    );
    make(
        |s| (&s.accuracy, &s.best_accuracy, &s.accuracy_band),
        acc_title,
        accuracy,
        &acc_fmt,
        false,
    );
}

/// An accuracy (or, on the log axis, `log10` of the error rate) as text.
fn accuracy_text(v: f64, log: bool) -> String {
    if log {
        format!("{:.4}", 1.0 - 10f64.powf(v))
    } else {
        format!("{v:.4}")
    }
}

/// Where the x axis ends for a run trained to `trained`: the next epoch boundary (or
/// ten seconds of training time), so the curve fills the chart from its first batches.
fn follow_end(trained: f64, axis: XAxis) -> f64 {
    let unit = match axis {
        XAxis::Epochs => 1.0,
        XAxis::Time => 10.0,
    };
    ((trained / unit - 1e-9).ceil().max(1.0)) * unit
}

/// A run's curves on the overlay's axes, at most about `width` points each.
fn series_of(
    name: &str,
    c: &RunCurves,
    colour: ratatui::style::Color,
    view: OverlayView,
    width: usize,
) -> Series {
    let x = |epoch: f64| match view.x_axis {
        XAxis::Epochs => epoch,
        XAxis::Time => c.seconds_at(epoch),
    };
    let cost_y = |y: f64| if view.log_y { y.max(1e-6).log10() } else { y };
    let acc_y = |a: f64| {
        if view.log_y {
            (1.0 - a).max(1e-5).log10()
        } else {
            a
        }
    };
    let smoothed = smooth(&c.losses, view.smoothing_weight());
    let cost: Vec<(f64, f64)> = thin(&smoothed, width)
        .into_iter()
        .map(|(e, y)| (x(e), cost_y(y)))
        .collect();
    let accuracy: Vec<(f64, f64)> = c.accuracy.iter().map(|&(e, a)| (x(e), acc_y(a))).collect();
    let best_cost = smoothed
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|&(e, y)| vec![(x(e), cost_y(y))])
        .unwrap_or_default();
    let best_accuracy = c
        .accuracy
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|&(e, a)| vec![(x(e), acc_y(a))])
        .unwrap_or_default();
    let best_value = c.accuracy.iter().map(|p| p.1).max_by(f64::total_cmp);
    Series {
        best_value,
        label: short_label(name),
        colour,
        cost,
        accuracy,
        best_cost,
        best_accuracy,
        cost_band: Vec::new(),
        accuracy_band: Vec::new(),
        trained: x(c.trained_epochs()),
        planned: x(c.epochs as f64),
    }
}

/// Repeats' curves as one: the mean, between its min and max; `runs` of the group's
/// members are marked, `members` in all.
fn group_series(runs: Vec<Series>, members: usize) -> Series {
    let cost = band(&runs.iter().map(|s| s.cost.clone()).collect::<Vec<_>>());
    let accuracy = band(&runs.iter().map(|s| s.accuracy.clone()).collect::<Vec<_>>());
    let best = |curve: &[(f64, f64)], better: fn(f64, f64) -> bool| {
        let mut it = curve.iter().copied();
        let first = it.next();
        first
            .map(|f| it.fold(f, |b, p| if better(p.1, b.1) { p } else { b }))
            .into_iter()
            .collect::<Vec<_>>()
    };
    let first = &runs[0];
    Series {
        label: format!("×{members} {}", without_seed(&first.label)),
        colour: first.colour,
        best_cost: best(&cost.mean, |a, b| a < b),
        best_accuracy: best(&accuracy.mean, |a, b| a > b),
        best_value: runs
            .iter()
            .filter_map(|s| s.best_value)
            .max_by(f64::total_cmp),
        trained: runs.iter().map(|s| s.trained).fold(0.0, f64::max),
        planned: runs.iter().map(|s| s.planned).fold(0.0, f64::max),
        cost: cost.mean,
        accuracy: accuracy.mean,
        cost_band: vec![cost.low, cost.high],
        accuracy_band: vec![accuracy.low, accuracy.high],
    }
}

/// `10:00 seed-lr1e-3-s777` → `10:00 seed-lr1e-3`: a group's label names its settings,
/// not one member's seed.
pub fn without_seed(label: &str) -> &str {
    match label.rsplit_once("-s") {
        Some((head, seed)) if !seed.is_empty() && seed.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => label,
    }
}

/// `20261207-095012-seed-lr1e-3` → `09:50 seed-lr1e-3`: the legend has little room.
pub fn short_label(name: &str) -> String {
    let b = name.as_bytes();
    let dated =
        b.len() > 16 && b[8] == b'-' && b[15] == b'-' && b[..8].iter().all(u8::is_ascii_digit);
    if dated {
        format!("{}:{} {}", &name[9..11], &name[11..13], &name[16..])
    } else {
        name.to_string()
    }
}
