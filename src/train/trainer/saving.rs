//! Checkpoints of the run: where they go, what they hold, and telling the consumer.

use std::path::PathBuf;

use crate::model::Network;

use super::Trainer;
use crate::train::checkpoint::{Checkpoint, Progress, SavedSettings};
use crate::train::events::Event;
use crate::train::schedule::Schedule;

impl<N: Network> Trainer<N> {
    /// Writes a checkpoint of the current position to the configured path.
    pub(super) fn save(&mut self) {
        let path = self
            .options
            .save_to
            .clone()
            .unwrap_or_else(|| self.options.default_save_to.clone());
        self.save_to(path);
    }

    /// Writes a checkpoint of the current position to `path` and says how it went.
    pub(super) fn save_to(&mut self, path: PathBuf) {
        let checkpoint = self.checkpoint();
        match checkpoint.save(&path) {
            Ok(()) => {
                self.saved_at = Some((self.at.epoch, self.at.batch));
                self.outbox.push(Event::Saved {
                    path,
                    epoch: self.at.epoch,
                    batch: self.at.batch,
                })
            }
            Err(e) => self.outbox.push(Event::SaveFailed {
                path,
                error: e.problem,
            }),
        }
    }

    /// The whole state of the run, as a checkpoint holds it.
    pub(super) fn checkpoint(&self) -> Checkpoint {
        let s = &self.options.settings;
        let progress = Progress {
            format: 1,
            model: s.model,
            settings: SavedSettings {
                learning_rate: self.opt.cfg.lr,
                schedule: self.schedule,
                base_rate: (self.schedule != Schedule::Constant).then_some(self.base_lr),
                epochs: self.epochs,
                batch_size: s.batch_size,
                seed: s.seed,
                data: s.data.clone(),
                train_limit: s.train_limit,
                test_limit: s.test_limit,
                class_names: self.options.class_names.clone(),
            },
            position: self.at,
            adam_steps: self.opt.t,
            adam_betas: self.opt.cfg.betas,
            adam_eps: self.opt.cfg.eps,
            history: self.history.clone(),
        };
        Checkpoint::capture(&self.net, &self.opt, progress)
    }
}
