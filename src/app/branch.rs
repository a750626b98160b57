//! A second run forked from the main one at another learning rate, trained side by side
//! so both curves can be compared live until the user keeps one.

use super::{History, RunState};
use crate::train::Event;

#[derive(Debug, Clone)]
pub struct Branch {
    pub history: History,
    /// The branch's learning rate as its worker acknowledged it.
    pub learning_rate: f64,
    pub state: RunState,
    pub epochs: usize,
    pub epoch: usize,
    pub batch: usize,
    pub batches_done: usize,
    pub final_accuracy: Option<f64>,
    /// Where the branch left the main run, in epochs.
    pub forked_at: f64,
}

impl Branch {
    pub fn new(learning_rate: f64, forked_at: f64) -> Self {
        Self {
            history: History::default(),
            learning_rate,
            state: RunState::Starting,
            epochs: 0,
            epoch: 0,
            batch: 0,
            batches_done: 0,
            final_accuracy: None,
            forked_at,
        }
    }

    /// The branch worker's events; UI-only ones (filters, samples) are not shown for it.
    pub fn on_event(&mut self, event: Event, batches_per_epoch: usize) {
        let per_epoch = batches_per_epoch.max(1) as f64;
        self.history.record(&event, batches_per_epoch);
        match event {
            Event::Started(info) => {
                self.epochs = info.epochs;
                self.state = RunState::Running;
            }
            Event::Batches(list) => {
                if let Some(last) = list.last() {
                    (self.epoch, self.batch) = (last.epoch, last.batch);
                }
                self.batches_done += list.len();
            }
            Event::LearningRateSet(lr) => self.learning_rate = lr,
            Event::EpochsSet(n) => {
                self.epochs = n;
                if self.state == RunState::Finished {
                    self.state = RunState::Running;
                }
            }
            Event::Paused if self.state != RunState::Diverged => self.state = RunState::Paused,
            Event::Resumed => self.state = RunState::Running,
            Event::Diverged {
                restored_epoch,
                restored_batch,
                ..
            } => {
                self.state = RunState::Diverged;
                self.batches_done = restored_epoch * batches_per_epoch + restored_batch;
                self.history
                    .truncate_after(self.batches_done as f64 / per_epoch);
            }
            Event::Finished { accuracy } => {
                self.state = RunState::Finished;
                self.final_accuracy = Some(accuracy);
            }
            Event::Stopped => self.state = RunState::Stopped,
            _ => {}
        }
    }
}
