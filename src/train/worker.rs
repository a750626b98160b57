//! The training worker's thread: started here, talking only through the event and command
//! channels ([`super::events`]). What it does is in [`super::trainer`].

use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::data::Dataset;
use crate::model::{DeepNet, ModelKind, Network, SeedNet};

use super::events::{Command, Event};
use super::metrics::MetricsFile;
use super::options::WorkerOptions;
use super::outbox::Outbox;
use super::runs::Recording;
use super::trainer::Trainer;
use crate::error::FileError;

/// Capacity of the event channel; past it, events wait (coalesced) in the worker's outbox.
pub const EVENT_CAPACITY: usize = 256;
/// Unanswered commands the channel holds; past it, the consumer is told the worker is busy.
const COMMAND_CAPACITY: usize = 64;

/// Why a worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The checkpoint to resume, or the metrics file to create.
    #[error(transparent)]
    File(#[from] FileError),
    #[error("cannot start the trainer thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// The consumer's ends of a running worker.
pub struct WorkerHandle {
    pub events: Receiver<Event>,
    pub commands: Sender<Command>,
    pub thread: JoinHandle<()>,
}

/// Starts training `data` on a new thread. A checkpoint that does not fit, or a metrics
/// file that cannot be created, is reported before anything runs.
pub fn spawn(data: Arc<Dataset>, options: WorkerOptions) -> Result<WorkerHandle, StartError> {
    match options.settings.model {
        ModelKind::Seed => start::<SeedNet>(data, options),
        ModelKind::Deep => start::<DeepNet>(data, options),
    }
}

fn start<N: Network>(
    data: Arc<Dataset>,
    options: WorkerOptions,
) -> Result<WorkerHandle, StartError> {
    let (event_tx, events) = bounded(EVENT_CAPACITY);
    let (commands, command_rx) = bounded(COMMAND_CAPACITY);
    let threads = options.settings.threads;
    let metrics = match &options.metrics {
        Some(path) => Some(
            MetricsFile::create(path)
                .map_err(|e| FileError::at(path, format!("cannot create: {e}")))?,
        ),
        None => None,
    };
    let recording = options.record.clone().map(Recording::open).transpose()?;
    let files = (metrics, recording);
    let trainer = Trainer::<N>::new(data, options, Outbox::new(event_tx), command_rx, files)?;
    let thread = std::thread::Builder::new()
        .name("trainer".into())
        .spawn(move || {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("kernel-{i}"))
                .build()
                .expect("cannot start kernel threads");
            pool.install(move || trainer.run());
        })?;
    Ok(WorkerHandle {
        events,
        commands,
        thread,
    })
}
