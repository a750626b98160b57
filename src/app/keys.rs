//! What each key does: the key is looked up in [`super::keymap`], and its action changes
//! the state and says what the workers must be told.

use crate::tr;
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::draw_pad::DrawPad;
use super::finder::{FinderView, SweepOf};
use super::keymap::{action_for, finder_action_for, key_name, why_action_for, Action};
use super::{App, Effect, Explanation, Prompt, RunMark, RunState, Tab, Why, LR_STEP};
use crate::train::Command;

/// Mouse on the draw pad: left-drag paints, right-drag erases.
pub fn on_mouse(app: &mut App, mouse: MouseEvent) {
    if app.tab != Tab::Draw || app.overlays.help || app.overlays.prompt.is_some() {
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
    match DrawPad::cell_to_point(mouse.column, mouse.row, DrawPad::zoomed(app.screen.size)) {
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
pub(crate) const READ_ONLY: &str = "notice-read-only";

pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return quit(app);
    }
    if app.overlays.prompt.is_some() {
        return on_prompt_key(app, key);
    }
    if app.compare.choices.is_some() {
        return on_picker_key(app, key.code);
    }
    if app.overlays.help && matches!(key.code, KeyCode::Esc | KeyCode::Char('?')) {
        app.overlays.help = false;
        return Vec::new();
    }
    app.notice = None;
    if app.overlays.finder.is_some() {
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
            app.notice = Some(tr!(READ_ONLY));
            Vec::new()
        }
        Some(action) => on_action(app, action),
        None => Vec::new(),
    }
}

/// What an action does: one arm per action, so that an action added to the key table
/// and handled nowhere does not compile.
fn on_action(app: &mut App, action: Action) -> Vec<Effect> {
    use Action::*;
    let none = Vec::<Effect>::new;
    match action {
        Quit => quit(app),
        // What is shown: the view, the overlays, the mistake browsed, the pad.
        NextView => show_next_view(app, 1),
        PreviousView => show_next_view(app, Tab::ALL.len() - 1),
        ShowView(tab) => {
            app.tab = tab;
            none()
        }
        Help => {
            app.overlays.help = true;
            none()
        }
        ToggleLogScale => {
            app.curves.log_y = !app.curves.log_y;
            none()
        }
        ToggleWholeRun => {
            app.curves.whole_run = !app.curves.whole_run;
            none()
        }
        CompareRun => compare_run(app),
        ToggleFilterScale => {
            app.filters.per_filter_scale = !app.filters.per_filter_scale;
            none()
        }
        PreviousMistake => browse_mistakes(app, -1),
        NextMistake => browse_mistakes(app, 1),
        MistakesBack10 => browse_mistakes(app, -10),
        MistakesForward10 => browse_mistakes(app, 10),
        FirstMistake | LastMistake => {
            app.report.to_end(action == LastMistake);
            none()
        }
        MoveCursor(dx, dy) => {
            app.pad.move_cursor(dx, dy);
            none()
        }
        TogglePen => {
            app.pad.toggle_pen();
            none()
        }
        ToggleEraser => {
            app.pad.erasing = !app.pad.erasing;
            app.pad.lift();
            none()
        }
        ClearPad => {
            app.pad.clear();
            none()
        }
        FoolIt => {
            let no_model = app.info.is_none() || app.viewing.is_some() || !app.run.is_alive();
            if app.pad.is_empty() || no_model {
                app.notice = Some(if no_model {
                    tr!("notice-no-model-to-fool")
                } else {
                    tr!("notice-draw-first")
                });
                return none();
            }
            app.pad.fooling = true;
            let target = app.why.and_then(|w| w.class);
            vec![Effect::ToMain(Command::Fool {
                pixels: Box::new(app.pad.model_input()),
                target,
            })]
        }
        PutBack => {
            app.pad.fooled = None;
            none()
        }
        LeavePad => {
            app.pad.pen_down = false;
            app.tab = Tab::Overview;
            none()
        }
        ToggleWhy => {
            // Off → gradient × input → occlusion → off.
            app.why = match app.why {
                None => Some(Why::default()),
                Some(why) if why.by == Explanation::Gradient => Some(Why {
                    by: Explanation::Occlusion,
                    ..why
                }),
                Some(_) => None,
            };
            none()
        }
        ExplainClass(c) => {
            let why = app.why.unwrap_or_default();
            app.why = Some(Why {
                class: (why.class != Some(c)).then_some(c),
                ..why
            });
            none()
        }
        PickPoint(dx, dy) => {
            app.clusters.pick((dx, dy));
            none()
        }
        WalkLayer(delta) => {
            let mut view = app.walk;
            view.step_layer(app.walked(), delta);
            app.walk = view;
            none()
        }
        WalkMap(delta) => {
            let mut view = app.walk;
            view.step_map(app.walked(), delta);
            app.walk = view;
            none()
        }
        WalkLarge => {
            app.walk.large = !app.walk.large;
            none()
        }
        WalkSource => {
            app.walk.drawing = !app.walk.drawing;
            let mut view = app.walk;
            view.step_layer(app.walked(), 0);
            app.walk = view;
            none()
        }
        ToggleTsne => {
            if app.clusters.toggle_tsne() && app.viewing.is_none() {
                return vec![Effect::ToMain(Command::Embed)];
            }
            none()
        }
        // The finder's own keys, while it is open.
        PreviousSuggestion | NextSuggestion | ApplySuggestion | CloseFinder => {
            on_finder_action(app, action)
        }
        // Steering needs a worker that has started and still runs.
        _ if !app.run.is_alive() || app.info.is_none() => none(),
        RaiseLearningRate => to_main(Command::SetLearningRate(app.run.learning_rate * LR_STEP)),
        LowerLearningRate => to_main(Command::SetLearningRate(app.run.learning_rate / LR_STEP)),
        TypeLearningRate => {
            app.overlays.prompt = Some(Prompt::default());
            none()
        }
        MoreEpochs => set_epochs(app, app.run.epochs + 1),
        FewerEpochs => set_epochs(app, app.run.epochs.saturating_sub(1)),
        PauseOrResume => pause_or_resume(app),
        Branch => fork(app),
        KeepBranch => keep_branch(app),
        KeepMain => keep_main(app),
        LowerBranchRate => change_branch_rate(app, false),
        RaiseBranchRate => change_branch_rate(app, true),
        Step => match app.run.state {
            RunState::Paused | RunState::Diverged => to_main(Command::Step),
            _ => {
                app.notice = Some(tr!(
                    "notice-step-while-paused",
                    step = key_name(Step),
                    pause = key_name(PauseOrResume)
                ));
                none()
            }
        },
        CycleSchedule => to_main(Command::SetSchedule(app.run.schedule.next())),
        FindLearningRate => open_finder(app, SweepOf::Main),
        FindBranchLearningRate => open_finder(app, SweepOf::Branch),
        NewSample => to_main(Command::NewSample),
        Save => to_main(Command::Save),
    }
}

fn to_main(command: Command) -> Vec<Effect> {
    vec![Effect::ToMain(command)]
}

/// `Tab` and `Shift-Tab`: the view `step` places on, round the tab line.
fn show_next_view(app: &mut App, step: usize) -> Vec<Effect> {
    let i = Tab::ALL.iter().position(|&t| t == app.tab).unwrap_or(0);
    app.tab = Tab::ALL[(i + step) % Tab::ALL.len()];
    Vec::new()
}

fn browse_mistakes(app: &mut App, step: isize) -> Vec<Effect> {
    app.report.browse(step);
    Vec::new()
}

/// `f` / `F`: a sweep of the run (or the branch), shown as it fills in.
fn open_finder(app: &mut App, of: SweepOf) -> Vec<Effect> {
    if app
        .overlays
        .finder
        .as_ref()
        .is_some_and(|f| f.done.is_none())
    {
        app.notice = Some(tr!(
            "notice-sweep-running",
            key = key_name(Action::CloseFinder)
        ));
        return Vec::new();
    }
    let effect = match of {
        SweepOf::Main => Effect::ToMain(Command::FindLearningRate),
        SweepOf::Branch if app.branch.is_some() => Effect::ToBranch(Command::FindLearningRate),
        SweepOf::Branch => {
            app.notice = Some(tr!("notice-no-branch", key = key_name(Action::Branch)));
            return Vec::new();
        }
    };
    app.overlays.finder = Some(FinderView::new(of));
    vec![effect]
}

/// The finder's own keys: choose a suggestion, apply it, or close.
fn on_finder_action(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(finder) = app.overlays.finder.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::PreviousSuggestion => finder.choose(-1),
        Action::NextSuggestion => finder.choose(1),
        Action::CloseFinder => app.overlays.finder = None,
        Action::ApplySuggestion => {
            let Some((name, lr)) = finder.chosen() else {
                app.notice = Some(tr!(
                    "notice-sweep-not-ended",
                    key = key_name(Action::CloseFinder)
                ));
                return Vec::new();
            };
            let of = finder.of;
            app.overlays.finder = None;
            let run = match of {
                SweepOf::Main => Some(&mut app.run),
                SweepOf::Branch => app.branch.as_mut().map(|b| &mut b.run),
            };
            if let Some(run) = run {
                let at = run.progress_epochs();
                run.history.marks.push((at, RunMark::FinderApplied));
            }
            app.notice = Some(tr!(
                "notice-rate-applied",
                lr = format!("{lr:.3e}"),
                name = crate::train::lr_finder::suggestion_label(name)
            ));
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

/// `o`: open the picker of recorded runs (in the live run's runs directory), or stop
/// comparing.
fn compare_run(app: &mut App) -> Vec<Effect> {
    if let Some(run) = app.compare.run.take() {
        app.notice = Some(tr!("notice-stopped-comparing", run = run.name.clone()));
        return vec![Effect::ForgetRun];
    }
    let recorded = app.info.as_ref().and_then(|i| i.recorded_in.as_ref());
    let dir = match recorded.and_then(|f| f.parent()) {
        Some(dir) => dir.to_path_buf(),
        // A run recorded nowhere compares with the default place's runs.
        None => crate::train::runs::DEFAULT_RUNS_DIR.into(),
    };
    vec![Effect::ListRuns(dir)]
}

/// The compare picker's keys: a digit or Enter picks, arrows move, Esc closes.
fn on_picker_key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    let Some(choices) = &app.compare.choices else {
        return Vec::new();
    };
    let picked = match code {
        KeyCode::Char(c @ '1'..='9') => Some(c as usize - '1' as usize),
        KeyCode::Enter => Some(app.compare.selected),
        KeyCode::Down => {
            app.compare.selected = (app.compare.selected + 1).min(choices.len().saturating_sub(1));
            None
        }
        KeyCode::Up => {
            app.compare.selected = app.compare.selected.saturating_sub(1);
            None
        }
        _ => {
            app.compare.choices = None;
            return Vec::new();
        }
    };
    match picked.and_then(|i| choices.get(i)).cloned() {
        Some(choice) => {
            let effect = Effect::ReadRun {
                name: choice.name.clone(),
                path: choice.path.join(crate::train::runs::METRICS_FILE),
            };
            app.compare.choices = None;
            app.notice = Some(tr!("notice-reading", run = choice.name.clone()));
            vec![effect]
        }
        None => Vec::new(),
    }
}

/// `]` / `[`: the epoch count, for the branch too, so both train as far.
fn set_epochs(app: &App, epochs: usize) -> Vec<Effect> {
    let mut effects = vec![Effect::ToMain(Command::SetEpochs(epochs))];
    if app.branch.is_some() {
        effects.push(Effect::ToBranch(Command::SetEpochs(epochs)));
    }
    effects
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

/// `b`: fork the run into a branch, unless one runs.
fn fork(app: &mut App) -> Vec<Effect> {
    if app.branch.is_some() {
        app.notice = Some(tr!(
            "notice-branch-running",
            keep = key_name(Action::KeepBranch),
            main = key_name(Action::KeepMain)
        ));
        return Vec::new();
    }
    app.fork_requested = true;
    vec![Effect::ToMain(Command::Fork)]
}

/// `k`: the branch becomes the run.
fn keep_branch(app: &mut App) -> Vec<Effect> {
    if app.branch.is_none() {
        return Vec::new();
    }
    app.promote_branch();
    vec![Effect::PromoteBranch]
}

/// `m`: the main run goes on, the branch stops.
fn keep_main(app: &mut App) -> Vec<Effect> {
    if app.branch.take().is_none() {
        return Vec::new();
    }
    app.notice = Some(tr!("notice-kept-main"));
    vec![Effect::ToBranch(Command::Stop)]
}

/// `(` / `)`: the branch's learning rate one step down or up.
fn change_branch_rate(app: &mut App, raise: bool) -> Vec<Effect> {
    let Some(branch) = &app.branch else {
        app.notice = Some(tr!("notice-no-branch", key = key_name(Action::Branch)));
        return Vec::new();
    };
    let lr = branch.run.learning_rate;
    let lr = if raise { lr * LR_STEP } else { lr / LR_STEP };
    vec![Effect::ToBranch(Command::SetLearningRate(lr))]
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
    let prompt = app.overlays.prompt.as_mut().expect("checked by the caller");
    match key.code {
        KeyCode::Esc => app.overlays.prompt = None,
        KeyCode::Backspace => {
            prompt.text.pop();
        }
        KeyCode::Enter => {
            let text = std::mem::take(&mut prompt.text);
            app.overlays.prompt = None;
            match text.trim().parse::<f64>() {
                Ok(lr) if lr.is_finite() && lr > 0.0 => {
                    return vec![Effect::ToMain(Command::SetLearningRate(lr))]
                }
                _ => app.notice = Some(tr!("notice-not-a-rate", text = text.clone())),
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
