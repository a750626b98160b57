//! What the worker thread does: shuffles, batches, steps the optimiser, evaluates, and
//! obeys commands at batch boundaries. The run's loop is here; an epoch's work, the
//! commands, divergence recovery, saving and the dashboard's visuals each have a file.

mod commands;
mod epoch;
mod finder;
mod inside;
mod recovery;
mod saving;
mod visuals;

use std::sync::Arc;

use crossbeam_channel::Receiver;
use dfdx::prelude::*;
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};

use crate::data::Dataset;
use crate::model::params::export;
use crate::model::{Dev, Grads, Network};

use super::adam::{Adam, AdamConfig, StepSizes};
use super::blowup::LossWatch;
use super::eval::{accuracy, test_report};
use super::events::{replay, Command, Event, RunInfo};
use super::metrics::MetricsFile;
use super::metrics_line::MetricsLine;
use super::options::WorkerOptions;
use super::outbox::Outbox;
use super::position::Position;
use super::projection::Axes;
use super::record::Record;
use super::runs::Recording;
use super::schedule::Schedule;
use crate::error::FileError;

/// Size of the fixed test subset of the quick evaluations.
pub const QUICK_EVAL_IMAGES: usize = 1000;
/// Batches of the first epoch after which the dashboard also evaluates, before its
/// every-150 cadence: log-spaced, so the first climb is on the accuracy chart.
const EARLY_QUICK_EVALS: [usize; 4] = [10, 20, 50, 100];
/// Batches between the metrics file's sample lines (the dashboard's quick-evaluation
/// cadence): 60 lines of ~3 kB over a 15-epoch run.
const METRICS_SAMPLE_EVERY: usize = 150;
/// Batches between in-memory snapshots of weights and optimiser state for divergence recovery.
const SNAPSHOT_EVERY: usize = 50;

#[derive(PartialEq, Eq)]
pub(super) enum Flow {
    Continue,
    Stop,
}

/// Weights and optimiser state at a known position, to go back to after divergence.
struct Snapshot<N> {
    net: N,
    adam: Adam,
    /// The loss watch as it was, so the rule resumes where the weights do.
    watch: LossWatch,
    epoch: usize,
    batch: usize,
}

impl<N: Clone> Snapshot<N> {
    /// Takes the snapshot again, at `(epoch, batch)`. The optimiser state is copied into
    /// the vectors the snapshot already holds (see [`Adam`]'s `clone_from`); the
    /// network's tensors are shared with the live ones until its next update.
    fn retake(&mut self, net: &N, adam: &Adam, watch: LossWatch, (epoch, batch): (usize, usize)) {
        self.net = net.clone();
        self.adam.clone_from(adam);
        (self.watch, self.epoch, self.batch) = (watch, epoch, batch);
    }
}

pub(crate) struct Trainer<N: Network> {
    dev: Dev,
    net: N,
    opt: Adam,
    grads: Option<Grads>,
    last_good: Snapshot<N>,
    data: Arc<Dataset>,
    options: WorkerOptions,
    outbox: Outbox,
    commands: Receiver<Command>,
    commands_closed: bool,
    metrics: Option<MetricsFile>,
    /// The run's folder in the runs directory, unless `--no-record`.
    recording: Option<Recording>,
    /// Position of the last checkpoint written to the run's folder.
    recorded_at: Option<(usize, usize)>,
    history: Vec<Record>,
    shuffle_rng: StdRng,
    sample_rng: StdRng,
    sample_index: usize,
    epochs: usize,
    /// Where the run is.
    at: Position,
    /// The smoothed loss, for telling a blow-up from noise.
    watch: LossWatch,
    /// A learning-rate sweep is running on a copy of the run: every command waits.
    sweeping: bool,
    /// The schedule, and the base rate it scales into the rate in force (`opt.cfg.lr`).
    schedule: Schedule,
    base_lr: f64,
    paused: bool,
    step_pending: bool,
    /// Position of the last checkpoint written.
    saved_at: Option<(usize, usize)>,
    /// Commands received mid-step, for the next batch boundary.
    deferred: std::collections::VecDeque<Command>,
    /// The next optimiser step is measured for the layer-health view.
    measure_next_step: bool,
    /// The last measured step's sizes, tensor by tensor, until a health report takes them.
    step_sizes: Option<Vec<StepSizes>>,
    /// The network's tensor names, in the optimiser's visiting order.
    tensor_names: Vec<String>,
    /// The cluster view's last axes, so that the next projection keeps their directions.
    projection_axes: Option<Axes>,
    /// The quick-evaluation subset's pixels, shared with every projection sent.
    subset_pixels: Option<Arc<[u8]>>,
    /// A t-SNE layout computing on a thread of its own ([`Command::Embed`]).
    embedding: Option<crossbeam_channel::Receiver<crate::train::events::FeatureProjection>>,
}

impl<N: Network> Trainer<N> {
    pub(crate) fn new(
        data: Arc<Dataset>,
        options: WorkerOptions,
        outbox: Outbox,
        commands: Receiver<Command>,
        (metrics, recording): (Option<MetricsFile>, Option<Recording>),
    ) -> Result<Self, FileError> {
        let s = &options.settings;
        let dev = Dev::seed_from_u64(s.seed);
        let (mut net, opt, at, history) = match &options.resume {
            Some((checkpoint, path)) => {
                let (net, mut opt) = checkpoint.restore::<N>(&dev, path)?;
                opt.cfg.lr = s.learning_rate;
                let p = &checkpoint.progress;
                (net, opt, p.position, p.history.clone())
            }
            None => (
                N::build_seeded(&dev, s.seed),
                Adam::new(AdamConfig::with_lr(s.learning_rate)),
                Position::default(),
                Vec::new(),
            ),
        };
        net.set_kernels(s.kernels);
        let tensor_names = export(&net).into_iter().map(|t| t.name).collect();
        let grads = Some(net.alloc_grads());
        let mut sample_rng = StdRng::seed_from_u64(s.seed.wrapping_add(1));
        let sample_index = sample_rng.gen_range(0..data.test.len());
        let mut shuffle_rng = StdRng::seed_from_u64(s.seed);
        // Replay the shuffles of the epochs already trained, so a resumed run sees the same
        // batches as one that never stopped.
        for _ in 0..at.epoch {
            shuffled(data.train.len(), &mut shuffle_rng);
        }
        // A resumed run's rule resumes too: the watch sees the batches already trained.
        let mut watch = LossWatch::default();
        for record in &history {
            if let Record::Batch(b) = record {
                watch.observe(b.loss);
            }
        }
        let mut trainer = Self {
            last_good: Snapshot {
                net: net.clone(),
                adam: opt.clone(),
                watch,
                epoch: at.epoch,
                batch: at.batch,
            },
            dev,
            net,
            opt,
            grads,
            shuffle_rng,
            sample_rng,
            sample_index,
            epochs: s.epochs.max(at.epoch + usize::from(at.batch > 0)),
            at,
            watch,
            sweeping: false,
            schedule: s.schedule,
            base_lr: s.learning_rate,
            history,
            metrics,
            recording,
            recorded_at: None,
            data,
            outbox,
            commands,
            commands_closed: false,
            paused: options.start_paused,
            step_pending: false,
            saved_at: None,
            deferred: Default::default(),
            measure_next_step: false,
            step_sizes: None,
            tensor_names,
            projection_axes: None,
            subset_pixels: None,
            embedding: None,
            options,
        };
        trainer.apply_schedule();
        Ok(trainer)
    }

    /// How far the run is, from 0 at its first batch to 1 after its last planned one.
    fn progress(&self) -> f64 {
        let n = self.batches_per_epoch();
        let done = self.at.epoch * n + self.at.batch;
        done as f64 / (self.epochs * n).max(1) as f64
    }

    /// Sets the rate in force for the next batch from the schedule (the constant
    /// schedule leaves the rate as it is, so the tutorial's run is unchanged).
    fn apply_schedule(&mut self) {
        if self.schedule != Schedule::Constant {
            self.opt.cfg.lr = self.base_lr * self.schedule.factor(self.progress());
        }
    }

    /// Makes `lr` the rate in force now: the base becomes what the schedule scales to it.
    fn set_rate_in_force(&mut self, lr: f64) {
        let factor = self.schedule.factor(self.progress());
        self.base_lr = if factor > 0.0 { lr / factor } else { lr };
        self.opt.cfg.lr = lr;
    }

    fn batches_per_epoch(&self) -> usize {
        self.data.train.len() / self.options.settings.batch_size
    }

    pub(crate) fn run(mut self) {
        let s = &self.options.settings;
        let info = RunInfo {
            model: s.model,
            data_name: self.data.name.clone(),
            train_len: self.data.train.len(),
            test_len: self.data.test.len(),
            batch_size: s.batch_size,
            batches_per_epoch: self.batches_per_epoch(),
            epochs: self.epochs,
            learning_rate: self.opt.cfg.lr,
            threads: s.threads,
            kernels: s.kernels,
            schedule: self.schedule,
            resumed_from: self.options.resume.as_ref().map(|(_, p)| p.clone()),
            recorded_in: self.recording.as_ref().map(|r| r.folder().path.clone()),
            class_names: self.options.class_names.clone(),
        };
        self.write_metrics(&MetricsLine::Run(info.clone()));
        self.record_history();
        self.write_sample();
        self.outbox.push(Event::Started(info));
        for event in replay(&self.history) {
            self.outbox.push(event);
        }
        if self.options.visuals_every.is_some() {
            self.send_visuals();
        }
        let mut last_accuracy = None;
        loop {
            while self.at.epoch < self.epochs {
                match self.run_epoch() {
                    Some(acc) => last_accuracy = Some(acc),
                    None => return self.stop(),
                }
            }
            let accuracy = match last_accuracy {
                Some(a) => a,
                // Resumed after the last epoch: nothing trained, but the user wants a result
                // (and, on the dashboard, the confusion matrix and mistakes).
                None if self.options.visuals_every.is_some() => {
                    let at = self.at.epoch as f64;
                    let (a, report) = test_report(&self.net, &self.data.test, at);
                    self.outbox.push(Event::TestReport(Box::new(report)));
                    a
                }
                None => accuracy(&self.net, &self.data.test, usize::MAX),
            };
            self.sample_index = self.sample_rng.gen_range(0..self.data.test.len());
            self.send_sample();
            self.write_metrics(&MetricsLine::Finished { accuracy });
            self.flush_metrics();
            self.save_record();
            self.outbox.push(Event::Finished { accuracy });
            if !self.options.stay_after_finish || self.wait_after_finish() == Flow::Stop {
                return self.stop();
            }
        }
    }

    fn stop(mut self) {
        // A run stopped mid-epoch keeps its place: the checkpoint resumes at this batch.
        if self.options.save_to.is_some() && self.saved_at != Some((self.at.epoch, self.at.batch)) {
            self.save();
        }
        self.write_metrics(&MetricsLine::Stopped);
        self.flush_metrics();
        self.save_record();
        // The run's files are whole on disk before the run says it stopped.
        if let Some(warning) = self.recording.as_mut().and_then(|r| r.finish()) {
            self.outbox.push(Event::Warning(warning));
        }
        self.outbox.push(Event::Stopped);
        self.outbox.drain_blocking();
    }

    fn record(&mut self, record: Record) {
        self.write_metrics(&record.into());
        self.history.push(record);
    }

    /// Hands the metrics files' lines to the system, so a `view` of them sees them.
    fn flush_metrics(&mut self) {
        if let Some(warning) = self.metrics.as_mut().and_then(|m| m.flush()) {
            self.outbox.push(Event::Warning(warning));
        }
        if let Some(warning) = self.recording.as_mut().and_then(|r| r.flush()) {
            self.outbox.push(Event::Warning(warning));
        }
    }

    /// Whether any metrics file is written (they also carry samples and health).
    fn writes_metrics(&self) -> bool {
        self.metrics.is_some() || self.recording.is_some()
    }

    /// One line of the metrics files, if there are any.
    fn write_metrics(&mut self, line: &MetricsLine) {
        if let Some(m) = &mut self.metrics {
            if let Some(warning) = m.write(line) {
                self.outbox.push(Event::Warning(warning));
            }
        }
        if let Some(warning) = self.recording.as_mut().and_then(|r| r.write(line)) {
            self.outbox.push(Event::Warning(warning));
        }
    }

    /// A resumed run's folder starts with what it continues, so each run's folder holds
    /// its whole curve (a `--metrics` file holds what this process trained).
    fn record_history(&mut self) {
        let Some(recording) = &mut self.recording else {
            return;
        };
        let mut warnings: Vec<String> = self
            .history
            .iter()
            .filter_map(|&r| recording.write(&r.into()))
            .collect();
        warnings.extend(recording.save_summary());
        for w in warnings {
            self.outbox.push(Event::Warning(w));
        }
    }

    /// The run's folder brought up to date: its latest checkpoint (unless it is already
    /// of this position) and its summary, written on the recording's own thread. Nothing
    /// is said of it unless it fails.
    fn save_record(&mut self) {
        let position = (self.at.epoch, self.at.batch);
        if self.recording.is_none() {
            return;
        }
        if self.recorded_at != Some(position) {
            let bytes = self.checkpoint().to_bytes();
            if let Some(r) = &self.recording {
                r.save_checkpoint(bytes);
            }
            self.recorded_at = Some(position);
        }
        if let Some(warning) = self.recording.as_mut().and_then(|r| r.save_summary()) {
            self.outbox.push(Event::Warning(warning));
        }
    }
}

/// `0..n` in the order of one epoch.
fn shuffled(n: usize, rng: &mut StdRng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    order
}
