//! What each key does.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::{App, Prompt, RunState, LR_STEP};
use crate::train::Command;

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
    let running = !matches!(app.state, RunState::Stopped | RunState::Crashed);
    match key.code {
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
        KeyCode::Char(' ') => match app.state {
            RunState::Running => vec![Command::Pause],
            RunState::Paused | RunState::Diverged => vec![Command::Resume],
            _ => Vec::new(),
        },
        KeyCode::Char('.') => match app.state {
            RunState::Paused | RunState::Diverged => vec![Command::Step],
            _ => {
                app.notice = Some("'.' steps one batch while paused (space pauses)".into());
                Vec::new()
            }
        },
        KeyCode::Char('n') => vec![Command::NewSample],
        _ => Vec::new(),
    }
}

fn quit(app: &mut App) -> Vec<Command> {
    app.quit = true;
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
