//! A sweep's manifest: its trials and the options they share, written when the sweep
//! starts, so that `sweep --resume` can finish a sweep that was stopped — the trials it
//! never started included, which no run folder would otherwise remember. Manifests live
//! in the runs directory's hidden `.sweeps/` folder, out of the workspace's table.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::FileError;
use crate::train::checkpoint::write_atomically;

use super::grid::Trial;

/// The runs directory's folder of manifests; hidden, like the atomic writes' temporary
/// files, so the workspace does not list it as "not a run".
pub const SWEEPS_DIR: &str = ".sweeps";

/// Version of the manifest's fields.
const FORMAT: u32 = 1;

/// What a sweep is: enough to run it again from nothing but this file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// `sweep-20261207-101500`, the tag its trials carry.
    pub name: String,
    pub epochs: usize,
    pub halving: bool,
    pub parallel: usize,
    /// Kernel threads in all.
    pub threads: usize,
    pub train_limit: Option<usize>,
    pub test_limit: Option<usize>,
    /// The IDX directory, when not the embedded MNIST.
    pub data: Option<PathBuf>,
    pub trials: Vec<Trial>,
}

impl Manifest {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: String,
        epochs: usize,
        halving: bool,
        parallel: usize,
        threads: usize,
        limits: (Option<usize>, Option<usize>),
        data: Option<PathBuf>,
        trials: Vec<Trial>,
    ) -> Self {
        Self {
            format: FORMAT,
            name,
            epochs,
            halving,
            parallel,
            threads,
            train_limit: limits.0,
            test_limit: limits.1,
            data,
            trials,
        }
    }

    /// Where the manifest of sweep `name` lives in `runs_dir`.
    pub fn path(runs_dir: &Path, name: &str) -> PathBuf {
        runs_dir.join(SWEEPS_DIR).join(format!("{name}.json"))
    }

    /// Writes the manifest (atomically: a reader sees none or all of it).
    pub fn write(&self, runs_dir: &Path) -> Result<PathBuf, FileError> {
        let path = Self::path(runs_dir, &self.name);
        let dir = runs_dir.join(SWEEPS_DIR);
        std::fs::create_dir_all(&dir)
            .map_err(|e| FileError::at(&dir, format!("cannot create: {e}")))?;
        let bytes = serde_json::to_vec_pretty(self).expect("a manifest always serialises");
        write_atomically(&path, &bytes)
            .map_err(|e| FileError::at(&path, format!("cannot write the sweep: {e}")))?;
        Ok(path)
    }

    pub fn read(path: &Path) -> Result<Self, FileError> {
        let bytes = std::fs::read(path)
            .map_err(|e| FileError::at(path, format!("cannot read the sweep: {e}")))?;
        let manifest: Self = serde_json::from_slice(&bytes)
            .map_err(|e| FileError::at(path, format!("not a sweep's manifest: {e}")))?;
        if manifest.format != FORMAT {
            return Err(FileError::at(
                path,
                format!("a sweep of format {}, not {FORMAT}", manifest.format),
            ));
        }
        Ok(manifest)
    }

    /// The manifest `what` names: its file, a sweep's name in `runs_dir`, or a runs
    /// directory (its newest sweep).
    pub fn find(what: &Path, runs_dir: &Path) -> Result<PathBuf, FileError> {
        if what.is_file() {
            return Ok(what.to_path_buf());
        }
        if what.is_dir() {
            return newest(&what.join(SWEEPS_DIR))
                .ok_or_else(|| FileError::at(what, "no sweep was started in this runs directory"));
        }
        let named = Self::path(runs_dir, &what.to_string_lossy());
        if named.is_file() {
            return Ok(named);
        }
        Err(FileError::at(
            what,
            format!(
                "not a sweep: neither a manifest, a runs directory nor a sweep in {}",
                runs_dir.display()
            ),
        ))
    }
}

/// The newest manifest of a `.sweeps` folder (names start with the sweep's start time).
fn newest(dir: &Path) -> Option<PathBuf> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    names.pop()
}
