//! Divergence: going back to the last good weights and optimiser state.

use crate::model::Network;

use super::Trainer;
use crate::train::events::{Divergence, DivergenceReason, Event};
use crate::train::metrics_line::MetricsLine;
use crate::train::options::OnDivergence;
use crate::train::record::Record;

impl<N: Network> Trainer<N> {
    /// A non-finite loss or weight, or a loss that blew up: go back to the last snapshot
    /// (earlier steps may have poisoned the weights), then pause or halve the rate, and
    /// tell the user.
    pub(super) fn recover_from_divergence(&mut self, learning_rate: f64, reason: DivergenceReason) {
        let (epoch, batch) = (self.at.epoch, self.at.batch);
        let snap = &self.last_good;
        self.net = snap.net.clone();
        self.opt = snap.adam.clone();
        self.watch = snap.watch;
        let (restored_epoch, restored_batch) = (snap.epoch, snap.batch);
        // The history and the epoch's cost sum go back with the weights.
        let n_batches = self.batches_per_epoch() as f64;
        let restored_at = restored_epoch as f64 + restored_batch as f64 / n_batches;
        self.history.retain(|r| match r {
            Record::Batch(b) => (b.epoch, b.batch) < (restored_epoch, restored_batch),
            Record::Epoch(e) => e.epoch < restored_epoch,
            Record::Evaluation(e) => e.at_epoch <= restored_at + 1e-9,
        });
        self.at.epoch_cost = self
            .history
            .iter()
            .filter_map(|r| match r {
                Record::Batch(b) if b.epoch == restored_epoch => Some(b.loss as f64 / n_batches),
                _ => None,
            })
            .sum();
        (self.at.epoch, self.at.batch) = (restored_epoch, restored_batch);
        let divergence = Divergence {
            epoch,
            batch,
            learning_rate,
            reason,
            restored_epoch,
            restored_batch,
        };
        self.write_metrics(&MetricsLine::Diverged(divergence));
        if let Some(warning) = self.recording.as_mut().and_then(|r| r.save_summary()) {
            self.outbox.push(Event::Warning(warning));
        }
        self.outbox.push(Event::Diverged(divergence));
        match self.options.on_divergence {
            OnDivergence::Pause => {
                self.opt.cfg.lr = learning_rate;
                self.paused = true;
                self.step_pending = false;
                self.outbox.push(Event::Paused);
            }
            OnDivergence::Halve => {
                self.set_rate_in_force(learning_rate / 2.0);
                self.outbox.push(Event::LearningRateSet(self.opt.cfg.lr));
            }
        }
    }
}
