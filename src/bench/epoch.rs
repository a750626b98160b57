//! One headless training epoch on a worker of its own, timed: the training part of
//! `bench` and each run of `bench --thread-pairs`.

use std::sync::Arc;
use std::time::Instant;

use crate::data::Dataset;
use crate::train::Settings;
use crate::train::{spawn, EpochSummary, Event, WorkerOptions};

/// CPU time this process's live threads have run, from /proc (0 where unavailable).
/// Threads are summed one by one from their scheduler statistics, in nanoseconds, so the
/// figure needs no clock-tick rate and is as fine as the scheduler's.
fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .sum::<f64>()
        / 1e9
}

/// One headless training epoch, as [`time_epoch`] saw it.
#[derive(Debug, Clone, Copy)]
pub struct EpochTiming {
    /// Images trained per second of training steps (the worker's own count, which leaves
    /// out the epoch's evaluation).
    pub samples_per_second: f64,
    pub epoch_cost: f64,
    /// CPU time over wall time from the first batch to the epoch's end.
    pub cpu_use: f64,
    /// Seconds from the worker's start to the end of its first step.
    pub to_first_batch: f64,
}

/// Trains one headless epoch of `settings` over `data.train` on a worker of its own, and
/// times it.
pub fn time_epoch(settings: &Settings, data: Arc<Dataset>) -> EpochTiming {
    let one_epoch = Settings {
        epochs: 1,
        ..settings.clone()
    };
    let spawned = Instant::now();
    let worker = spawn(data, WorkerOptions::headless(one_epoch)).expect("cannot start the trainer");
    let (mut samples_per_second, mut epoch_cost) = (0.0, 0.0);
    let mut first_batch: Option<(Instant, f64)> = None;
    let mut cpu_use = 0.0;
    for event in worker.events.iter() {
        match event {
            Event::Batches(_) if first_batch.is_none() => {
                first_batch = Some((Instant::now(), cpu_seconds()));
            }
            Event::EpochFinished(EpochSummary {
                samples_per_second: s,
                average_cost,
                ..
            }) => {
                samples_per_second = s;
                epoch_cost = average_cost;
                if let Some((at, cpu)) = first_batch {
                    cpu_use = (cpu_seconds() - cpu) / at.elapsed().as_secs_f64().max(1e-9);
                }
            }
            _ => {}
        }
    }
    let _ = worker.thread.join();
    EpochTiming {
        samples_per_second,
        epoch_cost,
        cpu_use,
        to_first_batch: first_batch.map_or(f64::NAN, |(at, _)| (at - spawned).as_secs_f64()),
    }
}
