//! The training worker and its contract with consumers.

pub mod adam;
pub mod checkpoint;
pub mod eval;
pub mod events;
pub mod measure;
mod outbox;
pub mod record;
pub mod worker;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use events::{Command, Event, Mistake, RunInfo, SamplePrediction, TestReport};
pub use measure::{BatchLoss, EpochSummary, EvalKind, Evaluation};
pub use outbox::Outbox;
pub use record::Record;
pub use worker::{spawn, OnDivergence, StartError, WorkerHandle, WorkerOptions};
