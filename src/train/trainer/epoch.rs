//! One epoch: its batches, the hooks between them (snapshot, quick evaluation, visuals),
//! and its end (summary, full evaluation, checkpoints).

use std::time::{Duration, Instant};

use dfdx::prelude::*;

use crate::model::{ops::to_vec, Network};

use super::{shuffled, Flow, Trainer, METRICS_SAMPLE_EVERY, SNAPSHOT_EVERY};
use crate::train::adam::Update;
use crate::train::blowup::Verdict;
use crate::train::eval::{accuracy, images_tensor, test_report};
use crate::train::events::{argmax, DivergenceReason, Event};
use crate::train::measure::{BatchLoss, EpochSummary, EvalKind, Evaluation};
use crate::train::record::Record;
use crate::train::schedule::Schedule;

impl<N: Network> Trainer<N> {
    /// Trains the rest of epoch `self.at.epoch`; returns its test accuracy, or `None` when
    /// told to stop.
    pub(super) fn run_epoch(&mut self) -> Option<f64> {
        let epoch = self.at.epoch;
        let bs = self.options.settings.batch_size;
        let n_batches = self.batches_per_epoch();
        let order = shuffled(self.data.train.len(), &mut self.shuffle_rng);
        let mut training_time = Duration::ZERO;
        let first = self.at.batch;
        while self.at.batch < n_batches {
            if self.obey_commands() == Flow::Stop {
                return None;
            }
            let batch = self.at.batch;
            if batch == 3 && crate::fault::injected("panic-worker") {
                panic!("injected fault: the worker panicked at batch {batch}");
            }
            self.apply_schedule();
            self.measure_next_step = self.inside_due(batch + 1, n_batches);
            let started = Instant::now();
            let (loss, correct, update) = self.train_step(&order[batch * bs..(batch + 1) * bs]);
            training_time += started.elapsed();
            let learning_rate = self.opt.cfg.lr;
            if !loss.is_finite() || update == Update::NonFiniteWeights {
                self.recover_from_divergence(learning_rate, DivergenceReason::NotFinite);
                continue;
            }
            if let Verdict::Exploded { smoothed, best } = self.watch.observe(loss) {
                let reason = DivergenceReason::LossExploded { smoothed, best };
                self.recover_from_divergence(learning_rate, reason);
                continue;
            }
            self.at.epoch_cost += loss as f64 / n_batches as f64;
            let b = BatchLoss {
                epoch,
                batch,
                loss,
                learning_rate,
                base_rate: (self.schedule != Schedule::Constant).then_some(self.base_lr),
                correct,
                size: bs as u32,
            };
            self.outbox.push_batch(b);
            self.record(Record::Batch(b));
            self.at.batch += 1;
            self.after_batch(n_batches);
        }
        let trained = (n_batches - first) * bs;
        Some(self.finish_epoch(trained, training_time))
    }

    /// Between two batches: a snapshot now and then, the quick evaluation (with the look
    /// inside the network) and the visuals at their cadence.
    fn after_batch(&mut self, n_batches: usize) {
        let (epoch, done) = (self.at.epoch, self.at.batch);
        // Only weights from before a climb are worth going back to.
        if done.is_multiple_of(SNAPSHOT_EVERY) && self.watch.is_snapshot_safe() {
            let position = (epoch, done);
            self.last_good
                .retake(&self.net, &self.opt, self.watch, position);
        }
        if self.inside_due(done, n_batches) {
            let at_epoch = epoch as f64 + done as f64 / n_batches as f64;
            self.look_inside(at_epoch, done < n_batches);
        }
        if self
            .options
            .visuals_every
            .is_some_and(|n| done.is_multiple_of(n))
        {
            self.send_visuals();
        }
        if done.is_multiple_of(METRICS_SAMPLE_EVERY) {
            self.write_sample();
            // A `view` of the file follows the run at this cadence, not once an epoch.
            self.flush_metrics();
        }
    }

    /// The epoch's end: its summary, the full evaluation, a snapshot, the metrics flushed
    /// and the checkpoints written; returns the test accuracy.
    fn finish_epoch(&mut self, trained_images: usize, training_time: Duration) -> f64 {
        let epoch = self.at.epoch;
        let seconds = training_time.as_secs_f64();
        let samples_per_second = trained_images as f64 / seconds.max(1e-9);
        let average_cost = self.at.epoch_cost;
        let summary = EpochSummary {
            epoch,
            average_cost,
            seconds,
            samples_per_second,
        };
        self.outbox.push(Event::EpochFinished(summary));
        self.record(Record::Epoch(summary));
        let at_epoch = (epoch + 1) as f64;
        let accuracy = if self.options.visuals_every.is_some() {
            let (accuracy, report) = test_report(&self.net, &self.data.test, at_epoch);
            self.outbox.push(Event::TestReport(Box::new(report)));
            accuracy
        } else {
            accuracy(&self.net, &self.data.test, usize::MAX)
        };
        self.push_evaluation(at_epoch, EvalKind::Full, accuracy);
        (self.at.epoch, self.at.batch, self.at.epoch_cost) = (epoch + 1, 0, 0.0);
        // Snapshots never cross an epoch boundary, so recovery never has to redo an epoch.
        let position = (self.at.epoch, 0);
        self.last_good
            .retake(&self.net, &self.opt, self.watch, position);
        self.write_sample();
        self.flush_metrics();
        self.save_record();
        if self.options.save_to.is_some() {
            self.save();
        }
        if let Some(dir) = &self.options.checkpoint_dir {
            let name = format!(
                "{}-epoch-{:03}.safetensors",
                self.options.settings.model,
                epoch + 1
            );
            self.save_to(dir.join(name));
        }
        accuracy
    }

    pub(super) fn push_evaluation(&mut self, at_epoch: f64, kind: EvalKind, accuracy: f64) {
        let evaluation = Evaluation {
            at_epoch,
            kind,
            accuracy,
        };
        self.outbox.push(Event::Evaluated(evaluation));
        self.record(Record::Evaluation(evaluation));
    }

    /// One optimiser step on the images at `indices`; returns the loss, how many of the
    /// images the model got right before the step, and whether the new weights are finite.
    pub(super) fn train_step(&mut self, indices: &[usize]) -> (f32, u32, Update) {
        let data = self.data.clone();
        let train = &data.train;
        let x = images_tensor(&self.dev, train, indices);
        let mut onehot = vec![0.0f32; indices.len() * 10];
        for (row, &i) in indices.iter().enumerate() {
            onehot[row * 10 + train.labels[i] as usize] = 1.0;
        }
        let y = self
            .dev
            .tensor_from_vec(onehot, (indices.len(), Const::<10>));
        let grads = self.grads.take().expect("gradients are always returned");
        let logits = self.net.forward_train(x.traced(grads));
        self.obey_quick_commands();
        let correct = to_vec(&logits)
            .chunks(10)
            .zip(indices)
            .filter(|(row, &i)| argmax(row) == train.labels[i] as usize)
            .count() as u32;
        let loss = cross_entropy_with_logits_loss(logits, y);
        let loss_value = loss.array();
        let mut grads = loss.backward();
        self.obey_quick_commands();
        self.step_sizes = None;
        let update = if !loss_value.is_finite() {
            self.net.zero_grads(&mut grads);
            Update::Applied
        } else if std::mem::take(&mut self.measure_next_step) {
            let (update, sizes) = self.opt.update_measured(&mut self.net, &mut grads);
            self.step_sizes = Some(sizes);
            update
        } else {
            self.opt.update(&mut self.net, &mut grads)
        };
        // Adam left the weights' gradients at zero; the layers' inner ones go.
        grads.drop_non_leafs();
        self.grads = Some(grads);
        (loss_value, correct, update)
    }
}
