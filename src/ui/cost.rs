//! The cost panel: the batch losses' range per column (a faint band), their smoothed line,
//! per-epoch averages (points), and a mark at every live learning-rate change.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Block, Chart, Paragraph};
use ratatui::Frame;

use super::chart::{
    axis_labels, bounds, line, mark_series, min_max_band, points, push_marks, thin, x_bounds,
};
use super::palette::fg;
use crate::app::App;
use crate::train::Schedule;

pub fn draw_cost(frame: &mut Frame, area: Rect, app: &App) {
    let title = if app.log_y {
        " Cost (log scale, L) "
    } else {
        " Cost (L: log scale) "
    };
    let block = Block::bordered().title(title);
    let h = &app.run.history;
    if h.batch_loss.is_empty() {
        let waiting = Paragraph::new("waiting for the first batch…").block(block);
        frame.render_widget(waiting, area);
        return;
    }
    let ty = |y: f64| if app.log_y { y.max(1e-6).log10() } else { y };
    let tf = |c: &[(f64, f64)]| -> Vec<(f64, f64)> { c.iter().map(|&(x, y)| (x, ty(y))).collect() };
    let width = area.width as usize;
    let raw = tf(&h.batch_loss);
    let smooth = tf(&thin(&h.smoothed_loss, width * 2));
    let epochs = tf(&h.epoch_costs);
    let branch = tf(&branch_curve(app, width * 2));
    let (x0, x1) = x_bounds(app);
    let (y0, y1) = bounds(raw.iter().chain(&smooth).chain(&branch).map(|p| p.1));
    // A loss is never negative: no margin below zero on the linear scale.
    let y0 = if app.log_y { y0 } else { y0.max(0.0) };
    let mode = app.colors;
    // Two braille dots per cell across, four down.
    let band = min_max_band(
        &raw,
        (x0, x1),
        width * 2,
        (y0, y1),
        area.height as usize * 4,
    );
    let mut datasets = vec![
        points(&band, Marker::Braille, fg(mode, Color::DarkGray)).name("batch range"),
        line(&smooth, fg(mode, Color::Yellow)).name("smoothed"),
        points(
            &epochs,
            Marker::Dot,
            fg(mode, Color::Cyan).add_modifier(Modifier::BOLD),
        )
        .name("epoch avg"),
    ];
    let branch_name = app
        .branch
        .as_ref()
        .map(|b| format!("branch {:.1e}", b.run.learning_rate))
        .unwrap_or_default();
    if !branch.is_empty() {
        datasets.push(line(&branch, fg(mode, Color::LightRed)).name(branch_name.as_str()));
    }
    let (rate_line, rate_name) = schedule_line(app, (y0, y1), width * 2);
    if !rate_line.is_empty() {
        datasets.push(line(&rate_line, fg(mode, Color::Blue)).name(rate_name.as_str()));
    }
    let run_marks = mark_series(h, (y0, y1));
    push_marks(&mut datasets, &run_marks, mode, true);
    let y_label = |v: f64| {
        if app.log_y {
            format!("{:.3}", 10f64.powf(v))
        } else {
            format!("{v:.3}")
        }
    };
    let chart = Chart::new(datasets)
        .block(block)
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)))
        .x_axis(
            Axis::default()
                .title(Span::styled("epoch", Style::default()))
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
fn branch_curve(app: &App, points: usize) -> Vec<(f64, f64)> {
    app.branch.as_ref().map_or_else(Vec::new, |b| {
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
fn schedule_line(app: &App, (y0, y1): (f64, f64), points: usize) -> (Vec<(f64, f64)>, String) {
    let rates = &app.run.history.rates;
    if app.run.schedule == Schedule::Constant {
        return (Vec::new(), String::new());
    }
    let peak = rates.iter().map(|p| p.1).fold(0.0, f64::max);
    let line = thin(rates, points)
        .iter()
        .map(|&(x, r)| (x, y0 + 0.25 * (y1 - y0) * r / peak.max(1e-300)))
        .collect();
    let name = format!("{} lr (max {peak:.1e})", app.run.schedule.name());
    (line, name)
}
