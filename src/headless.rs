//! The headless consumer: prints the tutorial's lines on stdout, a progress bar on stderr
//! (only when stderr is a terminal).

use std::io::Write;

use indicatif::{ProgressBar, ProgressStyle};

use crate::train::events::position_label;
use crate::train::{Command, EpochSummary, Event, OnDivergence, SamplePrediction, WorkerHandle};

/// How a headless run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Finished,
    Diverged,
    Stopped,
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
    let mut commands = Some(commands);
    let mut bar: Option<ProgressBar> = None;
    let mut batches_per_epoch = 0;
    let mut epochs = 0;
    let mut sample: Option<Box<SamplePrediction>> = None;
    let mut outcome = Outcome::Stopped;
    writeln!(out, "Learning started. It takes sometime.")?;
    for event in events.iter() {
        match event {
            Event::Started(info) => {
                batches_per_epoch = info.batches_per_epoch as u64;
                epochs = info.epochs;
            }
            Event::Batches(list) => {
                let last = list.last().expect("coalesced batches are never empty");
                let bar = bar.get_or_insert_with(|| new_bar(batches_per_epoch));
                if last.batch as u64 + 1 < bar.position() {
                    bar.reset();
                }
                bar.set_message(format!("epoch {}/{epochs}", last.epoch + 1));
                bar.set_position(last.batch as u64 + 1);
            }
            Event::EpochFinished(EpochSummary {
                epoch,
                average_cost,
                ..
            }) => {
                if let Some(bar) = &bar {
                    bar.suspend(|| {
                        writeln!(out, "Epoch: {:04} cost = {:.9}", epoch + 1, average_cost)
                    })?;
                    bar.reset();
                } else {
                    writeln!(out, "Epoch: {:04} cost = {:.9}", epoch + 1, average_cost)?;
                }
                out.flush()?;
            }
            Event::EpochsSet(n) => epochs = n,
            Event::Sample(s) => sample = Some(s),
            Event::Diverged {
                epoch,
                batch,
                learning_rate,
                restored_epoch,
                restored_batch,
            } => {
                let restored = restored_epoch * batches_per_epoch as usize + restored_batch;
                if on_divergence == OnDivergence::Halve {
                    eprintln!(
                        "warning: training diverged at epoch {}, batch {} (learning rate {learning_rate:e}); restored the weights from batch {restored} and continuing at learning rate {:e}",
                        epoch + 1,
                        batch + 1,
                        learning_rate / 2.0
                    );
                } else {
                    eprintln!(
                        "error: training diverged at epoch {}, batch {} (learning rate {learning_rate:e}): the loss or weights are not finite; restored the weights from batch {restored}; lower the learning rate",
                        epoch + 1,
                        batch + 1
                    );
                    outcome = Outcome::Diverged;
                    if let Some(c) = &commands {
                        let _ = c.send(Command::Stop);
                    }
                }
            }
            Event::Saved { path, epoch, batch } => {
                let line = format!("saved {} {}", path.display(), position_label(epoch, batch));
                match &bar {
                    Some(bar) => bar.suspend(|| eprintln!("{line}")),
                    None => eprintln!("{line}"),
                }
            }
            Event::SaveFailed { path, error } => {
                eprintln!("warning: {}: {error}; training continues", path.display());
            }
            Event::Warning(w) => eprintln!("warning: {w}"),
            Event::Finished { accuracy } => {
                if let Some(bar) = bar.take() {
                    bar.finish_and_clear();
                }
                writeln!(out, "Learning Finished!")?;
                writeln!(out, "Accuracy: {accuracy:.4}")?;
                if let Some(s) = &sample {
                    writeln!(out, "Label:  [{}]", s.label)?;
                    writeln!(out, "Prediction:  [{}]", s.predicted())?;
                }
                outcome = Outcome::Finished;
                // Nothing more to ask of the worker: closing the commands lets it exit.
                commands = None;
            }
            _ => {}
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    drop(commands);
    if thread.join().is_err() {
        return Err(std::io::Error::other("the training thread panicked"));
    }
    Ok(outcome)
}

fn new_bar(len: u64) -> ProgressBar {
    // indicatif draws nothing when stderr is not a terminal.
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} batches  {per_sec}  ETA {eta}")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar
}
