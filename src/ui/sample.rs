//! The sample panel: a test digit at full 28×28 resolution, its label, the live model's
//! prediction (green when right, red when wrong) and the ten class probabilities; with
//! `w`, the saliency overlay of the class asked about.

use crate::app::keymap::{key_name, Action};
use crate::i18n::width::{cells, pad};
use crate::tr;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::bars::{probability_lines, BAR};
use super::look::Look;
use super::saliency::{self, draw_explained};
use super::theme::{self, fg};
use crate::app::Why;
use crate::data::SIDE;
use crate::train::SamplePrediction;

/// `7 91% 1 4% 2 1%`: the likeliest classes, the first in the verdict's colour.
fn top_three(look: &Look, probabilities: &[f32; 10], verdict: Style) -> Line<'static> {
    let mut order: Vec<usize> = (0..10).collect();
    order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
    let spans = order.iter().take(3).enumerate().map(|(i, &c)| {
        let text = format!(
            "{}{} {:.1}%",
            if i == 0 { "" } else { " · " },
            look.class_label(c),
            probabilities[c] * 100.0
        );
        if i == 0 {
            Span::styled(text, verdict)
        } else {
            Span::raw(text)
        }
    });
    Line::from(spans.collect::<Vec<_>>())
}

/// The predicted class and whether it is right: `8 ✗`.
pub(super) fn verdict_text(look: &Look, predicted: u8, right: bool) -> String {
    let mark = if right { "✓" } else { "✗" };
    format!("{} {mark}", look.class_label(predicted.into()))
}

pub fn draw_sample(
    frame: &mut Frame,
    area: Rect,
    look: &Look,
    sample: Option<&SamplePrediction>,
    why: Option<Why>,
) {
    let mode = look.colors;
    let Some(s) = sample else {
        let block = Block::bordered().title(format!(
            " {} ({}) ",
            tr!("sample-title"),
            tr!("sample-new", key = key_name(Action::NewSample))
        ));
        frame.render_widget(Paragraph::new(tr!("sample-none")).block(block), area);
        return;
    };
    let predicted = s.predicted();
    let right = predicted == s.label;
    let verdict =
        fg(mode, if right { theme::RIGHT } else { theme::WRONG }).add_modifier(Modifier::BOLD);
    // The class the overlay explains, when it is on and the worker sent the saliency.
    let by = why.map(|w| w.by).unwrap_or_default();
    let maps = saliency::maps(by, &s.saliency, &s.occlusion);
    let why_class = why
        .filter(|_| !maps.is_empty())
        .map(|w| w.class_for(predicted.into()));
    // The verdict is in the title too, so it shows even where the panel is narrow.
    let title = Line::from(vec![
        Span::raw(format!(
            " {} → ",
            tr!(
                "sample-title-label",
                label = look.class_label(s.label.into())
            )
        )),
        Span::styled(verdict_text(look, predicted, right), verdict),
        Span::raw(match why_class {
            Some(c) => {
                let question =
                    saliency::titled_question(&look.class_label(c), c == predicted as usize, by);
                format!(" · {question} ")
            }
            None => format!(
                " ({}) ",
                tr!("sample-new", key = key_name(Action::NewSample))
            ),
        }),
    ]);
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let map = why_class.map(|c| maps.of_class(c));
    let at = (inner.x, inner.y);
    let buf = frame.buffer_mut();
    draw_explained(buf, inner, at, &s.pixels, map, mode, look.graphics);
    let caption = why_class.map(|c| {
        let text = saliency::legend(&look.class_label(c), by);
        Line::styled(text, Style::default().add_modifier(Modifier::BOLD))
    });
    // The two row names padded to one width (in cells: Hangul takes two each).
    let (label, prediction) = (tr!("sample-label"), tr!("sample-prediction"));
    let names = cells(&label).max(cells(&prediction)) + 1;
    let mut lines = vec![
        Line::from(tr!("sample-test-number", index = s.index)),
        Line::from(vec![
            Span::raw(pad(&label, names)),
            Span::styled(
                look.class_label(s.label.into()),
                Style::default().add_modifier(Modifier::BOLD),
            ),
        ]),
        Line::from(vec![
            Span::raw(pad(&prediction, names)),
            Span::styled(look.class_label(predicted.into()), verdict),
            Span::styled(if right { " ✓" } else { " ✗" }, verdict),
        ]),
    ];
    lines.extend(probability_lines(
        &s.probabilities,
        predicted as usize,
        verdict,
        mode,
        BAR,
    ));
    // Beside the digit when there is room, else below it.
    let text_area = if inner.width >= SIDE as u16 + 1 + 19 {
        Rect::new(
            inner.x + SIDE as u16 + 1,
            inner.y,
            inner.width - SIDE as u16 - 1,
            inner.height,
        )
    } else {
        let top = (SIDE as u16 / 2).min(inner.height);
        Rect::new(inner.x, inner.y + top, inner.width, inner.height - top)
    };
    if usize::from(text_area.height) < lines.len() + usize::from(caption.is_some()) {
        // No room for the bars (80×24): the three likeliest classes on one line.
        lines = vec![top_three(look, &s.probabilities, verdict)];
    }
    if let Some(caption) = caption {
        lines.insert(0, caption);
    }
    frame.render_widget(Paragraph::new(lines), text_area);
}
