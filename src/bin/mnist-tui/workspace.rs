//! `mnist-tui runs [DIR]`: the workspace's terminal loop (the table re-listed every second,
//! the marked runs' files followed), and `--list [--json]`, the same table as text.

use mnist_tui::i18n::width::{cells, pad};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossterm::event::Event as TermEvent;
use mnist_tui::app::workspace::{update, Column, Workspace, WorkspaceEffect, WorkspaceMsg};
use mnist_tui::app::ColorMode;
use mnist_tui::plot;
use mnist_tui::train::checkpoint::write_atomically;
use mnist_tui::train::runs::{self, CurvesReader, ListState, ListedRun};
use mnist_tui::ui::workspace::{draw_workspace, table::summary_text};

use crate::tui::{self, TerminalGuard};

/// How often the directory is listed again (new runs, live runs' summaries).
const RELIST: Duration = Duration::from_secs(1);
/// How often the marked runs' files are read for new lines.
const FOLLOW: Duration = Duration::from_millis(500);
/// Longest wait for a key between two looks at the files.
const IDLE: Duration = Duration::from_millis(100);

/// A directory that does not exist yet lists as empty: nothing was recorded there.
fn list_or_empty(dir: &Path) -> anyhow::Result<Vec<ListedRun>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    Ok(runs::list(dir)?)
}

/// How `runs --list` prints the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Text,
    Json,
    Csv,
}

/// The CSV form's columns, one line per entry.
const CSV_HEADER: &str = "name,path,state,problem,model,data,train_len,test_len,learning_rate,schedule,epochs_done,epochs_planned,best_accuracy,best_epoch,last_accuracy,last_cost,train_seconds,started_unix,sweep,trial,parent";

/// A CSV field: quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn csv_line(run: &ListedRun) -> String {
    let opt = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
    let mut fields = vec![
        run.name.clone(),
        run.path.display().to_string(),
        run.state.name().to_string(),
        run.problem.clone().unwrap_or_default(),
    ];
    match &run.summary {
        Some(s) => fields.extend([
            s.model.to_string(),
            s.data_name.clone(),
            s.train_len.to_string(),
            s.test_len.to_string(),
            s.learning_rate.to_string(),
            s.schedule.name().to_string(),
            s.epochs_done.to_string(),
            s.epochs_planned.to_string(),
            opt(s.best.map(|b| b.accuracy)),
            opt(s.best.map(|b| b.at_epoch)),
            opt(s.last_accuracy),
            opt(s.last_cost),
            s.train_seconds.to_string(),
            s.started_unix.to_string(),
            s.sweep
                .as_ref()
                .map_or_else(String::new, |t| t.name.clone()),
            s.sweep
                .as_ref()
                .map_or_else(String::new, |t| t.trial.clone()),
            s.parent
                .as_ref()
                .map_or_else(String::new, |p| p.name.clone()),
        ]),
        None => fields.extend(std::iter::repeat_n(String::new(), 17)),
    }
    fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",")
}

/// `runs --list`: the table on stdout, one JSON array, or CSV.
pub fn print_list(dir: &Path, format: ListFormat, out: &mut impl Write) -> anyhow::Result<()> {
    let listed = list_or_empty(dir)?;
    if format == ListFormat::Csv {
        writeln!(out, "{CSV_HEADER}")?;
        for run in &listed {
            writeln!(out, "{}", csv_line(run))?;
        }
        return Ok(());
    }
    if format == ListFormat::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(&listed)?)?;
        return Ok(());
    }
    let now = runs::unix_now();
    // The table's columns between the name and the state, which frame each line.
    let columns = &Column::ALL[..Column::ALL.len() - 1];
    let name_width = listed
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(3)
        .max(3);
    // Padded by display width: a Korean title's syllables take two columns each.
    // Each column as wide as its widest value (10) or its title, whichever is wider.
    let widths: Vec<usize> = columns.iter().map(|c| cells(&c.title()).max(10)).collect();
    let mut header = pad(&Column::Name.title(), name_width);
    for (c, &width) in columns.iter().zip(&widths).skip(1) {
        header.push_str(&format!("  {}", pad(&c.title(), width)));
    }
    writeln!(out, "{header}  {}", Column::State.title())?;
    for run in &listed {
        let mut row = format!("{:<name_width$}", run.name);
        match &run.summary {
            Some(s) => {
                for (&c, &width) in columns.iter().zip(&widths).skip(1) {
                    let text = summary_text(s, c, run.state, now);
                    row.push_str(&format!("  {}", pad(&text, width)));
                }
                row.push_str(&format!("  {}", run.state.name()));
            }
            None => row.push_str(&format!(
                "  {}: {}",
                run.state.name(),
                run.problem.as_deref().unwrap_or("")
            )),
        }
        writeln!(out, "{}", row.trim_end())?;
    }
    Ok(())
}

/// What the workspace asks of `main`: show a run, or continue one, in the dashboard.
pub enum Handoff {
    View(PathBuf),
    Resume {
        checkpoint: PathBuf,
        epochs: Option<i64>,
    },
}

/// Runs the workspace until the user quits; `open` shows a dashboard for a run and
/// returns when it closes (its error, if any, becomes the workspace's notice).
/// A workspace opened on a sweep: its trials filtered and marked as they appear, and its
/// news in the notice line.
pub struct Focus {
    pub filter: String,
    pub notices: crossbeam_channel::Receiver<String>,
}

pub fn run(
    dir: PathBuf,
    focus: Option<Focus>,
    mut open: impl FnMut(Handoff) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    if dir.exists() && !dir.is_dir() {
        anyhow::bail!("{}: not a directory", dir.display());
    }
    let input = tui::input();
    let mut term = TerminalGuard::enter()?;
    let size = term.0.size()?;
    let mut ws = Workspace::new(dir.clone(), (size.width, size.height));
    let notices = match focus {
        Some(f) => {
            (ws.filter, ws.auto_mark) = (f.filter, true);
            f.notices
        }
        None => crossbeam_channel::never(),
    };
    let colors = ColorMode::detect();
    let mut readers: HashMap<String, CurvesReader> = HashMap::new();
    let mut listed_at = Instant::now() - RELIST;
    let mut followed_at = Instant::now();
    let mut dirty = true;
    while !ws.quit {
        let mut msgs = Vec::new();
        if listed_at.elapsed() >= RELIST {
            listed_at = Instant::now();
            msgs.push(WorkspaceMsg::Tick(runs::unix_now()));
            match list_or_empty(&dir) {
                Ok(listed) => msgs.push(WorkspaceMsg::Listed(listed)),
                Err(e) => msgs.push(WorkspaceMsg::Failed(format!("{e:#}"))),
            }
        }
        msgs.extend(notices.try_iter().map(WorkspaceMsg::Notice));
        if followed_at.elapsed() >= FOLLOW {
            followed_at = Instant::now();
            msgs.extend(poll_readers(&mut readers));
        }
        match input.recv_timeout(IDLE) {
            Ok(TermEvent::Key(k)) => msgs.push(WorkspaceMsg::Key(k)),
            Ok(TermEvent::Resize(w, h)) => msgs.push(WorkspaceMsg::Resize(w, h)),
            Ok(_) | Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => ws.quit = true,
        }
        let mut queue: std::collections::VecDeque<WorkspaceMsg> = msgs.into();
        while let Some(msg) = queue.pop_front() {
            dirty = true;
            for effect in update(&mut ws, msg) {
                match perform(effect, &mut readers, &dir, &mut term, &mut open) {
                    Ok(more) => queue.extend(more),
                    Err(e) => queue.push_back(WorkspaceMsg::Failed(format!("{e:#}"))),
                }
            }
        }
        if dirty {
            term.0.draw(|f| draw_workspace(f, &ws, colors))?;
            dirty = false;
        }
    }
    Ok(())
}

/// New lines of the followed runs, as messages.
fn poll_readers(readers: &mut HashMap<String, CurvesReader>) -> Vec<WorkspaceMsg> {
    let mut msgs = Vec::new();
    for (name, reader) in readers.iter_mut() {
        match reader.poll() {
            Ok(true) => msgs.push(WorkspaceMsg::Curves {
                name: name.clone(),
                curves: reader.curves.clone(),
            }),
            Ok(false) => {}
            Err(problem) => msgs.push(WorkspaceMsg::CurvesFailed {
                name: name.clone(),
                problem,
            }),
        }
    }
    msgs
}

/// Carries out one effect; what it learnt comes back as messages.
fn perform(
    effect: WorkspaceEffect,
    readers: &mut HashMap<String, CurvesReader>,
    dir: &Path,
    term: &mut TerminalGuard,
    open: &mut impl FnMut(Handoff) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<WorkspaceMsg>> {
    match effect {
        WorkspaceEffect::Follow { name, path } => match CurvesReader::open(&path) {
            Ok(reader) => {
                readers.insert(name, reader);
                Ok(poll_readers(readers))
            }
            Err(e) => Ok(vec![WorkspaceMsg::CurvesFailed {
                name,
                problem: e.problem,
            }]),
        },
        WorkspaceEffect::Unfollow(name) => {
            readers.remove(&name);
            Ok(Vec::new())
        }
        WorkspaceEffect::SavePictures {
            runs,
            smoothing,
            time,
        } => Ok(vec![WorkspaceMsg::Notice(save_pictures(
            readers, &runs, smoothing, time,
        ))]),
        WorkspaceEffect::Delete(path) => {
            delete_run(dir, &path)?;
            Ok(vec![WorkspaceMsg::Listed(list_or_empty(dir)?)])
        }
        WorkspaceEffect::Open(path) => {
            let file = path.join(runs::METRICS_FILE);
            hand_over(term, || open(Handoff::View(file)))
        }
        WorkspaceEffect::Resume(path) => {
            let entry = runs::list(dir)?.into_iter().find(|r| r.path == path);
            // A finished run continues for one more epoch (`]` in the dashboard adds more).
            let epochs = entry
                .and_then(|r| Some((r.state, r.summary?)))
                .filter(|(state, _)| *state == ListState::Finished)
                .map(|(_, s)| s.epochs_done as i64 + 1);
            let checkpoint = path.join(runs::CHECKPOINT_FILE);
            anyhow::ensure!(
                checkpoint.is_file(),
                "{}: no checkpoint to resume (the run stopped before its first epoch ended)",
                path.display()
            );
            hand_over(term, || open(Handoff::Resume { checkpoint, epochs }))
        }
    }
}

/// The overlay's cost and accuracy as PNG pictures in the current directory, named by
/// the time; what happened, for the notice line.
fn save_pictures(
    readers: &HashMap<String, CurvesReader>,
    runs: &[Vec<String>],
    smoothing: f64,
    time: bool,
) -> String {
    let named: Vec<Vec<(&str, &runs::RunCurves)>> = runs
        .iter()
        .map(|group| {
            group
                .iter()
                .filter_map(|n| Some((n.as_str(), &readers.get(n)?.curves)))
                .collect()
        })
        .collect();
    let stamp = runs::unix_now();
    let mut written = Vec::new();
    for (metric, what) in [
        (plot::Metric::Cost, "cost"),
        (plot::Metric::Accuracy, "accuracy"),
    ] {
        let view = plot::View {
            metric,
            time,
            smoothing,
            size: (900, 540),
        };
        let file = PathBuf::from(format!("runs-{what}-{stamp}.png"));
        let result = plot::png(&plot::figure(&named, view))
            .and_then(|bytes| write_atomically(&file, &bytes).map_err(|e| e.to_string()));
        match result {
            Ok(()) => written.push(file.display().to_string()),
            Err(e) => return format!("{}: cannot save the picture: {e}", file.display()),
        }
    }
    format!("saved {}", written.join(" and "))
}

/// Gives the terminal to a dashboard and takes it back after; its failure is a notice.
fn hand_over(
    term: &mut TerminalGuard,
    dashboard: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<Vec<WorkspaceMsg>> {
    tui::restore_terminal();
    let result = dashboard();
    term.reenter()?;
    let size = term.0.size()?;
    let mut msgs = vec![WorkspaceMsg::Resize(size.width, size.height)];
    if let Err(e) = result {
        msgs.push(WorkspaceMsg::Failed(format!("{e:#}")));
    }
    Ok(msgs)
}

/// Deletes a run's folder: only a folder directly in the runs directory that holds a
/// run's files, so a wrong path can never take anything else with it.
fn delete_run(dir: &Path, path: &Path) -> anyhow::Result<()> {
    let is_run = path.join(runs::METRICS_FILE).is_file() || path.join(runs::SUMMARY_FILE).is_file();
    anyhow::ensure!(
        path.parent() == Some(dir) && path.is_dir() && is_run,
        "{}: not a run's folder; not deleted",
        path.display()
    );
    std::fs::remove_dir_all(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot delete: {e}", path.display()))
}
