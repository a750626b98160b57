//! The workspace's table: one row per entry of the runs directory, the marked runs in
//! their overlay colour, the sorted column underlined.

use crate::tr;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Row, Table, TableState};
use ratatui::Frame;

use crate::app::workspace::{Column, Workspace};
use crate::app::ColorMode;
use crate::train::runs::{ListState, ListedRun, RunSummary};
use crate::ui::theme::{self, fg};

/// Terminal width from which every column fits.
const WIDE: u16 = 110;

pub fn draw_runs_table(frame: &mut Frame, area: Rect, ws: &Workspace, mode: ColorMode) {
    let columns: &[Column] = if area.width >= WIDE {
        &Column::ALL
    } else {
        &Column::NARROW
    };
    let visible = ws.visible();
    let header = Row::new(columns.iter().map(|&c| {
        let arrow = match (c == ws.sort, ws.descending) {
            (false, _) => "",
            (true, true) => "↓",
            (true, false) => "↑",
        };
        let style = Style::default().add_modifier(Modifier::BOLD);
        let style = if c == ws.sort {
            style.add_modifier(Modifier::UNDERLINED)
        } else {
            style
        };
        Line::from(Span::styled(format!("{}{arrow}", c.title()), style))
    }));
    // The leader: the best accuracy among the rows shown (a sweep's best trial).
    // A group of repeats stands for its mean.
    let best_of = |r: &ListedRun| match ws.group_of(&r.name) {
        Some(g) => g.best.map(|b| b.mean),
        None => Some(r.summary.as_ref()?.best?.accuracy),
    };
    let leader = visible
        .iter()
        .filter_map(|r| Some((r.name.as_str(), best_of(r)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(name, _)| name.to_string());
    let rows = visible.iter().map(|run| {
        let group = ws.group_of(&run.name);
        // A group takes the colour of its first marked run.
        let colour = group
            .map_or(std::slice::from_ref(&run.name), |g| &g.members[..])
            .iter()
            .find_map(|m| ws.colour_index(m))
            .map(|i| theme::RUNS[i % theme::RUNS.len()]);
        let narrow = area.width < WIDE;
        let lead = leader.as_deref() == Some(run.name.as_str());
        Row::new(columns.iter().map(|&c| {
            let mut line = match (group, c) {
                (Some(g), Column::Best) => Line::from(
                    g.best
                        .map_or_else(|| "–".into(), |b| format!("{:.4}±{:.4}", b.mean, b.sd)),
                ),
                _ => cell(run, c, colour, ws.now_unix, mode, narrow),
            };
            if let (Some(g), Column::Name) = (group, c) {
                // `●` and a space come first; then the count, and the name without the
                // first member's seed.
                let name = super::without_seed(&line.spans[1].content).to_string();
                line.spans[1] = Span::raw(name);
                let count = format!("×{} ", g.members.len());
                line.spans
                    .insert(1, Span::styled(count, fg(mode, theme::NOTICE)));
            }
            if lead && c == Column::Best {
                line.push_span(Span::styled(" ★", fg(mode, theme::NOTICE)));
            }
            line
        }))
    });
    let widths = columns.iter().map(|&c| width(c));
    let title = format!(
        " {} ",
        tr!(
            "runs-title",
            dir = ws.dir.display().to_string(),
            shown = visible.len(),
            total = ws.runs.len(),
            marked = ws.marked.len()
        )
    );
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::bordered().title(title))
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED))
        .column_spacing(1);
    let mut state =
        TableState::default().with_selected((!visible.is_empty()).then_some(ws.selected));
    frame.render_stateful_widget(table, area, &mut state);
    if visible.is_empty() {
        let empty = tr!(if ws.runs.is_empty() {
            "runs-none"
        } else {
            "runs-none-match"
        });
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 2,
            width: area.width.saturating_sub(4),
            height: 1.min(area.height.saturating_sub(3)),
        };
        frame.render_widget(ratatui::widgets::Paragraph::new(empty), inner);
    }
}

fn width(c: Column) -> Constraint {
    match c {
        Column::Name => Constraint::Min(24),
        Column::Model => Constraint::Length(5),
        Column::Data => Constraint::Length(11),
        Column::Rate => Constraint::Length(11),
        Column::Epochs => Constraint::Length(7),
        // `0.9875±0.0001` for a group of repeats.
        Column::Best => Constraint::Length(13),
        Column::Last => Constraint::Length(8),
        Column::Cost => Constraint::Length(6),
        Column::Time => Constraint::Length(6),
        Column::State => Constraint::Length(10),
    }
}

fn cell(
    run: &ListedRun,
    c: Column,
    colour: Option<ratatui::style::Color>,
    now: u64,
    mode: ColorMode,
    narrow: bool,
) -> Line<'static> {
    if c == Column::Name {
        let (dot, style) = match colour {
            Some(col) => ("● ", fg(mode, col).add_modifier(Modifier::BOLD)),
            None => ("  ", Style::default()),
        };
        // A narrow table keeps the end of the name (model and rate) and the start time.
        let name = if narrow && run.summary.is_some() {
            super::short_label(&run.name)
        } else {
            run.name.clone()
        };
        let mut spans = vec![Span::styled(dot, style), Span::raw(name)];
        // What is wrong with an entry that is not a readable run, after its name; or
        // the run it continues, and from where.
        if let Some(problem) = &run.problem {
            spans.push(Span::styled(format!(" ({problem})"), fg(mode, theme::RAW)));
        } else if let Some(p) = run.summary.as_ref().and_then(|s| s.parent.as_ref()) {
            let at = crate::train::events::position_label(p.epoch, p.batch);
            let from = format!(" ← {} {at}", super::short_label(&p.name));
            spans.push(Span::styled(from, fg(mode, theme::RAW)));
        }
        return Line::from(spans);
    }
    if c == Column::State {
        let text = run.state.name();
        return Line::from(Span::styled(text, fg(mode, theme::list_state(run.state))));
    }
    let Some(s) = &run.summary else {
        return Line::from("");
    };
    Line::from(summary_text(s, c, run.state, now))
}

/// A summary's value in a column, as the table and `runs --list` print it.
pub fn summary_text(s: &RunSummary, c: Column, state: ListState, now: u64) -> String {
    match c {
        Column::Name | Column::State => String::new(),
        Column::Model => s.model.to_string(),
        Column::Data => format!("{} {}", short_data(&s.data_name), s.train_len),
        Column::Rate => match s.schedule {
            crate::train::Schedule::Constant => format!("{:e}", s.learning_rate),
            other => format!("{:e} {}", s.learning_rate, other.name()),
        },
        Column::Epochs => {
            let done = s.batches_done as f64 / s.batches_per_epoch.max(1) as f64;
            if (done - done.round()).abs() < 1e-9 {
                format!("{done:.0}/{}", s.epochs_planned)
            } else {
                format!("{done:.1}/{}", s.epochs_planned)
            }
        }
        Column::Best => s.best.map_or_else(
            || "–".into(),
            |b| format!("{:.4} @{:.0}", b.accuracy, b.at_epoch),
        ),
        Column::Last => s
            .last_accuracy
            .map_or_else(|| "–".into(), |a| format!("{a:.4}")),
        Column::Cost => s
            .last_cost
            .map_or_else(|| "–".into(), |c| format!("{c:.4}")),
        Column::Time => {
            // Wall time: a live run's clock runs; the others stopped at their last write.
            let end = if state == ListState::Live {
                now
            } else {
                s.updated_unix
            };
            duration(end.saturating_sub(s.started_unix) as f64)
        }
    }
}

/// `MNIST (embedded)` → `MNIST`: the table has no room for the parenthesis.
fn short_data(name: &str) -> &str {
    name.split(" (").next().unwrap_or(name)
}

/// `42s`, `3m05s`, `1h02m`.
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}
