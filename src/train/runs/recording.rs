//! The worker's side of a recorded run: the folder's metrics file, written line by line
//! as `--metrics` files are, and its summary, kept from the same lines and rewritten
//! atomically (with the checkpoint) at each epoch's end and when the run ends. Those two
//! are written and synced on a thread of their own: a sync can take a few hundred
//! milliseconds, which the worker would otherwise spend not answering the dashboard.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use crossbeam_channel::{unbounded, Sender};

use crate::error::FileError;
use crate::train::checkpoint::write_atomically;
use crate::train::metrics::MetricsFile;
use crate::train::metrics_line::MetricsLine;

use super::folder::RunFolder;
use super::summary::{Parent, RunSummary, SweepTag};

/// Where a run is recorded: decided, and its folder made, before the worker starts, so a
/// runs directory that cannot be written is an error before anything trains.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordTo {
    pub folder: RunFolder,
    /// The run this one continues: a branch's, or a resumed checkpoint's.
    pub parent: Option<Parent>,
    /// The sweep this run is a trial of.
    pub sweep: Option<SweepTag>,
}

/// A run being recorded.
pub struct Recording {
    folder: RunFolder,
    metrics: MetricsFile,
    parent: Option<Parent>,
    sweep: Option<SweepTag>,
    started_unix: u64,
    /// `None` until the run's header line is written.
    summary: Option<RunSummary>,
    writer: Option<FileWriter>,
}

/// Whole files to replace atomically, written in order on a thread of their own.
struct FileWriter {
    jobs: Sender<(PathBuf, Vec<u8>)>,
    thread: JoinHandle<()>,
    /// The first error, until told; training goes on without the record.
    failure: Arc<Mutex<Option<String>>>,
}

impl FileWriter {
    fn start() -> std::io::Result<FileWriter> {
        let (jobs, queue) = unbounded::<(PathBuf, Vec<u8>)>();
        let failure = Arc::new(Mutex::new(None));
        let failed = failure.clone();
        let thread = std::thread::Builder::new()
            .name("run-files".into())
            .spawn(move || {
                for (path, bytes) in queue {
                    if let Err(e) = write_atomically(&path, &bytes) {
                        let mut slot = failed.lock().unwrap_or_else(|p| p.into_inner());
                        slot.get_or_insert_with(|| {
                            format!("{}: cannot write: {e}", path.display())
                        });
                    }
                }
            })?;
        Ok(FileWriter {
            jobs,
            thread,
            failure,
        })
    }

    /// A failure not told yet.
    fn take_failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

impl Recording {
    /// Creates the folder's metrics file.
    pub(crate) fn open(to: RecordTo) -> Result<Recording, FileError> {
        let path = to.folder.metrics();
        let metrics = MetricsFile::create(&path)
            .map_err(|e| FileError::at(&path, format!("cannot create: {e}")))?;
        let writer = FileWriter::start()
            .map_err(|e| FileError::at(&to.folder.path, format!("cannot start writing: {e}")))?;
        Ok(Recording {
            folder: to.folder,
            metrics,
            parent: to.parent,
            sweep: to.sweep,
            started_unix: unix_now(),
            summary: None,
            writer: Some(writer),
        })
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
                summary.sweep = self.sweep.clone();
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

    /// Flushes the metrics and has the summary rewritten (atomically: a reader sees the
    /// old one or the new one, whole); an earlier write's failure comes back.
    pub(crate) fn save_summary(&mut self) -> Option<String> {
        if let Some(warning) = self.flush() {
            return Some(warning);
        }
        if let Some(summary) = self.summary.as_mut() {
            summary.updated_unix = unix_now();
            let json = serde_json::to_vec_pretty(summary).expect("summaries serialise");
            self.replace(self.folder.summary(), json);
        }
        self.writer.as_ref().and_then(FileWriter::take_failure)
    }

    /// Has the run's latest checkpoint (its bytes) replace the folder's.
    pub(crate) fn save_checkpoint(&self, bytes: Vec<u8>) {
        self.replace(self.folder.checkpoint(), bytes);
    }

    fn replace(&self, path: PathBuf, bytes: Vec<u8>) {
        if let Some(w) = &self.writer {
            // The thread ends only when the writer is dropped: the queue is open.
            let _ = w.jobs.send((path, bytes));
        }
    }

    /// Waits until every file handed over is on disk; what failed, if anything.
    pub(crate) fn finish(&mut self) -> Option<String> {
        let writer = self.writer.take()?;
        drop(writer.jobs);
        let _ = writer.thread.join();
        let failure = writer
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        failure
    }
}

impl Drop for Recording {
    /// A run that ends without [`Recording::finish`] (a panic) still leaves whole files.
    fn drop(&mut self) {
        self.finish();
    }
}

/// Seconds since 1970, as the summary keeps times.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
