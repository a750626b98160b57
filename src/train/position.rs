//! Where a run is: the epoch in progress, the batches of it done, and the epoch's cost so
//! far. The trainer keeps one; a checkpoint saves it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Position {
    /// Zero-based epoch in progress; `batch == 0` means `epoch` epochs are complete.
    pub epoch: usize,
    /// Batches of that epoch already trained.
    pub batch: usize,
    /// Sum so far of this epoch's batch losses, each divided by the batches per epoch.
    pub epoch_cost: f64,
}
