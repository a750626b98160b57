//! The training worker and its contract with consumers.

pub mod adam;
pub mod blowup;
pub mod checkpoint;
pub mod embedding;
pub mod eval;
pub mod events;
pub mod follow;
pub mod health;
pub mod lr_finder;
pub mod measure;
mod metrics;
pub mod metrics_line;
mod options;
mod outbox;
pub mod position;
pub mod projection;
pub mod record;
pub mod runs;
pub mod schedule;
mod settings;
pub mod sweep;
mod trainer;
pub mod worker;

pub use checkpoint::Checkpoint;
pub use events::{
    Command, Divergence, DivergenceReason, Event, FileState, Mistake, RunInfo, SamplePrediction,
    TestReport,
};
pub use follow::follow;
pub use measure::{BatchLoss, EpochSummary, EvalKind, Evaluation};
pub use options::{OnDivergence, WorkerOptions};
pub use outbox::Outbox;
pub use position::Position;
pub use record::Record;
pub use schedule::Schedule;
pub use settings::{default_threads, Settings};
pub use trainer::QUICK_EVAL_IMAGES;
pub use worker::{spawn, StartError, WorkerHandle, EVENT_CAPACITY};
