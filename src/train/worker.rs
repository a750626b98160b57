//! The training worker: its own thread, talking only through the event and command
//! channels. It shuffles, batches, steps the optimiser, evaluates, and obeys commands at
//! batch boundaries.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TryRecvError};
use dfdx::prelude::*;
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};

use crate::config::Settings;
use crate::data::{ClassNames, Dataset, PIXELS};
use crate::model::{ops::to_vec, DeepNet, Dev, Grads, ModelKind, Network, SeedNet};

use super::adam::{Adam, AdamConfig, Update};
use super::checkpoint::{Checkpoint, CheckpointError, Progress, SavedSettings};
use super::eval::{accuracy, images_tensor, probabilities, test_report};
use super::events::{argmax, replay, Command, Event, RunInfo, SamplePrediction};
use super::measure::{BatchLoss, EpochSummary, EvalKind, Evaluation};
use super::outbox::Outbox;
use super::record::Record;

/// Capacity of the event channel; past it, events wait (coalesced) in the worker's outbox.
pub const EVENT_CAPACITY: usize = 256;
/// Size of the fixed test subset of the quick evaluations.
pub const QUICK_EVAL_IMAGES: usize = 1000;
/// Batches between in-memory snapshots of weights and optimiser state for divergence recovery.
const SNAPSHOT_EVERY: usize = 50;

/// How a run is driven, beyond the user's settings.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub settings: Settings,
    /// Evaluate on the quick test subset every N batches (the dashboard wants this).
    pub quick_eval_every: Option<usize>,
    /// Send filters and the sample prediction every N batches.
    pub visuals_every: Option<usize>,
    /// After the last epoch, wait for more epochs or samples instead of exiting.
    pub stay_after_finish: bool,
    /// Continue this checkpoint (already read) instead of starting afresh.
    pub resume: Option<(Arc<Checkpoint>, PathBuf)>,
    /// Where checkpoints go: written at every epoch's end and when the run stops.
    pub save_to: Option<PathBuf>,
    /// Where [`Command::Save`] writes when `save_to` is not set.
    pub default_save_to: PathBuf,
    /// Keep every epoch's checkpoint here, as `MODEL-epoch-NNN.safetensors`.
    pub checkpoint_dir: Option<PathBuf>,
    /// Stream every measurement to this file (`.csv`, otherwise JSON lines).
    pub metrics: Option<PathBuf>,
    pub on_divergence: OnDivergence,
    /// Shown wherever a class appears and kept in checkpoints.
    pub class_names: ClassNames,
}

/// What to do after restoring the last good weights when training diverges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnDivergence {
    /// Pause and let the user decide.
    #[default]
    Pause,
    /// Halve the learning rate and go on.
    Halve,
}

/// Why a worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("{file}: cannot create: {reason}")]
    Metrics { file: String, reason: String },
    #[error("cannot start the trainer thread: {0}")]
    Thread(#[from] std::io::Error),
}

impl WorkerOptions {
    /// What the headless trainer needs: no live visuals, exit when done.
    pub fn headless(settings: Settings) -> Self {
        Self {
            settings,
            quick_eval_every: None,
            visuals_every: None,
            stay_after_finish: false,
            resume: None,
            save_to: None,
            default_save_to: PathBuf::from("mnist-tui.safetensors"),
            checkpoint_dir: None,
            metrics: None,
            on_divergence: OnDivergence::Pause,
            class_names: ClassNames::default(),
        }
    }

    /// What the dashboard needs: live visuals and quick evaluations, stay when done.
    pub fn dashboard(settings: Settings) -> Self {
        Self {
            quick_eval_every: Some(150),
            visuals_every: Some(50),
            stay_after_finish: true,
            ..Self::headless(settings)
        }
    }
}

/// The consumer's ends of a running worker.
pub struct WorkerHandle {
    pub events: Receiver<Event>,
    pub commands: Sender<Command>,
    pub thread: JoinHandle<()>,
}

/// Starts training `data` on a new thread. A checkpoint that does not fit, or a metrics
/// file that cannot be created, is reported before anything runs.
pub fn spawn(data: Arc<Dataset>, options: WorkerOptions) -> Result<WorkerHandle, StartError> {
    match options.settings.model {
        ModelKind::Seed => start::<SeedNet>(data, options),
        ModelKind::Deep => start::<DeepNet>(data, options),
    }
}

fn start<N: Network>(
    data: Arc<Dataset>,
    options: WorkerOptions,
) -> Result<WorkerHandle, StartError> {
    let (event_tx, events) = bounded(EVENT_CAPACITY);
    let (commands, command_rx) = bounded(64);
    let threads = options.settings.threads;
    let metrics = match &options.metrics {
        Some(path) => Some(MetricsFile::create(path)?),
        None => None,
    };
    let trainer = Trainer::<N>::new(data, options, Outbox::new(event_tx), command_rx, metrics)?;
    let thread = std::thread::Builder::new()
        .name("trainer".into())
        .spawn(move || {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("kernel-{i}"))
                .build()
                .expect("cannot start kernel threads");
            pool.install(move || trainer.run());
        })?;
    Ok(WorkerHandle {
        events,
        commands,
        thread,
    })
}

/// The `--metrics` file: one line per measurement, flushed at epoch ends.
struct MetricsFile {
    out: std::io::BufWriter<std::fs::File>,
    csv: bool,
    path: PathBuf,
    failed: bool,
}

impl MetricsFile {
    fn create(path: &std::path::Path) -> Result<Self, StartError> {
        let fail = |e: std::io::Error| StartError::Metrics {
            file: path.display().to_string(),
            reason: e.to_string(),
        };
        let csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(fail)?);
        if csv {
            writeln!(out, "{}", Record::CSV_HEADER).map_err(fail)?;
        }
        Ok(Self {
            out,
            csv,
            path: path.to_path_buf(),
            failed: false,
        })
    }

    /// Writes one record; after a write error (disk full) it stops trying and says so once.
    fn write(&mut self, record: &Record) -> Option<String> {
        if self.failed {
            return None;
        }
        let line = if self.csv {
            record.csv()
        } else {
            serde_json::to_string(record).expect("records serialise")
        };
        match writeln!(self.out, "{line}") {
            Ok(()) => None,
            Err(e) => {
                self.failed = true;
                Some(format!(
                    "{}: cannot write metrics: {e}",
                    self.path.display()
                ))
            }
        }
    }

    fn flush(&mut self) -> Option<String> {
        if self.failed {
            return None;
        }
        self.out.flush().err().map(|e| {
            self.failed = true;
            format!("{}: cannot write metrics: {e}", self.path.display())
        })
    }
}

#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// Weights and optimiser state at a known position, to go back to after divergence.
struct Snapshot<N> {
    net: N,
    adam: Adam,
    epoch: usize,
    batch: usize,
}

struct Trainer<N: Network> {
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
    history: Vec<Record>,
    shuffle_rng: StdRng,
    sample_rng: StdRng,
    sample_index: usize,
    epochs: usize,
    /// Position: zero-based epoch in progress and batches of it done, and the sum so far
    /// of that epoch's per-batch cost contributions.
    epoch: usize,
    batch: usize,
    epoch_cost: f64,
    paused: bool,
    step_pending: bool,
    /// Position of the last checkpoint written.
    saved_at: Option<(usize, usize)>,
    /// Commands received mid-step, for the next batch boundary.
    deferred: std::collections::VecDeque<Command>,
}

impl<N: Network> Trainer<N> {
    fn new(
        data: Arc<Dataset>,
        options: WorkerOptions,
        outbox: Outbox,
        commands: Receiver<Command>,
        metrics: Option<MetricsFile>,
    ) -> Result<Self, CheckpointError> {
        let s = &options.settings;
        let dev = Dev::seed_from_u64(s.seed);
        let (mut net, opt, epoch, batch, epoch_cost, history) = match &options.resume {
            Some((checkpoint, path)) => {
                let (net, mut opt) = checkpoint.restore::<N>(&dev, path)?;
                opt.cfg.lr = s.learning_rate;
                let p = &checkpoint.progress;
                (net, opt, p.epoch, p.batch, p.epoch_cost, p.history.clone())
            }
            None => (
                N::build_seeded(&dev, s.seed),
                Adam::new(AdamConfig::with_lr(s.learning_rate)),
                0,
                0,
                0.0,
                Vec::new(),
            ),
        };
        net.set_kernels(s.kernels);
        let grads = Some(net.alloc_grads());
        let mut sample_rng = StdRng::seed_from_u64(s.seed.wrapping_add(1));
        let sample_index = sample_rng.gen_range(0..data.test.len());
        let mut shuffle_rng = StdRng::seed_from_u64(s.seed);
        // Replay the shuffles of the epochs already trained, so a resumed run sees the same
        // batches as one that never stopped.
        for _ in 0..epoch {
            shuffled(data.train.len(), &mut shuffle_rng);
        }
        Ok(Self {
            last_good: Snapshot {
                net: net.clone(),
                adam: opt.clone(),
                epoch,
                batch,
            },
            dev,
            net,
            opt,
            grads,
            shuffle_rng,
            sample_rng,
            sample_index,
            epochs: s.epochs.max(epoch + usize::from(batch > 0)),
            epoch,
            batch,
            epoch_cost,
            history,
            metrics,
            data,
            outbox,
            commands,
            commands_closed: false,
            paused: false,
            step_pending: false,
            saved_at: None,
            deferred: Default::default(),
            options,
        })
    }

    fn batches_per_epoch(&self) -> usize {
        self.data.train.len() / self.options.settings.batch_size
    }

    fn run(mut self) {
        let s = &self.options.settings;
        self.outbox.push(Event::Started(RunInfo {
            model: s.model,
            data_name: self.data.name.clone(),
            train_len: self.data.train.len(),
            test_len: self.data.test.len(),
            batch_size: s.batch_size,
            batches_per_epoch: self.batches_per_epoch(),
            epochs: self.epochs,
            learning_rate: self.opt.cfg.lr,
            threads: s.threads,
            resumed_from: self.options.resume.as_ref().map(|(_, p)| p.clone()),
            class_names: self.options.class_names.clone(),
        }));
        for event in replay(&self.history) {
            self.outbox.push(event);
        }
        if self.options.visuals_every.is_some() {
            self.send_visuals();
        }
        let mut last_accuracy = None;
        loop {
            while self.epoch < self.epochs {
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
                    let at = self.epoch as f64;
                    let (a, report) = test_report(&self.net, &self.dev, &self.data.test, at);
                    self.outbox.push(Event::TestReport(Box::new(report)));
                    a
                }
                None => accuracy(&self.net, &self.dev, &self.data.test, usize::MAX),
            };
            self.sample_index = self.sample_rng.gen_range(0..self.data.test.len());
            self.send_sample();
            self.outbox.push(Event::Finished { accuracy });
            if !self.options.stay_after_finish || self.wait_after_finish() == Flow::Stop {
                return self.stop();
            }
        }
    }

    fn stop(mut self) {
        // A run stopped mid-epoch keeps its place: the checkpoint resumes at this batch.
        if self.options.save_to.is_some() && self.saved_at != Some((self.epoch, self.batch)) {
            self.save();
        }
        if let Some(m) = &mut self.metrics {
            if let Some(warning) = m.flush() {
                self.outbox.push(Event::Warning(warning));
            }
        }
        self.outbox.push(Event::Stopped);
        self.outbox.drain_blocking();
    }

    fn record(&mut self, record: Record) {
        if let Some(m) = &mut self.metrics {
            if let Some(warning) = m.write(&record) {
                self.outbox.push(Event::Warning(warning));
            }
        }
        self.history.push(record);
    }

    /// Trains the rest of epoch `self.epoch`; returns its test accuracy, or `None` when
    /// told to stop.
    fn run_epoch(&mut self) -> Option<f64> {
        let epoch = self.epoch;
        let bs = self.options.settings.batch_size;
        let n_batches = self.batches_per_epoch();
        let order = shuffled(self.data.train.len(), &mut self.shuffle_rng);
        let mut training_time = Duration::ZERO;
        let first = self.batch;
        while self.batch < n_batches {
            if self.obey_commands() == Flow::Stop {
                return None;
            }
            let batch = self.batch;
            if batch == 3 && crate::fault::injected("panic-worker") {
                panic!("injected fault: the worker panicked at batch {batch}");
            }
            let started = Instant::now();
            let (loss, correct, update) = self.train_step(&order[batch * bs..(batch + 1) * bs]);
            training_time += started.elapsed();
            let learning_rate = self.opt.cfg.lr;
            if !loss.is_finite() || update == Update::NonFiniteWeights {
                self.recover_from_divergence(learning_rate);
                continue;
            }
            self.epoch_cost += loss as f64 / n_batches as f64;
            let b = BatchLoss {
                epoch,
                batch,
                loss,
                learning_rate,
                correct,
                size: bs as u32,
            };
            self.outbox.push_batch(b);
            self.record(Record::Batch(b));
            self.batch += 1;
            let done = self.batch;
            if done.is_multiple_of(SNAPSHOT_EVERY) {
                self.last_good = Snapshot {
                    net: self.net.clone(),
                    adam: self.opt.clone(),
                    epoch,
                    batch: done,
                };
            }
            if self
                .options
                .quick_eval_every
                .is_some_and(|n| done.is_multiple_of(n))
                && done < n_batches
            {
                let accuracy = accuracy(&self.net, &self.dev, &self.data.test, QUICK_EVAL_IMAGES);
                let at_epoch = epoch as f64 + done as f64 / n_batches as f64;
                self.push_evaluation(at_epoch, EvalKind::Quick, accuracy);
            }
            if self
                .options
                .visuals_every
                .is_some_and(|n| done.is_multiple_of(n))
            {
                self.send_visuals();
            }
        }
        let seconds = training_time.as_secs_f64();
        let samples_per_second = ((n_batches - first) * bs) as f64 / seconds.max(1e-9);
        let average_cost = self.epoch_cost;
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
            let (accuracy, report) = test_report(&self.net, &self.dev, &self.data.test, at_epoch);
            self.outbox.push(Event::TestReport(Box::new(report)));
            accuracy
        } else {
            accuracy(&self.net, &self.dev, &self.data.test, usize::MAX)
        };
        self.push_evaluation(at_epoch, EvalKind::Full, accuracy);
        (self.epoch, self.batch, self.epoch_cost) = (epoch + 1, 0, 0.0);
        // Snapshots never cross an epoch boundary, so recovery never has to redo an epoch.
        self.last_good = Snapshot {
            net: self.net.clone(),
            adam: self.opt.clone(),
            epoch: self.epoch,
            batch: 0,
        };
        if let Some(m) = &mut self.metrics {
            if let Some(warning) = m.flush() {
                self.outbox.push(Event::Warning(warning));
            }
        }
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
        Some(accuracy)
    }

    fn push_evaluation(&mut self, at_epoch: f64, kind: EvalKind, accuracy: f64) {
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
    fn train_step(&mut self, indices: &[usize]) -> (f32, u32, Update) {
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
        let update = if loss_value.is_finite() {
            self.opt.update(&mut self.net, &mut grads)
        } else {
            Update::Applied
        };
        self.net.zero_grads(&mut grads);
        self.grads = Some(grads);
        (loss_value, correct, update)
    }

    /// A non-finite loss or weight: go back to the last snapshot (earlier steps may have
    /// poisoned the weights), then pause or halve the rate, and tell the user.
    fn recover_from_divergence(&mut self, learning_rate: f64) {
        let (epoch, batch) = (self.epoch, self.batch);
        let snap = &self.last_good;
        self.net = snap.net.clone();
        self.opt = snap.adam.clone();
        let (restored_epoch, restored_batch) = (snap.epoch, snap.batch);
        // The history and the epoch's cost sum go back with the weights.
        let n_batches = self.batches_per_epoch() as f64;
        let restored_at = restored_epoch as f64 + restored_batch as f64 / n_batches;
        self.history.retain(|r| match r {
            Record::Batch(b) => (b.epoch, b.batch) < (restored_epoch, restored_batch),
            Record::Epoch(e) => e.epoch < restored_epoch,
            Record::Evaluation(e) => e.at_epoch <= restored_at + 1e-9,
        });
        self.epoch_cost = self
            .history
            .iter()
            .filter_map(|r| match r {
                Record::Batch(b) if b.epoch == restored_epoch => Some(b.loss as f64 / n_batches),
                _ => None,
            })
            .sum();
        (self.epoch, self.batch) = (restored_epoch, restored_batch);
        self.outbox.push(Event::Diverged {
            epoch,
            batch,
            learning_rate,
            restored_epoch,
            restored_batch,
        });
        match self.options.on_divergence {
            OnDivergence::Pause => {
                self.opt.cfg.lr = learning_rate;
                self.paused = true;
                self.step_pending = false;
                self.outbox.push(Event::Paused);
            }
            OnDivergence::Halve => {
                self.opt.cfg.lr = learning_rate / 2.0;
                self.outbox.push(Event::LearningRateSet(self.opt.cfg.lr));
            }
        }
    }

    /// Writes a checkpoint of the current position to the configured path.
    fn save(&mut self) {
        let path = self
            .options
            .save_to
            .clone()
            .unwrap_or_else(|| self.options.default_save_to.clone());
        self.save_to(path);
    }

    /// Writes a checkpoint of the current position to `path` and says how it went.
    fn save_to(&mut self, path: PathBuf) {
        let checkpoint = self.checkpoint();
        match checkpoint.save(&path) {
            Ok(()) => {
                self.saved_at = Some((self.epoch, self.batch));
                self.outbox.push(Event::Saved {
                    path,
                    epoch: self.epoch,
                    batch: self.batch,
                })
            }
            Err(e) => self.outbox.push(Event::SaveFailed {
                path,
                error: e.problem,
            }),
        }
    }

    /// The whole state of the run, as a checkpoint holds it.
    fn checkpoint(&self) -> Checkpoint {
        let s = &self.options.settings;
        let progress = Progress {
            format: 1,
            model: s.model,
            settings: SavedSettings {
                learning_rate: self.opt.cfg.lr,
                epochs: self.epochs,
                batch_size: s.batch_size,
                seed: s.seed,
                data: s.data.clone(),
                train_limit: s.train_limit,
                test_limit: s.test_limit,
                class_names: self.options.class_names.clone(),
            },
            epoch: self.epoch,
            batch: self.batch,
            epoch_cost: self.epoch_cost,
            adam_steps: self.opt.t,
            adam_betas: self.opt.cfg.betas,
            adam_eps: self.opt.cfg.eps,
            history: self.history.clone(),
        };
        Checkpoint::capture(&self.net, &self.opt, progress)
    }

    fn send_visuals(&mut self) {
        self.outbox.push(Event::Filters(self.net.first_filters()));
        self.send_sample();
    }

    fn send_sample(&mut self) {
        let i = self.sample_index;
        let pixels = self.data.test.image(i).to_vec();
        let scaled: Vec<f32> = pixels.iter().map(|&p| p as f32 / 255.0).collect();
        let probabilities = probabilities(&self.net, &self.dev, &scaled);
        let (conv1_maps, conv2_maps) = if self.options.visuals_every.is_some() {
            self.net
                .feature_maps(images_tensor(&self.dev, &self.data.test, &[i]))
        } else {
            (Vec::new(), Vec::new())
        };
        debug_assert_eq!(pixels.len(), PIXELS);
        self.outbox.push(Event::Sample(Box::new(SamplePrediction {
            index: i,
            pixels,
            label: self.data.test.labels[i],
            probabilities,
            conv1_maps,
            conv2_maps,
        })));
    }

    /// Mid-step: applies learning-rate and epoch-count changes at once (the rate then
    /// already drives this step's update) so their acknowledgement reaches the screen
    /// within part of a batch; every other command waits, in order, for the boundary.
    fn obey_quick_commands(&mut self) {
        while !self.commands_closed {
            match self.commands.try_recv() {
                Ok(cmd @ (Command::SetLearningRate(_) | Command::SetEpochs(_))) => {
                    if self.deferred.is_empty() {
                        self.apply(cmd, self.epoch + 1);
                    } else {
                        self.deferred.push_back(cmd);
                    }
                }
                Ok(other) => self.deferred.push_back(other),
                Err(_) => break,
            }
        }
    }

    fn next_command(&mut self, block: bool) -> Option<Command> {
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
    fn obey_commands(&mut self) -> Flow {
        self.step_pending = false;
        loop {
            if self.outbox.disconnected() {
                return Flow::Stop;
            }
            let waiting = self.paused && !self.step_pending;
            match self.next_command(waiting) {
                Some(cmd) => {
                    if self.apply(cmd, self.epoch + 1) == Flow::Stop {
                        return Flow::Stop;
                    }
                }
                None if waiting && !self.commands_closed => self.outbox.flush(),
                None => return Flow::Continue,
            }
        }
    }

    /// After the last epoch: serve samples and wait for more epochs (or stop).
    fn wait_after_finish(&mut self) -> Flow {
        let epochs_done = self.epoch;
        loop {
            if self.outbox.disconnected() || self.commands_closed {
                return Flow::Stop;
            }
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
    fn apply(&mut self, cmd: Command, min_epochs: usize) -> Flow {
        match cmd {
            Command::SetLearningRate(lr) => {
                if lr.is_finite() && lr > 0.0 {
                    self.opt.cfg.lr = lr;
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
                let p = probabilities(&self.net, &self.dev, &scaled);
                self.outbox.push(Event::Predicted(p));
            }
            Command::Save => self.save(),
            Command::Fork => {
                let checkpoint = self.checkpoint();
                self.outbox.push(Event::Forked(Box::new(checkpoint)));
            }
            Command::Stop => return Flow::Stop,
        }
        Flow::Continue
    }
}

/// `0..n` in the order of one epoch.
fn shuffled(n: usize, rng: &mut StdRng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    order
}
