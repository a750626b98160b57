//! A recorded run drawn over the live one (`o`): the short list to pick it from, and its
//! curves once read. "The basic CNN against the deep one" is one key away while training.

use std::path::PathBuf;

use crate::train::runs::{ListedRun, RunCurves};

/// Most runs the picker lists: the newest, one digit key each.
pub const MAX_CHOICES: usize = 9;

/// A recorded run offered by the picker.
#[derive(Debug, Clone, PartialEq)]
pub struct RunChoice {
    pub name: String,
    pub path: PathBuf,
    pub best: Option<f64>,
    pub epochs: f64,
}

/// The compared run, once read.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparedRun {
    pub name: String,
    pub curves: RunCurves,
}

/// The picker (while open) and the run drawn over the live one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompareView {
    /// The runs offered, while the picker is open.
    pub choices: Option<Vec<RunChoice>>,
    pub selected: usize,
    pub run: Option<ComparedRun>,
}

impl CompareView {
    /// The picker's rows from a listing: the newest runs that have curves, the live run's
    /// own folder left out.
    pub fn offer(&mut self, listed: Vec<ListedRun>, own: Option<&std::path::Path>) {
        let mut runs: Vec<RunChoice> = listed
            .into_iter()
            .filter(|r| r.state.is_run() && Some(r.path.as_path()) != own)
            .filter_map(|r| {
                let s = r.summary?;
                Some(RunChoice {
                    best: s.best.map(|b| b.accuracy),
                    epochs: s.batches_done as f64 / s.batches_per_epoch.max(1) as f64,
                    name: r.name,
                    path: r.path,
                })
            })
            .collect();
        // Folder names start with the start time: the newest last, shown first.
        runs.reverse();
        runs.truncate(MAX_CHOICES);
        self.choices = Some(runs);
        self.selected = 0;
    }
}
