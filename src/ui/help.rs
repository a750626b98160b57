//! The `?` overlay listing every key, from the one key table ([`crate::app::keymap`]).

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::app::keymap::{Views, BINDINGS};
use crate::app::Tab;
use crate::i18n::width::cells;
use crate::tr;

/// Lines under the key list (catalogue ids).
const NOTES: [&str; 2] = ["help-acknowledged", "help-curves"];

/// The keys of the view shown, then the keys of every view, then the notes.
pub fn draw_help(frame: &mut Frame, area: Rect, tab: Tab) {
    let text: Vec<String> = BINDINGS
        .iter()
        .filter(|b| b.views.contains(tab) || (b.views == Views::Why && tab.explains()))
        .map(|b| {
            let view = match b.views {
                Views::All => String::new(),
                other => format!("{}: ", other.label()),
            };
            format!(" {:<15} {view}{}", b.keys, b.help())
        })
        .chain(NOTES.iter().map(|n| format!(" {:<15} {}", "", tr!(n))))
        .collect();
    let widest = text.iter().map(|l| cells(l)).max().unwrap_or(0);
    let width = (widest as u16 + 3).min(area.width);
    let height = (text.len() as u16 + 2).min(area.height);
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(text.join("\n"))
            .block(Block::bordered().title(format!(" {} ", tr!("help-title")))),
        popup,
    );
}
