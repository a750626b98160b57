//! The learning-rate finder overlay: the sweep's loss against the rate on a log axis,
//! filling in as it runs, the three suggestions as vertical marks (the chosen one bold),
//! and a readout line with the keys.

use crate::app::keymap::{key_name, Action};
use crate::tr;
use crate::train::lr_finder::suggestion_label;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Clear, Paragraph};
use ratatui::Frame;

use super::chart::{bounds, line, points};
use super::theme::{self, fg};
use crate::app::{ColorMode, FinderView, SweepOf};
use crate::train::lr_finder::{END, START, STEPS};

/// One colour per suggestion, in the order they are listed.
const MARKS: [Color; 3] = theme::SUGGESTIONS;

pub fn draw_finder(frame: &mut Frame, area: Rect, mode: ColorMode, finder: &FinderView) {
    let of = tr!(match finder.of {
        SweepOf::Main => "finder-of-run",
        SweepOf::Branch => "finder-of-branch",
    });
    let title = match &finder.done {
        Some(s) => format!(
            " {} ",
            tr!("finder-title-done", of = of, batches = s.points.len())
        ),
        None => format!(
            " {} ",
            tr!(
                "finder-title-sweeping",
                of = of,
                batches = finder.points.len(),
                steps = STEPS
            )
        ),
    };
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [chart_area, readout] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    let x = |lr: f64| lr.log10();
    let raw: Vec<(f64, f64)> = finder
        .points
        .iter()
        .map(|p| (x(p.learning_rate), p.loss as f64))
        .collect();
    let smooth: Vec<(f64, f64)> = finder
        .points
        .iter()
        .map(|p| (x(p.learning_rate), p.smoothed))
        .collect();
    let (y0, y1) = y_range(finder);
    let suggestions = finder.suggestions();
    let marks: Vec<Vec<(f64, f64)>> = suggestions
        .iter()
        .map(|&(_, lr)| vec![(x(lr), y0), (x(lr), y1)])
        .collect();
    let names: Vec<String> = suggestions
        .iter()
        .map(|(name, lr)| format!("{} {lr:.1e}", suggestion_label(name)))
        .collect();
    let mut datasets = vec![
        points(&raw, Marker::Dot, fg(mode, theme::RAW)).name(tr!("finder-batch")),
        line(&smooth, fg(mode, theme::SMOOTHED)).name(tr!("chart-smoothed")),
    ];
    for (i, (m, name)) in marks.iter().zip(&names).enumerate() {
        let mut style = fg(mode, MARKS[i % MARKS.len()]);
        if i == finder.chosen {
            style = style.add_modifier(Modifier::BOLD);
        }
        datasets.push(line(m, style).name(name.as_str()));
    }
    let decades: Vec<Line> = [-7.0, -5.0, -3.0, -1.0, 1.0]
        .iter()
        .map(|&d: &f64| Line::from(format!("{:.0e}", 10f64.powf(d))))
        .collect();
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .title(tr!("finder-rate"))
                .bounds([START.log10(), END.log10()])
                .labels(decades),
        )
        .y_axis(Axis::default().bounds([y0, y1]).labels(vec![
            Line::from(format!("{y0:.2}")),
            Line::from(format!("{y1:.2}")),
        ]))
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)));
    frame.render_widget(chart, chart_area);
    frame.render_widget(Paragraph::new(readout_line(finder, mode)), readout);
}

/// The loss range shown: the smoothed curve from its lowest to its start (the blow-up
/// at the end would flatten everything else).
fn y_range(finder: &FinderView) -> (f64, f64) {
    let (lo, hi) = bounds(finder.points.iter().map(|p| p.smoothed));
    let first = finder.points.first().map_or(hi, |p| p.smoothed);
    (lo.max(0.0), hi.min(first * 1.5).max(lo + 1e-3))
}

/// `▸ valley 2.0e-3  steepest …  ←/→ choose · Enter apply · Esc discard`.
fn readout_line(finder: &FinderView, mode: ColorMode) -> Line<'static> {
    let suggestions = finder.suggestions();
    if finder.done.is_none() {
        return Line::from(format!(
            " {}",
            tr!("finder-waiting", key = key_name(Action::CloseFinder))
        ));
    }
    if suggestions.is_empty() {
        return Line::from(format!(
            " {}",
            tr!("finder-too-early", key = key_name(Action::CloseFinder))
        ));
    }
    let mut spans = Vec::new();
    for (i, (name, lr)) in suggestions.iter().enumerate() {
        let chosen = i == finder.chosen;
        let style = fg(mode, MARKS[i % MARKS.len()]);
        let style = if chosen {
            style.add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            style
        };
        spans.push(Span::raw(if chosen { " ▸" } else { "  " }));
        spans.push(Span::styled(
            format!("{} {lr:.2e}", suggestion_label(name)),
            style,
        ));
    }
    spans.push(Span::styled(
        format!(
            "   {}",
            tr!(
                "finder-keys",
                previous = key_name(Action::PreviousSuggestion),
                next = key_name(Action::NextSuggestion),
                apply = key_name(Action::ApplySuggestion),
                discard = key_name(Action::CloseFinder)
            )
        ),
        Style::default().add_modifier(Modifier::DIM),
    ));
    Line::from(spans)
}
