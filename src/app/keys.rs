//! What each key does: the key is looked up in [`super::keymap`], and its action changes
//! the state and says what the workers must be told.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::clusters::step_cursor;
use super::draw_pad::DrawPad;
use super::finder::{FinderView, SweepOf};
use super::keymap::{action_for, finder_action_for, why_action_for, Action};
use super::{App, Effect, Prompt, RunMark, RunState, Tab, Why, LR_STEP};
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
    match DrawPad::cell_to_point(mouse.column, mouse.row, DrawPad::zoomed(app.size)) {
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

/// What a key that would change a viewed run says.
pub(crate) const READ_ONLY: &str =
    "read-only: this dashboard is drawn from a metrics file; train to steer a run";

pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
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
    if app.finder.is_some() {
        if let Some(action) = finder_action_for(key.code) {
            return on_finder_action(app, action);
        }
    }
    if app.why.is_some() && app.tab.explains() {
        if let Some(action) = why_action_for(key.code) {
            return on_action(app, action);
        }
    }
    match action_for(app.tab, key.code) {
        Some(action) if app.viewing.is_some() && action.steers_the_run() => {
            app.notice = Some(READ_ONLY.into());
            Vec::new()
        }
        Some(action) => on_action(app, action),
        None => Vec::new(),
    }
}

fn on_action(app: &mut App, action: Action) -> Vec<Effect> {
    if let Some(()) = on_view_action(app, action) {
        return Vec::new();
    }
    match action {
        Action::Quit => return quit(app),
        // Steering needs a worker that has started and still runs.
        _ if !app.run.is_alive() || app.info.is_none() => return Vec::new(),
        _ => {}
    }
    let to_main = |cmd| vec![Effect::ToMain(cmd)];
    match action {
        Action::RaiseLearningRate => {
            to_main(Command::SetLearningRate(app.run.learning_rate * LR_STEP))
        }
        Action::LowerLearningRate => {
            to_main(Command::SetLearningRate(app.run.learning_rate / LR_STEP))
        }
        Action::TypeLearningRate => {
            app.prompt = Some(Prompt::default());
            Vec::new()
        }
        Action::MoreEpochs => to_main(Command::SetEpochs(app.run.epochs + 1)),
        Action::FewerEpochs => to_main(Command::SetEpochs(app.run.epochs.saturating_sub(1))),
        Action::PauseOrResume => pause_or_resume(app),
        Action::Branch | Action::KeepBranch | Action::KeepMain => on_branch_key(app, action),
        Action::LowerBranchRate | Action::RaiseBranchRate => on_branch_key(app, action),
        Action::Step => match app.run.state {
            RunState::Paused | RunState::Diverged => to_main(Command::Step),
            _ => {
                app.notice = Some("'.' steps one batch while paused (space pauses)".into());
                Vec::new()
            }
        },
        Action::CycleSchedule => to_main(Command::SetSchedule(app.run.schedule.next())),
        Action::FindLearningRate => open_finder(app, SweepOf::Main),
        Action::FindBranchLearningRate => open_finder(app, SweepOf::Branch),
        Action::NewSample => to_main(Command::NewSample),
        Action::Save => to_main(Command::Save),
        _ => Vec::new(),
    }
}

/// Actions that change only what is shown (views, the pad, the mistake browsed):
/// `Some(())` when `action` was one of them.
fn on_view_action(app: &mut App, action: Action) -> Option<()> {
    let n = app.report.as_ref().map_or(0, |r| r.mistakes.len());
    let last = n.saturating_sub(1);
    let pad = &mut app.pad;
    match action {
        Action::NextView | Action::PreviousView => {
            let i = Tab::ALL.iter().position(|&t| t == app.tab).unwrap_or(0);
            let step = if action == Action::NextView {
                1
            } else {
                Tab::ALL.len() - 1
            };
            app.tab = Tab::ALL[(i + step) % Tab::ALL.len()];
        }
        Action::ShowView(tab) => app.tab = tab,
        Action::Help => app.show_help = true,
        Action::ToggleLogScale => app.log_y = !app.log_y,
        Action::ToggleFilterScale => app.per_filter_scale = !app.per_filter_scale,
        Action::PreviousMistake => app.mistake = app.mistake.saturating_sub(1),
        Action::NextMistake => app.mistake = (app.mistake + 1).min(last),
        Action::MistakesBack10 => app.mistake = app.mistake.saturating_sub(10),
        Action::MistakesForward10 => app.mistake = (app.mistake + 10).min(last),
        Action::FirstMistake => app.mistake = 0,
        Action::LastMistake => app.mistake = last,
        Action::MoveCursor(dx, dy) => pad.move_cursor(dx, dy),
        Action::TogglePen => pad.toggle_pen(),
        Action::ToggleEraser => {
            pad.erasing = !pad.erasing;
            pad.lift();
        }
        Action::ClearPad => pad.clear(),
        Action::ToggleWhy => {
            app.why = match app.why {
                Some(_) => None,
                None => Some(Why::default()),
            }
        }
        Action::ExplainClass(c) => {
            let class = app.why.and_then(|w| w.class);
            app.why = Some(Why {
                class: (class != Some(c)).then_some(c),
            });
        }
        Action::PickPoint(dx, dy) => {
            if let Some(p) = &app.projection {
                app.point = step_cursor(p, app.point, (dx, dy));
            }
        }
        Action::LeavePad => {
            pad.pen_down = false;
            app.tab = Tab::Overview;
        }
        _ => return None,
    }
    Some(())
}

/// `f` / `F`: a sweep of the run (or the branch), shown as it fills in.
fn open_finder(app: &mut App, of: SweepOf) -> Vec<Effect> {
    if app.finder.as_ref().is_some_and(|f| f.done.is_none()) {
        app.notice = Some("a learning-rate sweep is running; Esc closes the finder".into());
        return Vec::new();
    }
    let effect = match of {
        SweepOf::Main => Effect::ToMain(Command::FindLearningRate),
        SweepOf::Branch if app.branch.is_some() => Effect::ToBranch(Command::FindLearningRate),
        SweepOf::Branch => {
            app.notice = Some("no branch: b forks one".into());
            return Vec::new();
        }
    };
    app.finder = Some(FinderView::new(of));
    vec![effect]
}

/// The finder's own keys: choose a suggestion, apply it, or close.
fn on_finder_action(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(finder) = app.finder.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::PreviousSuggestion => finder.choose(-1),
        Action::NextSuggestion => finder.choose(1),
        Action::CloseFinder => app.finder = None,
        Action::ApplySuggestion => {
            let Some((name, lr)) = finder.chosen() else {
                app.notice = Some("the sweep has not ended yet (Esc closes it)".into());
                return Vec::new();
            };
            let of = finder.of;
            app.finder = None;
            let run = match of {
                SweepOf::Main => Some(&mut app.run),
                SweepOf::Branch => app.branch.as_mut().map(|b| &mut b.run),
            };
            if let Some(run) = run {
                let at = run.progress_epochs();
                run.history.marks.push((at, RunMark::FinderApplied));
            }
            app.notice = Some(format!("learning rate {lr:.3e} ({name} of the range test)"));
            let cmd = Command::SetLearningRate(lr);
            return vec![match of {
                SweepOf::Main => Effect::ToMain(cmd),
                SweepOf::Branch => Effect::ToBranch(cmd),
            }];
        }
        _ => {}
    }
    Vec::new()
}

fn pause_or_resume(app: &mut App) -> Vec<Effect> {
    let cmd = match app.run.state {
        RunState::Running => Command::Pause,
        RunState::Paused | RunState::Diverged => Command::Resume,
        _ => return Vec::new(),
    };
    // Both runs pause together, so the comparison stays fair.
    let mut effects = vec![Effect::ToMain(cmd.clone())];
    if app.branch.is_some() {
        effects.push(Effect::ToBranch(cmd));
    }
    effects
}

/// `b` forks, `k` / `m` keep one run, `(` / `)` change the branch's rate.
fn on_branch_key(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(branch) = &app.branch else {
        if action == Action::Branch {
            app.fork_requested = true;
            return vec![Effect::ToMain(Command::Fork)];
        }
        if matches!(action, Action::LowerBranchRate | Action::RaiseBranchRate) {
            app.notice = Some("no branch: b forks one".into());
        }
        return Vec::new();
    };
    match action {
        Action::Branch => {
            app.notice = Some("a branch is running: k keeps it, m keeps the main run".into());
            Vec::new()
        }
        Action::KeepBranch => {
            app.promote_branch();
            vec![Effect::PromoteBranch]
        }
        Action::KeepMain => {
            app.branch = None;
            app.notice = Some("kept the main run; the branch stopped".into());
            vec![Effect::ToBranch(Command::Stop)]
        }
        _ => {
            let lr = branch.run.learning_rate;
            let lr = if action == Action::RaiseBranchRate {
                lr * LR_STEP
            } else {
                lr / LR_STEP
            };
            vec![Effect::ToBranch(Command::SetLearningRate(lr))]
        }
    }
}

fn quit(app: &mut App) -> Vec<Effect> {
    app.quit = true;
    let mut effects = vec![Effect::ToMain(Command::Stop)];
    if app.branch.is_some() {
        effects.push(Effect::ToBranch(Command::Stop));
    }
    effects
}

fn on_prompt_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
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
                Ok(lr) if lr.is_finite() && lr > 0.0 => {
                    return vec![Effect::ToMain(Command::SetLearningRate(lr))]
                }
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
