//! Parses the command line and wires data, worker and consumer together.
//!
//! The binary's own parts sit beside it in `src/bin/mnist-tui/`: the command line (`cli.rs`), the headless
//! printer (`headless.rs`), the dashboard's terminal loop (`tui.rs`) and the runs
//! workspace's (`workspace.rs`).

mod cli;
mod headless;
mod language;
mod plot;
mod sweep;
mod tui;
mod workspace;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use mnist_tui::bench::Compared;
use mnist_tui::config::{Layer, Settings};
use mnist_tui::data::{ClassNames, Dataset};
use mnist_tui::predict::{self, Format};
use mnist_tui::train::{self, runs, Checkpoint, WorkerOptions};

use cli::{Cli, Command, RunArgs};
use headless::Outcome;

/// Every training step allocates and frees buffers of the same few sizes; the system
/// allocator returns them to the kernel and page-faults them back in each step, which
/// mimalloc does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code for bad input (data, config, flags), as clap uses for bad usage.
const EXIT_BAD_INPUT: u8 = 2;
/// Exit code after SIGINT / SIGTERM, as shells report a Ctrl-C.
const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let argv: Vec<_> = std::env::args_os().collect();
    let cwd = std::env::current_dir().unwrap_or_default();
    mnist_tui::i18n::set_language(language::choose(&argv, &cwd));
    let cli = match language::command()
        .try_get_matches_from(&argv)
        .and_then(|matches| <Cli as clap::FromArgMatches>::from_arg_matches(&matches))
    {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    // Training flags may stand before the subcommand as well as after it.
    let outer = &cli.run;
    let result = match &cli.command {
        Some(Command::Train(args)) => train_headless(&args.under(outer)),
        Some(Command::Bench(args)) => bench(&args.run.under(outer), args.compare.map(|c| (c, args.rounds))),
        Some(Command::LrFind(args)) => lr_find(&args.run.under(outer), args.json),
        Some(Command::Completions { shell }) => completions(*shell),
        Some(Command::Man) => manual_page(),
        Some(Command::Predict(_)) if !outer.is_empty() => Err(anyhow::anyhow!(
            "training options before `predict` do not apply to it (predict takes --checkpoint and --json)"
        )),
        Some(Command::View { .. }) if !outer.is_empty() => Err(anyhow::anyhow!(
            "training options before `view` do not apply to it (the file holds its run's settings)"
        )),
        Some(Command::View { file }) => view(file, cli.graphics),
        Some(Command::Runs(_)) if !outer.is_empty() => Err(anyhow::anyhow!(
            "training options before `runs` do not apply to it (give the directory: `mnist-tui runs DIR`)"
        )),
        Some(Command::Runs(args)) => runs_workspace(args),
        Some(Command::Sweep(_)) if !outer.is_empty() => Err(anyhow::anyhow!(
            "training options before `sweep` do not apply to it (give them after `sweep`)"
        )),
        Some(Command::Sweep(args)) => run_sweep(args),
        Some(Command::Plot(_)) if !outer.is_empty() => Err(anyhow::anyhow!(
            "training options before `plot` do not apply to it"
        )),
        Some(Command::Plot(args)) => runs_dir(args.runs_dir.as_ref())
            .and_then(|dir| plot::run(args, &dir))
            .map(|()| ExitCode::SUCCESS),
        Some(Command::Predict(args)) => {
            let format = if args.json {
                Format::Json
            } else {
                Format::Text
            };
            let out = &mut std::io::stdout().lock();
            predict::run(args.checkpoint.as_deref(), &args.images, format, out)
        }
        None => dashboard(&cli.run, cli.graphics),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}: {e:#}", mnist_tui::tr!("cli-error"));
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// A command line clap refuses: one line (clap's first, which names the problem) and exit
/// code 2, as every other bad input; `--help` and `--version` print as clap prints them.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    eprintln!("{}", language::usage_error_line(&e));
    ExitCode::from(EXIT_BAD_INPUT)
}

/// A run ready to start: its settings, its data, and what it continues.
struct Prepared {
    settings: Settings,
    data: DataPlan,
    resume: Option<(Arc<Checkpoint>, std::path::PathBuf)>,
    class_names: ClassNames,
}

/// The data a run trains on: read and checked already (a directory, whose errors come
/// before anything starts), or the embedded MNIST, decoded when the run starts so the
/// dashboard is up while it decodes (about 0.2 s).
enum DataPlan {
    Loaded(Arc<Dataset>),
    Embedded {
        train_limit: Option<usize>,
        test_limit: Option<usize>,
    },
}

impl DataPlan {
    fn load(self) -> anyhow::Result<Arc<Dataset>> {
        Ok(match self {
            DataPlan::Loaded(data) => data,
            DataPlan::Embedded {
                train_limit,
                test_limit,
            } => {
                let mut data = Dataset::embedded()?;
                data.truncate(train_limit, test_limit);
                Arc::new(data)
            }
        })
    }
}

impl Prepared {
    /// The worker's options for this run; makes the run's folder unless `--no-record`.
    fn options(
        self,
        mut options: WorkerOptions,
        args: &RunArgs,
    ) -> anyhow::Result<(WorkerOptions, DataPlan)> {
        options.record = if args.no_record {
            None
        } else {
            let parent = self
                .resume
                .as_ref()
                .map(|(c, path)| runs::Parent::continuing(c, path));
            Some(record_to(
                &self.settings,
                self.settings.learning_rate,
                parent,
            )?)
        };
        options.resume = self.resume;
        options.save_to = args.save.clone();
        options.checkpoint_dir = args.checkpoint_dir.clone();
        options.default_save_to = format!("mnist-tui-{}.safetensors", self.settings.model).into();
        options.metrics = args.metrics.clone();
        options.on_divergence = args.on_divergence.unwrap_or_default();
        options.class_names = self.class_names;
        options.settings = self.settings;
        Ok((options, self.data))
    }
}

/// A new folder in the runs directory for a run of these settings at this rate.
fn record_to(
    settings: &Settings,
    learning_rate: f64,
    parent: Option<runs::Parent>,
) -> anyhow::Result<runs::RecordTo> {
    let folder = runs::RunFolder::create(
        &settings.runs_dir,
        std::time::SystemTime::now(),
        settings.model,
        learning_rate,
    )?;
    Ok(runs::RecordTo {
        folder,
        parent,
        sweep: None,
    })
}

/// Resolves the settings (flags > checkpoint > config files > defaults), reads the
/// checkpoint to continue, and loads the data set they name.
fn prepare(args: &RunArgs) -> anyhow::Result<Prepared> {
    if args.resume.is_some() && args.pretrained {
        anyhow::bail!("--resume and --pretrained cannot be used together");
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let resume = match (&args.resume, args.pretrained) {
        (Some(path), _) => {
            let path = runs::resolve_run_path(path, runs::CHECKPOINT_FILE);
            Some((Arc::new(Checkpoint::read(&path)?), path))
        }
        (None, true) => Some((
            Arc::new(mnist_tui::pretrained::checkpoint()?),
            mnist_tui::pretrained::NAME.into(),
        )),
        (None, false) => None,
    };
    let mut flags = args.layer();
    if let Some((c, _)) = &resume {
        let saved = &c.progress.settings;
        flags = flags.over(Layer {
            model: Some(c.progress.model.to_string()),
            // The schedule's base, which the rate in force follows from.
            learning_rate: Some(saved.base_rate.unwrap_or(saved.learning_rate)),
            schedule: Some(saved.schedule.name().into()),
            epochs: Some(saved.epochs as i64),
            batch_size: Some(saved.batch_size as i64),
            seed: Some(saved.seed),
            data: saved.data.clone(),
            threads: None,
            train_limit: saved.train_limit.map(|n| n as i64),
            test_limit: saved.test_limit.map(|n| n as i64),
            labels: None,
            kernels: None,
            runs_dir: None,
            lang: None,
        });
    }
    let settings = Settings::resolve(flags, args.config.as_deref(), &cwd)?;
    let (train_limit, test_limit) = (settings.train_limit, settings.test_limit);
    let data = match &settings.data {
        Some(dir) => {
            let mut data = Dataset::from_dir(dir)?;
            data.truncate(train_limit, test_limit);
            settings.check_against_data(data.train.len())?;
            DataPlan::Loaded(Arc::new(data))
        }
        None => {
            let train = Dataset::EMBEDDED_LENS.0;
            settings.check_against_data(train_limit.map_or(train, |n| n.min(train)))?;
            DataPlan::Embedded {
                train_limit,
                test_limit,
            }
        }
    };
    if let Some(dir) = &args.checkpoint_dir {
        std::fs::create_dir_all(dir).with_context(|| {
            format!("{}: cannot create the checkpoint directory", dir.display())
        })?;
    }
    let class_names = match (&settings.labels, &resume) {
        (Some(path), _) => ClassNames::read(path)?,
        (None, Some((c, _))) => c.progress.settings.class_names.clone(),
        (None, None) => ClassNames::default(),
    };
    Ok(Prepared {
        settings,
        data,
        resume,
        class_names,
    })
}

fn dashboard(args: &RunArgs, graphics: tui::Graphics) -> anyhow::Result<ExitCode> {
    if !std::io::stdout().is_terminal() {
        eprintln!("note: stdout is not a terminal; training headless (as `mnist-tui train`)");
        return train_headless(args);
    }
    let prepared = prepare(args)?;
    let (options, data) = prepared.options(WorkerOptions::dashboard(Settings::default()), args)?;
    // Runs on its own thread with the dashboard already up: the embedded data decodes
    // while the dashboard takes keys.
    let start = move || -> anyhow::Result<(train::WorkerHandle, Box<tui::SpawnBranch>)> {
        let data = data.load()?;
        // A branch runs like the main run, from the forked state, at its own learning
        // rate, saving and logging nothing (the kept run does that).
        let mut branch_options = options.clone();
        (branch_options.save_to, branch_options.metrics) = (None, None);
        branch_options.checkpoint_dir = None;
        let branch_data = data.clone();
        // A recorded run's branch is recorded too, naming the run and where it forked.
        let parent_name = options.record.as_ref().map(|r| r.folder.name());
        let spawn_branch = move |from: Box<Checkpoint>, learning_rate: f64, epochs: usize| {
            let mut o = branch_options.clone();
            o.settings.learning_rate = learning_rate;
            o.settings.epochs = epochs;
            o.record = match &parent_name {
                Some(name) => {
                    let at = from.progress.position;
                    let parent = runs::Parent {
                        name: name.clone(),
                        epoch: at.epoch,
                        batch: at.batch,
                    };
                    Some(record_to(&o.settings, learning_rate, Some(parent))?)
                }
                None => None,
            };
            o.resume = Some((Arc::from(from), "branch".into()));
            Ok(train::spawn(branch_data.clone(), o)?)
        };
        Ok((train::spawn(data, options)?, Box::new(spawn_branch)))
    };
    match tui::run(start, graphics)? {
        Some(panic) => {
            eprintln!("error: the training worker crashed: {panic}");
            Ok(ExitCode::FAILURE)
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

/// `mnist-tui runs`: the workspace, or its table printed.
/// The runs directory a command names, or the config's (`runs_dir`), or `./runs`.
fn runs_dir(named: Option<&std::path::PathBuf>) -> anyhow::Result<std::path::PathBuf> {
    Ok(match named {
        Some(dir) => dir.clone(),
        None => {
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            Settings::resolve(Layer::default(), None, &cwd)?.runs_dir
        }
    })
}

fn runs_workspace(args: &cli::RunsArgs) -> anyhow::Result<ExitCode> {
    let dir = runs_dir(args.dir.as_ref())?;
    if args.list || !std::io::stdout().is_terminal() {
        let format = match (args.json, args.csv) {
            (true, _) => workspace::ListFormat::Json,
            (_, true) => workspace::ListFormat::Csv,
            _ => workspace::ListFormat::Text,
        };
        workspace::print_list(&dir, format, &mut std::io::stdout().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    workspace::run(dir.clone(), None, open_from_workspace(dir))?;
    Ok(ExitCode::SUCCESS)
}

/// `mnist-tui sweep`: in a terminal the workspace follows the trials; otherwise a line
/// per trial and the ranked table. Exit code 1 when a trial did not finish (diverged,
/// failed, stopped).
fn run_sweep(args: &cli::SweepArgs) -> anyhow::Result<ExitCode> {
    let plan = sweep::plan(args)?;
    if args.json || !std::io::stdout().is_terminal() {
        let all_ended = sweep::run_headless(plan, args.json)?;
        return Ok(if all_ended {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let (name, epochs, dir) = (
        plan.options.name.clone(),
        plan.options.epochs,
        plan.options.runs_dir.clone(),
    );
    let (events, stop, thread, trials) = sweep::start(plan);
    // The trials' news, for the workspace's notice line; the tally, for the table after.
    let (notices, notice_rx) = crossbeam_channel::unbounded();
    let tally = std::thread::spawn(move || {
        let mut tally = sweep::Tally::new(trials, epochs);
        for event in events.iter() {
            if let Some(line) = tally.on(&event) {
                let _ = notices.send(line);
            }
        }
        tally
    });
    let focus = workspace::Focus {
        filter: name.clone(),
        notices: notice_rx,
    };
    let result = workspace::run(dir.clone(), Some(focus), open_from_workspace(dir));
    // Leaving the workspace stops the trials still training, each recorded.
    let _ = stop.try_send(());
    let _ = thread.join();
    let tally = tally
        .join()
        .map_err(|_| anyhow::anyhow!("the sweep's tally panicked"))?;
    result?;
    tally.print(&name, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

/// What the workspace's `Enter` and `r` open: the read-only dashboard, or a resumed run.
fn open_from_workspace(
    runs_dir: std::path::PathBuf,
) -> impl FnMut(workspace::Handoff) -> anyhow::Result<()> {
    move |handoff| {
        // Inside the workspace the input thread is already reading: no graphics query.
        let graphics = tui::Graphics::Halfblocks;
        match handoff {
            workspace::Handoff::View(file) => view(&file, graphics).map(drop),
            workspace::Handoff::Resume { checkpoint, epochs } => {
                let args = RunArgs {
                    resume: Some(checkpoint),
                    runs_dir: Some(runs_dir.clone()),
                    epochs,
                    ..RunArgs::default()
                };
                dashboard(&args, graphics).map(drop)
            }
        }
    }
}

/// The dashboard drawn from a metrics file; nothing trains.
fn view(file: &std::path::Path, graphics: tui::Graphics) -> anyhow::Result<ExitCode> {
    // A run's folder stands for its metrics file.
    let file = &runs::resolve_run_path(file, runs::METRICS_FILE);
    // The file is checked first: a wrong file is the first thing to hear about.
    let follower = train::follow(file)?;
    if !std::io::stdout().is_terminal() {
        anyhow::bail!("view draws a dashboard: run it in a terminal");
    }
    let start = move || -> anyhow::Result<(train::WorkerHandle, Box<tui::SpawnBranch>)> {
        let no_branch =
            |_: Box<Checkpoint>, _: f64, _: usize| -> anyhow::Result<train::WorkerHandle> {
                anyhow::bail!("a viewed run cannot be branched")
            };
        Ok((follower, Box::new(no_branch)))
    };
    tui::run(start, graphics)?;
    Ok(ExitCode::SUCCESS)
}

fn bench(args: &RunArgs, compare: Option<(Compared, u16)>) -> anyhow::Result<ExitCode> {
    let mut args = args.clone();
    args.train_limit.get_or_insert(10_000);
    // Launch is counted from here: settings read, data decoded, then the worker's start.
    let loading = std::time::Instant::now();
    let Prepared { settings, data, .. } = prepare(&args)?;
    if let Some((Compared::Threads, _)) = compare {
        anyhow::ensure!(
            settings.threads >= 2,
            "--compare threads compares --threads with one thread, and --threads is {}: give 2 or more",
            settings.threads
        );
    }
    let data = data.load()?;
    if let Some((compared, rounds)) = compare {
        let variants = mnist_tui::bench::variants(compared, &settings);
        let comparison = mnist_tui::bench::compare(&variants, &data, rounds.into());
        print!("{}", comparison.table());
        println!("{}", comparison.json());
        return Ok(ExitCode::SUCCESS);
    }
    let report = mnist_tui::bench::run(&settings, data, loading.elapsed());
    print!("{}", report.table());
    println!("{}", report.json());
    Ok(ExitCode::SUCCESS)
}

/// The completion script of `shell`, generated from the same clap definitions.
fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut command = language::command();
    clap_complete::generate(shell, &mut command, "mnist-tui", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

/// The manual page, generated from the same clap definitions.
fn manual_page() -> anyhow::Result<ExitCode> {
    let page = clap_mangen::Man::new(language::command());
    let mut roff = Vec::new();
    page.render(&mut roff)?;
    let roff = String::from_utf8(roff)?;
    // clap_mangen writes its section headings in English only.
    let roff: String = roff
        .lines()
        .map(|line| match line.strip_prefix(".SH ") {
            Some(heading) => format!(".SH {}\n", language::man_heading(heading)),
            None => format!("{line}\n"),
        })
        .collect();
    std::io::Write::write_all(&mut std::io::stdout().lock(), roff.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The range test on a worker that waits before its first batch, then stops.
fn lr_find(args: &RunArgs, json: bool) -> anyhow::Result<ExitCode> {
    // The range test trains nothing worth keeping.
    let args = &RunArgs {
        no_record: true,
        ..args.clone()
    };
    let prepared = prepare(args)?;
    let (mut options, data) =
        prepared.options(WorkerOptions::headless(Settings::default()), args)?;
    (options.start_paused, options.save_to, options.metrics) = (true, None, None);
    let model = options.settings.model;
    let worker = train::spawn(data.load()?, options)?;
    worker.commands.send(train::Command::FindLearningRate)?;
    worker.commands.send(train::Command::Stop)?;
    let sweep = worker.events.iter().find_map(|e| match e {
        train::Event::SweepDone(sweep) => Some(sweep),
        _ => None,
    });
    let _ = worker.thread.join();
    let sweep = sweep.context("the trainer stopped before the sweep ended")?;
    headless::print_sweep(&sweep, model, json, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

fn train_headless(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let prepared = prepare(args)?;
    let (options, data) = prepared.options(WorkerOptions::headless(Settings::default()), args)?;
    let on_divergence = options.on_divergence;
    let worker = train::spawn(data.load()?, options)?;
    // SIGINT / SIGTERM: stop at the next batch boundary instead of dying mid-step.
    let stop = worker.commands.clone();
    let interrupted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = interrupted.clone();
    ctrlc::set_handler(move || {
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = stop.try_send(train::Command::Stop);
    })
    .context("cannot install the signal handler")?;
    let outcome = headless::run(worker, on_divergence, &mut std::io::stdout().lock())?;
    Ok(match outcome {
        Outcome::Finished => ExitCode::SUCCESS,
        Outcome::Stopped if interrupted.load(std::sync::atomic::Ordering::SeqCst) => {
            eprintln!("interrupted: training stopped at a batch boundary");
            ExitCode::from(EXIT_INTERRUPTED)
        }
        Outcome::Diverged | Outcome::Stopped => ExitCode::FAILURE,
    })
}
