//! One run's progress as its worker reports it: the curves, the state, the learning rate
//! and epochs in force, the position, the final accuracy and a divergence. The main run
//! and the branch are each one [`RunProgress`], changed by the same [`RunProgress::apply`],
//! so the two cannot drift apart; keeping the branch moves its value into the main slot.

use super::history::RunMark;
use super::{History, RunState};
use crate::train::{Divergence, Event, Schedule};

#[derive(Debug, Clone)]
pub struct RunProgress {
    pub history: History,
    pub state: RunState,
    /// Learning rate and epoch count as the worker acknowledged them.
    pub learning_rate: f64,
    pub epochs: usize,
    /// Zero-based epoch and batch of the last batch seen.
    pub epoch: usize,
    pub batch: usize,
    /// Batches from the start of the run (a resumed or branched run counts the replayed
    /// ones), so that `batches_done / batches_per_epoch` is the curves' x.
    pub batches_done: usize,
    pub batches_per_epoch: usize,
    pub final_accuracy: Option<f64>,
    pub diverged_at: Option<Divergence>,
    /// The learning-rate schedule in force.
    pub schedule: Schedule,
}

impl RunProgress {
    /// A run whose worker has not spoken yet, expected at `learning_rate`.
    pub fn new(learning_rate: f64) -> Self {
        Self {
            history: History::default(),
            state: RunState::Starting,
            learning_rate,
            epochs: 0,
            epoch: 0,
            batch: 0,
            batches_done: 0,
            batches_per_epoch: 0,
            final_accuracy: None,
            diverged_at: None,
            schedule: Schedule::Constant,
        }
    }

    /// Position of the run in epochs (fractional).
    pub fn progress_epochs(&self) -> f64 {
        match self.batches_per_epoch {
            0 => 0.0,
            n => self.batches_done as f64 / n as f64,
        }
    }

    /// Applies what a worker event says about the run; events about other things (the
    /// sample, filters, reports, saves) leave it alone.
    pub fn apply(&mut self, event: &Event) {
        // The curves; replayed history (a resumed run) carries its rate changes in the
        // batches.
        self.history.record(event, self.batches_per_epoch);
        match event {
            Event::Started(info) => {
                self.learning_rate = info.learning_rate;
                self.epochs = info.epochs;
                self.batches_per_epoch = info.batches_per_epoch;
                self.schedule = info.schedule;
                self.state = RunState::Running;
                // A resumed run's replayed batches carry their own rate marks.
                if info.resumed_from.is_none() {
                    self.history.learning_rates.push((0.0, info.learning_rate));
                }
            }
            Event::Batches(list) => {
                if let Some(last) = list.last() {
                    (self.epoch, self.batch) = (last.epoch, last.batch);
                    // Under a schedule the rate in force is the last batch's.
                    if self.schedule != Schedule::Constant {
                        self.learning_rate = last.learning_rate;
                    }
                }
                self.batches_done += list.len();
            }
            &Event::ScheduleSet(schedule) => {
                self.schedule = schedule;
                let at = self.progress_epochs();
                self.history.marks.push((at, RunMark::ScheduleChange));
            }
            &Event::Saved { epoch, batch, .. } => {
                let x = epoch as f64 + batch as f64 / self.batches_per_epoch.max(1) as f64;
                self.history.marks.push((x, RunMark::Saved));
            }
            &Event::LearningRateSet(lr) => {
                // Under a schedule, the batches place the mark where the base changed.
                if lr != self.learning_rate && self.schedule == Schedule::Constant {
                    self.history
                        .learning_rates
                        .push((self.progress_epochs(), lr));
                }
                self.learning_rate = lr;
            }
            &Event::EpochsSet(n) => {
                self.epochs = n;
                let left = n * self.batches_per_epoch > self.batches_done;
                if self.state == RunState::Finished && left {
                    self.state = RunState::Running;
                    self.final_accuracy = None;
                }
            }
            // A diverged run pauses too, and stays shown as diverged.
            Event::Paused if self.state != RunState::Diverged => self.state = RunState::Paused,
            Event::Resumed => {
                self.state = RunState::Running;
                self.diverged_at = None;
            }
            &Event::Diverged(d) => {
                self.state = RunState::Diverged;
                self.diverged_at = Some(d);
                // The curves go back with the weights.
                let per_epoch = self.batches_per_epoch.max(1);
                self.batches_done = d.restored_epoch * per_epoch + d.restored_batch;
                self.history.truncate_after(self.progress_epochs());
                let at = self.progress_epochs();
                self.history.marks.push((at, RunMark::Restore));
            }
            &Event::Finished { accuracy } => {
                self.state = RunState::Finished;
                self.final_accuracy = Some(accuracy);
            }
            Event::Stopped => self.state = RunState::Stopped,
            _ => {}
        }
    }

    /// The worker's channel closed: unless it said it stopped, it crashed.
    pub fn worker_gone(&mut self) {
        if self.state != RunState::Stopped {
            self.state = RunState::Crashed;
        }
    }

    /// Whether the worker can still take commands.
    pub fn is_alive(&self) -> bool {
        !matches!(self.state, RunState::Stopped | RunState::Crashed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::{BatchLoss, RunInfo};

    fn info(resumed: bool) -> RunInfo {
        RunInfo {
            model: crate::model::ModelKind::Seed,
            data_name: "test".into(),
            train_len: 1000,
            test_len: 100,
            batch_size: 100,
            batches_per_epoch: 10,
            epochs: 1,
            learning_rate: 0.001,
            threads: 1,
            kernels: crate::model::LaneSet::Portable,
            schedule: Default::default(),
            resumed_from: resumed.then(|| "branch".into()),
            recorded_in: None,
            class_names: Default::default(),
        }
    }

    fn batches(n: usize) -> Event {
        Event::Batches(
            (0..n)
                .map(|batch| BatchLoss {
                    epoch: 0,
                    batch,
                    loss: 1.0,
                    learning_rate: 0.001,
                    base_rate: None,
                    correct: 50,
                    size: 100,
                })
                .collect(),
        )
    }

    /// A main run and a branch (a resumed run) fed the same events.
    fn both() -> [RunProgress; 2] {
        [false, true].map(|resumed| {
            let mut run = RunProgress::new(0.001);
            run.apply(&Event::Started(info(resumed)));
            run
        })
    }

    #[test]
    fn more_epochs_resume_a_finished_run_only_when_epochs_remain() {
        for mut run in both() {
            run.apply(&batches(10));
            run.apply(&Event::Finished { accuracy: 0.9 });
            // One epoch of ten batches is done: "one epoch in all" leaves nothing to run.
            run.apply(&Event::EpochsSet(1));
            assert_eq!(run.state, RunState::Finished);
            assert_eq!(run.final_accuracy, Some(0.9));
            run.apply(&Event::EpochsSet(2));
            assert_eq!(run.state, RunState::Running);
            assert_eq!(run.final_accuracy, None);
        }
    }

    #[test]
    fn resuming_after_a_divergence_clears_it_in_every_run() {
        for mut run in both() {
            run.apply(&batches(5));
            run.apply(&Event::Diverged(Divergence {
                epoch: 0,
                batch: 4,
                learning_rate: 10.0,
                reason: crate::train::DivergenceReason::NotFinite,
                restored_epoch: 0,
                restored_batch: 2,
            }));
            assert_eq!(run.state, RunState::Diverged);
            assert!(run.diverged_at.is_some());
            assert_eq!(run.batches_done, 2);
            run.apply(&Event::Resumed);
            assert_eq!(run.state, RunState::Running);
            assert_eq!(run.diverged_at, None);
        }
    }

    #[test]
    fn a_learning_rate_change_marks_the_curve_in_every_run() {
        for mut run in both() {
            run.apply(&batches(5));
            let marks = run.history.learning_rates.len();
            run.apply(&Event::LearningRateSet(0.01));
            assert_eq!(run.history.learning_rates.len(), marks + 1);
            assert_eq!(run.history.learning_rates.last(), Some(&(0.5, 0.01)));
            // An acknowledgement of the rate already in force marks nothing.
            run.apply(&Event::LearningRateSet(0.01));
            assert_eq!(run.history.learning_rates.len(), marks + 1);
        }
    }
}
