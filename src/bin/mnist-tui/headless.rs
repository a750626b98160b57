//! The headless consumer: prints the tutorial's lines on stdout, a progress bar on stderr
//! (only when stderr is a terminal).

use mnist_tui::i18n::{self, width::pad_left};
use mnist_tui::tr;
use std::io::{IsTerminal, Write};

use crossbeam_channel::Sender;
use indicatif::{ProgressBar, ProgressStyle};
use mnist_tui::model::ModelKind;
use mnist_tui::train::lr_finder::{self, Sweep};

use mnist_tui::train::events::position_label;
use mnist_tui::train::{
    Command, Divergence, EpochSummary, Event, OnDivergence, SamplePrediction, WorkerHandle,
};

/// How a headless run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Finished,
    Diverged,
    Stopped,
}

/// What the printer knows of the run so far.
struct Printer {
    commands: Option<Sender<Command>>,
    on_divergence: OnDivergence,
    bar: Option<ProgressBar>,
    batches_per_epoch: u64,
    epochs: usize,
    sample: Option<Box<SamplePrediction>>,
    outcome: Outcome,
}

/// Consumes the worker's events until it is done, writing the report to `out`.
pub fn run(
    worker: WorkerHandle,
    on_divergence: OnDivergence,
    out: &mut impl Write,
) -> std::io::Result<Outcome> {
    let WorkerHandle {
        events,
        commands,
        thread,
    } = worker;
    let mut printer = Printer {
        commands: Some(commands),
        on_divergence,
        bar: None,
        batches_per_epoch: 0,
        epochs: 0,
        sample: None,
        outcome: Outcome::Stopped,
    };
    writeln!(out, "Learning started. It takes sometime.")?;
    for event in events.iter() {
        printer.on_event(event, out)?;
    }
    if let Some(bar) = printer.bar.take() {
        bar.finish_and_clear();
    }
    let outcome = printer.outcome;
    drop(printer);
    if thread.join().is_err() {
        return Err(std::io::Error::other("the training thread panicked"));
    }
    Ok(outcome)
}

impl Printer {
    fn on_event(&mut self, event: Event, out: &mut impl Write) -> std::io::Result<()> {
        match event {
            Event::Started(info) => {
                self.batches_per_epoch = info.batches_per_epoch as u64;
                self.epochs = info.epochs;
                // Said only to a person: stderr stays empty for scripts, as the tutorial's.
                if let Some(folder) = info.recorded_in.filter(|_| std::io::stderr().is_terminal()) {
                    eprintln!(
                        "{}",
                        tr!("headless-recording", folder = folder.display().to_string())
                    );
                }
            }
            Event::Batches(list) => {
                let last = list.last().expect("coalesced batches are never empty");
                let per_epoch = self.batches_per_epoch;
                let bar = self.bar.get_or_insert_with(|| new_bar(per_epoch));
                if last.batch as u64 + 1 < bar.position() {
                    bar.reset();
                }
                bar.set_message(tr!(
                    "status-epoch",
                    done = last.epoch + 1,
                    planned = self.epochs
                ));
                bar.set_position(last.batch as u64 + 1);
            }
            Event::EpochFinished(summary) => self.on_epoch(summary, out)?,
            Event::EpochsSet(n) => self.epochs = n,
            Event::Sample(s) => self.sample = Some(s),
            Event::Diverged(d) => self.on_diverged(d),
            Event::Saved { path, epoch, batch } => {
                let line = tr!(
                    "notice-saved",
                    path = path.display().to_string(),
                    position = position_label(epoch, batch)
                );
                match &self.bar {
                    Some(bar) => bar.suspend(|| eprintln!("{line}")),
                    None => eprintln!("{line}"),
                }
            }
            Event::SaveFailed { path, error } => {
                eprintln!(
                    "{}: {}",
                    tr!("warning"),
                    tr!(
                        "headless-save-failed",
                        path = path.display().to_string(),
                        error = error.to_string()
                    )
                );
            }
            Event::Warning(w) => eprintln!("{}: {w}", tr!("warning")),
            Event::Finished { accuracy } => self.on_finished(accuracy, out)?,
            _ => {}
        }
        Ok(())
    }

    /// The tutorial's line for each epoch.
    fn on_epoch(&mut self, e: EpochSummary, out: &mut impl Write) -> std::io::Result<()> {
        let line = format!("Epoch: {:04} cost = {:.9}", e.epoch + 1, e.average_cost);
        if let Some(bar) = &self.bar {
            bar.suspend(|| writeln!(out, "{line}"))?;
            bar.reset();
        } else {
            writeln!(out, "{line}")?;
        }
        out.flush()
    }

    /// A divergence, said on stderr in one line; unless the rate is halved, the run stops.
    fn on_diverged(&mut self, d: Divergence) {
        let restored = d.restored_epoch * self.batches_per_epoch as usize + d.restored_batch;
        let (epoch, batch, learning_rate) = (d.epoch + 1, d.batch + 1, d.learning_rate);
        let mut args = i18n::FluentArgs::new();
        args.set("epoch", epoch);
        args.set("batch", batch);
        args.set("lr", format!("{learning_rate:e}"));
        args.set("reason", d.reason.describe());
        args.set("restored", restored);
        if self.on_divergence == OnDivergence::Halve {
            args.set("halved", format!("{:e}", learning_rate / 2.0));
            let line = i18n::message("headless-diverged-halving", Some(&args));
            eprintln!("{}: {line}", tr!("warning"));
            return;
        }
        let line = i18n::message("headless-diverged", Some(&args));
        eprintln!("{}: {line}", tr!("cli-error"));
        self.outcome = Outcome::Diverged;
        if let Some(c) = &self.commands {
            let _ = c.send(Command::Stop);
        }
    }

    /// The tutorial's closing lines.
    fn on_finished(&mut self, accuracy: f64, out: &mut impl Write) -> std::io::Result<()> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        writeln!(out, "Learning Finished!")?;
        writeln!(out, "Accuracy: {accuracy:.4}")?;
        if let Some(s) = &self.sample {
            writeln!(out, "Label:  [{}]", s.label)?;
            writeln!(out, "Prediction:  [{}]", s.predicted())?;
        }
        self.outcome = Outcome::Finished;
        // Nothing more to ask of the worker: closing the commands lets it exit.
        self.commands = None;
        Ok(())
    }
}

fn new_bar(len: u64) -> ProgressBar {
    // indicatif draws nothing when stderr is not a terminal.
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&tr!("headless-bar"))
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar
}

/// A learning-rate sweep: the points as a table and the suggestions, or one JSON object.
pub fn print_sweep(
    sweep: &Sweep,
    model: ModelKind,
    json: bool,
    out: &mut impl Write,
) -> std::io::Result<()> {
    if json {
        let line = serde_json::to_string(sweep).map_err(std::io::Error::other)?;
        return writeln!(out, "{line}");
    }
    writeln!(
        out,
        "{}",
        tr!(
            "lr-find-header",
            model = model.to_string(),
            batches = sweep.points.len(),
            from = format!("{:.0e}", lr_finder::START),
            to = format!("{:.0e}", lr_finder::END)
        )
    )?;
    let right = |id: &str| pad_left(&tr!(id), 12);
    let (rate, loss, smoothed) = (
        right("finder-rate"),
        right("lr-find-loss"),
        right("chart-smoothed"),
    );
    writeln!(out, "{rate} {loss} {smoothed}")?;
    for p in &sweep.points {
        writeln!(
            out,
            "{:>12.3e} {:>12.4} {:>12.4}",
            p.learning_rate, p.loss, p.smoothed
        )?;
    }
    let named = sweep.suggestions.named();
    if named.is_empty() {
        return writeln!(out, "{}", tr!("lr-find-no-suggestions"));
    }
    let list: Vec<String> = named
        .iter()
        .map(|(n, r)| format!("{} {r:.2e}", lr_finder::suggestion_label(n)))
        .collect();
    writeln!(
        out,
        "{}",
        tr!("lr-find-suggestions", list = list.join(", "))
    )
}
