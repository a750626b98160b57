//! A run's folder: its name (start time, model, rate: readable and unique), the files it
//! holds, and how a path given on the command line (a folder or a file) finds them.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::FileError;
use crate::model::ModelKind;

/// The runs directory when neither `--runs-dir` nor `runs_dir` names one: beside the
/// user, as PyTorch's `SummaryWriter` and Lightning keep theirs.
pub const DEFAULT_RUNS_DIR: &str = "runs";
/// Every measurement, as `--metrics run.jsonl` writes it (`mnist-tui view` reads it).
pub const METRICS_FILE: &str = "metrics.jsonl";
/// The run's latest checkpoint, rewritten atomically at each epoch's end and at the end.
pub const CHECKPOINT_FILE: &str = "checkpoint.safetensors";
/// What the workspace's table shows, rewritten atomically with the checkpoint.
pub const SUMMARY_FILE: &str = "summary.json";
/// Suffixes tried when two runs start in the same second with the same model and rate.
const MAX_SAME_NAME: usize = 1000;

/// One run's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFolder {
    pub path: PathBuf,
}

impl RunFolder {
    /// Creates a new folder under `runs_dir` (made if missing) named
    /// `YYYYMMDD-HHMMSS-MODEL-lrRATE` in UTC, with `-2`, `-3`… when the name is taken.
    pub fn create(
        runs_dir: &Path,
        started: SystemTime,
        model: ModelKind,
        learning_rate: f64,
    ) -> Result<RunFolder, FileError> {
        Self::create_tagged(runs_dir, started, model, learning_rate, None)
    }

    /// The same, with `-TAG` after the rate (a sweep's trial: `-s778` for its seed).
    pub fn create_tagged(
        runs_dir: &Path,
        started: SystemTime,
        model: ModelKind,
        learning_rate: f64,
        tag: Option<&str>,
    ) -> Result<RunFolder, FileError> {
        std::fs::create_dir_all(runs_dir).map_err(|e| {
            FileError::at(
                runs_dir,
                format!("cannot create the runs directory: {e} (--no-record keeps nothing)"),
            )
        })?;
        let mut base = folder_name(started, model, learning_rate);
        if let Some(tag) = tag {
            base = format!("{base}-{tag}");
        }
        for n in 1..=MAX_SAME_NAME {
            let name = if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            };
            let path = runs_dir.join(name);
            // `create_dir` fails on a name already taken, even by a run that starts at the
            // same moment in another process: the folder is ours alone.
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(RunFolder { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(FileError::at(
                        &path,
                        format!("cannot create the run's folder: {e}"),
                    ))
                }
            }
        }
        Err(FileError::at(
            runs_dir,
            format!("{MAX_SAME_NAME} runs named {base} already"),
        ))
    }

    /// The folder's name, which names the run.
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    }

    pub fn metrics(&self) -> PathBuf {
        self.path.join(METRICS_FILE)
    }

    pub fn checkpoint(&self) -> PathBuf {
        self.path.join(CHECKPOINT_FILE)
    }

    pub fn summary(&self) -> PathBuf {
        self.path.join(SUMMARY_FILE)
    }
}

/// `20261207-095012-seed-lr1e-3`: sorts by start time, and says what the run is.
pub fn folder_name(started: SystemTime, model: ModelKind, learning_rate: f64) -> String {
    format!("{}-{model}-lr{learning_rate:e}", timestamp(started))
}

/// `20261207-095012`, in UTC: the start of a run's or a sweep's name, so names sort by time.
pub fn timestamp(at: SystemTime) -> String {
    let t = time::OffsetDateTime::from(at);
    format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A run named by its folder stands for the file `name` inside it; any other path is
/// the file itself. So `--resume runs/NAME`, `predict --checkpoint runs/NAME` and
/// `view runs/NAME` all work.
pub fn resolve_run_path(path: &Path, name: &str) -> PathBuf {
    if path.is_dir() {
        path.join(name)
    } else {
        path.to_path_buf()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn folder_names_read_as_time_model_and_rate() {
        // 2026-12-07 09:50:12 UTC.
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_637_012);
        assert_eq!(
            folder_name(t, ModelKind::Seed, 0.001),
            "20261207-095012-seed-lr1e-3"
        );
        assert_eq!(
            folder_name(t, ModelKind::Deep, 0.00025),
            "20261207-095012-deep-lr2.5e-4"
        );
    }

    #[test]
    fn two_runs_started_together_get_two_folders() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        let t = SystemTime::now();
        let a = RunFolder::create(&runs, t, ModelKind::Seed, 0.001).unwrap();
        let b = RunFolder::create(&runs, t, ModelKind::Seed, 0.001).unwrap();
        assert_ne!(a, b);
        assert!(b.name().ends_with("-2"), "{}", b.name());
    }

    #[test]
    fn a_runs_directory_that_cannot_be_made_is_a_one_line_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("taken");
        std::fs::write(&file, b"").unwrap();
        let err = RunFolder::create(&file, SystemTime::now(), ModelKind::Seed, 0.001)
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot create the runs directory"), "{err}");
        assert!(!err.contains('\n'));
    }
}
