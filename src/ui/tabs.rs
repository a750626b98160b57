//! The top line: which view the main area shows.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::Tabs;
use ratatui::Frame;

use crate::app::{App, Tab};

pub fn draw_tabs(frame: &mut Frame, area: Rect, app: &App) {
    let titles = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{} {}", i + 1, t.label()));
    let selected = Tab::ALL.iter().position(|&t| t == app.tab).unwrap_or(0);
    let tabs = Tabs::new(titles)
        .select(selected)
        .highlight_style(Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD))
        .divider("│");
    frame.render_widget(tabs, area);
}
