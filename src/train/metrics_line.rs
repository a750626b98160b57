//! The lines of a JSON-lines `--metrics` file: the measurements ([`Record`]) with, around
//! them, what `mnist-tui view` needs to draw the run without its worker — the run's
//! header first, the sample digit, the filters and the layers' health at the quick-evaluation
//! cadence, and
//! how the run ended. A CSV file holds the measurements only.

use serde::{Deserialize, Serialize};

use super::events::{Divergence, Event, HealthReport, RunInfo, SamplePrediction};
use super::measure::{BatchLoss, EpochSummary, Evaluation};
use super::record::Record;

/// One line of a JSON-lines metrics file; its `type` field names the variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum MetricsLine {
    Run(RunInfo),
    Batch(BatchLoss),
    Epoch(EpochSummary),
    Evaluation(Evaluation),
    Sample(SampleLine),
    Diverged(Divergence),
    /// Every layer's health at a quick evaluation.
    Health(HealthReport),
    Finished {
        accuracy: f64,
    },
    Stopped,
    /// Its sweep's successive halving stopped the run (a `stopped` line follows).
    Pruned,
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
    /// The measurement the line holds, if it is one.
    pub fn record(&self) -> Option<Record> {
        match *self {
            MetricsLine::Batch(b) => Some(Record::Batch(b)),
            MetricsLine::Epoch(e) => Some(Record::Epoch(e)),
            MetricsLine::Evaluation(e) => Some(Record::Evaluation(e)),
            _ => None,
        }
    }

    /// The events the line stands for, as the dashboard would have received them live.
    pub fn into_events(self) -> Vec<Event> {
        match self {
            MetricsLine::Run(info) => vec![Event::Started(info)],
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
                    saliency: Default::default(),
                    occlusion: Default::default(),
                    walk: Default::default(),
                })),
            ],
            MetricsLine::Health(h) => vec![Event::Health(Box::new(h))],
            MetricsLine::Diverged(d) => vec![Event::Diverged(d)],
            MetricsLine::Finished { accuracy } => vec![Event::Finished { accuracy }],
            MetricsLine::Stopped => vec![Event::Stopped],
            MetricsLine::Pruned => Vec::new(),
        }
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
        let health = r#"{"type":"health","at_epoch":0.25,"step":150,"layers":[{"name":"conv1","weight_norm":0.7,"gradient_norm":0.1,"update_ratio":0.003,"dead_fraction":0.0},{"name":"dense","weight_norm":7.8,"gradient_norm":1.0,"update_ratio":0.004}]}"#;
        let parsed: MetricsLine = serde_json::from_str(health).unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), health);
        // `view` draws the Layers view from these lines.
        let [Event::Health(report)] = &parsed.into_events()[..] else {
            panic!("a health line is one Health event");
        };
        assert_eq!(report.layers[1].dead_fraction, None);
        let stopped = serde_json::to_string(&MetricsLine::Stopped).unwrap();
        assert_eq!(stopped, r#"{"type":"stopped"}"#);
    }
}
