//! The mistakes panel: the misclassified test digits of the last full evaluation, one at a
//! time at full resolution with both labels' probabilities, and the neighbours' verdicts.

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
            let block = Block::bordered().title(" Mistakes ");
            frame.render_widget(
                Paragraph::new("no mistakes on the test set").block(block),
                area,
            );
            return;
        }
        None => {
            let block = Block::bordered().title(" Mistakes ");
            frame.render_widget(
                Paragraph::new("no full test evaluation yet (one runs at each epoch's end)")
                    .block(block),
                area,
            );
            return;
        }
    };
    let i = view.mistake.min(report.mistakes.len() - 1);
    let m = &report.mistakes[i];
    let block = Block::bordered().title(format!(
        " Mistake {} of {} after epoch {:.0} (←/→) ",
        i + 1,
        report.mistakes.len(),
        report.at_epoch
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
    let mut lines = vec![
        Line::from(format!("test #{}", m.index)),
        Line::from(vec![
            Span::raw("true label "),
            Span::styled(look.class_label(m.label.into()), green),
            Span::raw(format!("  p = {:.1}%", m.p_label * 100.0)),
        ]),
        Line::from(vec![
            Span::raw("predicted  "),
            Span::styled(look.class_label(m.predicted.into()), red),
            Span::raw(format!("  p = {:.1}%", m.p_predicted * 100.0)),
        ]),
        Line::from(""),
        Line::from("next:"),
    ];
    let room = usize::from(inner.height.saturating_sub(lines.len() as u16));
    for (k, next) in report.mistakes.iter().enumerate().skip(i + 1).take(room) {
        lines.push(Line::from(format!(
            "{:>4}. #{:<5} {} taken for {}",
            k + 1,
            next.index,
            look.class_label(next.label.into()),
            look.class_label(next.predicted.into())
        )));
    }
    let text_x = inner.x + SIDE as u16 + 3;
    if text_x < inner.right() {
        let text = Rect::new(text_x, inner.y, inner.right() - text_x, inner.height);
        frame.render_widget(Paragraph::new(lines), text);
    }
}
