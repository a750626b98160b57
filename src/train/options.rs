//! How a run is driven beyond the user's settings: live visuals or not, where checkpoints
//! and metrics go, what to do on divergence.

use std::path::PathBuf;
use std::sync::Arc;

use super::settings::Settings;
use crate::data::ClassNames;

use super::checkpoint::Checkpoint;
use super::runs::RecordTo;

/// How a run is driven, beyond the user's settings.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub settings: Settings,
    /// Evaluate on the quick test subset every N batches (the dashboard wants this).
    pub quick_eval_every: Option<usize>,
    /// Send filters and the sample prediction every N batches.
    pub visuals_every: Option<usize>,
    /// After the last epoch, wait for more epochs or samples instead of exiting.
    pub stay_after_finish: bool,
    /// Continue this checkpoint (already read) instead of starting afresh.
    pub resume: Option<(Arc<Checkpoint>, PathBuf)>,
    /// Where checkpoints go: written at every epoch's end and when the run stops.
    pub save_to: Option<PathBuf>,
    /// Where [`Command::Save`] writes when `save_to` is not set.
    pub default_save_to: PathBuf,
    /// Keep every epoch's checkpoint here, as `MODEL-epoch-NNN.safetensors`.
    pub checkpoint_dir: Option<PathBuf>,
    /// Stream every measurement to this file (`.csv`, otherwise JSON lines).
    pub metrics: Option<PathBuf>,
    /// Record the run in this folder of the runs directory (`--no-record`: `None`).
    pub record: Option<RecordTo>,
    pub on_divergence: OnDivergence,
    /// Shown wherever a class appears and kept in checkpoints.
    pub class_names: ClassNames,
    /// Wait for a command before the first batch (as if paused).
    pub start_paused: bool,
}

/// What to do after restoring the last good weights when training diverges (also the
/// `--on-divergence` flag's values: the doc lines are its help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OnDivergence {
    /// Restore the last good weights and pause (headless: stop with exit code 1).
    #[default]
    Pause,
    /// Restore the last good weights, halve the learning rate and go on.
    Halve,
}

impl WorkerOptions {
    /// What the headless trainer needs: no live visuals, exit when done.
    pub fn headless(settings: Settings) -> Self {
        Self {
            settings,
            quick_eval_every: None,
            visuals_every: None,
            stay_after_finish: false,
            resume: None,
            save_to: None,
            default_save_to: PathBuf::from("mnist-tui.safetensors"),
            checkpoint_dir: None,
            metrics: None,
            record: None,
            on_divergence: OnDivergence::Pause,
            class_names: ClassNames::default(),
            start_paused: false,
        }
    }

    /// What the dashboard needs: live visuals and quick evaluations, stay when done.
    pub fn dashboard(settings: Settings) -> Self {
        Self {
            quick_eval_every: Some(150),
            visuals_every: Some(50),
            stay_after_finish: true,
            ..Self::headless(settings)
        }
    }
}
