//! The runs directory as the workspace's table sees it: each entry read from its summary
//! (one small file), or rebuilt from its metrics file where the summary is missing or
//! damaged. Nothing in the directory stops the listing: a folder that is not a run, a
//! foreign file, a truncated or unreadable run each get a row saying so.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::FileError;
use crate::train::follow::LineReader;

use super::folder::{METRICS_FILE, SUMMARY_FILE};
use super::summary::{RecordedState, RunSummary};

/// How a listed entry stands, as the table's state column says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ListState {
    /// Its writer is still running: it grows.
    Live,
    Finished,
    /// Stopped by the user, or its process died mid-run.
    Stopped,
    Diverged,
    /// Stopped early by its sweep's successive halving.
    Pruned,
    /// Its metrics file ends mid-line and nobody writes it any more.
    Truncated,
    /// Neither its summary nor its metrics file can be read.
    Unreadable,
    /// A file, or a folder without a run's files.
    #[serde(rename = "not a run")]
    NotARun,
}

impl ListState {
    pub fn name(self) -> &'static str {
        match self {
            ListState::Live => "live",
            ListState::Finished => "finished",
            ListState::Stopped => "stopped",
            ListState::Diverged => "diverged",
            ListState::Pruned => "pruned",
            ListState::Truncated => "truncated",
            ListState::Unreadable => "unreadable",
            ListState::NotARun => "not a run",
        }
    }

    /// Whether the entry has a summary to show and curves to draw.
    pub fn is_run(self) -> bool {
        !matches!(self, ListState::Unreadable | ListState::NotARun)
    }
}

/// One entry of the runs directory.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ListedRun {
    /// The entry's file name.
    pub name: String,
    pub path: PathBuf,
    pub state: ListState,
    /// What is wrong with an entry that is not a readable run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<RunSummary>,
}

/// Lists `dir`, sorted by name (the folders' names start with their start time). Only a
/// directory that cannot be read at all is an error.
pub fn list(dir: &Path) -> Result<Vec<ListedRun>, FileError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| FileError::at(dir, format!("cannot read the runs directory: {e}")))?;
    let mut runs: Vec<ListedRun> = entries
        .filter_map(Result::ok)
        // Hidden entries are the atomic writes' temporary files and the like.
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| read_entry(&e.path()))
        .collect();
    runs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(runs)
}

/// Reads one entry of the runs directory.
pub fn read_entry(path: &Path) -> ListedRun {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let entry = |state, problem: Option<String>, summary| ListedRun {
        name: name.clone(),
        path: path.to_path_buf(),
        state,
        problem,
        summary,
    };
    if !path.is_dir() {
        return entry(
            ListState::NotARun,
            Some("a file, not a run's folder".into()),
            None,
        );
    }
    let summary_path = path.join(SUMMARY_FILE);
    let metrics_path = path.join(METRICS_FILE);
    let from_summary = std::fs::read(&summary_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<RunSummary>(&bytes).ok());
    let (summary, cut) = match from_summary {
        Some(s) => (s, false),
        None if metrics_path.is_file() => match rebuild(&metrics_path) {
            Ok(rebuilt) => rebuilt,
            Err(problem) => return entry(ListState::Unreadable, Some(problem), None),
        },
        None if summary_path.exists() => {
            let problem = format!("{SUMMARY_FILE} cannot be read and there is no {METRICS_FILE}");
            return entry(ListState::Unreadable, Some(problem), None);
        }
        None => {
            let problem = format!("no {METRICS_FILE} or {SUMMARY_FILE}");
            return entry(ListState::NotARun, Some(problem), None);
        }
    };
    let state = match summary.state {
        RecordedState::Running if writer_alive(&summary, &metrics_path) => ListState::Live,
        RecordedState::Running if cut => ListState::Truncated,
        RecordedState::Running | RecordedState::Stopped => ListState::Stopped,
        RecordedState::Finished => ListState::Finished,
        RecordedState::Diverged => ListState::Diverged,
        RecordedState::Pruned => ListState::Pruned,
    };
    entry(state, None, Some(summary))
}

/// The summary of a run that has none (it died before its first epoch ended, or its
/// summary is damaged), from its metrics file; also whether the file ends mid-line.
fn rebuild(metrics: &Path) -> Result<(RunSummary, bool), String> {
    let mut file = std::fs::File::open(metrics).map_err(|e| format!("{METRICS_FILE}: {e}"))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| format!("{METRICS_FILE}: {e}"))?;
    let cut = !bytes.is_empty() && !bytes.ends_with(b"\n");
    let mut reader = LineReader::default();
    let lines = reader
        .push(&bytes)
        .map_err(|e| format!("{METRICS_FILE}: {e}"))?;
    let mut lines = lines.into_iter();
    let Some(crate::train::metrics_line::MetricsLine::Run(info)) = lines.next() else {
        return Err(format!("{METRICS_FILE} is empty"));
    };
    let started = std::fs::metadata(metrics)
        .and_then(|m| m.created().or_else(|_| m.modified()))
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    // The writer's process is not known: a run without a summary is live only while its
    // file grows.
    let mut summary = RunSummary::new(&info, started, 0);
    for line in lines {
        summary.observe(&line);
    }
    Ok((summary, cut))
}

/// How recently a metrics file must have grown for a run of unknown process to count as
/// live (a run writes a line at least every 150 batches).
const QUIET_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

/// Whether the process that writes the run is still there.
fn writer_alive(summary: &RunSummary, metrics: &Path) -> bool {
    if cfg!(target_os = "linux") && summary.pid != 0 {
        return Path::new("/proc").join(summary.pid.to_string()).exists();
    }
    std::fs::metadata(metrics)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age < QUIET_AFTER)
}
