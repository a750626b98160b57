//! What each key does.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::draw_pad::DrawPad;
use super::{App, Effect, Prompt, RunState, Tab, LR_STEP};
use crate::train::Command;

/// Mouse on the draw pad: left-drag paints, right-drag erases.
pub fn on_mouse(app: &mut App, mouse: MouseEvent) {
    if app.tab != Tab::Draw || app.show_help || app.prompt.is_some() {
        return;
    }
    let erasing = match mouse.kind {
        MouseEventKind::Down(b) | MouseEventKind::Drag(b) => b == MouseButton::Right,
        MouseEventKind::Up(_) => {
            app.pad.lift();
            return;
        }
        _ => return,
    };
    match DrawPad::cell_to_point(mouse.column, mouse.row) {
        Some((x, y)) => {
            if matches!(mouse.kind, MouseEventKind::Down(_)) {
                app.pad.lift();
            }
            app.pad.stroke_to(x, y, erasing || app.pad.erasing)
        }
        // Leaving the pad ends the stroke, so coming back does not draw a line across.
        None => app.pad.lift(),
    }
}

/// Keys the draw pad takes for itself while it is shown; `None` passes the key on.
fn on_pad_key(app: &mut App, code: KeyCode) -> Option<Vec<Command>> {
    let pad = &mut app.pad;
    match code {
        KeyCode::Left => pad.move_cursor(-1, 0),
        KeyCode::Right => pad.move_cursor(1, 0),
        KeyCode::Up => pad.move_cursor(0, -1),
        KeyCode::Down => pad.move_cursor(0, 1),
        KeyCode::Char(' ') => pad.toggle_pen(),
        KeyCode::Char('x') => {
            pad.erasing = !pad.erasing;
            pad.lift();
        }
        KeyCode::Char('c') => pad.clear(),
        KeyCode::Esc => {
            pad.pen_down = false;
            app.tab = Tab::Overview;
        }
        _ => return None,
    }
    Some(Vec::new())
}

/// Keys of the Mistakes tab.
fn on_mistakes_key(app: &mut App, code: KeyCode) -> Option<Vec<Command>> {
    let n = app.report.as_ref().map_or(0, |r| r.mistakes.len());
    match code {
        KeyCode::Left => app.mistake = app.mistake.saturating_sub(1),
        KeyCode::Right => app.mistake = (app.mistake + 1).min(n.saturating_sub(1)),
        KeyCode::PageUp => app.mistake = app.mistake.saturating_sub(10),
        KeyCode::PageDown => app.mistake = (app.mistake + 10).min(n.saturating_sub(1)),
        KeyCode::Home => app.mistake = 0,
        KeyCode::End => app.mistake = n.saturating_sub(1),
        _ => return None,
    }
    Some(Vec::new())
}

pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Command> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return quit(app);
    }
    if app.prompt.is_some() {
        return on_prompt_key(app, key);
    }
    if app.show_help && matches!(key.code, KeyCode::Esc | KeyCode::Char('?')) {
        app.show_help = false;
        return Vec::new();
    }
    app.notice = None;
    let handled = match app.tab {
        Tab::Draw => on_pad_key(app, key.code),
        Tab::Mistakes => on_mistakes_key(app, key.code),
        _ => None,
    };
    if let Some(cmds) = handled {
        return cmds;
    }
    let running = !matches!(app.state, RunState::Stopped | RunState::Crashed);
    match key.code {
        KeyCode::Tab => {
            let i = Tab::ALL.iter().position(|&t| t == app.tab).unwrap_or(0);
            app.tab = Tab::ALL[(i + 1) % Tab::ALL.len()];
            Vec::new()
        }
        KeyCode::BackTab => {
            let i = Tab::ALL.iter().position(|&t| t == app.tab).unwrap_or(0);
            app.tab = Tab::ALL[(i + Tab::ALL.len() - 1) % Tab::ALL.len()];
            Vec::new()
        }
        KeyCode::Char(c @ '1'..='4') => {
            app.tab = Tab::ALL[c as usize - '1' as usize];
            Vec::new()
        }
        KeyCode::Char('d') => {
            app.tab = Tab::Draw;
            Vec::new()
        }
        KeyCode::Char('q') | KeyCode::Esc => quit(app),
        KeyCode::Char('?') => {
            app.show_help = true;
            Vec::new()
        }
        KeyCode::Char('L') => {
            app.log_y = !app.log_y;
            Vec::new()
        }
        _ if !running || app.info.is_none() => Vec::new(),
        KeyCode::Char('+') | KeyCode::Char('=') => {
            vec![Command::SetLearningRate(app.learning_rate * LR_STEP)]
        }
        KeyCode::Char('-') | KeyCode::Char('_') => {
            vec![Command::SetLearningRate(app.learning_rate / LR_STEP)]
        }
        KeyCode::Char('l') => {
            app.prompt = Some(Prompt::default());
            Vec::new()
        }
        KeyCode::Char(']') => vec![Command::SetEpochs(app.epochs + 1)],
        KeyCode::Char('[') => vec![Command::SetEpochs(app.epochs.saturating_sub(1))],
        KeyCode::Char(' ') => {
            let cmd = match app.state {
                RunState::Running => Command::Pause,
                RunState::Paused | RunState::Diverged => Command::Resume,
                _ => return Vec::new(),
            };
            // Both runs pause together, so the comparison stays fair.
            if app.branch.is_some() {
                app.effects.push(Effect::ToBranch(cmd.clone()));
            }
            vec![cmd]
        }
        KeyCode::Char('b') => {
            if app.branch.is_some() {
                app.notice = Some("a branch is running: k keeps it, m keeps the main run".into());
                Vec::new()
            } else {
                app.fork_requested = true;
                vec![Command::Fork]
            }
        }
        KeyCode::Char('k') if app.branch.is_some() => {
            app.effects.push(Effect::PromoteBranch);
            app.promote_branch();
            Vec::new()
        }
        KeyCode::Char('m') if app.branch.is_some() => {
            app.effects.push(Effect::ToBranch(Command::Stop));
            app.branch = None;
            app.notice = Some("kept the main run; the branch stopped".into());
            Vec::new()
        }
        KeyCode::Char(c @ ('(' | ')')) => match &app.branch {
            Some(b) => {
                let lr = if c == ')' {
                    b.learning_rate * LR_STEP
                } else {
                    b.learning_rate / LR_STEP
                };
                app.effects
                    .push(Effect::ToBranch(Command::SetLearningRate(lr)));
                Vec::new()
            }
            None => {
                app.notice = Some("no branch: b forks one".into());
                Vec::new()
            }
        },
        KeyCode::Char('.') => match app.state {
            RunState::Paused | RunState::Diverged => vec![Command::Step],
            _ => {
                app.notice = Some("'.' steps one batch while paused (space pauses)".into());
                Vec::new()
            }
        },
        KeyCode::Char('n') => vec![Command::NewSample],
        KeyCode::Char('s') => vec![Command::Save],
        _ => Vec::new(),
    }
}

fn quit(app: &mut App) -> Vec<Command> {
    app.quit = true;
    if app.branch.is_some() {
        app.effects.push(Effect::ToBranch(Command::Stop));
    }
    vec![Command::Stop]
}

fn on_prompt_key(app: &mut App, key: KeyEvent) -> Vec<Command> {
    let prompt = app.prompt.as_mut().expect("checked by the caller");
    match key.code {
        KeyCode::Esc => app.prompt = None,
        KeyCode::Backspace => {
            prompt.text.pop();
        }
        KeyCode::Enter => {
            let text = std::mem::take(&mut prompt.text);
            app.prompt = None;
            match text.trim().parse::<f64>() {
                Ok(lr) if lr.is_finite() && lr > 0.0 => return vec![Command::SetLearningRate(lr)],
                _ => {
                    app.notice = Some(format!(
                        "'{text}' is not a learning rate (a number > 0); unchanged"
                    ))
                }
            }
        }
        KeyCode::Char(c)
            if prompt.text.len() < 24 && (c.is_ascii_digit() || ".eE-+".contains(c)) =>
        {
            prompt.text.push(c)
        }
        _ => {}
    }
    Vec::new()
}
