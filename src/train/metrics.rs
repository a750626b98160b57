//! The `--metrics` file: every measurement as one line, CSV or JSON lines (which also
//! carry what `mnist-tui view` draws: [`super::metrics_line`]).

use std::io::Write;
use std::path::PathBuf;

use super::metrics_line::MetricsLine;
use super::record::Record;

/// The `--metrics` file: one line per measurement, flushed at epoch ends.
pub(super) struct MetricsFile {
    out: std::io::BufWriter<std::fs::File>,
    csv: bool,
    path: PathBuf,
    failed: bool,
}

impl MetricsFile {
    /// Creates the file (and the CSV header); the error is the file system's.
    pub(super) fn create(path: &std::path::Path) -> std::io::Result<Self> {
        let csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        if csv {
            writeln!(out, "{}", Record::CSV_HEADER)?;
        }
        Ok(Self {
            out,
            csv,
            path: path.to_path_buf(),
            failed: false,
        })
    }

    /// Writes one line (a CSV file takes the measurements only); after a write error
    /// (disk full) it stops trying and says so once.
    pub(super) fn write(&mut self, line: &MetricsLine) -> Option<String> {
        if self.failed {
            return None;
        }
        let line = if self.csv {
            match line.record() {
                Some(record) => record.csv(),
                None => return None,
            }
        } else {
            serde_json::to_string(line).expect("metrics lines serialise")
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

    pub(super) fn flush(&mut self) -> Option<String> {
        if self.failed {
            return None;
        }
        self.out.flush().err().map(|e| {
            self.failed = true;
            format!("{}: cannot write metrics: {e}", self.path.display())
        })
    }
}
