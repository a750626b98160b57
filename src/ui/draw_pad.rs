//! The draw pad: the user's canvas (28×28 at half-block resolution, cursor marked), what
//! the model is shown after MNIST-style preprocessing (with `w`, explained by saliency),
//! and the live model's verdict.

use crate::app::keymap::{key_name, Action};
use crate::tr;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::bars::{probability_lines, BAR, BESIDE_BAR};
use super::look::Look;
use super::pixels::draw_grey;
use super::saliency::{self, draw_explained};
use super::theme::{self, fg};
use crate::app::draw_pad::{DrawPad, PAD_ORIGIN};
use crate::app::ColorMode;
use crate::app::Why;
use crate::data::SIDE;
use crate::train::events::argmax;

/// Width of a 28-pixel image with its border.
const BOXED: u16 = SIDE as u16 + 2;

pub fn draw_pad(
    frame: &mut Frame,
    area: Rect,
    look: &Look,
    (pad, why): (&DrawPad, Option<Why>),
    screen_size: (u16, u16),
) {
    let mode = look.colors;
    let zoomed = DrawPad::zoomed(screen_size);
    let (pad_width, pad_rows) = if zoomed {
        (2 * SIDE as u16, SIDE as u16)
    } else {
        (SIDE as u16, SIDE as u16 / 2)
    };
    let height = (SIDE as u16 / 2 + 2).min(area.height);
    // The pad sits where mouse input expects it.
    let pad_area = Rect::new(
        PAD_ORIGIN.0 - 1,
        PAD_ORIGIN.1 - 1,
        pad_width + 2,
        (pad_rows + 2).min(area.height),
    )
    .intersection(area);
    let tool = tr!(if pad.erasing { "pad-eraser" } else { "pad-pen" });
    let block = Block::bordered().title(format!(" {} ", tr!("pad-title", tool = tool)));
    let inner = block.inner(pad_area);
    frame.render_widget(block, pad_area);
    if zoomed {
        draw_zoomed(frame, inner, &pad.canvas, mode);
    } else {
        draw_grey(
            frame.buffer_mut(),
            inner,
            (inner.x, inner.y),
            &pad.canvas,
            mode,
            // The pad is drawn on with the mouse, cell by cell: it stays in half blocks.
            None,
        );
    }
    draw_cursor(frame, inner, (pad, mode), zoomed);

    let seen_x = pad_area.right() + 1;
    if seen_x + BOXED > area.right() {
        return;
    }
    let seen_area = Rect::new(seen_x, pad_area.y, BOXED, height);
    // With `w`, what the model sees is explained for the class asked about.
    let by = why.map(|w| w.by).unwrap_or_default();
    let maps = saliency::maps(by, &pad.saliency, &pad.occlusion);
    let why_class = match (why, &pad.prediction) {
        (Some(why), Some(p)) if !maps.is_empty() => Some(why.class_for(argmax(p))),
        _ => None,
    };
    let title = match (why_class, &pad.prediction) {
        _ if pad.fooled.is_some() => {
            let f = pad.fooled.as_deref().expect("checked");
            format!(
                " {} ",
                tr!("pad-fooled-title", epsilon = format!("{:.3}", f.epsilon))
            )
        }
        (Some(c), Some(p)) => {
            format!(
                " {} ",
                saliency::titled_question(&look.class_label(c), c == argmax(p), by)
            )
        }
        _ => format!(" {} ", tr!("pad-model-sees")),
    };
    let block = Block::bordered().title(title);
    let inner = block.inner(seen_area);
    frame.render_widget(block, seen_area);
    let map = why_class.map(|c| maps.of_class(c));
    let (at, buf) = ((inner.x, inner.y), frame.buffer_mut());
    match &pad.fooled {
        // The changed picture, as the model sees it: no explanation of the drawing on it.
        Some(f) => {
            let changed: Vec<u8> = f
                .pixels
                .iter()
                .map(|&v| (v * 255.0).round() as u8)
                .collect();
            draw_explained(buf, inner, at, &changed, None, mode, look.graphics);
        }
        None => {
            let seen = pad.model_input();
            draw_explained(buf, inner, at, &seen, map, mode, look.graphics);
        }
    }

    let verdict_x = seen_area.right() + 1;
    if verdict_x >= area.right() {
        return;
    }
    let verdict_area = Rect::new(verdict_x, pad_area.y, area.right() - verdict_x, area.height);
    let block = Block::bordered().title(format!(" {} ", tr!("pad-prediction")));
    let lines = match (&pad.prediction, pad.is_empty()) {
        (_, true) => vec![
            Line::from(tr!("pad-hint-draw")),
            Line::from(""),
            Line::from(tr!("pad-hint-mouse")),
            Line::from(tr!("pad-hint-right")),
            Line::from(tr!("pad-hint-arrows")),
            Line::from(tr!(
                "pad-hint-pen",
                pen = key_name(Action::TogglePen),
                eraser = key_name(Action::ToggleEraser)
            )),
            Line::from(tr!("pad-hint-clear", key = key_name(Action::ClearPad))),
        ],
        _ if pad.fooled.is_some() => {
            let f = pad.fooled.as_deref().expect("checked");
            let style = fg(mode, theme::WRONG).add_modifier(Modifier::BOLD);
            let mut lines = vec![Line::styled(
                tr!(
                    "pad-fooled-verdict",
                    now = look.class_label(f.now),
                    percent = format!("{:.1}", f.probabilities[f.now] * 100.0),
                    was = look.class_label(f.was)
                ),
                style,
            )];
            let room = usize::from(verdict_area.width.saturating_sub(2)).saturating_sub(BESIDE_BAR);
            lines.extend(probability_lines(
                &f.probabilities,
                f.now,
                style,
                mode,
                room.min(BAR),
            ));
            lines.push(Line::from(tr!(
                "pad-each-pixel",
                epsilon = format!("{:.3}", f.epsilon)
            )));
            lines.push(Line::from(tr!(
                "pad-put-back",
                key = key_name(Action::PutBack)
            )));
            lines
        }
        _ if pad.fooling => vec![Line::from(tr!("pad-fooling"))],
        (None, false) => vec![Line::from(tr!("pad-asking"))],
        (Some(p), false) => {
            let best = argmax(p);
            let style = fg(mode, theme::EPOCH).add_modifier(Modifier::BOLD);
            let mut lines = vec![Line::styled(
                format!("{}  ({:.1}%)", look.class_label(best), p[best] * 100.0),
                style,
            )];
            let room = usize::from(verdict_area.width.saturating_sub(2)).saturating_sub(BESIDE_BAR);
            lines.extend(probability_lines(p, best, style, mode, room.min(BAR)));
            if let Some(c) = why_class {
                let question = saliency::question(&look.class_label(c), c == best);
                let text = format!("{question} {}", saliency::legend(&look.class_label(c), by));
                lines.push(Line::styled(
                    text,
                    Style::default().add_modifier(Modifier::BOLD),
                ));
            }
            lines
        }
    };
    frame.render_widget(Paragraph::new(lines).block(block), verdict_area);
}

/// The pad at two cells per pixel: each pixel a pair of full blocks in its grey.
fn draw_zoomed(frame: &mut Frame, inner: Rect, canvas: &[f32], mode: ColorMode) {
    for (i, &v) in canvas.iter().enumerate() {
        let (x, y) = ((i % SIDE) as u16 * 2, (i / SIDE) as u16);
        for dx in 0..2 {
            let (cx, cy) = (inner.x + x + dx, inner.y + y);
            if cx >= inner.right() || cy >= inner.bottom() {
                continue;
            }
            let cell = &mut frame.buffer_mut()[(cx, cy)];
            if mode == ColorMode::None {
                cell.set_symbol(super::theme::shade(v));
            } else {
                cell.set_symbol("█").set_fg(super::theme::grey(mode, v));
            }
        }
    }
}

/// The keyboard cursor: its cell (both cells, zoomed) underlined in the pen's colour.
fn draw_cursor(frame: &mut Frame, inner: Rect, (pad, mode): (&DrawPad, ColorMode), zoomed: bool) {
    if zoomed {
        let (x, y) = (
            inner.x + 2 * pad.cursor.0 as u16,
            inner.y + pad.cursor.1 as u16,
        );
        let pen = if pad.pen_down {
            theme::SMOOTHED
        } else {
            theme::EPOCH
        };
        for cx in [x, x + 1] {
            if cx < inner.right() && y < inner.bottom() {
                let cell = &mut frame.buffer_mut()[(cx, y)];
                cell.set_style(Style::default().add_modifier(Modifier::UNDERLINED));
                cell.set_symbol(if mode == ColorMode::None { "_" } else { "▄" });
                if mode != ColorMode::None {
                    cell.set_fg(pen);
                }
            }
        }
        return;
    }
    let (cx, cy) = (
        inner.x + pad.cursor.0 as u16,
        inner.y + pad.cursor.1 as u16 / 2,
    );
    if cx < inner.right() && cy < inner.bottom() {
        let cell = &mut frame.buffer_mut()[(cx, cy)];
        let pen = if pad.pen_down {
            theme::SMOOTHED
        } else {
            theme::EPOCH
        };
        cell.set_style(Style::default().add_modifier(Modifier::UNDERLINED));
        if mode != ColorMode::None {
            cell.set_fg(pen);
        }
        if cell.symbol() == " " || mode != ColorMode::None {
            cell.set_symbol(if pad.cursor.1.is_multiple_of(2) {
                "▀"
            } else {
                "▄"
            });
        }
    }
}
