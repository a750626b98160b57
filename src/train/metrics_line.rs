//! The lines of a JSON-lines `--metrics` file: the measurements ([`Record`]) with, around
//! them, what `mnist-tui view` needs to draw the run without its worker — the run's
//! header first, the sample digit and the filters at the quick-evaluation cadence, and
//! how the run ended. A CSV file holds the measurements only.

use serde::{Deserialize, Serialize};

use crate::data::ClassNames;
use crate::model::{LaneSet, ModelKind};

use super::events::{Divergence, Event, RunInfo, SamplePrediction};
use super::measure::{BatchLoss, EpochSummary, Evaluation};
use super::record::Record;
use super::schedule::Schedule;

/// One line of a JSON-lines metrics file; its `type` field names the variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum MetricsLine {
    Run(RunHeader),
    Batch(BatchLoss),
    Epoch(EpochSummary),
    Evaluation(Evaluation),
    Sample(SampleLine),
    Diverged(Divergence),
    Finished { accuracy: f64 },
    Stopped,
}

/// What the run is: the file's first line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunHeader {
    pub model: String,
    pub data: String,
    pub train_len: usize,
    pub test_len: usize,
    pub batch_size: usize,
    pub batches_per_epoch: usize,
    pub epochs: usize,
    pub learning_rate: f64,
    pub threads: usize,
    pub kernels: String,
    pub schedule: Schedule,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_from: Option<std::path::PathBuf>,
    #[serde(default)]
    pub class_names: ClassNames,
}

/// The sample digit, the live model's verdict on it, and the first layer's filters. The
/// feature maps stay out: at 32×784 numbers they would be most of the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleLine {
    pub index: usize,
    pub label: u8,
    pub pixels: Vec<u8>,
    pub probabilities: [f32; 10],
    pub filters: Vec<f32>,
}

impl From<Record> for MetricsLine {
    fn from(r: Record) -> Self {
        match r {
            Record::Batch(b) => MetricsLine::Batch(b),
            Record::Epoch(e) => MetricsLine::Epoch(e),
            Record::Evaluation(e) => MetricsLine::Evaluation(e),
        }
    }
}

impl From<&RunInfo> for RunHeader {
    fn from(i: &RunInfo) -> Self {
        Self {
            model: i.model.name().into(),
            data: i.data_name.clone(),
            train_len: i.train_len,
            test_len: i.test_len,
            batch_size: i.batch_size,
            batches_per_epoch: i.batches_per_epoch,
            epochs: i.epochs,
            learning_rate: i.learning_rate,
            threads: i.threads,
            kernels: i.kernels.name().into(),
            schedule: i.schedule,
            resumed_from: i.resumed_from.clone(),
            class_names: i.class_names.clone(),
        }
    }
}

impl SampleLine {
    pub fn new(sample: &SamplePrediction, filters: Vec<f32>) -> Self {
        Self {
            index: sample.index,
            label: sample.label,
            pixels: sample.pixels.clone(),
            probabilities: sample.probabilities,
            filters,
        }
    }
}

impl MetricsLine {
    /// The events the line stands for, as the dashboard would have received them live;
    /// `None` for a header whose names this program does not know.
    pub fn into_events(self) -> Option<Vec<Event>> {
        Some(match self {
            MetricsLine::Run(h) => vec![Event::Started(RunInfo {
                model: h.model.parse::<ModelKind>().ok()?,
                data_name: h.data,
                train_len: h.train_len,
                test_len: h.test_len,
                batch_size: h.batch_size,
                batches_per_epoch: h.batches_per_epoch,
                epochs: h.epochs,
                learning_rate: h.learning_rate,
                threads: h.threads,
                kernels: h.kernels.parse::<LaneSet>().ok()?,
                schedule: h.schedule,
                resumed_from: h.resumed_from,
                class_names: h.class_names,
            })],
            MetricsLine::Batch(b) => vec![Event::Batches(vec![b])],
            MetricsLine::Epoch(e) => vec![Event::EpochFinished(e)],
            MetricsLine::Evaluation(e) => vec![Event::Evaluated(e)],
            MetricsLine::Sample(s) => vec![
                Event::Filters(s.filters),
                Event::Sample(Box::new(SamplePrediction {
                    index: s.index,
                    pixels: s.pixels,
                    label: s.label,
                    probabilities: s.probabilities,
                    conv1_maps: Vec::new(),
                    conv2_maps: Vec::new(),
                })),
            ],
            MetricsLine::Diverged(d) => vec![Event::Diverged(d)],
            MetricsLine::Finished { accuracy } => vec![Event::Finished { accuracy }],
            MetricsLine::Stopped => vec![Event::Stopped],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measurement_lines_are_written_as_records_are() {
        let line = r#"{"type":"evaluation","at_epoch":1.0,"kind":"full","accuracy":0.97}"#;
        let parsed: MetricsLine = serde_json::from_str(line).unwrap();
        let record: Record = serde_json::from_str(line).unwrap();
        assert_eq!(parsed, MetricsLine::from(record));
        assert_eq!(serde_json::to_string(&parsed).unwrap(), line);
        let diverged = r#"{"type":"diverged","epoch":2,"batch":7,"learning_rate":0.5,"reason":"loss_exploded","smoothed":9.0,"best":0.3,"restored_epoch":2,"restored_batch":0}"#;
        let parsed: MetricsLine = serde_json::from_str(diverged).unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), diverged);
        let stopped = serde_json::to_string(&MetricsLine::Stopped).unwrap();
        assert_eq!(stopped, r#"{"type":"stopped"}"#);
    }
}
