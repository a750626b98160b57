//! `mnist-tui view FILE`: a JSON-lines metrics file read back as the events its run sent,
//! from a thread that stands in for the worker — it replays what the file holds, then
//! follows it as it grows (like `tail -f`), and ignores every command but `Stop`.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::error::FileError;

use super::events::{Command, Event, FileState};
use super::metrics_line::MetricsLine;
use super::worker::{WorkerHandle, EVENT_CAPACITY};

/// How often a followed file is looked at for new lines.
const POLL: Duration = Duration::from_millis(250);
/// A file that has not grown for this long is no longer being written (the run writes a
/// line at least every 150 batches).
const QUIET_AFTER: Duration = Duration::from_secs(30);
/// Most bytes read in one go, so a long finished file arrives in pieces the UI can draw.
const CHUNK: usize = 1 << 20;

/// The lines of a metrics file arriving in pieces: complete lines come out, a partial
/// last line (the writer is mid-line) waits for the rest.
#[derive(Debug, Default)]
pub struct LineReader {
    pending: Vec<u8>,
    line_no: usize,
}

impl LineReader {
    /// Parses the complete lines of `bytes` (after what came before); an unknown line is
    /// an error naming its number.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<MetricsLine>, String> {
        self.pending.extend_from_slice(bytes);
        let Some(end) = self.pending.iter().rposition(|&b| b == b'\n') else {
            return Ok(Vec::new());
        };
        let complete: Vec<u8> = self.pending.drain(..=end).collect();
        let mut lines = Vec::new();
        for raw in complete.split(|&b| b == b'\n') {
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.line_no += 1;
            let text = String::from_utf8_lossy(raw);
            let line: MetricsLine = serde_json::from_str(&text).map_err(|e| {
                if self.line_no == 1 {
                    "not a mnist-tui metrics file (JSON lines from `train --metrics`)".to_string()
                } else {
                    format!("line {}: not a metrics line ({e})", self.line_no)
                }
            })?;
            if self.line_no == 1 && !matches!(line, MetricsLine::Run(_)) {
                return Err(
                    "the run's header line is missing (written by an older version?)".into(),
                );
            }
            lines.push(line);
        }
        Ok(lines)
    }
}

/// Opens `path` and checks that what it already holds is a metrics file, then follows it
/// on a thread of its own. The returned handle is the worker's, events first
/// [`Event::Following`].
pub fn follow(path: &Path) -> Result<WorkerHandle, FileError> {
    let shown = path.display().to_string();
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        return Err(FileError::new(
            &shown,
            "a CSV metrics file holds the measurements only; view reads the JSON-lines form (--metrics run.jsonl)",
        ));
    }
    let mut file = std::fs::File::open(path)
        .map_err(|e| FileError::new(&shown, format!("cannot read: {e}")))?;
    let mut reader = LineReader::default();
    let mut first = vec![0; CHUNK];
    let n = file
        .read(&mut first)
        .map_err(|e| FileError::new(&shown, format!("cannot read: {e}")))?;
    let lines = reader
        .push(&first[..n])
        .map_err(|e| FileError::new(&shown, e))?;
    let (event_tx, events) = bounded(EVENT_CAPACITY);
    let (commands, command_rx) = bounded(8);
    let follower = Follower {
        path: path.to_path_buf(),
        file,
        reader,
        events: event_tx,
        commands: command_rx,
        state: None,
        grew_at: Instant::now(),
    };
    let thread = std::thread::Builder::new()
        .name("follow".into())
        .spawn(move || follower.run(lines))
        .map_err(|e| FileError::new(&shown, format!("cannot start following: {e}")))?;
    Ok(WorkerHandle {
        events,
        commands,
        thread,
    })
}

struct Follower {
    path: PathBuf,
    file: std::fs::File,
    reader: LineReader,
    events: Sender<Event>,
    commands: Receiver<Command>,
    state: Option<FileState>,
    grew_at: Instant,
}

impl Follower {
    fn run(mut self, first: Vec<MetricsLine>) {
        let mut complete = false;
        if self.send_lines(first, &mut complete).is_err() {
            return;
        }
        let mut buf = vec![0; CHUNK];
        loop {
            let state = if complete {
                FileState::Complete
            } else if self.grew_at.elapsed() < QUIET_AFTER {
                FileState::Growing
            } else {
                FileState::Quiet
            };
            if self.state != Some(state) {
                self.state = Some(state);
                let event = Event::Following {
                    file: self.path.clone(),
                    state,
                };
                if self.events.send(event).is_err() {
                    return;
                }
            }
            match self.file.read(&mut buf) {
                Ok(0) | Err(_) => {
                    // At the end: a file rewritten from the start (a new run) is read again.
                    self.rewind_if_truncated();
                    match self.commands.recv_timeout(POLL) {
                        Ok(Command::Stop)
                        | Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                            let _ = self.events.send(Event::Stopped);
                            return;
                        }
                        _ => {}
                    }
                }
                Ok(n) => {
                    self.grew_at = Instant::now();
                    let lines = match self.reader.push(&buf[..n]) {
                        Ok(lines) => lines,
                        Err(e) => {
                            let warning =
                                format!("{}: {e}; stopped following", self.path.display());
                            let _ = self.events.send(Event::Warning(warning));
                            return;
                        }
                    };
                    if self.send_lines(lines, &mut complete).is_err() {
                        return;
                    }
                    if let Ok(Command::Stop) = self.commands.try_recv() {
                        let _ = self.events.send(Event::Stopped);
                        return;
                    }
                }
            }
        }
    }

    /// The lines' events, consecutive batches in one event as the worker coalesces them.
    fn send_lines(&mut self, lines: Vec<MetricsLine>, complete: &mut bool) -> Result<(), ()> {
        let mut batches = Vec::new();
        for line in lines {
            if let MetricsLine::Batch(b) = line {
                batches.push(b);
                continue;
            }
            *complete |= matches!(line, MetricsLine::Finished { .. } | MetricsLine::Stopped);
            // The run's own `Stopped` would end the view; it only marks the file complete.
            let events = match line {
                MetricsLine::Stopped => Vec::new(),
                // The view records nothing: where the run was recorded is the file's business.
                MetricsLine::Run(mut info) => {
                    info.recorded_in = None;
                    MetricsLine::Run(info).into_events()
                }
                other => other.into_events(),
            };
            if !batches.is_empty() {
                self.send(Event::Batches(std::mem::take(&mut batches)))?;
            }
            for event in events {
                self.send(event)?;
            }
        }
        if !batches.is_empty() {
            self.send(Event::Batches(batches))?;
        }
        Ok(())
    }

    fn send(&self, event: Event) -> Result<(), ()> {
        self.events.send(event).map_err(|_| ())
    }

    fn rewind_if_truncated(&mut self) {
        let (Ok(len), Ok(at)) = (
            self.file.metadata().map(|m| m.len()),
            self.file.stream_position(),
        ) else {
            return;
        };
        if len < at {
            let _ = self.file.seek(SeekFrom::Start(0));
            self.reader = LineReader::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = r#"{"type":"run","model":"seed","data_name":"MNIST","train_len":100,"test_len":10,"batch_size":10,"batches_per_epoch":10,"epochs":1,"learning_rate":0.001,"threads":1,"kernels":"portable","schedule":"constant"}"#;
    const BATCH: &str = r#"{"type":"batch","epoch":0,"batch":0,"loss":2.3,"learning_rate":0.001,"correct":1,"size":10}"#;

    #[test]
    fn a_line_cut_mid_write_waits_for_its_end() {
        let mut r = LineReader::default();
        let whole = format!("{HEADER}\n{BATCH}\n");
        let cut = HEADER.len() + 1 + BATCH.len() / 2;
        let first = r.push(&whole.as_bytes()[..cut]).unwrap();
        assert_eq!(first.len(), 1);
        assert!(matches!(first[0], MetricsLine::Run(_)));
        let rest = r.push(&whole.as_bytes()[cut..]).unwrap();
        assert!(matches!(rest[..], [MetricsLine::Batch(_)]));
    }

    #[test]
    fn a_file_that_is_not_a_metrics_file_is_named_so() {
        let err = LineReader::default().push(b"hello world\n").unwrap_err();
        assert!(err.starts_with("not a mnist-tui metrics file"), "{err}");
        let err = LineReader::default()
            .push(format!("{BATCH}\n").as_bytes())
            .unwrap_err();
        assert!(err.contains("header line is missing"), "{err}");
        let err = LineReader::default()
            .push(format!("{HEADER}\n{{\"type\":\"x\"}}\n").as_bytes())
            .unwrap_err();
        assert!(err.starts_with("line 2: not a metrics line"), "{err}");
    }
}
