//! The compare picker (`o`): the newest recorded runs, one digit each, over the view.

use crate::tr;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::app::CompareView;

pub fn draw_compare_picker(frame: &mut Frame, area: Rect, compare: &CompareView) {
    let Some(choices) = &compare.choices else {
        return;
    };
    let mut lines: Vec<Line> = choices
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let best = c.best.map_or_else(|| "–".into(), |b| format!("{b:.4}"));
            let text = format!(
                " {} {:<30} {}  {} ",
                i + 1,
                c.name,
                tr!("compare-epochs", epochs = format!("{:>5.1}", c.epochs)),
                tr!("compare-best", best = best)
            );
            let style = if i == compare.selected {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            };
            Line::styled(text, style)
        })
        .collect();
    lines.push(Line::from(format!(" {}", tr!("compare-keys"))));
    let height = lines.len() as u16 + 2;
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(66.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    frame.render_widget(Clear, rect);
    let block = Block::bordered().title(format!(" {} ", tr!("compare-title")));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
