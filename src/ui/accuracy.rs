//! The accuracy panel: test accuracy per epoch, quick evaluations during epochs, running
//! training accuracy, and dashed reference lines for the tutorial's results, all named in
//! a legend; with `L`, as the error rate on a log axis (90 % down to 0.5 % wrong), which
//! shows the first climb and the last tenth of a percent alike.

use crate::app::keymap::{key_name, Action};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::symbols::Marker;
use ratatui::widgets::{Axis, Block, Chart, LegendPosition, Paragraph};
use ratatui::Frame;

use super::chart::{
    axis_labels, best_point, compared_name, line, mark_series, points, push_marks, thin, x_bounds,
    Curves,
};
use super::theme::{self, fg};
use crate::tr;

/// mnist_cnn.py's reported accuracy, and its deep variant's (their labels' catalogue ids).
pub const REFERENCES: [(f64, &str); 2] = [
    (0.9885, "accuracy-reference-tutorial"),
    (0.9938, "accuracy-reference-deep"),
];
/// The error-rate axis: 10 % wrong at the bottom, 0.5 % at the top.
const ERROR_AXIS: (f64, f64) = (0.10, 0.005);

/// Height on the error-rate axis: −log10 of the error, clamped to the axis.
fn error_height(accuracy: f64) -> f64 {
    let (worst, best) = ERROR_AXIS;
    (1.0 - accuracy).clamp(best, worst).log10().abs()
}

pub fn draw_accuracy(frame: &mut Frame, area: Rect, curves: &Curves) {
    let h = &curves.run.history;
    let best = best_point(&h.test_accuracy, false);
    let latest = h.test_accuracy.last().map(|p| match best {
        Some((x, b)) if b > p.1 => format!(
            " — {}, {}",
            tr!("status-test", accuracy = format!("{:.4}", p.1)),
            tr!(
                "chart-best",
                value = format!("{b:.4}"),
                epoch = format!("{x:.0}")
            )
        ),
        _ => format!(
            " — {}",
            tr!("status-test", accuracy = format!("{:.4}", p.1))
        ),
    });
    let log = key_name(Action::ToggleLogScale);
    let scale = if curves.view.log_y {
        tr!("accuracy-log-scale-on", key = log)
    } else {
        tr!("accuracy-log-scale-off", key = log)
    };
    let block = Block::bordered().title(format!(
        " {}{} ({scale}) ",
        tr!("accuracy-title"),
        latest.unwrap_or_default()
    ));
    if h.quick_accuracy.is_empty() && h.train_accuracy.is_empty() {
        frame.render_widget(Paragraph::new(tr!("accuracy-waiting")).block(block), area);
        return;
    }
    let (x0, x1) = x_bounds(curves.run, curves.view);
    let after_fork = |c: &[(f64, f64)], at: f64| -> Vec<(f64, f64)> {
        c.iter().copied().filter(|p| p.0 >= at).collect()
    };
    let (branch_quick, branch_test) = curves.branch.map_or_else(Default::default, |b| {
        (
            after_fork(&b.run.history.quick_accuracy, b.forked_at),
            after_fork(&b.run.history.test_accuracy, b.forked_at),
        )
    });
    let lowest = h
        .quick_accuracy
        .iter()
        .chain(&h.test_accuracy)
        .chain(&branch_quick)
        .map(|p| p.1)
        .fold(0.97f64, f64::min);
    let y0 = ((lowest - 0.01) * 100.0).floor() / 100.0;
    let (y0, y1) = if curves.view.log_y {
        (error_height(0.0), error_height(1.0))
    } else {
        (y0.max(0.0), 1.0)
    };
    let ty = |c: &[(f64, f64)]| -> Vec<(f64, f64)> {
        if curves.view.log_y {
            c.iter().map(|&(x, a)| (x, error_height(a))).collect()
        } else {
            c.to_vec()
        }
    };
    let (quick, test) = (ty(&h.quick_accuracy), ty(&h.test_accuracy));
    let (branch_quick, branch_test) = (ty(&branch_quick), ty(&branch_test));
    // Dashes: every other short run of points along the line.
    let dashes: Vec<Vec<(f64, f64)>> = REFERENCES
        .iter()
        .map(|&(y, _)| {
            let n = 60;
            (0..n)
                .filter(|i| i % 4 < 2)
                .map(|i| {
                    let y = if curves.view.log_y {
                        error_height(y)
                    } else {
                        y
                    };
                    (x0 + (x1 - x0) * i as f64 / n as f64, y)
                })
                .collect()
        })
        .collect();
    let train = ty(&thin(&h.train_accuracy, area.width as usize * 2));
    let mode = curves.colors;
    let mut datasets = vec![
        line(&train, fg(mode, theme::RAW)).name(tr!("accuracy-train-batches")),
        line(&quick, fg(mode, theme::TEST_SUBSET)).name(tr!("accuracy-test-subset")),
        points(
            &test,
            Marker::Dot,
            fg(mode, theme::RIGHT).add_modifier(Modifier::BOLD),
        )
        .name(tr!("accuracy-full-test")),
    ];
    let best = ty(&best.into_iter().collect::<Vec<_>>());
    let compared = curves.compared.map(|run| {
        // Clipped to the live run's axes: the chart would draw the rest past its border.
        let inside = ty(&run.curves.accuracy)
            .into_iter()
            .filter(|p| p.0 <= x1 && (y0..=y1).contains(&p.1))
            .collect::<Vec<_>>();
        (compared_name(run), inside)
    });
    if let Some((name, acc)) = &compared {
        // Its evaluations as points too: a one-epoch run has a single one, no line.
        let style = fg(mode, theme::COMPARED);
        datasets.push(line(acc, style).name(name.as_str()));
        datasets.push(points(acc, Marker::Dot, style.add_modifier(Modifier::BOLD)));
    }
    if !best.is_empty() {
        let style = fg(mode, theme::RIGHT).add_modifier(Modifier::BOLD);
        // Named in the title: the legend keeps its room for the curves.
        datasets.push(points(&best, Marker::Block, style));
    }
    if !branch_quick.is_empty() {
        datasets.push(line(&branch_quick, fg(mode, theme::BRANCH)).name(tr!("chart-branch")));
        datasets.push(points(
            &branch_test,
            Marker::Dot,
            fg(mode, theme::BRANCH).add_modifier(Modifier::BOLD),
        ));
    }
    let run_marks = mark_series(h, (y0, y1));
    // The cost chart's legend names the marks; this one keeps its room for the curves.
    push_marks(&mut datasets, &run_marks, mode, false);
    for (d, (_, name)) in dashes.iter().zip(REFERENCES) {
        datasets.push(points(d, Marker::Braille, fg(mode, theme::REFERENCE)).name(tr!(name)));
    }
    let y_label = |v: f64| {
        if curves.view.log_y {
            format!("{:.1}%", 100.0 * 10f64.powf(-v))
        } else {
            format!("{v:.3}")
        }
    };
    // Bottom right: the curves climb to the top right, leaving the bottom free.
    let chart = Chart::new(datasets)
        .block(block)
        .legend_position(Some(LegendPosition::BottomRight))
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(3, 4)))
        .x_axis(
            Axis::default()
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
