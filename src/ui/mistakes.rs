//! The mistakes panel: the misclassified test digits of the last full evaluation, one at a
//! time at full resolution with both labels' probabilities, and the neighbours' verdicts.

use crate::i18n::width::{cells, pad};
use crate::tr;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::look::Look;
use super::pixels::draw_digit;
use super::theme::{self, fg};
use crate::app::ReportView;
use crate::data::SIDE;

pub fn draw_mistakes(frame: &mut Frame, area: Rect, look: &Look, view: &ReportView) {
    let mode = look.colors;
    let report = match &view.report {
        Some(r) if !r.mistakes.is_empty() => r,
        Some(_) => {
            let block = Block::bordered().title(format!(" {} ", tr!("mistakes-title")));
            frame.render_widget(Paragraph::new(tr!("mistakes-none")).block(block), area);
            return;
        }
        None => {
            let block = Block::bordered().title(format!(" {} ", tr!("mistakes-title")));
            frame.render_widget(Paragraph::new(tr!("report-waiting")).block(block), area);
            return;
        }
    };
    let i = view.mistake.min(report.mistakes.len() - 1);
    let m = &report.mistakes[i];
    let block = Block::bordered().title(format!(
        " {} ",
        tr!(
            "mistakes-title-at",
            number = i + 1,
            count = report.mistakes.len(),
            epoch = format!("{:.0}", report.at_epoch)
        )
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    draw_digit(
        frame.buffer_mut(),
        inner,
        (inner.x + 1, inner.y),
        &m.pixels,
        mode,
        look.graphics,
    );
    let red = fg(mode, theme::WRONG).add_modifier(Modifier::BOLD);
    let green = fg(mode, theme::RIGHT).add_modifier(Modifier::BOLD);
    // The two row names padded to one width (in cells: Hangul takes two each).
    let (truth, predicted) = (tr!("mistakes-true-label"), tr!("mistakes-predicted"));
    let names = cells(&truth).max(cells(&predicted)) + 1;
    let mut lines = vec![
        Line::from(tr!("sample-test-number", index = m.index)),
        Line::from(vec![
            Span::raw(pad(&truth, names)),
            Span::styled(look.class_label(m.label.into()), green),
            Span::raw(format!("  p = {:.1}%", m.p_label * 100.0)),
        ]),
        Line::from(vec![
            Span::raw(pad(&predicted, names)),
            Span::styled(look.class_label(m.predicted.into()), red),
            Span::raw(format!("  p = {:.1}%", m.p_predicted * 100.0)),
        ]),
        Line::from(""),
        Line::from(tr!("mistakes-next")),
    ];
    let room = usize::from(inner.height.saturating_sub(lines.len() as u16));
    for (k, next) in report.mistakes.iter().enumerate().skip(i + 1).take(room) {
        lines.push(Line::from(format!(
            "{:>4}. #{:<5} {}",
            k + 1,
            next.index,
            tr!(
                "mistakes-taken-for",
                truth = look.class_label(next.label.into()),
                predicted = look.class_label(next.predicted.into())
            )
        )));
    }
    let text_x = inner.x + SIDE as u16 + 3;
    if text_x < inner.right() {
        let text = Rect::new(text_x, inner.y, inner.right() - text_x, inner.height);
        frame.render_widget(Paragraph::new(lines), text);
    }
}
