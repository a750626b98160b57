//! The status panel: state, epoch gauge, batch progress, speed, time, learning rate, model
//! and data set; and the bottom key line (or the learning-rate prompt).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, LineGauge, Paragraph};
use ratatui::Frame;

use super::palette::fg;
use crate::app::keymap::{self, Action, Binding};
use crate::app::{App, RunState};
use crate::train::{DivergenceReason, FileState, Schedule};

fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

fn state_style(app: &App) -> Style {
    let c = match app.run.state {
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
            format!("● {}", app.run.state.label()),
            state_style(app),
        )),
        state,
    );

    let per_epoch = app.batches_per_epoch();
    let shown_epoch = app
        .run
        .batches_done
        .saturating_sub(1)
        .checked_div(per_epoch)
        .map_or(0, |e| e + 1);
    let ratio = if app.run.epochs == 0 {
        0.0
    } else {
        (app.progress_epochs() / app.run.epochs as f64).clamp(0.0, 1.0)
    };
    frame.render_widget(
        LineGauge::default()
            .label(format!(
                "epoch {}/{} ",
                shown_epoch.min(app.run.epochs.max(1)),
                app.run.epochs
            ))
            .filled_style(fg(app.colors, Color::Green))
            .ratio(ratio),
        gauge,
    );
    let batch = app
        .run
        .batches_done
        .saturating_sub(1)
        .checked_rem(per_epoch)
        .map_or(0, |b| b + 1);
    let speed = app
        .samples_per_second
        .map_or("–".into(), |s| format!("{s:.0}"));
    let eta = match app.run.state {
        RunState::Running | RunState::Paused => app.eta_seconds().map_or("–".into(), clock),
        _ => "–".into(),
    };
    let elapsed = clock(
        app.now
            .saturating_duration_since(app.started_at)
            .as_secs_f64(),
    );
    let progress = match &app.viewing {
        Some(v) => format!(
            "  batch {batch}/{per_epoch} · viewing {} (read-only) · {}",
            v.file.display(),
            match v.state {
                FileState::Growing => "being written",
                FileState::Quiet => "not written for 30 s",
                FileState::Complete => "run ended",
            }
        ),
        None => {
            format!("  batch {batch}/{per_epoch} · {speed} img/s · elapsed {elapsed} · ETA {eta}")
        }
    };
    frame.render_widget(Paragraph::new(progress), rest);
    frame.render_widget(Paragraph::new(status_line(app)), bottom);
}

/// The second line: a divergence, else a notice, else the rate, model, data, the
/// branch and the final accuracy.
fn status_line(app: &App) -> Line<'static> {
    if let Some(d) = app.run.diverged_at {
        let restored = d.restored_epoch * app.batches_per_epoch() + d.restored_batch;
        let what = match d.reason {
            DivergenceReason::NotFinite => "diverged",
            DivergenceReason::LossExploded { .. } => "loss blew up",
        };
        Line::from(Span::styled(
            format!(
                "{what} at lr {:.3e} (epoch {}, batch {}) — restored weights from batch {restored}; lower the learning rate (-) and resume (space)",
                d.learning_rate,
                d.epoch + 1,
                d.batch + 1
            ),
            fg(app.colors, Color::Red),
        ))
    } else if let Some(notice) = &app.notice {
        Line::from(Span::styled(notice.clone(), fg(app.colors, Color::Yellow)))
    } else if app.info.is_none() {
        Line::from("loading the data and the model…")
    } else {
        let info = app.info.as_ref();
        let mut spans = vec![
            Span::raw("lr "),
            Span::styled(
                format!("{:.3e}", app.run.learning_rate),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(match app.run.schedule {
                Schedule::Constant => String::new(),
                s => format!(" ({})", s.name()),
            }),
            Span::raw(format!(
                "  model {}  data {}  threads {}  kernels {}",
                info.map_or("–".into(), |i| i.model.to_string()),
                info.map_or("–".into(), |i| i.data_name.clone()),
                info.map_or(0, |i| i.threads),
                info.map_or("–", |i| i.kernels.label()),
            )),
        ];
        if let Some(b) = &app.branch {
            let test = b
                .run
                .history
                .test_accuracy
                .last()
                .or(b.run.history.quick_accuracy.last())
                .map_or(String::new(), |p| format!(" test {:.4}", p.1));
            spans.push(Span::styled(
                format!(
                    "  branch lr {:.3e} {}{test} (k keeps it, m drops it, ( ) lr)",
                    b.run.learning_rate,
                    b.run.state.label()
                ),
                fg(app.colors, Color::LightRed),
            ));
        }
        if let Some(acc) = app.run.final_accuracy {
            spans.push(Span::styled(
                format!("  final accuracy {acc:.4}"),
                fg(app.colors, Color::Cyan),
            ));
        }
        Line::from(spans)
    }
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
            let viewing = app.viewing.is_some();
            let mut keys: Vec<Vec<Span>> = keymap::key_line(app.tab)
                .filter(|b| !(viewing && b.codes.iter().all(|c| c.1.steers_the_run())))
                .map(|b| key(&b.keys_short(), short_label(app, b)))
                .collect();
            if viewing {
                keys.push(vec![Span::raw(" (read-only)")]);
            }
            Line::from(keys.concat())
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// A binding's word on the key line; the pad's toggles say what the next press does.
fn short_label(app: &App, b: &Binding) -> &'static str {
    match b.codes.first().map(|c| c.1) {
        Some(Action::TogglePen) if app.pad.pen_down => "lift pen",
        Some(Action::ToggleEraser) if app.pad.erasing => "draw",
        _ => b.short,
    }
}
