//! What a run measures, each defined once: a batch's loss, an epoch's summary, an
//! evaluation. The events carry these values live, the records keep them (checkpoints,
//! metrics files), and replaying records gives back the same events.

use serde::{Deserialize, Serialize};

/// One training step's result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatchLoss {
    /// Zero-based epoch.
    pub epoch: usize,
    /// Zero-based batch within the epoch.
    pub batch: usize,
    pub loss: f32,
    /// Learning rate the step was taken with.
    pub learning_rate: f64,
    /// The base rate a schedule scaled to `learning_rate` (none: no schedule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_rate: Option<f64>,
    /// Images of the batch the model classified right before the step.
    pub correct: u32,
    pub size: u32,
}

/// One finished epoch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochSummary {
    /// Zero-based epoch.
    pub epoch: usize,
    /// The mean of the epoch's batch losses (the tutorial's "cost").
    pub average_cost: f64,
    /// Training time of the epoch, evaluation excluded.
    pub seconds: f64,
    pub samples_per_second: f64,
}

/// Which evaluation produced an accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvalKind {
    /// The whole test set, at an epoch's end.
    Full,
    /// A fixed subset of the test set, during an epoch, so the curve moves early.
    Quick,
}

impl EvalKind {
    pub fn name(self) -> &'static str {
        match self {
            EvalKind::Full => "full",
            EvalKind::Quick => "quick",
        }
    }
}

/// One test accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Position in epochs, fractional during an epoch.
    pub at_epoch: f64,
    pub kind: EvalKind,
    pub accuracy: f64,
}
