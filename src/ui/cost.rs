//! The cost panel: the batch losses' range per column (a faint band), their smoothed line,
//! per-epoch averages (points), and a mark at every live learning-rate change.

use crate::app::keymap::{key_name, Action};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Block, Chart, Paragraph};
use ratatui::Frame;

use super::chart::{
    axis_labels, best_point, bounds, compared_loss, compared_name, line, mark_series, min_max_band,
    points, push_marks, thin, x_bounds, Curves,
};
use super::chart_legend::emptiest_corner;
use super::theme::{self, fg};
use crate::tr;
use crate::train::Schedule;

pub fn draw_cost(frame: &mut Frame, area: Rect, curves: &Curves) {
    let log = key_name(Action::ToggleLogScale);
    let h = &curves.run.history;
    // The best epoch average, in the title and marked on the chart.
    let best = best_point(&h.epoch_costs, true);
    let best_text = best
        .map(|(x, y)| {
            let best = tr!(
                "chart-best",
                value = format!("{y:.4}"),
                epoch = format!("{x:.0}")
            );
            format!(" · {best}")
        })
        .unwrap_or_default();
    let scale = if curves.view.log_y {
        tr!("cost-log-scale-on", key = log)
    } else {
        tr!("cost-log-scale-off", key = log)
    };
    let title = format!(" {}{best_text} ({scale}) ", tr!("cost-title"));
    let block = Block::bordered().title(title);
    if h.batch_loss.is_empty() {
        let waiting = Paragraph::new(tr!("cost-waiting")).block(block);
        frame.render_widget(waiting, area);
        return;
    }
    let ty = |y: f64| {
        if curves.view.log_y {
            y.max(1e-6).log10()
        } else {
            y
        }
    };
    let tf = |c: &[(f64, f64)]| -> Vec<(f64, f64)> { c.iter().map(|&(x, y)| (x, ty(y))).collect() };
    let width = area.width as usize;
    let raw = tf(&h.batch_loss);
    let smooth = tf(&thin(&h.smoothed_loss, width * 2));
    let epochs = tf(&h.epoch_costs);
    let branch = tf(&branch_curve(curves, width * 2));
    let compared = curves
        .compared
        .map(|run| (compared_name(run), tf(&compared_loss(run, width * 2))));
    let (x0, x1) = x_bounds(curves.run, curves.view);
    let best = tf(&best.into_iter().collect::<Vec<_>>());
    let (y0, y1) = bounds(raw.iter().chain(&smooth).chain(&branch).map(|p| p.1));
    let compared: Option<(String, Vec<(f64, f64)>)> = compared.map(|(name, loss)| {
        // Clipped to the live run's axes: the chart would draw the rest past its border.
        let inside = loss
            .into_iter()
            .filter(|p| p.0 <= x1 && p.1 >= y0 && p.1 <= y1)
            .collect();
        (name, inside)
    });
    // A loss is never negative: no margin below zero on the linear scale.
    let y0 = if curves.view.log_y { y0 } else { y0.max(0.0) };
    let mode = curves.colors;
    // Two braille dots per cell across, four down.
    let band = min_max_band(
        &raw,
        (x0, x1),
        width * 2,
        (y0, y1),
        area.height as usize * 4,
    );
    let mut datasets = vec![
        points(&band, Marker::Braille, fg(mode, theme::RAW)).name(tr!("cost-batch-range")),
        line(&smooth, fg(mode, theme::SMOOTHED)).name(tr!("chart-smoothed")),
        points(
            &epochs,
            Marker::Dot,
            fg(mode, theme::EPOCH).add_modifier(Modifier::BOLD),
        )
        .name(tr!("cost-epoch-average")),
    ];
    if let Some((name, loss)) = &compared {
        datasets.push(line(loss, fg(mode, theme::COMPARED)).name(name.as_str()));
    }
    if !best.is_empty() {
        let style = fg(mode, theme::EPOCH).add_modifier(Modifier::BOLD);
        // Named in the title: the legend keeps its room for the curves.
        datasets.push(points(&best, Marker::Block, style));
    }
    let branch_name = curves
        .branch
        .map(|b| {
            tr!(
                "chart-branch-rate",
                lr = format!("{:.1e}", b.run.learning_rate)
            )
        })
        .unwrap_or_default();
    if !branch.is_empty() {
        datasets.push(line(&branch, fg(mode, theme::BRANCH)).name(branch_name.as_str()));
    }
    let (rate_line, rate_name) = schedule_line(curves, (y0, y1), width * 2);
    if !rate_line.is_empty() {
        datasets.push(line(&rate_line, fg(mode, theme::TEST_SUBSET)).name(rate_name.as_str()));
    }
    let run_marks = mark_series(h, (y0, y1));
    push_marks(&mut datasets, &run_marks, mode, true);
    let y_label = |v: f64| {
        if curves.view.log_y {
            format!("{:.3}", 10f64.powf(v))
        } else {
            format!("{v:.3}")
        }
    };
    let legend = emptiest_corner(smooth.iter().chain(&raw), (x0, x1), (y0, y1));
    let chart = Chart::new(datasets)
        .block(block)
        .legend_position(Some(legend))
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)))
        .x_axis(
            Axis::default()
                .title(Span::styled(tr!("chart-epoch"), Style::default()))
                .bounds([x0, x1])
                .labels(axis_labels(x0, x1, |v| format!("{v:.1}"))),
        )
        .y_axis(
            Axis::default()
                .bounds([y0, y1])
                .labels(axis_labels(y0, y1, y_label)),
        );
    frame.render_widget(chart, area);
}

/// The branch's smoothed loss from where it left the main run (before, the two are one
/// curve), at most about `points` points.
fn branch_curve(curves: &Curves, points: usize) -> Vec<(f64, f64)> {
    curves.branch.map_or_else(Vec::new, |b| {
        let after: Vec<(f64, f64)> = b
            .run
            .history
            .smoothed_loss
            .iter()
            .copied()
            .filter(|p| p.0 >= b.forked_at)
            .collect();
        thin(&after, points)
    })
}

/// Under a schedule, the rate in force as a line along the bottom quarter, scaled to its
/// largest value, and its legend name (which says so); nothing for the constant rate.
fn schedule_line(
    curves: &Curves,
    (y0, y1): (f64, f64),
    points: usize,
) -> (Vec<(f64, f64)>, String) {
    let rates = &curves.run.history.rates;
    if curves.run.schedule == Schedule::Constant {
        return (Vec::new(), String::new());
    }
    let peak = rates.iter().map(|p| p.1).fold(0.0, f64::max);
    let line = thin(rates, points)
        .iter()
        .map(|&(x, r)| (x, y0 + 0.25 * (y1 - y0) * r / peak.max(1e-300)))
        .collect();
    let name = tr!(
        "cost-schedule",
        schedule = curves.run.schedule.name(),
        peak = format!("{peak:.1e}")
    );
    (line, name)
}
