//! The confusion panel: test images by true label (rows) and prediction (columns) from the
//! last full evaluation, as a heatmap with counts, and the pairs most often confused.

use crate::tr;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::look::Look;
use super::theme::{self, fg, heat};
use crate::app::ColorMode;
use crate::train::TestReport;

/// Width of one matrix cell.
const CELL: usize = 5;

pub fn draw_confusion(frame: &mut Frame, area: Rect, look: &Look, report: Option<&TestReport>) {
    let Some(report) = report else {
        let block = Block::bordered().title(format!(" {} ", tr!("confusion-title")));
        frame.render_widget(Paragraph::new(tr!("report-waiting")).block(block), area);
        return;
    };
    let mode = look.colors;
    let [matrix_area, pairs_area] = Layout::horizontal([
        Constraint::Length(4 + 10 * CELL as u16 + 2),
        Constraint::Fill(1),
    ])
    .areas(area);
    let block = Block::bordered().title(format!(
        " {} ",
        tr!(
            "confusion-title-at",
            epoch = format!("{:.0}", report.at_epoch)
        )
    ));
    let off_diagonal_max = (0..10)
        .flat_map(|t| (0..10).filter(move |&p| p != t).map(move |p| (t, p)))
        .map(|(t, p)| report.confusion[t][p])
        .max()
        .unwrap_or(0)
        .max(1);
    let mut lines = vec![Line::from(
        std::iter::once(Span::raw("    "))
            .chain((0..10).map(|p| {
                Span::styled(
                    format!("{p:>width$}", width = CELL - 1) + " ",
                    Style::default().add_modifier(Modifier::BOLD),
                )
            }))
            .collect::<Vec<_>>(),
    )];
    for t in 0..10 {
        let mut spans = vec![Span::styled(
            format!(" {t}  "),
            Style::default().add_modifier(Modifier::BOLD),
        )];
        for p in 0..10 {
            let count = report.confusion[t][p];
            let text = format!("{count:>width$} ", width = CELL - 1);
            let style = if t == p {
                fg(mode, theme::RIGHT)
            } else if count == 0 {
                fg(mode, theme::RAW)
            } else {
                cell_style(mode, count as f32 / off_diagonal_max as f32)
            };
            spans.push(Span::styled(text, style));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines).block(block), matrix_area);

    let mut pairs: Vec<(u32, usize, usize)> = (0..10)
        .flat_map(|t| (0..10).map(move |p| (t, p)))
        .filter(|&(t, p)| t != p)
        .map(|(t, p)| (report.confusion[t][p], t, p))
        .filter(|&(n, _, _)| n > 0)
        .collect();
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let total: u32 = report.confusion.iter().flatten().sum();
    let wrong: u32 = pairs.iter().map(|p| p.0).sum();
    let mut lines = vec![Line::from(tr!(
        "confusion-wrong",
        wrong = wrong,
        total = total
    ))];
    lines.extend(
        pairs
            .iter()
            .take(usize::from(area.height.saturating_sub(3)))
            .map(|&(n, t, p)| {
                Line::from(tr!(
                    "confusion-pair",
                    truth = look.class_label(t),
                    predicted = look.class_label(p),
                    count = n
                ))
            }),
    );
    let block = Block::bordered().title(format!(" {} ", tr!("confusion-most-confused")));
    frame.render_widget(Paragraph::new(lines).block(block), pairs_area);
}

/// Background heat for an off-diagonal count, with text that stays readable on it.
fn cell_style(mode: ColorMode, t: f32) -> Style {
    match mode {
        ColorMode::None => {
            if t > 0.5 {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            }
        }
        _ => Style::default().bg(heat(mode, t)).fg(if t > 0.6 {
            theme::ON_PICTURE
        } else {
            theme::ON_LIGHT
        }),
    }
}
