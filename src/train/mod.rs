//! The training worker and its contract with consumers.

pub mod eval;
pub mod events;
mod outbox;
pub mod worker;

pub use events::{BatchLoss, Command, EvalKind, Event, RunInfo, SamplePrediction};
pub use outbox::Outbox;
pub use worker::{spawn, WorkerHandle, WorkerOptions};
