//! The `?` overlay listing every key.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

pub const KEYS: [(&str, &str); 17] = [
    (
        "q, Esc, Ctrl-C",
        "quit (the worker stops at a batch boundary)",
    ),
    ("space", "pause / resume"),
    (".", "step exactly one batch while paused"),
    (
        "+ / -",
        "learning rate × / ÷ 10^(1/4) (four presses a decade)",
    ),
    ("l", "type an exact learning rate"),
    ("] / [", "one epoch more / less (continues after finishing)"),
    ("n", "draw a new random test digit"),
    ("s", "save a checkpoint now (where --save says, see --help)"),
    ("L", "log / linear cost axis"),
    (
        "Tab, 1-4",
        "curves & filters / confusion / mistakes (←/→) / draw",
    ),
    ("d", "draw a digit: mouse drag, right-drag erases; arrows,"),
    ("", "space pen up/down, x eraser, c clear, Esc back"),
    ("b", "branch: a second run from here at the lr ÷ 10^(1/2)"),
    (
        "k / m, ( / )",
        "keep the branch / the main run; branch lr ÷ / ×",
    ),
    ("?", "this help (Esc or ? closes it)"),
    ("", "The screen shows the values the trainer acknowledged."),
    (
        "",
        "Curves: x in epochs; magenta marks are learning-rate changes.",
    ),
];

pub fn draw_help(frame: &mut Frame, area: Rect) {
    let text: Vec<String> = KEYS
        .iter()
        .map(|(k, what)| format!(" {k:<15} {what}"))
        .collect();
    let width =
        (text.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u16 + 3).min(area.width);
    let height = (text.len() as u16 + 2).min(area.height);
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(text.join("\n")).block(Block::bordered().title(" Keys ")),
        popup,
    );
}
