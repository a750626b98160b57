//! The data: IDX parsing, the MNIST set embedded in the binary, and batching.

pub mod classes;
pub mod idx;
pub mod image_file;
mod mnist;
pub mod preprocess;

pub use classes::ClassNames;
pub use idx::{PIXELS, SIDE};
pub use mnist::{Dataset, Split};

/// A data file that could not be used, with the file's name and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct DataError {
    pub file: String,
    pub problem: String,
}

impl DataError {
    pub fn new(file: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            problem: problem.into(),
        }
    }
}
