//! The command line: `mnist-tui [train] [FLAGS]`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use mnist_tui::config::Layer;
use mnist_tui::train::OnDivergence;

/// Train a convolutional network on MNIST on the CPU and watch and steer it live.
///
/// Without a subcommand, opens the dashboard and starts training at once on the MNIST set
/// built into the binary. Settings come from flags, then `--config FILE`, then
/// `./config.toml`, then the built-in defaults (the TensorFlow tutorial's).
#[derive(Debug, Parser)]
#[command(name = "mnist-tui", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
    /// How the dashboard and `view` draw images: real pixels where the terminal has a
    /// graphics protocol (auto), or half blocks everywhere.
    #[arg(long, value_enum, default_value_t, global = true)]
    pub graphics: crate::tui::Graphics,
    /// Language of what the program shows: en or ko (default: the config's `lang`, then
    /// the locale: LC_ALL, LC_MESSAGES, LANG).
    #[arg(long, value_name = "en|ko", value_parser = ["en", "ko"], global = true)]
    pub lang: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train without the dashboard, printing the tutorial's lines on stdout.
    Train(RunArgs),
    /// Measure training and inference speed, per-layer times (seed model) and peak
    /// memory; times one epoch over the first 10 000 training images unless
    /// --train-limit says otherwise.
    Bench(BenchArgs),
    /// Find a learning rate: the range test (rates from 1e-7 to 10 over up to 100
    /// batches, from the initial weights, --resume FILE or --pretrained), printed with its
    /// suggestions; the run itself is not trained.
    LrFind(LrFindArgs),
    /// Classify digit pictures (PNG, JPEG, PGM; any size; dark-on-light or
    /// light-on-dark) with a checkpoint (default: the pretrained one built in).
    Predict(PredictArgs),
    /// Draw the dashboard, read-only, from a JSON-lines metrics file (`train --metrics
    /// run.jsonl`): replays a finished run, follows one still being written.
    View {
        /// The metrics file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// The runs recorded in DIR (default: the runs directory, ./runs) in a workspace:
    /// a table to sort and filter, the marked runs' curves overlaid and following live
    /// runs, a run opened, resumed or deleted.
    Runs(RunsArgs),
    /// Train a grid of runs (each a recorded run tagged with the sweep) and rank them; in a
    /// terminal, the workspace follows the trials live. Lists are comma-separated
    /// (`--lr 1e-3,3e-3`); a rate range is log-spaced (`--lr 1e-4..1e-2:6`).
    Sweep(SweepArgs),
    /// Draw recorded runs' curves as a picture with axes, title and legend: PNG or SVG by
    /// the output's extension.
    Plot(PlotArgs),
    /// Print the shell completion script for SHELL (e.g. `mnist-tui completions bash >
    /// ~/.local/share/bash-completion/completions/mnist-tui`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff; `mnist-tui man | man -l -`).
    Man,
}

#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// Learning rates: `1e-4,1e-3,1e-2`, or FROM..TO:N, N log-spaced rates (FROM..TO
    /// with --random).
    #[arg(long, value_name = "RATES")]
    pub lr: Option<String>,
    /// Networks: `seed,deep`.
    #[arg(long, value_name = "MODELS")]
    pub model: Option<String>,
    /// Learning-rate schedules: `constant,cosine`.
    #[arg(long, value_name = "SCHEDULES")]
    pub schedule: Option<String>,
    /// Batch sizes: `50,100`.
    #[arg(long, value_name = "SIZES")]
    pub batch_size: Option<String>,
    /// Seeds: `777,778`.
    #[arg(long, value_name = "SEEDS", conflicts_with = "repeats")]
    pub seed: Option<String>,
    /// Each configuration N times, with seeds SEED, SEED+1, … (SEED: the settings' seed).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=100))]
    pub repeats: Option<u16>,
    /// A random search: N configurations drawn (the rate log-uniform from `--lr FROM..TO`,
    /// or from its list; the other options from theirs), each with every seed.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub random: Option<u16>,
    /// Finish a stopped sweep: its manifest, its name, or a runs directory (its newest
    /// sweep). Trials done stay; the others continue from their checkpoints.
    #[arg(long, value_name = "SWEEP", conflicts_with_all = [
        "lr", "model", "schedule", "batch_size", "seed", "repeats", "random", "halving",
        "epochs", "train_limit", "test_limit", "data",
    ])]
    pub resume: Option<PathBuf>,
    /// Successive halving: all trials train one epoch, the better half goes on with twice
    /// the epochs, and so on; the others stop, recorded as pruned.
    #[arg(long)]
    pub halving: bool,
    /// Trials training side by side, the kernel threads shared among them (default: one
    /// per kernel thread, each trial on one thread: measured faster on 2 cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: Option<u16>,
    /// One JSON object at the end (the ranked trials) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Epochs of each trial (the most a halving trial gets).
    #[arg(long, allow_negative_numbers = true)]
    pub epochs: Option<i64>,
    /// Use only the first N training images.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub train_limit: Option<i64>,
    /// Use only the first N test images.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub test_limit: Option<i64>,
    /// Directory of IDX files to use instead of the embedded MNIST.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Kernel threads in all (shared among the trials training at once).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub threads: Option<i64>,
    /// Read settings from this TOML file (flags still win).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where the trials are recorded (default: ./runs, or `runs_dir` in the config).
    #[arg(long, value_name = "DIR")]
    pub runs_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct PlotArgs {
    /// Runs: their folders, or their names in the runs directory.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    /// Repeats (runs with the same settings but the seed) as one mean curve in a
    /// min–max band.
    #[arg(long)]
    pub group: bool,
    /// The picture to write: FILE.png or FILE.svg.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// What to draw.
    #[arg(long, value_enum, default_value_t = PlotMetric::Cost)]
    pub metric: PlotMetric,
    /// The x axis: epochs, or training time in seconds.
    #[arg(long, value_enum, default_value_t = PlotX::Epoch)]
    pub x: PlotX,
    /// The cost's smoothing weight, as in the workspace (0: none, up to 0.999).
    #[arg(long, value_name = "W", default_value_t = 0.6)]
    pub smoothing: f64,
    /// Picture size in pixels.
    #[arg(long, value_name = "WxH", default_value = "900x540")]
    pub size: String,
    /// Where run names are looked up (default: ./runs, or `runs_dir` in the config).
    #[arg(long, value_name = "DIR")]
    pub runs_dir: Option<PathBuf>,
}

/// What `plot` draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlotMetric {
    /// The batch losses, smoothed.
    Cost,
    /// The full test accuracy at each epoch's end.
    Accuracy,
}

/// `plot`'s x axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlotX {
    Epoch,
    Time,
}

#[derive(Debug, Clone, Args)]
pub struct RunsArgs {
    /// The runs directory (default: `runs_dir` of the config, or ./runs).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Print the table instead of opening the workspace.
    #[arg(long)]
    pub list: bool,
    /// With --list: one JSON array, an object per entry.
    #[arg(long, requires = "list")]
    pub json: bool,
    /// With --list: CSV, a header and a line per entry (for spreadsheets).
    #[arg(long, requires = "list", conflicts_with = "json")]
    pub csv: bool,
}

#[derive(Debug, Clone, Args)]
pub struct LrFindArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// One JSON object (the sweep and the suggestions) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Instead of the usual report: compare epochs on --threads with one thread
    /// (`threads`), or the instruction sets the CPU has (`kernels`), in rounds of epochs
    /// run back to back; prints each round and the median time ratios.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub compare: Option<mnist_tui::bench::Compared>,
    /// Rounds of a --compare.
    #[arg(long, value_name = "N", default_value_t = 9, requires = "compare",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub rounds: u16,
}

#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    /// Checkpoint to classify with (default: the pretrained seed model built in).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// One JSON object per image on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    /// Picture files, one digit each.
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
}

/// Flags shared by the dashboard and `train`.
#[derive(Debug, Clone, Default, Args)]
pub struct RunArgs {
    /// Network: `seed` (mnist_cnn.py) or `deep` (three conv layers with dropout).
    #[arg(long, value_name = "seed|deep")]
    pub model: Option<String>,
    /// Adam learning rate.
    #[arg(long, value_name = "RATE", allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Number of passes over the training set.
    #[arg(long, allow_negative_numbers = true)]
    pub epochs: Option<i64>,
    /// Images per training step.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub batch_size: Option<i64>,
    /// Seed for weight initialisation and the per-epoch shuffle.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Directory of IDX files (raw, .gz or .xz) to use instead of the embedded MNIST.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Worker threads for the kernels (default: the machine's cores).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub threads: Option<i64>,
    /// Read settings from this TOML file (flags still win).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Use only the first N training images (for quick runs).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub train_limit: Option<i64>,
    /// Use only the first N test images (for quick runs).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub test_limit: Option<i64>,
    /// Names of the ten classes, one per line (for data sets other than digits).
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Save a checkpoint to FILE at every epoch's end and when the run stops (the
    /// dashboard's `s` also writes here; without --save, `s` writes
    /// ./mnist-tui-MODEL.safetensors).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Keep a checkpoint of every epoch in DIR (MODEL-epoch-NNN.safetensors).
    #[arg(long, value_name = "DIR")]
    pub checkpoint_dir: Option<PathBuf>,
    /// Continue the run saved in FILE: weights, optimiser state, position and curves.
    #[arg(long, value_name = "FILE", conflicts_with = "pretrained")]
    pub resume: Option<PathBuf>,
    /// Start from the pretrained seed model built into the program.
    #[arg(long)]
    pub pretrained: bool,
    /// Stream every batch loss, learning rate, epoch and evaluation to FILE (.csv, or
    /// JSON lines for any other name).
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    /// Instruction set of the conv kernels: auto (the widest the CPU has), avx512, avx2
    /// or portable.
    #[arg(long, value_name = "auto|avx512|avx2|portable")]
    pub kernels: Option<String>,
    /// Learning-rate schedule over the run: constant (the tutorial's), step (÷10 at half
    /// and three quarters), cosine, one-cycle; --lr is its base.
    #[arg(long, value_name = "constant|step|cosine|one-cycle")]
    pub schedule: Option<String>,
    /// What to do when the loss or the weights stop being finite, or the loss blows up
    /// [default: pause].
    #[arg(long, value_enum)]
    pub on_divergence: Option<OnDivergence>,
    /// Record the run in a folder of DIR (default: ./runs, or `runs_dir` in the config):
    /// its metrics, latest checkpoint and summary, for `mnist-tui runs`.
    #[arg(long, value_name = "DIR")]
    pub runs_dir: Option<PathBuf>,
    /// Record nothing: no folder in the runs directory.
    #[arg(long, conflicts_with = "runs_dir")]
    pub no_record: bool,
}

impl RunArgs {
    /// These flags, with the ones given before the subcommand (`outer`) filling in what
    /// these leave unset: `mnist-tui --lr 0.01 train` trains at 0.01, as `mnist-tui train
    /// --lr 0.01` does, and a bad value is refused on either side.
    pub fn under(&self, outer: &RunArgs) -> RunArgs {
        RunArgs {
            model: self.model.clone().or(outer.model.clone()),
            lr: self.lr.or(outer.lr),
            epochs: self.epochs.or(outer.epochs),
            batch_size: self.batch_size.or(outer.batch_size),
            seed: self.seed.or(outer.seed),
            data: self.data.clone().or(outer.data.clone()),
            threads: self.threads.or(outer.threads),
            config: self.config.clone().or(outer.config.clone()),
            train_limit: self.train_limit.or(outer.train_limit),
            test_limit: self.test_limit.or(outer.test_limit),
            labels: self.labels.clone().or(outer.labels.clone()),
            save: self.save.clone().or(outer.save.clone()),
            checkpoint_dir: self.checkpoint_dir.clone().or(outer.checkpoint_dir.clone()),
            resume: self.resume.clone().or(outer.resume.clone()),
            pretrained: self.pretrained || outer.pretrained,
            metrics: self.metrics.clone().or(outer.metrics.clone()),
            kernels: self.kernels.clone().or(outer.kernels.clone()),
            schedule: self.schedule.clone().or(outer.schedule.clone()),
            on_divergence: self.on_divergence.or(outer.on_divergence),
            runs_dir: self.runs_dir.clone().or(outer.runs_dir.clone()),
            no_record: self.no_record || outer.no_record,
        }
    }

    /// Whether no flag at all was given.
    pub fn is_empty(&self) -> bool {
        self.layer() == Layer::default()
            && self.config.is_none()
            && self.save.is_none()
            && self.checkpoint_dir.is_none()
            && self.resume.is_none()
            && !self.pretrained
            && self.metrics.is_none()
            && self.on_divergence.is_none()
            && !self.no_record
    }
    /// The flags as the top layer of the settings chain.
    pub fn layer(&self) -> Layer {
        Layer {
            model: self.model.clone(),
            learning_rate: self.lr,
            epochs: self.epochs,
            batch_size: self.batch_size,
            seed: self.seed,
            data: self.data.clone(),
            threads: self.threads,
            train_limit: self.train_limit,
            test_limit: self.test_limit,
            labels: self.labels.clone(),
            kernels: self.kernels.clone(),
            schedule: self.schedule.clone(),
            runs_dir: self.runs_dir.clone(),
            lang: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(args: &[&str]) -> Layer {
        let mut argv = vec!["mnist-tui", "train"];
        argv.extend(args);
        match Cli::try_parse_from(argv).unwrap().command {
            Some(Command::Train(run)) => run.layer(),
            _ => unreachable!("parsed as train"),
        }
    }

    #[test]
    fn flags_become_the_top_layer_of_the_settings() {
        assert_eq!(
            flags(&["--epochs", "5", "--kernels", "portable", "--lr", "3e-4"]),
            Layer {
                epochs: Some(5),
                kernels: Some("portable".into()),
                learning_rate: Some(3e-4),
                ..Layer::default()
            }
        );
        assert_eq!(flags(&[]), Layer::default());
    }
}
