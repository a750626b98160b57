//! The top line: which view the main area shows.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::Tabs;
use ratatui::Frame;

use crate::app::Tab;
use crate::i18n::width::cells;

/// Columns the tab line takes with full labels: each title, a space either side, and a
/// divider between two.
fn full_width() -> u16 {
    let titles: usize = Tab::ALL.iter().map(|t| cells(&t.label()) + 2).sum();
    (titles + Tab::ALL.len() * 3 - 1) as u16
}

pub fn draw_tabs(frame: &mut Frame, area: Rect, tab: Tab) {
    // Narrow (80 columns): short labels.
    let narrow = area.width < full_width();
    let titles = Tab::ALL.iter().enumerate().map(|(i, t)| {
        let label = if narrow { t.short_label() } else { t.label() };
        format!("{} {label}", i + 1)
    });
    let selected = Tab::ALL.iter().position(|&t| t == tab).unwrap_or(0);
    let tabs = Tabs::new(titles)
        .select(selected)
        .highlight_style(Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD))
        .divider("│");
    frame.render_widget(tabs, area);
}
