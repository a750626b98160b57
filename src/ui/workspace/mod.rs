//! The runs workspace, drawn: the table of runs above, the marked runs' curves below, a
//! notice and the keys at the bottom. Pure, like the dashboard's panels.

mod overlay;
pub mod table;

use crate::i18n::width::cells;
use crate::tr;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::workspace::Workspace;
use crate::app::{ColorMode, MIN_SIZE};
use crate::ui::theme::{self, fg};

pub use overlay::{short_label, without_seed};

/// The keys, most used first: a narrow terminal keeps the first ones.
const KEYS: [(&str, &str); 14] = [
    ("space", "runs-key-mark"),
    ("↵", "runs-key-open"),
    ("r", "runs-key-resume"),
    ("/", "runs-key-filter"),
    ("s S", "runs-key-sort"),
    ("w", "runs-key-smooth"),
    ("x", "runs-key-x-axis"),
    ("z", "runs-key-whole-run"),
    ("L", "runs-key-log"),
    ("R", "runs-key-repeats"),
    ("u", "runs-key-unmark"),
    ("d", "runs-key-delete"),
    ("P", "runs-key-picture"),
    ("q", "runs-key-quit"),
];

/// Draws the whole workspace.
pub fn draw_workspace(frame: &mut Frame, ws: &Workspace, mode: ColorMode) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let text = tr!(
            "terminal-too-small",
            need = format!("{}×{}", MIN_SIZE.0, MIN_SIZE.1),
            have = format!("{}×{}", area.width, area.height)
        );
        frame.render_widget(Paragraph::new(text), area);
        return;
    }
    let rows = ws.visible().len() as u16;
    // The table takes what its rows need, up to 40 % of the screen; the charts the rest.
    let table_height = (rows.max(1) + 3).min(area.height * 2 / 5).max(5);
    let [table, charts, notice, keys] = Layout::vertical([
        Constraint::Length(table_height),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    table::draw_runs_table(frame, table, ws, mode);
    let [cost, accuracy] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(charts);
    overlay::draw_overlay(frame, (cost, accuracy), ws, mode);
    draw_notice(frame, notice, ws, mode);
    draw_keys(frame, keys);
}

fn draw_notice(frame: &mut Frame, area: Rect, ws: &Workspace, mode: ColorMode) {
    let line = if ws.typing_filter {
        Line::from(vec![
            Span::styled(
                format!(" {}: ", tr!("runs-filter")),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("{}▏", ws.filter)),
            Span::raw(format!("  ({})", tr!("runs-filter-typing"))),
        ])
    } else if let Some(n) = &ws.notice {
        Line::from(Span::styled(format!(" {n}"), fg(mode, theme::NOTICE)))
    } else if !ws.filter.is_empty() {
        Line::from(format!(
            " {}",
            tr!("runs-filter-set", filter = ws.filter.clone())
        ))
    } else {
        Line::from("")
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_keys(frame: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    let mut used = 0usize;
    for (k, what) in KEYS {
        let what = tr!(what);
        let width = cells(k) + cells(&what) + 3;
        if used + width > area.width as usize {
            break;
        }
        used += width;
        spans.push(Span::styled(
            format!(" {k}"),
            Style::default().add_modifier(Modifier::REVERSED),
        ));
        spans.push(Span::raw(format!(" {what} ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
