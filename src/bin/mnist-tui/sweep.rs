//! `mnist-tui sweep`: the grid from the flags, the trials run by the library's controller
//! on a thread of their own, and what a person or a script sees of them — the workspace
//! following the sweep in a terminal, otherwise a line per trial and a ranked table.

use mnist_tui::i18n::width::{pad, pad_left};
use mnist_tui::tr;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use mnist_tui::app::workspace::spread;
use mnist_tui::config::{Layer, Settings};
use mnist_tui::data::Dataset;
use mnist_tui::model::ModelKind;
use mnist_tui::train::sweep::grid::{parse_list, parse_rate_space, parse_rates};
use mnist_tui::train::sweep::{
    self, Grid, Manifest, Recorded, SweepEvent, SweepOptions, Trial, TrialOutcome,
};
use mnist_tui::train::{runs, Schedule, WorkerOptions};

use crate::cli::SweepArgs;

/// A sweep ready to run: its trials, its options and the worker options they share.
pub struct Plan {
    pub trials: Vec<Trial>,
    /// What each trial had done, for a resumed sweep.
    pub records: Vec<Option<Recorded>>,
    pub options: SweepOptions,
    pub base: WorkerOptions,
    pub data: Arc<Dataset>,
}

/// Reads the flags and the config into a plan, and writes the sweep's manifest; every
/// bad value is a one-line error.
pub fn plan(args: &SweepArgs) -> anyhow::Result<Plan> {
    if let Some(what) = &args.resume {
        return plan_resume(args, what);
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let flags = Layer {
        epochs: args.epochs,
        train_limit: args.train_limit,
        test_limit: args.test_limit,
        data: args.data.clone(),
        threads: args.threads,
        runs_dir: args.runs_dir.clone(),
        ..Layer::default()
    };
    let settings = Settings::resolve(flags, args.config.as_deref(), &cwd)?;
    let bad = |flag: &str, e: String| anyhow::anyhow!("--{flag}: {e}");
    let learning_rates = match (&args.lr, args.random) {
        (Some(_), Some(_)) | (None, _) => vec![settings.learning_rate],
        (Some(text), None) => parse_rates(text).map_err(|e| bad("lr", e))?,
    };
    let models: Vec<ModelKind> = match &args.model {
        Some(text) => parse_list(text, "model (seed or deep)").map_err(|e| bad("model", e))?,
        None => vec![settings.model],
    };
    let schedules: Vec<Schedule> = match &args.schedule {
        Some(text) => parse_list(text, "schedule (constant, step, cosine, one-cycle)")
            .map_err(|e| bad("schedule", e))?,
        None => vec![settings.schedule],
    };
    let batch_sizes: Vec<usize> = match &args.batch_size {
        Some(text) => parse_list(text, "batch size").map_err(|e| bad("batch-size", e))?,
        None => vec![settings.batch_size],
    };
    if let Some(b) = batch_sizes.iter().find(|&&b| b == 0) {
        return Err(bad("batch-size", format!("{b} must be at least 1")));
    }
    let seeds: Vec<u64> = match (&args.seed, args.repeats) {
        (Some(text), _) => parse_list(text, "seed").map_err(|e| bad("seed", e))?,
        (None, Some(n)) => (0..u64::from(n)).map(|i| settings.seed + i).collect(),
        (None, None) => vec![settings.seed],
    };
    let grid = Grid {
        learning_rates,
        models,
        schedules,
        batch_sizes,
        seeds,
    };
    let trials = match args.random {
        Some(n) => {
            let space = match &args.lr {
                Some(text) => parse_rate_space(text).map_err(|e| bad("lr", e))?,
                None => sweep::grid::RateSpace::Values(vec![settings.learning_rate]),
            };
            // Drawn from the settings' seed: the same command draws the same trials.
            grid.random(&space, usize::from(n), settings.seed)
        }
        None => grid.trials(),
    }
    .map_err(|e| anyhow::anyhow!("sweep: {e}"))?;
    let data = load_data(&settings)?;
    let largest = trials.iter().map(|t| t.batch_size).max().unwrap_or(1);
    Settings {
        batch_size: largest,
        ..settings.clone()
    }
    .check_against_data(data.train.len())?;
    let name = format!("sweep-{}", runs::timestamp(std::time::SystemTime::now()));
    let options = SweepOptions {
        name,
        runs_dir: settings.runs_dir.clone(),
        epochs: settings.epochs,
        // One trial per kernel thread by default: on 2 cores, two 1-thread trials side
        // by side finished a 4-trial sweep in 0.84× the time of one 2-thread trial at a
        // time (docs/benchmarks.md).
        parallel: args
            .parallel
            .map_or(settings.threads.min(trials.len()), usize::from)
            .max(1),
        halving: args.halving,
    };
    Manifest::new(
        options.name.clone(),
        options.epochs,
        options.halving,
        options.parallel,
        settings.threads,
        (settings.train_limit, settings.test_limit),
        settings.data.clone(),
        trials.clone(),
    )
    .write(&options.runs_dir)?;
    Ok(Plan {
        records: vec![None; trials.len()],
        trials,
        options,
        base: WorkerOptions::headless(settings),
        data: Arc::new(data),
    })
}

/// The data set the settings name, cut to their limits.
fn load_data(settings: &Settings) -> anyhow::Result<Dataset> {
    let mut data = match &settings.data {
        Some(dir) => Dataset::from_dir(dir)?,
        None => Dataset::embedded()?,
    };
    data.truncate(settings.train_limit, settings.test_limit);
    Ok(data)
}

/// A stopped sweep, from its manifest and its trials' folders: the same trials, options
/// and data, `--threads` and `--parallel` free to change.
fn plan_resume(args: &SweepArgs, what: &std::path::Path) -> anyhow::Result<Plan> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let flags = Layer {
        threads: args.threads,
        runs_dir: args.runs_dir.clone(),
        ..Layer::default()
    };
    let settings = Settings::resolve(flags, args.config.as_deref(), &cwd)?;
    let path = Manifest::find(what, &settings.runs_dir)?;
    let manifest = Manifest::read(&path)?;
    // The manifest sits in RUNS/.sweeps/: its trials are in RUNS.
    let runs_dir = path
        .parent()
        .and_then(std::path::Path::parent)
        .map_or_else(|| settings.runs_dir.clone(), std::path::Path::to_path_buf);
    let records = sweep::recorded(&runs_dir, &manifest.name, &manifest.trials)?;
    let threads = args.threads.map_or(manifest.threads, |_| settings.threads);
    let settings = Settings {
        epochs: manifest.epochs,
        train_limit: manifest.train_limit,
        test_limit: manifest.test_limit,
        data: manifest.data.clone(),
        runs_dir: runs_dir.clone(),
        threads,
        ..settings
    };
    let data = load_data(&settings)?;
    let options = SweepOptions {
        name: manifest.name.clone(),
        runs_dir,
        epochs: manifest.epochs,
        parallel: args
            .parallel
            .map_or(manifest.parallel.min(threads), usize::from)
            .max(1),
        halving: manifest.halving,
    };
    Ok(Plan {
        trials: manifest.trials,
        records,
        options,
        base: WorkerOptions::headless(settings),
        data: Arc::new(data),
    })
}

/// Starts the controller on its own thread; `stop` ends the sweep at a batch boundary.
pub fn start(
    plan: Plan,
) -> (
    Receiver<SweepEvent>,
    Sender<()>,
    std::thread::JoinHandle<()>,
    Vec<Trial>,
) {
    let (events, event_rx) = unbounded();
    let (stop, stop_rx) = bounded(1);
    let trials = plan.trials.clone();
    let thread = std::thread::Builder::new()
        .name("sweep".into())
        .spawn(move || {
            sweep::run(
                plan.data,
                &plan.base,
                &plan.trials,
                &plan.records,
                &plan.options,
                &events,
                &stop_rx,
            );
        })
        .expect("cannot start the sweep's thread");
    (event_rx, stop, thread, trials)
}

/// One trial's result, as the ranked table shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Ranked {
    pub trial: String,
    pub outcome: &'static str,
    /// Epochs trained (a pruned trial's rung).
    pub epochs: usize,
    pub accuracy: Option<f64>,
    pub seconds: f64,
    pub folder: Option<PathBuf>,
}

/// What the consumer has seen of a sweep, trial by trial.
pub struct Tally {
    pub trials: Vec<Trial>,
    pub epochs: usize,
    pub folders: Vec<Option<PathBuf>>,
    pub ended: Vec<Option<(TrialOutcome, f64)>>,
    pub seconds: f64,
}

impl Tally {
    pub fn new(trials: Vec<Trial>, epochs: usize) -> Self {
        let n = trials.len();
        Self {
            trials,
            epochs,
            folders: vec![None; n],
            ended: vec![None; n],
            seconds: 0.0,
        }
    }

    /// Takes in an event; the line a person reads of it, if any.
    pub fn on(&mut self, event: &SweepEvent) -> Option<String> {
        let n = self.trials.len();
        match event {
            SweepEvent::Started { trial, folder } => {
                self.folders[*trial] = Some(folder.clone());
                None
            }
            SweepEvent::Rung {
                trial,
                epochs,
                accuracy,
            } => Some(tr!(
                "sweep-rung",
                trial = trial + 1,
                trials = n,
                label = self.trials[*trial].label.clone(),
                epochs = *epochs,
                accuracy = format!("{accuracy:.4}")
            )),
            SweepEvent::Ended {
                trial,
                outcome,
                seconds,
            } => {
                self.ended[*trial] = Some((outcome.clone(), *seconds));
                let what = match outcome {
                    TrialOutcome::Finished { accuracy } => {
                        tr!("sweep-finished", accuracy = format!("{accuracy:.4}"))
                    }
                    TrialOutcome::Pruned { epochs, accuracy } => tr!(
                        "sweep-pruned",
                        epochs = *epochs,
                        accuracy = format!("{accuracy:.4}")
                    ),
                    TrialOutcome::Diverged => tr!("state-diverged"),
                    TrialOutcome::Stopped => tr!("state-stopped"),
                    TrialOutcome::Failed(e) => tr!("sweep-failed", error = e.clone()),
                };
                Some(tr!(
                    "sweep-ended",
                    trial = trial + 1,
                    trials = n,
                    label = self.trials[*trial].label.clone(),
                    what = what,
                    seconds = format!("{seconds:.1}")
                ))
            }
            SweepEvent::Done { seconds } => {
                self.seconds = *seconds;
                None
            }
        }
    }

    /// The trials, best first: those that trained longest, then by accuracy.
    pub fn ranked(&self) -> Vec<Ranked> {
        let mut rows: Vec<Ranked> = self
            .trials
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let (outcome, epochs, accuracy, seconds) = match &self.ended[i] {
                    Some((TrialOutcome::Finished { accuracy }, s)) => {
                        ("finished", self.epochs, Some(*accuracy), *s)
                    }
                    Some((TrialOutcome::Pruned { epochs, accuracy }, s)) => {
                        ("pruned", *epochs, Some(*accuracy), *s)
                    }
                    Some((TrialOutcome::Diverged, s)) => ("diverged", 0, None, *s),
                    Some((TrialOutcome::Stopped, s)) => ("stopped", 0, None, *s),
                    Some((TrialOutcome::Failed(_), s)) => ("failed", 0, None, *s),
                    None => ("not run", 0, None, 0.0),
                };
                Ranked {
                    trial: t.label.clone(),
                    outcome,
                    epochs,
                    accuracy,
                    seconds,
                    folder: self.folders[i].clone(),
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            b.epochs.cmp(&a.epochs).then(
                b.accuracy
                    .unwrap_or(-1.0)
                    .total_cmp(&a.accuracy.unwrap_or(-1.0)),
            )
        });
        rows
    }

    /// Configurations run with several seeds: each one's accuracy over its finished
    /// repeats, as `(configuration, n, mean, standard deviation, min, max)`.
    pub fn repeats(&self) -> Vec<(String, usize, f64, f64, f64, f64)> {
        let mut groups: Vec<(String, Vec<f64>)> = Vec::new();
        for (t, ended) in self.trials.iter().zip(&self.ended) {
            let Some((TrialOutcome::Finished { accuracy }, _)) = ended else {
                continue;
            };
            // The label without its seed names the configuration.
            let config: Vec<&str> = t
                .label
                .split(" · ")
                .filter(|p| !p.starts_with("seed "))
                .collect();
            let config = config.join(" · ");
            match groups.iter_mut().find(|g| g.0 == config) {
                Some(g) => g.1.push(*accuracy),
                None => groups.push((config, vec![*accuracy])),
            }
        }
        groups
            .into_iter()
            .filter(|g| g.1.len() > 1)
            .filter_map(|(config, v)| {
                let s = spread(&v)?;
                Some((config, s.n, s.mean, s.sd, s.min, s.max))
            })
            .collect()
    }

    /// The ranked table, as text.
    pub fn print(&self, name: &str, out: &mut impl Write) -> std::io::Result<()> {
        let rows = self.ranked();
        let width = rows
            .iter()
            .map(|r| r.trial.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        writeln!(
            out,
            "{}",
            tr!(
                "sweep-summary",
                name = name,
                trials = rows.len(),
                seconds = format!("{:.1}", self.seconds)
            )
        )?;
        // The headers padded by display width, as the rows' ASCII values are.
        let header = |id: &str, width: usize, right: bool| {
            let text = tr!(id);
            if right {
                pad_left(&text, width)
            } else {
                pad(&text, width)
            }
        };
        writeln!(
            out,
            "{}  {}  {} {}  {}  {}  {}",
            header("sweep-rank", 4, false),
            header("sweep-trial", width, false),
            header("sweep-outcome", 9, false),
            header("sweep-epochs", 6, true),
            header("sweep-accuracy", 8, true),
            header("sweep-seconds", 8, true),
            tr!("column-run")
        )?;
        for (i, r) in rows.iter().enumerate() {
            let acc = r.accuracy.map_or_else(|| "–".into(), |a| format!("{a:.4}"));
            let folder = r
                .folder
                .as_ref()
                .map_or_else(String::new, |f| f.display().to_string());
            writeln!(
                out,
                "{:>4}  {:<width$}  {:<9} {:>6}  {:>8}  {:>8.1}  {folder}",
                i + 1,
                r.trial,
                r.outcome,
                r.epochs,
                acc,
                r.seconds
            )?;
        }
        for (config, n, mean, sd, min, max) in self.repeats() {
            writeln!(
                out,
                "{}",
                tr!(
                    "sweep-repeats",
                    config = config,
                    mean = format!("{mean:.4}"),
                    sd = format!("{sd:.4}"),
                    seeds = n,
                    min = format!("{min:.4}"),
                    max = format!("{max:.4}")
                )
            )?;
        }
        Ok(())
    }
}

/// The sweep outside a terminal: a line per trial as it ends, the ranked table at the end
/// (or one JSON object). Ctrl-C stops it at a batch boundary, every trial recorded.
pub fn run_headless(plan: Plan, json: bool) -> anyhow::Result<bool> {
    let (name, epochs) = (plan.options.name.clone(), plan.options.epochs);
    let (events, stop, thread, trials) = start(plan);
    let stopper = stop.clone();
    let _ = ctrlc::set_handler(move || {
        let _ = stopper.try_send(());
    });
    let mut tally = Tally::new(trials, epochs);
    let out = &mut std::io::stdout().lock();
    for event in events.iter() {
        if let Some(line) = tally.on(&event) {
            if !json {
                writeln!(out, "{line}")?;
                out.flush()?;
            }
        }
    }
    let _ = thread.join();
    drop(stop);
    if json {
        let repeats: Vec<serde_json::Value> = tally
            .repeats()
            .into_iter()
            .map(|(config, n, mean, sd, min, max)| {
                serde_json::json!({"configuration": config, "seeds": n, "mean": mean, "sd": sd, "min": min, "max": max})
            })
            .collect();
        let object = serde_json::json!({
            "sweep": name,
            "seconds": tally.seconds,
            "trials": tally.ranked(),
            "repeats": repeats,
        });
        writeln!(out, "{object}")?;
    } else {
        tally.print(&name, out)?;
    }
    let all_ended = tally.ended.iter().all(|e| {
        matches!(
            e,
            Some((
                TrialOutcome::Finished { .. } | TrialOutcome::Pruned { .. },
                _
            ))
        )
    });
    Ok(all_ended)
}
