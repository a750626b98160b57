//! The commands: taken mid-step (learning rate, epochs) or at batch boundaries, waited
//! for while paused and after the last epoch.

use std::time::Duration;

use crossbeam_channel::{RecvTimeoutError, TryRecvError};
use rand::Rng;

use crate::model::{occlusion, saliency, Network};

use super::{Flow, Trainer};
use crate::train::eval::probabilities;
use crate::train::events::{Command, Event, Verdict};

impl<N: Network> Trainer<N> {
    /// Mid-step: applies learning-rate and epoch-count changes at once (the rate then
    /// already drives this step's update) so their acknowledgement reaches the screen
    /// within part of a batch; every other command waits, in order, for the boundary.
    pub(super) fn obey_quick_commands(&mut self) {
        while !self.commands_closed {
            match self.commands.try_recv() {
                Ok(cmd @ (Command::SetLearningRate(_) | Command::SetEpochs(_))) => {
                    if self.deferred.is_empty() && !self.sweeping {
                        self.apply(cmd, self.at.epoch + 1);
                    } else {
                        self.deferred.push_back(cmd);
                    }
                }
                Ok(other) => self.deferred.push_back(other),
                Err(_) => break,
            }
        }
    }

    pub(super) fn next_command(&mut self, block: bool) -> Option<Command> {
        if let Some(cmd) = self.deferred.pop_front() {
            return Some(cmd);
        }
        if self.commands_closed {
            return None;
        }
        let received = if block {
            match self.commands.recv_timeout(Duration::from_millis(50)) {
                Ok(c) => Ok(c),
                Err(RecvTimeoutError::Timeout) => Err(false),
                Err(RecvTimeoutError::Disconnected) => Err(true),
            }
        } else {
            match self.commands.try_recv() {
                Ok(c) => Ok(c),
                Err(TryRecvError::Empty) => Err(false),
                Err(TryRecvError::Disconnected) => Err(true),
            }
        };
        match received {
            Ok(c) => Some(c),
            Err(closed) => {
                // Nobody can resume a paused run once the commands are gone.
                if closed {
                    self.commands_closed = true;
                    self.paused = false;
                }
                None
            }
        }
    }

    /// Applies waiting commands; while paused, waits for one that lets a batch run.
    pub(super) fn obey_commands(&mut self) -> Flow {
        self.step_pending = false;
        loop {
            if self.outbox.disconnected() {
                return Flow::Stop;
            }
            self.poll_embedding();
            let waiting = self.paused && !self.step_pending;
            match self.next_command(waiting) {
                Some(cmd) => {
                    if self.apply(cmd, self.at.epoch + 1) == Flow::Stop {
                        return Flow::Stop;
                    }
                }
                None if waiting && !self.commands_closed => self.outbox.flush(),
                None => return Flow::Continue,
            }
        }
    }

    /// After the last epoch: serve samples and wait for more epochs (or stop).
    pub(super) fn wait_after_finish(&mut self) -> Flow {
        let epochs_done = self.at.epoch;
        loop {
            if self.outbox.disconnected() || self.commands_closed {
                return Flow::Stop;
            }
            self.poll_embedding();
            match self.next_command(true) {
                Some(cmd) => {
                    if self.apply(cmd, epochs_done) == Flow::Stop {
                        return Flow::Stop;
                    }
                    if self.epochs > epochs_done {
                        return Flow::Continue;
                    }
                }
                None => self.outbox.flush(),
            }
        }
    }

    /// Applies one command; `min_epochs` is the least the epoch count may become.
    pub(super) fn apply(&mut self, cmd: Command, min_epochs: usize) -> Flow {
        match cmd {
            Command::SetLearningRate(lr) => {
                if lr.is_finite() && lr > 0.0 {
                    self.set_rate_in_force(lr);
                }
                self.outbox.push(Event::LearningRateSet(self.opt.cfg.lr));
            }
            Command::SetEpochs(n) => {
                self.epochs = n.max(min_epochs).max(1);
                self.outbox.push(Event::EpochsSet(self.epochs));
            }
            Command::Pause => {
                self.paused = true;
                self.outbox.push(Event::Paused);
            }
            Command::Resume => {
                self.paused = false;
                self.outbox.push(Event::Resumed);
            }
            Command::Step => self.step_pending = self.paused,
            Command::NewSample => {
                self.sample_index = self.sample_rng.gen_range(0..self.data.test.len());
                self.send_sample();
            }
            Command::Predict(pixels) => {
                let scaled: Vec<f32> = pixels.iter().map(|&p| p as f32 / 255.0).collect();
                let verdict = Verdict {
                    probabilities: probabilities(&self.net, &self.dev, &scaled),
                    saliency: saliency(&self.net, &self.dev, &scaled),
                    occlusion: occlusion(&self.net, &scaled),
                    walk: self.net.walk(&self.dev, &scaled),
                };
                self.outbox.push(Event::Predicted(Box::new(verdict)));
            }
            Command::Save => self.save(),
            Command::Fork => {
                let checkpoint = self.checkpoint();
                self.outbox.push(Event::Forked(Box::new(checkpoint)));
            }
            Command::FindLearningRate => self.find_learning_rate(),
            Command::SetSchedule(schedule) => {
                // The base stays: the new schedule scales the same rate.
                self.schedule = schedule;
                self.opt.cfg.lr = self.base_lr;
                self.apply_schedule();
                self.outbox.push(Event::ScheduleSet(schedule));
                self.outbox.push(Event::LearningRateSet(self.opt.cfg.lr));
            }
            Command::Stop => return Flow::Stop,
            Command::Prune => {
                self.write_metrics(&crate::train::metrics_line::MetricsLine::Pruned);
                return Flow::Stop;
            }
            Command::Embed => self.start_embedding(),
            Command::Fool { pixels, target } => {
                let scaled: Vec<f32> = pixels.iter().map(|&p| p as f32 / 255.0).collect();
                let target = target.map(usize::from);
                let fooled = crate::model::fool::fool(&self.net, &self.dev, &scaled, target);
                self.outbox.push(Event::Fooled(fooled.map(Box::new)));
            }
        }
        Flow::Continue
    }
}
