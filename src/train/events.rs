//! The whole contract between the training worker and its consumer (the headless printer
//! or the dashboard): [`Event`]s flow out, [`Command`]s flow in.

use std::sync::Arc;

pub use crate::model::fool::Fooled;
pub use crate::model::walk::{Walk, WalkLayer};
use crate::model::ModelKind;
pub use crate::model::Saliency;

use super::checkpoint::Checkpoint;
use super::record::Record;
use super::schedule::Schedule;

pub use super::health::{HealthReport, LayerHealth};
pub use super::lr_finder::{Suggestions, Sweep, SweepPoint};
pub use super::measure::{BatchLoss, EpochSummary, EvalKind, Evaluation};

/// The model's verdict on one test image.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplePrediction {
    pub index: usize,
    /// 28×28 greyscale pixels.
    pub pixels: Vec<u8>,
    pub label: u8,
    pub probabilities: [f32; 10],
    /// After conv1 + ReLU: 32 maps of 28×28.
    pub conv1_maps: Vec<f32>,
    /// After conv2 + ReLU: 64 maps of 14×14.
    pub conv2_maps: Vec<f32>,
    /// Why the model says what it says, for each class (empty where nobody looks: the
    /// metrics file's samples).
    pub saliency: Saliency,
    /// The same question answered by occlusion (empty where nobody looks).
    pub occlusion: Saliency,
    /// The digit through every layer, for the Walk view (empty where nobody looks).
    pub walk: Walk,
}

/// The model's verdict on a drawing ([`Command::Predict`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub probabilities: [f32; 10],
    pub saliency: Saliency,
    pub occlusion: Saliency,
    pub walk: Walk,
}

/// How the network sorts the quick-evaluation subset: its penultimate features projected
/// onto their first two principal components.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureProjection {
    /// Where in the run, in epochs.
    pub at_epoch: f64,
    /// Each image's coordinates along the first and the second component.
    pub points: Vec<[f32; 2]>,
    /// The share of the features' variance along each component.
    pub explained: [f32; 2],
    pub labels: Vec<u8>,
    pub predicted: Vec<u8>,
    /// The images, 784 bytes each (one shared buffer, the same at every evaluation).
    pub pixels: Arc<[u8]>,
    /// What the projected features are (`conv2, 3136 wide`).
    pub features: String,
}

impl SamplePrediction {
    pub fn predicted(&self) -> u8 {
        argmax(&self.probabilities) as u8
    }
}

pub use crate::model::probability::argmax;

/// One misclassified test image.
#[derive(Debug, Clone, PartialEq)]
pub struct Mistake {
    pub index: usize,
    pub pixels: Vec<u8>,
    pub label: u8,
    pub predicted: u8,
    pub p_label: f32,
    pub p_predicted: f32,
}

/// Where the model goes wrong, from a full test evaluation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TestReport {
    /// After this many epochs.
    pub at_epoch: f64,
    /// `confusion[label][predicted]`: how many test images.
    pub confusion: [[u32; 10]; 10],
    /// The misclassified images, in test-set order (at most [`MAX_MISTAKES`]).
    pub mistakes: Vec<Mistake>,
}

/// Most mistakes a report carries (an untrained model gets ~9 000 wrong).
pub const MAX_MISTAKES: usize = 500;

/// What the run is, announced once before the first batch (and a metrics file's first
/// line).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunInfo {
    pub model: ModelKind,
    pub data_name: String,
    pub train_len: usize,
    pub test_len: usize,
    pub batch_size: usize,
    pub batches_per_epoch: usize,
    pub epochs: usize,
    pub learning_rate: f64,
    pub threads: usize,
    /// The instruction set the conv kernels run on.
    #[serde(with = "lane_set_name")]
    pub kernels: crate::model::LaneSet,
    pub schedule: Schedule,
    /// The checkpoint this run continues, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_from: Option<std::path::PathBuf>,
    /// The run's folder in the runs directory, if it is recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_in: Option<std::path::PathBuf>,
    #[serde(default)]
    pub class_names: crate::data::ClassNames,
}

/// A kernel set as its command-line name (`avx512`) in a metrics file.
mod lane_set_name {
    use crate::model::LaneSet;

    pub fn serialize<S: serde::Serializer>(set: &LaneSet, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(set.name())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<LaneSet, D::Error> {
        let name = <String as serde::Deserialize>::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a run counts as diverged.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DivergenceReason {
    /// A batch's loss or a weight after the update is NaN or infinite.
    NotFinite,
    /// The smoothed loss is above chance level and several times its best
    /// ([`super::blowup`]).
    LossExploded { smoothed: f64, best: f64 },
}

impl DivergenceReason {
    /// What happened, in words.
    pub fn describe(&self) -> String {
        match *self {
            DivergenceReason::NotFinite => "the loss or weights are not finite".into(),
            DivergenceReason::LossExploded { smoothed, best } => format!(
                "the loss blew up (smoothed {smoothed:.3e}, more than {}× its best of {best:.3})",
                super::blowup::BLOWUP_FACTOR
            ),
        }
    }
}

/// Where training diverged, why, and where the restored weights are from.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Divergence {
    /// Zero-based epoch and batch of the batch that diverged.
    pub epoch: usize,
    pub batch: usize,
    pub learning_rate: f64,
    #[serde(flatten)]
    pub reason: DivergenceReason,
    /// Zero-based epoch and batch count of the restored snapshot.
    pub restored_epoch: usize,
    pub restored_batch: usize,
}

/// Whether the file's run is still being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// The file grew within the last `follow::QUIET_AFTER` (30 s).
    Growing,
    /// No new line for a while, and no line saying the run ended.
    Quiet,
    /// The run's last line (finished or stopped) is in the file.
    Complete,
}

/// Worker → consumer.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Started(RunInfo),
    /// Consecutive batch results, coalesced while the consumer was busy.
    Batches(Vec<BatchLoss>),
    EpochFinished(EpochSummary),
    Evaluated(Evaluation),
    /// First-layer filters, `(32, 3, 3)` flattened (UI-only; replaced when not yet taken).
    Filters(Vec<f32>),
    /// A test image and the live model's prediction (UI-only; replaced when not yet taken).
    Sample(Box<SamplePrediction>),
    /// Acknowledgements: the value now in force.
    LearningRateSet(f64),
    EpochsSet(usize),
    ScheduleSet(Schedule),
    Paused,
    Resumed,
    /// A batch produced a non-finite loss or weights: the weights and optimiser state of
    /// the last snapshot are back in place; training paused (or goes on at half the rate
    /// if the run says so, announced by a `LearningRateSet`).
    Diverged(Divergence),
    /// Confusion matrix and mistakes of the last full test evaluation (UI-only).
    TestReport(Box<TestReport>),
    /// The model's verdict on an image sent with [`Command::Predict`] (UI-only).
    Predicted(Box<Verdict>),
    /// Every layer's health, measured at a quick evaluation (also a metrics file's
    /// `health` line).
    Health(Box<HealthReport>),
    /// The quick-evaluation subset as the network sorts it (UI-only; replaced when not
    /// yet taken).
    Projected(Box<FeatureProjection>),
    /// The same subset laid out by t-SNE, answering [`Command::Embed`] (UI-only).
    Embedded(Box<FeatureProjection>),
    /// The changed picture that fools the model, or `None` when no step up to the
    /// largest does, answering [`Command::Fool`] (UI-only).
    Fooled(Option<Box<Fooled>>),
    /// A checkpoint was written.
    Saved {
        path: std::path::PathBuf,
        epoch: usize,
        batch: usize,
    },
    /// The run's whole state at a batch boundary, answering [`Command::Fork`].
    Forked(Box<Checkpoint>),
    /// Something went wrong that does not stop training (a metrics file that cannot be
    /// written).
    Warning(String),
    /// A checkpoint could not be written; training goes on.
    SaveFailed {
        path: std::path::PathBuf,
        error: String,
    },
    /// All epochs done; the worker stays available for more epochs or samples.
    Finished {
        accuracy: f64,
    },
    /// The worker stopped on request.
    Stopped,
    /// One batch of a learning-rate sweep (UI-only).
    SweepPoint(SweepPoint),
    /// A learning-rate sweep ended: its points and suggestions.
    SweepDone(Box<Sweep>),
    /// The events come from a metrics file read back (`mnist-tui view`), not a worker;
    /// sent again whenever the file's state changes.
    Following {
        file: std::path::PathBuf,
        state: FileState,
    },
}

/// Consumer → worker. Each takes effect at the next batch boundary.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    SetLearningRate(f64),
    SetEpochs(usize),
    Pause,
    Resume,
    /// While paused: run exactly one batch.
    Step,
    /// Predict a new random test image.
    NewSample,
    /// Classify 28×28 greyscale pixels (MNIST-style: white digit on black).
    Predict(Box<[u8; 784]>),
    /// Write a checkpoint now.
    Save,
    /// Hand over the run's whole state (for a second worker to branch from).
    Fork,
    /// Follow this schedule from now on (the base rate stays).
    SetSchedule(Schedule),
    /// Run the learning-rate range test from the current state; the run waits, and goes
    /// on untouched.
    FindLearningRate,
    Stop,
    /// Stop, recording that the run's sweep pruned it (successive halving).
    Prune,
    /// Lay the quick-evaluation subset's features out by t-SNE; the run goes on while
    /// it computes, and [`Event::Embedded`] brings it.
    Embed,
    /// Search the smallest fast-gradient-sign step that makes the model read these
    /// pixels as another digit (or as `target`); [`Event::Fooled`] answers.
    Fool {
        pixels: Box<[u8; 784]>,
        target: Option<u8>,
    },
}

/// A checkpoint's place in words: after a whole epoch, or partway through one.
pub fn position_label(epoch: usize, batch: usize) -> String {
    if batch == 0 {
        crate::tr!("position-after-epoch", epoch = epoch)
    } else {
        crate::tr!("position-at-batch", epoch = epoch + 1, batch = batch)
    }
}

/// The events that replay `records` (consecutive batches in one event), as a resumed run
/// sends its history.
pub fn replay(records: &[Record]) -> Vec<Event> {
    let mut events = Vec::new();
    let mut batches = Vec::new();
    for r in records {
        let event = match *r {
            Record::Batch(b) => {
                batches.push(b);
                continue;
            }
            Record::Epoch(e) => Event::EpochFinished(e),
            Record::Evaluation(e) => Event::Evaluated(e),
        };
        if !batches.is_empty() {
            events.push(Event::Batches(std::mem::take(&mut batches)));
        }
        events.push(event);
    }
    if !batches.is_empty() {
        events.push(Event::Batches(batches));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replayed_records_are_the_events_that_made_them() {
        let b = |batch| BatchLoss {
            epoch: 0,
            batch,
            loss: 1.0,
            learning_rate: 0.001,
            base_rate: None,
            correct: 5,
            size: 10,
        };
        let e = Evaluation {
            at_epoch: 0.5,
            kind: EvalKind::Quick,
            accuracy: 0.5,
        };
        let records = [
            Record::Batch(b(0)),
            Record::Batch(b(1)),
            Record::Evaluation(e),
            Record::Batch(b(2)),
        ];
        assert_eq!(
            replay(&records),
            vec![
                Event::Batches(vec![b(0), b(1)]),
                Event::Evaluated(e),
                Event::Batches(vec![b(2)]),
            ]
        );
    }
}
