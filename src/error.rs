//! The one shape of an input that cannot be used: a file (or another named source, such as
//! the command line) and what is wrong with it. Data files, pictures, class names,
//! settings, checkpoints and metrics files all report through it, so every such message
//! reads `FILE: PROBLEM`.

use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct FileError {
    /// The file as the user named it (or the source, such as `command line`).
    pub file: String,
    pub problem: String,
}

impl FileError {
    pub fn new(file: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            problem: problem.into(),
        }
    }

    /// The same, naming a path as it is displayed.
    pub fn at(path: &Path, problem: impl Into<String>) -> Self {
        Self::new(path.display().to_string(), problem)
    }
}
