//! A recorded run's curves, read from its metrics file and kept up to date as the file
//! grows: the workspace reads the whole file only of the runs it draws.

use std::io::Read;
use std::path::Path;

use crate::error::FileError;
use crate::train::follow::LineReader;
use crate::train::measure::EvalKind;
use crate::train::metrics_line::MetricsLine;

/// Most bytes taken in one poll, so a long file arrives over a few frames and the
/// workspace keeps answering keys.
const CHUNK: usize = 4 << 20;

/// What the workspace draws of one run; x positions are in epochs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunCurves {
    pub batches_per_epoch: usize,
    /// `(epoch, loss)` of every batch: the end of batch `b` of epoch `e` is at
    /// `e + (b + 1) / batches_per_epoch`.
    pub losses: Vec<(f64, f64)>,
    /// `(epoch, accuracy)` of the full test evaluations.
    pub accuracy: Vec<(f64, f64)>,
    /// Training seconds of each epoch done, to draw against time.
    pub epoch_seconds: Vec<f64>,
    /// Epochs the run plans.
    pub epochs: usize,
}

impl RunCurves {
    /// Takes in one line of the metrics file.
    pub fn observe(&mut self, line: &MetricsLine) {
        match line {
            MetricsLine::Run(info) => {
                self.batches_per_epoch = info.batches_per_epoch.max(1);
                self.epochs = info.epochs;
            }
            MetricsLine::Batch(b) => {
                let at = b.epoch as f64 + (b.batch + 1) as f64 / self.batches_per_epoch as f64;
                self.losses.push((at, f64::from(b.loss)));
                self.epochs = self.epochs.max(b.epoch + 1);
            }
            MetricsLine::Epoch(e) => {
                self.epoch_seconds.truncate(e.epoch);
                self.epoch_seconds.push(e.seconds);
            }
            MetricsLine::Evaluation(e) if e.kind == EvalKind::Full => {
                self.accuracy.push((e.at_epoch, e.accuracy));
            }
            _ => {}
        }
    }

    /// Training seconds at `epoch` (fractional): whole epochs by their own time, the
    /// running one at the pace of the last one done.
    pub fn seconds_at(&self, epoch: f64) -> f64 {
        let whole = epoch.floor().max(0.0) as usize;
        let done: f64 = self.epoch_seconds.iter().take(whole).sum();
        let pace = self
            .epoch_seconds
            .get(whole)
            .or(self.epoch_seconds.last())
            .copied()
            .unwrap_or(0.0);
        done + (epoch - whole as f64) * pace
    }

    /// How far the run has trained, in epochs.
    pub fn trained_epochs(&self) -> f64 {
        self.losses.last().map_or(0.0, |&(x, _)| x)
    }
}

/// A metrics file followed: each [`poll`](CurvesReader::poll) takes in what it gained.
pub struct CurvesReader {
    file: std::fs::File,
    reader: LineReader,
    pub curves: RunCurves,
}

impl CurvesReader {
    pub fn open(path: &Path) -> Result<CurvesReader, FileError> {
        let file = std::fs::File::open(path)
            .map_err(|e| FileError::at(path, format!("cannot read: {e}")))?;
        Ok(CurvesReader {
            file,
            reader: LineReader::default(),
            curves: RunCurves::default(),
        })
    }

    /// Reads what the file gained since the last poll; whether the curves changed. A line
    /// that is not a metrics line ends the reading there (the curves keep what came before).
    pub fn poll(&mut self) -> Result<bool, String> {
        // Only what the file gained is allocated: the workspace polls every marked run
        // twice a second, and most polls find nothing.
        let mut buf = Vec::new();
        let n = (&mut self.file)
            .take(CHUNK as u64)
            .read_to_end(&mut buf)
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(false);
        }
        let lines = self.reader.push(&buf)?;
        for line in &lines {
            self.curves.observe(line);
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_runs_at_each_epochs_own_pace_and_the_last_ones_beyond() {
        let curves = RunCurves {
            epoch_seconds: vec![10.0, 20.0],
            ..RunCurves::default()
        };
        assert_eq!(curves.seconds_at(0.5), 5.0);
        assert_eq!(curves.seconds_at(1.5), 20.0);
        assert_eq!(curves.seconds_at(2.5), 40.0);
    }
}
