//! The effective, validated settings of a run: what the worker is started with. Where
//! they come from (flags over config files over defaults) is `crate::config`'s concern.

use std::path::PathBuf;

use crate::error::FileError;
use crate::model::{LaneSet, ModelKind};

use super::schedule::Schedule;

/// The effective, validated settings of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub model: ModelKind,
    pub learning_rate: f64,
    pub epochs: usize,
    pub batch_size: usize,
    pub seed: u64,
    /// `None`: the MNIST set embedded in the binary.
    pub data: Option<PathBuf>,
    pub threads: usize,
    pub train_limit: Option<usize>,
    pub test_limit: Option<usize>,
    /// `None`: the digits, or the names a resumed checkpoint carries.
    pub labels: Option<PathBuf>,
    /// The instruction set of the conv kernels (`auto`: the widest the CPU has).
    pub kernels: LaneSet,
    /// How the rate in force follows from `learning_rate` (the base) over the run.
    pub schedule: Schedule,
    /// Where runs are recorded, a folder each ([`super::runs`]).
    pub runs_dir: PathBuf,
}

/// The tutorial's settings.
impl Default for Settings {
    fn default() -> Self {
        Settings {
            model: ModelKind::Seed,
            learning_rate: 0.001,
            epochs: 15,
            batch_size: 100,
            seed: 777,
            data: None,
            threads: default_threads(),
            train_limit: None,
            test_limit: None,
            labels: None,
            kernels: LaneSet::best(),
            schedule: Schedule::Constant,
            runs_dir: PathBuf::from(super::runs::DEFAULT_RUNS_DIR),
        }
    }
}

/// One worker thread per core the machine offers.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Settings {
    /// Checks what depends on the data: the batch must fit in the training set.
    pub fn check_against_data(&self, train_len: usize) -> Result<(), FileError> {
        if self.batch_size > train_len {
            return Err(FileError::new(
                "settings",
                format!(
                    "batch_size: {} is larger than the training set ({train_len} images)",
                    self.batch_size
                ),
            ));
        }
        Ok(())
    }
}
