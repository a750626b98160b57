//! The cost panel: per-batch loss (faint), its smoothed line, per-epoch averages (points),
//! and a mark at every live learning-rate change.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Block, Chart, Paragraph};
use ratatui::Frame;

use super::chart::{axis_labels, bounds, line, mark_series, points, push_marks, thin, x_bounds};
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
    let raw = tf(&thin(&h.batch_loss, width * 2));
    let smooth = tf(&thin(&h.smoothed_loss, width * 2));
    let epochs = tf(&h.epoch_costs);
    // A branch shows from where it left the main run (before, the two are one curve).
    let branch: Vec<(f64, f64)> = app.branch.as_ref().map_or_else(Vec::new, |b| {
        let after: Vec<(f64, f64)> = b
            .run
            .history
            .smoothed_loss
            .iter()
            .copied()
            .filter(|p| p.0 >= b.forked_at)
            .collect();
        tf(&thin(&after, width * 2))
    });
    let (x0, x1) = x_bounds(app);
    let (y0, y1) = bounds(raw.iter().chain(&smooth).chain(&branch).map(|p| p.1));
    // A loss is never negative: no margin below zero on the linear scale.
    let y0 = if app.log_y { y0 } else { y0.max(0.0) };
    let marks: Vec<Vec<(f64, f64)>> = h
        .learning_rates
        .iter()
        .skip(1)
        .map(|&(x, _)| vec![(x, y0), (x, y1)])
        .collect();
    let mode = app.colors;
    let mut datasets = vec![
        line(&raw, fg(mode, Color::DarkGray)).name("batch"),
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
    // Under a schedule, the rate in force as a line along the bottom quarter, scaled to
    // its largest value (the legend says so).
    let rate_line: Vec<(f64, f64)> = if app.run.schedule == Schedule::Constant {
        Vec::new()
    } else {
        let peak = h.rates.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-300);
        let rates = thin(&h.rates, width * 2);
        rates
            .iter()
            .map(|&(x, r)| (x, y0 + 0.25 * (y1 - y0) * r / peak))
            .collect()
    };
    let rate_name = format!("{} lr (max {:.1e})", app.run.schedule.name(), {
        h.rates.iter().map(|p| p.1).fold(0.0, f64::max)
    });
    if !rate_line.is_empty() {
        datasets.push(line(&rate_line, fg(mode, Color::Blue)).name(rate_name.as_str()));
    }
    let run_marks = mark_series(&h.marks, (y0, y1));
    push_marks(&mut datasets, &run_marks, mode);
    for (i, m) in marks.iter().enumerate() {
        let d = line(m, fg(mode, Color::Magenta));
        datasets.push(if i == 0 { d.name("lr change") } else { d });
    }
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
