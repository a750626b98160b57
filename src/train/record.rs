//! The run's measurements as plain records: kept by the worker so a checkpoint carries its
//! curves, streamed to `--metrics` files, and replayed as events on `--resume`.

use serde::{Deserialize, Serialize};

use super::events::{BatchLoss, EvalKind, Event};

/// One measurement of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Record {
    Batch(BatchLoss),
    Epoch {
        epoch: usize,
        average_cost: f64,
        seconds: f64,
        samples_per_second: f64,
    },
    Evaluation {
        at_epoch: f64,
        kind: EvalKind,
        accuracy: f64,
    },
}

impl Record {
    /// The record an event carries, if it is a measurement.
    pub fn of_event(event: &Event) -> Vec<Record> {
        match event {
            Event::Batches(list) => list.iter().copied().map(Record::Batch).collect(),
            &Event::EpochFinished {
                epoch,
                average_cost,
                seconds,
                samples_per_second,
            } => vec![Record::Epoch {
                epoch,
                average_cost,
                seconds,
                samples_per_second,
            }],
            &Event::Evaluated {
                at_epoch,
                kind,
                accuracy,
            } => vec![Record::Evaluation {
                at_epoch,
                kind,
                accuracy,
            }],
            _ => Vec::new(),
        }
    }

    /// The events that replay `records` (consecutive batches in one event).
    pub fn replay(records: &[Record]) -> Vec<Event> {
        let mut events = Vec::new();
        let mut batches = Vec::new();
        for r in records {
            if let Record::Batch(b) = r {
                batches.push(*b);
                continue;
            }
            if !batches.is_empty() {
                events.push(Event::Batches(std::mem::take(&mut batches)));
            }
            events.push(match *r {
                Record::Epoch {
                    epoch,
                    average_cost,
                    seconds,
                    samples_per_second,
                } => Event::EpochFinished {
                    epoch,
                    average_cost,
                    seconds,
                    samples_per_second,
                },
                Record::Evaluation {
                    at_epoch,
                    kind,
                    accuracy,
                } => Event::Evaluated {
                    at_epoch,
                    kind,
                    accuracy,
                },
                Record::Batch(_) => unreachable!("batches are gathered above"),
            });
        }
        if !batches.is_empty() {
            events.push(Event::Batches(batches));
        }
        events
    }

    /// Header of the CSV form.
    pub const CSV_HEADER: &'static str =
        "type,epoch,batch,at_epoch,loss,learning_rate,correct,size,average_cost,seconds,samples_per_second,kind,accuracy";

    /// One CSV line (no newline); epochs and batches are zero-based as in the JSON form,
    /// columns that do not apply are empty.
    pub fn csv(&self) -> String {
        match self {
            Record::Batch(b) => format!(
                "batch,{},{},,{},{},{},{},,,,,",
                b.epoch, b.batch, b.loss, b.learning_rate, b.correct, b.size
            ),
            Record::Epoch {
                epoch,
                average_cost,
                seconds,
                samples_per_second,
            } => format!("epoch,{epoch},,,,,,,{average_cost},{seconds},{samples_per_second},,"),
            Record::Evaluation {
                at_epoch,
                kind,
                accuracy,
            } => {
                let kind = match kind {
                    EvalKind::Full => "full",
                    EvalKind::Quick => "quick",
                };
                format!("evaluation,,,{at_epoch},,,,,,,,{kind},{accuracy}")
            }
        }
    }
}
