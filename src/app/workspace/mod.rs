//! The runs workspace (`mnist-tui runs`): its state, changed only by [`update`], which
//! returns what the terminal loop must do ([`WorkspaceEffect`]) — read a run's curves,
//! open, resume or delete a run. The table, the overlay and the repeats' groups each
//! have a file.

mod groups;
mod overlay;
mod table;

use crate::tr;
use std::collections::BTreeMap;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use groups::{band, group_repeats, spread, Band, RunGroup, Spread};
pub use overlay::{smooth, OverlayView, XAxis, SMOOTHING};
pub use table::{compare, matches, Column};

use crate::train::runs::{ListState, ListedRun, RunCurves};

/// Rows a PageUp / PageDown moves.
const PAGE: usize = 10;
/// Most runs overlaid at once: past a dozen colours, curves cannot be told apart.
pub const MAX_MARKED: usize = 12;

/// What changes the workspace.
#[derive(Debug, Clone)]
pub enum WorkspaceMsg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// The directory as listed now (every second, and after a change).
    Listed(Vec<ListedRun>),
    /// A marked run's curves, read or grown.
    Curves {
        name: String,
        curves: RunCurves,
    },
    /// A run's curves cannot be read.
    CurvesFailed {
        name: String,
        problem: String,
    },
    /// The clock, in Unix seconds (wall times of live runs).
    Tick(u64),
    /// Something the terminal loop did went wrong (a delete, an open).
    Failed(String),
    /// News from what feeds the directory (a sweep's trials), for the notice line.
    Notice(String),
}

/// What the terminal loop must do after an update.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkspaceEffect {
    /// Read (and follow) this run's metrics file, for the overlay.
    Follow { name: String, path: PathBuf },
    /// Stop following this run.
    Unfollow(String),
    /// Show the run in the read-only dashboard; come back after.
    Open(PathBuf),
    /// Continue the run in the dashboard, as a new run naming it its parent.
    Resume(PathBuf),
    /// Delete the run's folder.
    Delete(PathBuf),
    /// Save the overlay as pictures (the cost and the accuracy, PNG) of these runs, in
    /// groups (repeats grouped together; one run alone otherwise).
    SavePictures {
        runs: Vec<Vec<String>>,
        smoothing: f64,
        time: bool,
    },
}

/// The workspace's whole state.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub dir: PathBuf,
    /// Every entry of the directory, as last listed.
    pub runs: Vec<ListedRun>,
    pub sort: Column,
    pub descending: bool,
    pub filter: String,
    /// Keys go to the filter (after `/`).
    pub typing_filter: bool,
    /// The highlighted row, among the visible ones.
    pub selected: usize,
    /// Marked runs' names, with their curves once read.
    pub marked: BTreeMap<String, Option<RunCurves>>,
    pub overlay: OverlayView,
    /// The run `d` asked to delete, waiting for `y`.
    pub confirm_delete: Option<String>,
    pub notice: Option<String>,
    pub size: (u16, u16),
    pub now_unix: u64,
    pub quit: bool,
    /// Runs that appear and pass the filter are marked by themselves (a sweep's trials).
    pub auto_mark: bool,
    /// Repeats (runs differing only in their seed) shown as one row and one curve.
    pub grouped: bool,
    /// The repeats among the runs, as last listed.
    pub groups: Vec<RunGroup>,
}

impl Workspace {
    pub fn new(dir: PathBuf, size: (u16, u16)) -> Self {
        Self {
            dir,
            runs: Vec::new(),
            sort: Column::Name,
            descending: true,
            filter: String::new(),
            typing_filter: false,
            selected: 0,
            marked: BTreeMap::new(),
            overlay: OverlayView {
                // TensorBoard's default weight: batch losses are noisy.
                smoothing: 1,
                ..OverlayView::default()
            },
            confirm_delete: None,
            notice: None,
            size,
            now_unix: 0,
            quit: false,
            auto_mark: false,
            grouped: false,
            groups: Vec::new(),
        }
    }

    /// The rows shown, filtered and sorted.
    pub fn visible(&self) -> Vec<&ListedRun> {
        let mut rows: Vec<&ListedRun> = self
            .runs
            .iter()
            .filter(|r| matches(r, &self.filter))
            // A group shows as its first run.
            .filter(|r| {
                self.group_of(&r.name)
                    .is_none_or(|g| g.members[0] == r.name)
            })
            .collect();
        rows.sort_by(|a, b| {
            let o = compare(a, b, self.sort);
            let o = if self.descending { o.reverse() } else { o };
            // Entries that are not runs stay below the runs, whatever the order.
            b.state.is_run().cmp(&a.state.is_run()).then(o)
        });
        rows
    }

    /// The highlighted run.
    pub fn selected_run(&self) -> Option<&ListedRun> {
        self.visible().get(self.selected).copied()
    }

    /// The marked runs, in the colour order of the overlay.
    pub fn marked_runs(&self) -> Vec<(&ListedRun, Option<&RunCurves>)> {
        self.marked
            .iter()
            .filter_map(|(name, curves)| {
                let run = self.runs.iter().find(|r| &r.name == name)?;
                Some((run, curves.as_ref()))
            })
            .collect()
    }

    /// The group of repeats `name` belongs to, while they are grouped.
    pub fn group_of(&self, name: &str) -> Option<&RunGroup> {
        if !self.grouped {
            return None;
        }
        self.groups
            .iter()
            .find(|g| g.members.iter().any(|m| m == name))
    }

    /// The marked runs as the overlay draws them: each group of repeats together.
    pub fn overlay_groups(&self) -> Vec<Vec<String>> {
        let mut groups: Vec<Vec<String>> = Vec::new();
        for name in self.marked.keys() {
            if groups.iter().flatten().any(|n| n == name) {
                continue;
            }
            groups.push(match self.group_of(name) {
                Some(g) => g
                    .members
                    .iter()
                    .filter(|m| self.marked.contains_key(*m))
                    .cloned()
                    .collect(),
                None => vec![name.clone()],
            });
        }
        groups
    }

    /// Where a marked run's colour comes in the palette.
    pub fn colour_index(&self, name: &str) -> Option<usize> {
        self.marked.keys().position(|n| n == name)
    }
}

/// Applies one message; returns what the terminal loop must do.
pub fn update(ws: &mut Workspace, msg: WorkspaceMsg) -> Vec<WorkspaceEffect> {
    match msg {
        WorkspaceMsg::Key(key) => return on_key(ws, key),
        WorkspaceMsg::Resize(w, h) => ws.size = (w, h),
        WorkspaceMsg::Listed(runs) => {
            let selected = ws.selected_run().map(|r| r.name.clone());
            ws.runs = runs;
            ws.groups = group_repeats(&ws.runs);
            // The highlight stays on its run as rows come and go.
            if let Some(name) = selected {
                if let Some(i) = ws.visible().iter().position(|r| r.name == name) {
                    ws.selected = i;
                }
            }
            clamp_selection(ws);
            // A marked run whose folder went away is unmarked.
            let gone: Vec<String> = ws
                .marked
                .keys()
                .filter(|n| !ws.runs.iter().any(|r| &r.name == *n))
                .cloned()
                .collect();
            let mut effects: Vec<WorkspaceEffect> = gone
                .into_iter()
                .map(|n| {
                    ws.marked.remove(&n);
                    WorkspaceEffect::Unfollow(n)
                })
                .collect();
            if ws.auto_mark {
                effects.extend(mark_new_runs(ws));
            }
            return effects;
        }
        WorkspaceMsg::Curves { name, curves } => {
            if let Some(slot) = ws.marked.get_mut(&name) {
                *slot = Some(curves);
            }
        }
        WorkspaceMsg::CurvesFailed { name, problem } => {
            ws.marked.remove(&name);
            ws.notice = Some(format!("{name}: {problem}"));
            return vec![WorkspaceEffect::Unfollow(name)];
        }
        WorkspaceMsg::Tick(now) => ws.now_unix = now,
        WorkspaceMsg::Failed(problem) | WorkspaceMsg::Notice(problem) => ws.notice = Some(problem),
    }
    Vec::new()
}

/// Marks the visible runs not marked yet, while there is room on the overlay.
fn mark_new_runs(ws: &mut Workspace) -> Vec<WorkspaceEffect> {
    let new: Vec<(String, PathBuf)> = ws
        .visible()
        .iter()
        .filter(|r| r.state.is_run() && !ws.marked.contains_key(&r.name))
        .map(|r| {
            (
                r.name.clone(),
                r.path.join(crate::train::runs::METRICS_FILE),
            )
        })
        .collect();
    let room = MAX_MARKED.saturating_sub(ws.marked.len());
    new.into_iter()
        .take(room)
        .map(|(name, path)| {
            ws.marked.insert(name.clone(), None);
            WorkspaceEffect::Follow { name, path }
        })
        .collect()
}

fn clamp_selection(ws: &mut Workspace) {
    let n = ws.visible().len();
    ws.selected = ws.selected.min(n.saturating_sub(1));
}

fn on_key(ws: &mut Workspace, key: KeyEvent) -> Vec<WorkspaceEffect> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        ws.quit = true;
        return Vec::new();
    }
    if ws.typing_filter {
        match key.code {
            KeyCode::Enter => ws.typing_filter = false,
            KeyCode::Esc => {
                ws.typing_filter = false;
                ws.filter.clear();
            }
            KeyCode::Backspace => {
                ws.filter.pop();
            }
            KeyCode::Char(c) => ws.filter.push(c),
            _ => {}
        }
        ws.selected = 0;
        return Vec::new();
    }
    if let Some(name) = ws.confirm_delete.take() {
        if key.code != KeyCode::Char('y') {
            ws.notice = Some(tr!("runs-kept", run = name));
            return Vec::new();
        }
        let Some(run) = ws.runs.iter().find(|r| r.name == name) else {
            return Vec::new();
        };
        ws.notice = Some(tr!("runs-deleted", run = name.clone()));
        let mut effects = vec![WorkspaceEffect::Delete(run.path.clone())];
        if ws.marked.remove(&name).is_some() {
            effects.push(WorkspaceEffect::Unfollow(name));
        }
        return effects;
    }
    ws.notice = None;
    let rows = ws.visible().len();
    match key.code {
        KeyCode::Char('q') => ws.quit = true,
        KeyCode::Esc if !ws.filter.is_empty() => {
            ws.filter.clear();
            ws.selected = 0;
        }
        KeyCode::Esc => ws.quit = true,
        KeyCode::Down | KeyCode::Char('j') => {
            ws.selected = (ws.selected + 1).min(rows.saturating_sub(1))
        }
        KeyCode::Up | KeyCode::Char('k') => ws.selected = ws.selected.saturating_sub(1),
        KeyCode::PageDown => ws.selected = (ws.selected + PAGE).min(rows.saturating_sub(1)),
        KeyCode::PageUp => ws.selected = ws.selected.saturating_sub(PAGE),
        KeyCode::Home | KeyCode::Char('g') => ws.selected = 0,
        KeyCode::End | KeyCode::Char('G') => ws.selected = rows.saturating_sub(1),
        KeyCode::Char('/') => ws.typing_filter = true,
        KeyCode::Char('s') => {
            ws.sort = ws.sort.next();
            ws.descending = ws.sort.descending_first();
        }
        KeyCode::Char('S') => ws.descending = !ws.descending,
        KeyCode::Char('x') => {
            ws.overlay.x_axis = match ws.overlay.x_axis {
                XAxis::Epochs => XAxis::Time,
                XAxis::Time => XAxis::Epochs,
            }
        }
        KeyCode::Char('w') => ws.overlay.smoothing = (ws.overlay.smoothing + 1) % SMOOTHING.len(),
        KeyCode::Char('L') => ws.overlay.log_y = !ws.overlay.log_y,
        KeyCode::Char('z') => ws.overlay.whole_run = !ws.overlay.whole_run,
        KeyCode::Char('R') => {
            ws.grouped = !ws.grouped;
            ws.notice = Some(if ws.grouped {
                let n = ws.groups.len();
                tr!("runs-repeats-grouped", count = n)
            } else {
                tr!("runs-repeats-one-by-one")
            });
            clamp_selection(ws);
        }
        KeyCode::Char('P') if ws.marked.is_empty() => {
            ws.notice = Some(tr!("runs-nothing-to-save"));
        }
        KeyCode::Char('P') => {
            return vec![WorkspaceEffect::SavePictures {
                runs: ws.overlay_groups(),
                smoothing: ws.overlay.smoothing_weight(),
                time: ws.overlay.x_axis == XAxis::Time,
            }]
        }
        KeyCode::Char(' ') => return toggle_mark(ws),
        KeyCode::Char('u') => {
            let names: Vec<String> = std::mem::take(&mut ws.marked).into_keys().collect();
            return names.into_iter().map(WorkspaceEffect::Unfollow).collect();
        }
        KeyCode::Enter => {
            return with_run(ws, "runs-cannot-open", |r| {
                WorkspaceEffect::Open(r.path.clone())
            })
        }
        KeyCode::Char('r') => match ws.selected_run() {
            Some(run) if run.state == ListState::Live => {
                ws.notice = Some(tr!("runs-still-training", run = run.name.clone()));
            }
            _ => {
                return with_run(ws, "runs-cannot-resume", |r| {
                    WorkspaceEffect::Resume(r.path.clone())
                })
            }
        },
        KeyCode::Char('d')
            if ws
                .selected_run()
                .is_some_and(|r| ws.group_of(&r.name).is_some()) =>
        {
            ws.notice = Some(tr!("runs-group-delete"));
        }
        KeyCode::Char('d') => {
            if let Some(run) = ws.selected_run() {
                let (name, state) = (run.name.clone(), run.state);
                ws.notice = Some(match state {
                    ListState::Live => tr!("runs-delete-live", run = name),
                    ListState::NotARun => tr!("runs-delete-not-a-run", run = name),
                    _ => {
                        let ask = tr!("runs-delete-ask", run = name.clone());
                        ws.confirm_delete = Some(name);
                        ask
                    }
                });
            }
        }
        _ => {}
    }
    Vec::new()
}

/// `space`: the highlighted run joins the overlay, or leaves it.
fn toggle_mark(ws: &mut Workspace) -> Vec<WorkspaceEffect> {
    let Some(run) = ws.selected_run() else {
        return Vec::new();
    };
    let (name, path, state) = (run.name.clone(), run.path.clone(), run.state);
    if let Some(group) = ws.group_of(&name) {
        return toggle_group(ws, group.members.clone());
    }
    if ws.marked.remove(&name).is_some() {
        return vec![WorkspaceEffect::Unfollow(name)];
    }
    if !state.is_run() {
        ws.notice = Some(tr!("runs-no-curves", run = name, state = state.name()));
        return Vec::new();
    }
    if ws.marked.len() >= MAX_MARKED {
        ws.notice = Some(tr!("runs-too-many-marked", most = MAX_MARKED));
        return Vec::new();
    }
    ws.marked.insert(name.clone(), None);
    let path = path.join(crate::train::runs::METRICS_FILE);
    vec![WorkspaceEffect::Follow { name, path }]
}

/// `space` on a group: all its runs join the overlay (as one mean curve), or all leave.
fn toggle_group(ws: &mut Workspace, members: Vec<String>) -> Vec<WorkspaceEffect> {
    if members.iter().any(|m| ws.marked.contains_key(m)) {
        return members
            .into_iter()
            .filter(|m| ws.marked.remove(m).is_some())
            .map(WorkspaceEffect::Unfollow)
            .collect();
    }
    if ws.marked.len() + members.len() > MAX_MARKED {
        ws.notice = Some(tr!("runs-too-many-marked-some", most = MAX_MARKED));
        return Vec::new();
    }
    members
        .into_iter()
        .filter_map(|m| {
            let run = ws.runs.iter().find(|r| r.name == m)?;
            let path = run.path.join(crate::train::runs::METRICS_FILE);
            ws.marked.insert(m.clone(), None);
            Some(WorkspaceEffect::Follow { name: m, path })
        })
        .collect()
}

/// The effect `make` builds for the highlighted run, if it is a run; else the notice
/// `refusal` (a catalogue id taking the run's name and state).
fn with_run(
    ws: &mut Workspace,
    refusal: &str,
    make: impl Fn(&ListedRun) -> WorkspaceEffect,
) -> Vec<WorkspaceEffect> {
    match ws.selected_run() {
        Some(run) if run.state.is_run() => vec![make(run)],
        Some(run) => {
            ws.notice = Some(tr!(
                refusal,
                run = run.name.clone(),
                state = run.state.name()
            ));
            Vec::new()
        }
        None => Vec::new(),
    }
}
