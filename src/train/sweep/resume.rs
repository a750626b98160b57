//! What a stopped sweep's trials had done, read back from their run folders for
//! `sweep --resume`: each trial's furthest folder, its test accuracy at each epoch's end
//! (which decides the halving's rungs again, to the same cuts) and its checkpoint.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::FileError;
use crate::train::checkpoint::write_atomically;
use crate::train::runs::{
    list, CurvesReader, ListState, RecordedState, RunSummary, CHECKPOINT_FILE, METRICS_FILE,
    SUMMARY_FILE,
};

use super::grid::Trial;

/// A trial's furthest recorded run.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub folder: PathBuf,
    pub state: ListState,
    /// Whole epochs trained.
    pub epochs_done: usize,
    /// Full test accuracy at the end of each epoch done (`epoch → accuracy`, 1-based).
    pub accuracy_at: BTreeMap<usize, f64>,
    /// The latest checkpoint, when the run wrote one.
    pub checkpoint: Option<PathBuf>,
}

/// Each trial's furthest recorded run in `runs_dir` (the one with the most batches: a
/// resumed trial's new folder holds its parent's history too), by the trial's label.
pub fn recorded(
    runs_dir: &Path,
    sweep: &str,
    trials: &[Trial],
) -> Result<Vec<Option<Recorded>>, FileError> {
    let mut furthest: BTreeMap<&str, (usize, u64, PathBuf, ListState)> = BTreeMap::new();
    for entry in list(runs_dir)? {
        let Some(summary) = &entry.summary else {
            continue;
        };
        let Some(tag) = summary.sweep.as_ref().filter(|t| t.name == sweep) else {
            continue;
        };
        let Some(trial) = trials.iter().find(|t| t.label == tag.trial) else {
            continue;
        };
        let key = (summary.batches_done, summary.started_unix);
        let further = furthest
            .get(trial.label.as_str())
            .is_none_or(|(b, s, _, _)| key > (*b, *s));
        if further {
            furthest.insert(
                &trial.label,
                (key.0, key.1, entry.path.clone(), entry.state),
            );
        }
    }
    trials
        .iter()
        .map(|t| match furthest.get(t.label.as_str()) {
            None => Ok(None),
            Some((_, _, folder, state)) => read(folder, *state).map(Some),
        })
        .collect()
}

/// One folder's epochs and checkpoint.
fn read(folder: &Path, state: ListState) -> Result<Recorded, FileError> {
    let mut reader = CurvesReader::open(&folder.join(METRICS_FILE))?;
    // A long file arrives in chunks.
    while reader
        .poll()
        .map_err(|e| FileError::at(&folder.join(METRICS_FILE), e))?
    {}
    let curves = &reader.curves;
    let epochs_done = curves.epoch_seconds.len();
    // An evaluation at a whole epoch is that epoch's end.
    let accuracy_at = curves
        .accuracy
        .iter()
        .filter(|(at, _)| at.fract() == 0.0 && *at >= 1.0)
        .map(|&(at, acc)| (at as usize, acc))
        .collect();
    let checkpoint = Some(folder.join(CHECKPOINT_FILE)).filter(|c| c.is_file());
    Ok(Recorded {
        folder: folder.to_path_buf(),
        state,
        epochs_done,
        accuracy_at,
        checkpoint,
    })
}

/// Records on disk that a trial was pruned by a resumed sweep's cut (it had stopped at
/// the rung, so no worker is left to say it).
pub fn mark_pruned(folder: &Path) -> Result<(), FileError> {
    let path = folder.join(SUMMARY_FILE);
    let bytes =
        std::fs::read(&path).map_err(|e| FileError::at(&path, format!("cannot read: {e}")))?;
    let mut summary: RunSummary = serde_json::from_slice(&bytes)
        .map_err(|e| FileError::at(&path, format!("not a run's summary: {e}")))?;
    summary.state = RecordedState::Pruned;
    let bytes = serde_json::to_vec_pretty(&summary).expect("a summary always serialises");
    write_atomically(&path, &bytes).map_err(|e| FileError::at(&path, format!("cannot save: {e}")))
}
