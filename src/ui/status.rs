//! The status panel: state, epoch gauge, batch progress, speed, time, learning rate, model
//! and data set; and the bottom key line (or the learning-rate prompt).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, LineGauge, Paragraph};
use ratatui::Frame;

use super::palette::fg;
use crate::app::{App, RunState, Tab};

fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

fn state_style(app: &App) -> Style {
    let c = match app.state {
        RunState::Running => Color::Green,
        RunState::Paused | RunState::Starting => Color::Yellow,
        RunState::Finished => Color::Cyan,
        RunState::Diverged | RunState::Crashed => Color::Red,
        RunState::Stopped => Color::Gray,
    };
    fg(app.colors, c).add_modifier(Modifier::BOLD)
}

pub fn draw_status(frame: &mut Frame, area: Rect, app: &App) {
    let block = Block::bordered().title(" Status ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(inner);
    let [state, gauge, rest] = Layout::horizontal([
        Constraint::Length(11),
        Constraint::Length(26),
        Constraint::Fill(1),
    ])
    .areas(top);
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!("● {}", app.state.label()),
            state_style(app),
        )),
        state,
    );

    let per_epoch = app.batches_per_epoch();
    let shown_epoch = app
        .batches_done
        .saturating_sub(1)
        .checked_div(per_epoch)
        .map_or(0, |e| e + 1);
    let ratio = if app.epochs == 0 {
        0.0
    } else {
        (app.progress_epochs() / app.epochs as f64).clamp(0.0, 1.0)
    };
    frame.render_widget(
        LineGauge::default()
            .label(format!(
                "epoch {}/{} ",
                shown_epoch.min(app.epochs.max(1)),
                app.epochs
            ))
            .filled_style(fg(app.colors, Color::Green))
            .ratio(ratio),
        gauge,
    );
    let batch = app
        .batches_done
        .saturating_sub(1)
        .checked_rem(per_epoch)
        .map_or(0, |b| b + 1);
    let speed = app
        .samples_per_second
        .map_or("–".into(), |s| format!("{s:.0}"));
    let eta = match app.state {
        RunState::Running | RunState::Paused => app.eta_seconds().map_or("–".into(), clock),
        _ => "–".into(),
    };
    let elapsed = clock(
        app.now
            .saturating_duration_since(app.started_at)
            .as_secs_f64(),
    );
    frame.render_widget(
        Paragraph::new(format!(
            "  batch {batch}/{per_epoch} · {speed} img/s · elapsed {elapsed} · ETA {eta}"
        )),
        rest,
    );

    let line = if let Some(((epoch, batch, lr), (good_epoch, good_batch))) = app.diverged_at {
        let restored = good_epoch * app.batches_per_epoch() + good_batch;
        Line::from(Span::styled(
            format!(
                "diverged at lr {lr:.3e} (epoch {}, batch {}) — restored weights from batch {restored}; lower the learning rate (-) and resume (space)",
                epoch + 1,
                batch + 1
            ),
            fg(app.colors, Color::Red),
        ))
    } else if let Some(notice) = &app.notice {
        Line::from(Span::styled(notice.clone(), fg(app.colors, Color::Yellow)))
    } else {
        let info = app.info.as_ref();
        let mut spans = vec![
            Span::raw("lr "),
            Span::styled(
                format!("{:.3e}", app.learning_rate),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!(
                "  model {}  data {}  threads {}",
                info.map_or("–".into(), |i| i.model.to_string()),
                info.map_or("–".into(), |i| i.data_name.clone()),
                info.map_or(0, |i| i.threads),
            )),
        ];
        if let Some(b) = &app.branch {
            let test = b
                .history
                .test_accuracy
                .last()
                .or(b.history.quick_accuracy.last())
                .map_or(String::new(), |p| format!(" test {:.4}", p.1));
            spans.push(Span::styled(
                format!(
                    "  branch lr {:.3e} {}{test} (k keeps it, m drops it, ( ) lr)",
                    b.learning_rate,
                    b.state.label()
                ),
                fg(app.colors, Color::LightRed),
            ));
        }
        if let Some(acc) = app.final_accuracy {
            spans.push(Span::styled(
                format!("  final accuracy {acc:.4}"),
                fg(app.colors, Color::Cyan),
            ));
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), bottom);
}

/// The bottom line: the main keys, or the learning-rate prompt while it is open.
pub fn draw_keys(frame: &mut Frame, area: Rect, app: &App) {
    let line = match &app.prompt {
        Some(p) => Line::from(vec![
            Span::styled(
                " learning rate: ",
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("{}▏", p.text)),
            Span::raw("  (Enter applies, Esc cancels)"),
        ]),
        None => {
            let key = |k: &str, what: &str| {
                vec![
                    Span::styled(
                        format!(" {k}"),
                        Style::default().add_modifier(Modifier::REVERSED),
                    ),
                    Span::raw(format!(" {what} ")),
                ]
            };
            let keys = match app.tab {
                Tab::Draw => vec![
                    key("Esc", "back"),
                    key("mouse", "drag draws, right erases"),
                    key("arrows", "move"),
                    key(
                        "space",
                        if app.pad.pen_down {
                            "lift pen"
                        } else {
                            "pen down"
                        },
                    ),
                    key("x", if app.pad.erasing { "draw" } else { "eraser" }),
                    key("c", "clear"),
                    key("?", "help"),
                ],
                Tab::Mistakes => vec![
                    key("q", "quit"),
                    key("←/→", "browse"),
                    key("PgUp/PgDn", "±10"),
                    key("Tab", "view"),
                    key("space", "pause"),
                    key("+/-", "lr"),
                    key("?", "help"),
                ],
                // The most used first: the line is cut at the terminal's edge.
                _ => vec![
                    key("q", "quit"),
                    key("space", "pause"),
                    key("+/-", "lr"),
                    key("]/[", "epochs"),
                    key("Tab", "view"),
                    key("d", "draw"),
                    key("?", "help"),
                    key(".", "step"),
                    key("l", "set lr"),
                    key("n", "digit"),
                    key("s", "save"),
                ],
            };
            Line::from(keys.concat())
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}
