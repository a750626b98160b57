//! The ten class probabilities as bars, shared by every panel that shows a verdict.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::theme::{self, fg};
use crate::app::ColorMode;

/// Width of a full bar where there is room.
pub const BAR: usize = 10;

/// Columns a line takes besides its bar (`"7 "` and `" 100.0%"`).
pub const BESIDE_BAR: usize = 9;

/// One line per class: digit, bar of `width` cells, percentage; `highlight` is the
/// predicted class.
pub fn probability_lines(
    probabilities: &[f32; 10],
    highlight: usize,
    highlight_style: Style,
    mode: ColorMode,
    width: usize,
) -> Vec<Line<'static>> {
    let bar = width.max(1);
    probabilities
        .iter()
        .enumerate()
        .map(|(digit, &p)| {
            let filled = ((p * bar as f32).round() as usize).min(bar);
            let style = if digit == highlight {
                highlight_style
            } else {
                fg(mode, theme::REFERENCE)
            };
            Line::from(vec![
                Span::raw(format!("{digit} ")),
                Span::styled("█".repeat(filled), style),
                Span::styled("·".repeat(bar - filled), fg(mode, theme::RAW)),
                Span::raw(format!(" {:>5.1}%", p * 100.0)),
            ])
        })
        .collect()
}
