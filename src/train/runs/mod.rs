//! Every run kept: a folder per run under the runs directory (`runs/` unless
//! `--runs-dir` or `runs_dir` say otherwise) holding its metrics file, its latest
//! checkpoint and a small summary, so that a workspace of hundreds of runs opens by
//! reading one small file per run. The worker writes them ([`Recording`]); the workspace
//! lists them ([`list`]) and reads the curves of the ones it draws ([`CurvesReader`]).

mod curves;
mod folder;
mod list;
mod recording;
mod summary;

pub use curves::{CurvesReader, RunCurves};
pub use folder::{
    resolve_run_path, timestamp, RunFolder, CHECKPOINT_FILE, DEFAULT_RUNS_DIR, METRICS_FILE,
    SUMMARY_FILE,
};
pub use list::{list, read_entry, ListState, ListedRun};
pub use recording::{unix_now, RecordTo, Recording};
pub use summary::{Best, Parent, RecordedState, RunSummary, SweepTag};
