//! The pretrained `seed` model built into the program, so `predict` and the draw pad
//! work before any training. Made by this program's own trainer:
//! `mnist-tui train --save seed.safetensors` (15 epochs, seed 777, test accuracy 0.9877),
//! then kept as weights only ([`Checkpoint::weights_only`]): 0.2 MB instead of 1.7 MB,
//! so the published crate stays under crates.io's 10 MB.

use std::path::Path;

use crate::error::FileError;
use crate::train::Checkpoint;

/// How errors and the dashboard name it.
pub const NAME: &str = "built-in pretrained model";

static BYTES: &[u8] = include_bytes!("../assets/seed.safetensors");

pub fn checkpoint() -> Result<Checkpoint, FileError> {
    Checkpoint::from_bytes(BYTES, Path::new(NAME))
}
