//! A run's summary: what the workspace's table shows of it, kept up to date from the
//! same lines its metrics file holds, so a summary rebuilt from the file (a run that
//! died before writing one) is the summary the run would have written.

use serde::{Deserialize, Serialize};

use crate::model::ModelKind;
use crate::train::measure::EvalKind;
use crate::train::metrics_line::MetricsLine;
use crate::train::schedule::Schedule;

/// Version of the summary's fields.
const FORMAT: u32 = 1;

/// How the run stands, as its writer last said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordedState {
    Running,
    Finished,
    Stopped,
    Diverged,
    /// Stopped by its sweep's successive halving, after the epochs it had trained.
    Pruned,
}

/// The sweep a run is a trial of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepTag {
    /// The sweep's name (its start time), shared by its trials.
    pub name: String,
    /// What sets the trial apart (`lr 1e-3 · seed 778`).
    pub trial: String,
}

/// The best full test accuracy and where it was measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Best {
    pub accuracy: f64,
    /// In epochs (the end of epoch 3 is 3.0).
    pub at_epoch: f64,
}

/// The run a branch or a resumed run continues, and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parent {
    /// The parent's folder name (or the checkpoint it continues, outside any run folder).
    pub name: String,
    /// Zero-based epoch and batch of the fork.
    pub epoch: usize,
    pub batch: usize,
}

impl Parent {
    /// What a resumed checkpoint continues: the run whose folder holds it, or the file.
    pub fn continuing(
        checkpoint: &crate::train::checkpoint::Checkpoint,
        path: &std::path::Path,
    ) -> Self {
        let folder = path
            .parent()
            .filter(|dir| dir.join(super::folder::SUMMARY_FILE).is_file());
        let name = match folder.and_then(|dir| dir.file_name()) {
            Some(name) => name.to_string_lossy().into_owned(),
            None => path.display().to_string(),
        };
        let at = checkpoint.progress.position;
        Self {
            name,
            epoch: at.epoch,
            batch: at.batch,
        }
    }
}

/// What the workspace shows of a run without reading its batches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub format: u32,
    pub model: ModelKind,
    pub data_name: String,
    pub train_len: usize,
    pub test_len: usize,
    pub batch_size: usize,
    pub batches_per_epoch: usize,
    /// The rate the run started with (a schedule's base).
    pub learning_rate: f64,
    /// The rate the last batch was trained at.
    pub last_learning_rate: f64,
    pub schedule: Schedule,
    pub epochs_planned: usize,
    pub epochs_done: usize,
    /// Batches trained, the parent's included.
    pub batches_done: usize,
    pub best: Option<Best>,
    /// The last full test accuracy.
    pub last_accuracy: Option<f64>,
    /// The last epoch's mean loss, or the last batch's loss during the first epoch.
    pub last_cost: Option<f64>,
    /// Time spent training (evaluations excluded), summed over the epochs done.
    pub train_seconds: f64,
    pub state: RecordedState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Parent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepTag>,
    /// When the run started and when the summary was last written, in Unix seconds.
    pub started_unix: u64,
    pub updated_unix: u64,
    /// The writing process, to tell a live run from one whose process died.
    pub pid: u32,
}

impl RunSummary {
    /// The summary of a run that has written only its header line.
    pub fn new(info: &crate::train::RunInfo, started_unix: u64, pid: u32) -> Self {
        Self {
            format: FORMAT,
            model: info.model,
            data_name: info.data_name.clone(),
            train_len: info.train_len,
            test_len: info.test_len,
            batch_size: info.batch_size,
            batches_per_epoch: info.batches_per_epoch,
            learning_rate: info.learning_rate,
            last_learning_rate: info.learning_rate,
            schedule: info.schedule,
            epochs_planned: info.epochs,
            epochs_done: 0,
            batches_done: 0,
            best: None,
            last_accuracy: None,
            last_cost: None,
            train_seconds: 0.0,
            state: RecordedState::Running,
            parent: None,
            sweep: None,
            started_unix,
            updated_unix: started_unix,
            pid,
        }
    }

    /// Takes in one line of the run's metrics file.
    pub fn observe(&mut self, line: &MetricsLine) {
        match line {
            MetricsLine::Run(info) => {
                let (parent, sweep) = (self.parent.take(), self.sweep.take());
                *self = RunSummary::new(info, self.started_unix, self.pid);
                (self.parent, self.sweep) = (parent, sweep);
            }
            MetricsLine::Batch(b) => {
                self.batches_done = b.epoch * self.batches_per_epoch + b.batch + 1;
                self.last_learning_rate = b.learning_rate;
                if self.epochs_done == 0 {
                    self.last_cost = Some(f64::from(b.loss));
                }
                self.state = RecordedState::Running;
                // More epochs were asked for after the run had finished.
                self.epochs_planned = self.epochs_planned.max(b.epoch + 1);
            }
            MetricsLine::Epoch(e) => {
                self.epochs_done = e.epoch + 1;
                self.last_cost = Some(e.average_cost);
                self.train_seconds += e.seconds;
            }
            MetricsLine::Evaluation(e) if e.kind == EvalKind::Full => {
                self.last_accuracy = Some(e.accuracy);
                if self.best.is_none_or(|b| e.accuracy > b.accuracy) {
                    self.best = Some(Best {
                        accuracy: e.accuracy,
                        at_epoch: e.at_epoch,
                    });
                }
            }
            MetricsLine::Diverged(_) => self.state = RecordedState::Diverged,
            MetricsLine::Pruned => self.state = RecordedState::Pruned,
            MetricsLine::Finished { accuracy } => {
                self.state = RecordedState::Finished;
                self.last_accuracy = Some(*accuracy);
            }
            // Quitting a finished or diverged run writes `stopped` too: it stays what it was.
            MetricsLine::Stopped if self.state == RecordedState::Running => {
                self.state = RecordedState::Stopped;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::{BatchLoss, EpochSummary, Evaluation};

    fn info() -> crate::train::RunInfo {
        let line = r#"{"type":"run","model":"seed","data_name":"MNIST","train_len":100,"test_len":10,"batch_size":10,"batches_per_epoch":10,"epochs":2,"learning_rate":0.001,"threads":1,"kernels":"portable","schedule":"constant"}"#;
        match serde_json::from_str(line).unwrap() {
            MetricsLine::Run(info) => info,
            _ => unreachable!(),
        }
    }

    fn batch(epoch: usize, batch: usize, loss: f32) -> MetricsLine {
        MetricsLine::Batch(BatchLoss {
            epoch,
            batch,
            loss,
            learning_rate: 0.001,
            base_rate: None,
            correct: 1,
            size: 10,
        })
    }

    fn full(at_epoch: f64, accuracy: f64) -> MetricsLine {
        MetricsLine::Evaluation(Evaluation {
            at_epoch,
            kind: EvalKind::Full,
            accuracy,
        })
    }

    fn epoch(epoch: usize, average_cost: f64) -> MetricsLine {
        MetricsLine::Epoch(EpochSummary {
            epoch,
            average_cost,
            seconds: 2.0,
            samples_per_second: 50.0,
        })
    }

    #[test]
    fn the_best_accuracy_is_kept_with_its_epoch_and_the_last_beside_it() {
        let mut s = RunSummary::new(&info(), 100, 1);
        for line in [
            batch(0, 9, 1.5),
            epoch(0, 2.0),
            full(1.0, 0.90),
            batch(1, 9, 0.5),
            epoch(1, 0.7),
            full(2.0, 0.88),
            MetricsLine::Finished { accuracy: 0.88 },
            MetricsLine::Stopped,
        ] {
            s.observe(&line);
        }
        assert_eq!(
            s.best,
            Some(Best {
                accuracy: 0.90,
                at_epoch: 1.0
            })
        );
        assert_eq!(s.last_accuracy, Some(0.88));
        assert_eq!((s.epochs_done, s.batches_done), (2, 20));
        assert_eq!(s.last_cost, Some(0.7));
        assert_eq!(s.train_seconds, 4.0);
        assert_eq!(
            s.state,
            RecordedState::Finished,
            "quitting keeps it finished"
        );
    }

    #[test]
    fn a_run_stopped_midway_is_stopped_and_one_that_trains_on_is_running_again() {
        let mut s = RunSummary::new(&info(), 100, 1);
        s.observe(&batch(0, 3, 2.0));
        assert_eq!(
            s.last_cost,
            Some(2.0),
            "the first epoch shows its last batch"
        );
        s.observe(&MetricsLine::Stopped);
        assert_eq!(s.state, RecordedState::Stopped);
        s.observe(&MetricsLine::Finished { accuracy: 0.5 });
        s.observe(&batch(2, 0, 1.0));
        assert_eq!(s.state, RecordedState::Running);
        assert_eq!(s.epochs_planned, 3, "more epochs were asked for");
    }
}
