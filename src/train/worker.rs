//! The training worker: its own thread, talking only through the event and command
//! channels. It shuffles, batches, steps the optimiser, evaluates, and obeys commands at
//! batch boundaries.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TryRecvError};
use dfdx::optim::{Adam, AdamConfig};
use dfdx::prelude::*;
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};

use crate::config::Settings;
use crate::data::{Dataset, PIXELS};
use crate::model::{ops::to_vec, DeepNet, Dev, Grads, ModelKind, Network, SeedNet};

use super::eval::{accuracy, images_tensor, probabilities};
use super::events::{argmax, BatchLoss, Command, EvalKind, Event, RunInfo, SamplePrediction};
use super::outbox::Outbox;

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
}

impl WorkerOptions {
    /// What the headless trainer needs: no live visuals, exit when done.
    pub fn headless(settings: Settings) -> Self {
        Self {
            settings,
            quick_eval_every: None,
            visuals_every: None,
            stay_after_finish: false,
        }
    }

    /// What the dashboard needs: live visuals and quick evaluations, stay when done.
    pub fn dashboard(settings: Settings) -> Self {
        Self {
            settings,
            quick_eval_every: Some(150),
            visuals_every: Some(50),
            stay_after_finish: true,
        }
    }
}

/// The consumer's ends of a running worker.
pub struct WorkerHandle {
    pub events: Receiver<Event>,
    pub commands: Sender<Command>,
    pub thread: JoinHandle<()>,
}

/// Starts training `data` on a new thread.
pub fn spawn(data: Arc<Dataset>, options: WorkerOptions) -> std::io::Result<WorkerHandle> {
    let (event_tx, events) = bounded(EVENT_CAPACITY);
    let (commands, command_rx) = bounded(64);
    let threads = options.settings.threads;
    let thread = std::thread::Builder::new()
        .name("trainer".into())
        .spawn(move || {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("kernel-{i}"))
                .build()
                .expect("cannot start kernel threads");
            let outbox = Outbox::new(event_tx);
            pool.install(move || match options.settings.model {
                ModelKind::Seed => Trainer::<SeedNet>::new(data, options, outbox, command_rx).run(),
                ModelKind::Deep => Trainer::<DeepNet>::new(data, options, outbox, command_rx).run(),
            });
        })?;
    Ok(WorkerHandle {
        events,
        commands,
        thread,
    })
}

#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

struct Trainer<N: Network> {
    dev: Dev,
    net: N,
    opt: Adam<N, f32, Dev>,
    grads: Option<Grads>,
    last_good: (N, Adam<N, f32, Dev>),
    data: Arc<Dataset>,
    options: WorkerOptions,
    outbox: Outbox,
    commands: Receiver<Command>,
    commands_closed: bool,
    shuffle_rng: StdRng,
    sample_rng: StdRng,
    sample_index: usize,
    epochs: usize,
    paused: bool,
    step_pending: bool,
}

impl<N: Network> Trainer<N> {
    fn new(
        data: Arc<Dataset>,
        options: WorkerOptions,
        outbox: Outbox,
        commands: Receiver<Command>,
    ) -> Self {
        let s = &options.settings;
        let dev = Dev::seed_from_u64(s.seed);
        let net = N::build_seeded(&dev, s.seed);
        let opt = Adam::new(
            &net,
            AdamConfig {
                lr: s.learning_rate,
                betas: [0.9, 0.999],
                eps: 1e-8,
                weight_decay: None,
            },
        );
        let grads = Some(net.alloc_grads());
        let mut sample_rng = StdRng::seed_from_u64(s.seed.wrapping_add(1));
        let sample_index = sample_rng.gen_range(0..data.test.len());
        Self {
            last_good: (net.clone(), opt.clone()),
            dev,
            net,
            opt,
            grads,
            shuffle_rng: StdRng::seed_from_u64(s.seed),
            sample_rng,
            sample_index,
            epochs: s.epochs,
            data,
            outbox,
            commands,
            commands_closed: false,
            paused: false,
            step_pending: false,
            options,
        }
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
            learning_rate: s.learning_rate,
            threads: s.threads,
        }));
        if self.options.visuals_every.is_some() {
            self.send_visuals();
        }
        let mut epoch = 0;
        let mut last_accuracy = 0.0;
        loop {
            while epoch < self.epochs {
                match self.run_epoch(epoch) {
                    Some(acc) => last_accuracy = acc,
                    None => return self.stop(),
                }
                epoch += 1;
            }
            self.sample_index = self.sample_rng.gen_range(0..self.data.test.len());
            self.send_sample();
            self.outbox.push(Event::Finished {
                accuracy: last_accuracy,
            });
            if !self.options.stay_after_finish || self.wait_after_finish(epoch) == Flow::Stop {
                return self.stop();
            }
        }
    }

    fn stop(mut self) {
        self.outbox.push(Event::Stopped);
        self.outbox.drain_blocking();
    }

    /// Trains one epoch; returns its test accuracy, or `None` when told to stop.
    fn run_epoch(&mut self, epoch: usize) -> Option<f64> {
        let bs = self.options.settings.batch_size;
        let n_batches = self.batches_per_epoch();
        let mut order: Vec<usize> = (0..self.data.train.len()).collect();
        order.shuffle(&mut self.shuffle_rng);
        let mut cost = 0.0f64;
        let mut training_time = Duration::ZERO;
        for batch in 0..n_batches {
            if self.obey_commands(epoch) == Flow::Stop {
                return None;
            }
            let started = Instant::now();
            let (loss, correct) = self.train_step(&order[batch * bs..(batch + 1) * bs]);
            training_time += started.elapsed();
            let learning_rate = self.opt.cfg.lr;
            if !loss.is_finite() {
                self.recover_from_divergence(epoch, batch, learning_rate);
                continue;
            }
            cost += loss as f64 / n_batches as f64;
            self.outbox.push_batch(BatchLoss {
                epoch,
                batch,
                loss,
                learning_rate,
                correct,
                size: bs as u32,
            });
            let done = batch + 1;
            if done % SNAPSHOT_EVERY == 0 {
                self.last_good = (self.net.clone(), self.opt.clone());
            }
            if self.options.quick_eval_every.is_some_and(|n| done % n == 0) && done < n_batches {
                let accuracy = accuracy(&self.net, &self.dev, &self.data.test, QUICK_EVAL_IMAGES);
                self.outbox.push(Event::Evaluated {
                    at_epoch: epoch as f64 + done as f64 / n_batches as f64,
                    kind: EvalKind::Quick,
                    accuracy,
                });
            }
            if self.options.visuals_every.is_some_and(|n| done % n == 0) {
                self.send_visuals();
            }
        }
        let seconds = training_time.as_secs_f64();
        self.outbox.push(Event::EpochFinished {
            epoch,
            average_cost: cost,
            seconds,
            samples_per_second: (n_batches * bs) as f64 / seconds.max(1e-9),
        });
        let accuracy = accuracy(&self.net, &self.dev, &self.data.test, usize::MAX);
        self.outbox.push(Event::Evaluated {
            at_epoch: (epoch + 1) as f64,
            kind: EvalKind::Full,
            accuracy,
        });
        Some(accuracy)
    }

    /// One optimiser step on the images at `indices`; returns the loss and how many of the
    /// images the model got right before the step.
    fn train_step(&mut self, indices: &[usize]) -> (f32, u32) {
        let train = &self.data.train;
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
        let correct = to_vec(&logits)
            .chunks(10)
            .zip(indices)
            .filter(|(row, &i)| argmax(row) == train.labels[i] as usize)
            .count() as u32;
        let loss = cross_entropy_with_logits_loss(logits, y);
        let loss_value = loss.array();
        let mut grads = loss.backward();
        if loss_value.is_finite() {
            self.opt
                .update(&mut self.net, &grads)
                .expect("every parameter has a gradient");
        }
        self.net.zero_grads(&mut grads);
        self.grads = Some(grads);
        (loss_value, correct)
    }

    /// A non-finite loss: the step was not applied, but earlier steps may have poisoned the
    /// weights, so go back to the last snapshot, pause, and tell the user.
    fn recover_from_divergence(&mut self, epoch: usize, batch: usize, learning_rate: f64) {
        let (net, mut opt) = self.last_good.clone();
        opt.cfg.lr = learning_rate;
        (self.net, self.opt) = (net, opt);
        self.outbox.push(Event::Diverged {
            epoch,
            batch,
            learning_rate,
        });
        self.paused = true;
        self.step_pending = false;
        self.outbox.push(Event::Paused);
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

    fn next_command(&mut self, block: bool) -> Option<Command> {
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
    fn obey_commands(&mut self, epoch: usize) -> Flow {
        self.step_pending = false;
        loop {
            if self.outbox.disconnected() {
                return Flow::Stop;
            }
            let waiting = self.paused && !self.step_pending;
            match self.next_command(waiting) {
                Some(cmd) => {
                    if self.apply(cmd, epoch + 1) == Flow::Stop {
                        return Flow::Stop;
                    }
                }
                None if waiting && !self.commands_closed => self.outbox.flush(),
                None => return Flow::Continue,
            }
        }
    }

    /// After the last epoch: serve samples and wait for more epochs (or stop).
    fn wait_after_finish(&mut self, epochs_done: usize) -> Flow {
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
            Command::Stop => return Flow::Stop,
        }
        Flow::Continue
    }
}
