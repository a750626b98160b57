//! The data: IDX parsing, the MNIST set embedded in the binary, and batching.

pub mod classes;
pub mod idx;
pub mod image_file;
mod mnist;
pub mod preprocess;

pub use classes::ClassNames;
pub use idx::{PIXELS, SIDE};
pub use mnist::{Dataset, Split};

pub use crate::error::FileError;
