//! The status panel: state, epoch gauge, batch progress, speed, time, learning rate, model
//! and data set; and the bottom key line (or the learning-rate prompt).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, LineGauge, Paragraph};
use ratatui::Frame;

use super::theme::{self, fg};
use crate::app::keymap::{self, key_name, Action, Binding};
use crate::app::{App, RunState};
use crate::i18n::width::cells;
use crate::tr;
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
    fg(app.screen.colors, theme::run_state(app.run.state)).add_modifier(Modifier::BOLD)
}

pub fn draw_status(frame: &mut Frame, area: Rect, app: &App) {
    // Where the run is recorded, in the frame: the lines below keep their room.
    let title = match app.info.as_ref().and_then(|i| i.recorded_in.as_ref()) {
        Some(folder) => format!(
            " {} ",
            tr!(
                "status-title-recorded",
                folder = folder.display().to_string()
            )
        ),
        None => format!(" {} ", tr!("status-title")),
    };
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(inner);
    // As wide as the longest state's label, so that none is cut.
    let state_width = RunState::ALL
        .iter()
        .map(|s| cells(&s.label()) + 2)
        .max()
        .unwrap_or(0)
        .max(11);
    let [state, gauge, rest] = Layout::horizontal([
        Constraint::Length(state_width as u16),
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
                "{} ",
                tr!(
                    "status-epoch",
                    done = shown_epoch.min(app.run.epochs.max(1)),
                    planned = app.run.epochs
                )
            ))
            .filled_style(fg(app.screen.colors, theme::RIGHT))
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
        .clock
        .samples_per_second
        .map_or("–".into(), |s| format!("{s:.0}"));
    let eta = match app.run.state {
        RunState::Running | RunState::Paused => app.eta_seconds().map_or("–".into(), clock),
        _ => "–".into(),
    };
    let elapsed = clock(
        app.clock
            .now
            .saturating_duration_since(app.clock.started_at)
            .as_secs_f64(),
    );
    // Fields a narrow terminal drops first have the lower rank; none is ever cut.
    let progress = match &app.viewing {
        Some(v) => vec![
            (
                3,
                format!(
                    "  {}",
                    tr!("status-batch", batch = batch, per_epoch = per_epoch)
                ),
            ),
            (
                2,
                format!(
                    " · {}",
                    tr!("status-viewing", file = v.file.display().to_string())
                ),
            ),
            (
                1,
                format!(
                    " · {}",
                    tr!(match v.state {
                        FileState::Growing => "status-file-growing",
                        FileState::Quiet => "status-file-quiet",
                        FileState::Complete => "status-file-complete",
                    })
                ),
            ),
        ],
        None => vec![
            (
                3,
                format!(
                    "  {}",
                    tr!("status-batch", batch = batch, per_epoch = per_epoch)
                ),
            ),
            (1, format!(" · {}", tr!("status-speed", speed = speed))),
            (
                0,
                format!(" · {}", tr!("status-elapsed", elapsed = elapsed)),
            ),
            (2, format!(" · {}", tr!("status-eta", eta = eta))),
        ],
    };
    let progress = fit(
        progress
            .into_iter()
            .map(|(rank, text)| (rank, vec![Span::raw(text)]))
            .collect(),
        rest.width,
    );
    frame.render_widget(Paragraph::new(progress), rest);
    frame.render_widget(Paragraph::new(status_line(app, bottom.width)), bottom);
}

/// The second line: a divergence, else a notice, else the rate, model, data, the
/// branch and the final accuracy.
fn status_line(app: &App, width: u16) -> Line<'static> {
    if let Some(d) = app.run.diverged_at {
        let restored = d.restored_epoch * app.batches_per_epoch() + d.restored_batch;
        let what = tr!(match d.reason {
            DivergenceReason::NotFinite => "status-diverged",
            DivergenceReason::LossExploded { .. } => "status-loss-blew-up",
        });
        Line::from(Span::styled(
            whole_words(
                &tr!(
                    "status-divergence",
                    what = what,
                    lr = format!("{:.3e}", d.learning_rate),
                    epoch = d.epoch + 1,
                    batch = d.batch + 1,
                    restored = restored,
                    lower = key_name(Action::LowerLearningRate),
                    resume = key_name(Action::PauseOrResume)
                ),
                width,
            ),
            fg(app.screen.colors, theme::WRONG),
        ))
    } else if let Some(notice) = &app.notice {
        Line::from(Span::styled(
            whole_words(notice, width),
            fg(app.screen.colors, theme::NOTICE),
        ))
    } else if app.info.is_none() {
        Line::from(tr!("status-loading"))
    } else {
        let info = app.info.as_ref();
        let mut items = vec![
            (
                9,
                vec![
                    Span::raw(format!("{} ", tr!("status-lr"))),
                    Span::styled(
                        format!("{:.3e}", app.run.learning_rate),
                        Style::default().add_modifier(Modifier::BOLD),
                    ),
                ],
            ),
            (
                5,
                vec![Span::raw(match app.run.schedule {
                    Schedule::Constant => String::new(),
                    s => format!(" ({})", s.name()),
                })],
            ),
            (
                6,
                vec![Span::raw(format!(
                    "  {}",
                    tr!(
                        "status-model",
                        model = info.map_or("–".into(), |i| i.model.to_string())
                    )
                ))],
            ),
            (
                4,
                vec![Span::raw(format!(
                    "  {}",
                    tr!(
                        "status-data",
                        data = info.map_or("–".into(), |i| i.data_name.clone())
                    )
                ))],
            ),
            (
                2,
                vec![Span::raw(format!(
                    "  {}",
                    tr!("status-threads", threads = info.map_or(0, |i| i.threads))
                ))],
            ),
            (
                3,
                vec![Span::raw(format!(
                    "  {}",
                    tr!(
                        "status-kernels",
                        kernels = info.map_or("–", |i| i.kernels.label())
                    )
                ))],
            ),
        ];
        if let Some(b) = &app.branch {
            let test = b
                .run
                .history
                .test_accuracy
                .last()
                .or(b.run.history.quick_accuracy.last())
                .map_or(String::new(), |p| {
                    format!(" {}", tr!("status-test", accuracy = format!("{:.4}", p.1)))
                });
            items.push((
                7,
                vec![Span::styled(
                    format!(
                        "  {}",
                        tr!(
                            "status-branch",
                            lr = format!("{:.3e}", b.run.learning_rate),
                            state = b.run.state.label(),
                            test = test,
                            keep = key_name(Action::KeepBranch),
                            drop = key_name(Action::KeepMain),
                            lower = key_name(Action::LowerBranchRate),
                            raise = key_name(Action::RaiseBranchRate)
                        )
                    ),
                    fg(app.screen.colors, theme::BRANCH),
                )],
            ));
        }
        if let Some(acc) = app.run.final_accuracy {
            items.push((
                8,
                vec![Span::styled(
                    format!(
                        "  {}",
                        tr!("status-final-accuracy", accuracy = format!("{acc:.4}"))
                    ),
                    fg(app.screen.colors, theme::EPOCH),
                )],
            ));
        }
        fit(items, width)
    }
}

/// `text` if it fits in `width` columns, else its first whole words and `…` (a word,
/// and so a number, is never cut).
fn whole_words(text: &str, width: u16) -> String {
    let width = usize::from(width);
    if cells(text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for word in text.split(' ') {
        let with = if out.is_empty() {
            cells(word)
        } else {
            cells(&out) + 1 + cells(word)
        };
        if with + 1 > width {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.push('…');
    out
}

/// The items that fit in `width` columns, in their order: while they do not, the one of
/// lowest rank goes (a field is shown whole or not at all, so no number is ever cut).
fn fit(mut items: Vec<(u8, Vec<Span<'static>>)>, width: u16) -> Line<'static> {
    let width_of = |items: &[(u8, Vec<Span>)]| -> usize {
        items
            .iter()
            .flat_map(|(_, spans)| spans)
            .map(Span::width)
            .sum()
    };
    while width_of(&items) > usize::from(width) && items.len() > 1 {
        let lowest = (0..items.len())
            .min_by_key(|&i| items[i].0)
            .expect("not empty");
        items.remove(lowest);
    }
    Line::from(
        items
            .into_iter()
            .flat_map(|(_, spans)| spans)
            .collect::<Vec<_>>(),
    )
}

/// The bottom line: the main keys, or the learning-rate prompt while it is open.
pub fn draw_keys(frame: &mut Frame, area: Rect, app: &App) {
    let line = match &app.overlays.prompt {
        Some(p) => Line::from(vec![
            Span::styled(
                format!(" {}: ", tr!("prompt-learning-rate")),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("{}▏", p.text)),
            Span::raw(format!("  ({})", tr!("prompt-keys"))),
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
            // Most used first: a narrow line keeps the first keys, and `?` (which lists
            // them all) whatever the width.
            let bindings: Vec<&Binding> = keymap::key_line(app.tab)
                .filter(|b| !(viewing && b.codes.iter().all(|c| c.1.steers_the_run())))
                .collect();
            let count = bindings.len() as u8;
            let mut keys: Vec<(u8, Vec<Span>)> = bindings
                .into_iter()
                .enumerate()
                .map(|(i, b)| {
                    let is_help = b.codes.iter().any(|c| c.1 == Action::Help);
                    let rank = if is_help { u8::MAX } else { count - i as u8 };
                    (rank, key(&b.keys_short(), &short_label(app, b)))
                })
                .collect();
            if viewing {
                keys.push((u8::MAX, vec![Span::raw(format!(" ({})", tr!("read-only")))]));
            }
            fit(keys, area.width)
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// A binding's word on the key line; the pad's toggles say what the next press does.
fn short_label(app: &App, b: &Binding) -> String {
    match b.codes.first().map(|c| c.1) {
        Some(Action::TogglePen) if app.pad.pen_down => tr!("key-lift-pen"),
        Some(Action::ToggleEraser) if app.pad.erasing => tr!("key-pad-draw"),
        _ => b.short(),
    }
}
