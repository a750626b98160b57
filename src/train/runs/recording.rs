//! The worker's side of a recorded run: the folder's metrics file, written line by line
//! as `--metrics` files are, and its summary, kept from the same lines and rewritten
//! atomically (with the checkpoint, which the trainer writes) at each epoch's end and
//! when the run ends.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::FileError;
use crate::train::checkpoint::write_atomically;
use crate::train::metrics::MetricsFile;
use crate::train::metrics_line::MetricsLine;

use super::folder::RunFolder;
use super::summary::{Parent, RunSummary};

/// Where a run is recorded: decided, and its folder made, before the worker starts, so a
/// runs directory that cannot be written is an error before anything trains.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordTo {
    pub folder: RunFolder,
    /// The run this one continues: a branch's, or a resumed checkpoint's.
    pub parent: Option<Parent>,
}

/// A run being recorded.
pub struct Recording {
    folder: RunFolder,
    metrics: MetricsFile,
    parent: Option<Parent>,
    started_unix: u64,
    /// `None` until the run's header line is written.
    summary: Option<RunSummary>,
    /// The first write error only is told; training goes on without the record.
    failed: bool,
}

impl Recording {
    /// Creates the folder's metrics file.
    pub(crate) fn open(to: RecordTo) -> Result<Recording, FileError> {
        let path = to.folder.metrics();
        let metrics = MetricsFile::create(&path)
            .map_err(|e| FileError::at(&path, format!("cannot create: {e}")))?;
        Ok(Recording {
            folder: to.folder,
            metrics,
            parent: to.parent,
            started_unix: unix_now(),
            summary: None,
            failed: false,
        })
    }

    /// Where the trainer writes the run's latest checkpoint.
    pub(crate) fn checkpoint_path(&self) -> PathBuf {
        self.folder.checkpoint()
    }

    /// The run's folder.
    pub fn folder(&self) -> &RunFolder {
        &self.folder
    }

    /// Writes one line and takes it into the summary; a write error comes back once.
    pub(crate) fn write(&mut self, line: &MetricsLine) -> Option<String> {
        match (&mut self.summary, line) {
            (_, MetricsLine::Run(info)) => {
                let mut summary = RunSummary::new(info, self.started_unix, std::process::id());
                summary.parent = self.parent.clone();
                self.summary = Some(summary);
            }
            (Some(summary), line) => summary.observe(line),
            (None, _) => {}
        }
        self.metrics.write(line)
    }

    /// Hands the metrics lines to the system, so a workspace following the run sees them.
    pub(crate) fn flush(&mut self) -> Option<String> {
        self.metrics.flush()
    }

    /// Flushes the metrics and rewrites the summary (atomically: a reader sees the old one
    /// or the new one, whole).
    pub(crate) fn save_summary(&mut self) -> Option<String> {
        if let Some(warning) = self.flush() {
            return Some(warning);
        }
        let summary = self.summary.as_mut()?;
        summary.updated_unix = unix_now();
        let json = serde_json::to_vec_pretty(summary).expect("summaries serialise");
        let path = self.folder.summary();
        match write_atomically(&path, &json) {
            Ok(()) => None,
            Err(_) if self.failed => None,
            Err(e) => {
                self.failed = true;
                Some(format!(
                    "{}: cannot write the run's summary: {e}",
                    path.display()
                ))
            }
        }
    }
}

/// Seconds since 1970, as the summary keeps times.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
