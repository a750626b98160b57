//! The run's measurements as plain records: kept by the worker so a checkpoint carries its
//! curves, streamed to `--metrics` files, and replayed as events on `--resume`
//! ([`super::events::replay`]). The JSON form is the measurement's fields with a `type`.

use serde::{Deserialize, Serialize};

use super::measure::{BatchLoss, EpochSummary, Evaluation};

/// One measurement of the run, as kept and written.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Record {
    Batch(BatchLoss),
    Epoch(EpochSummary),
    Evaluation(Evaluation),
}

impl Record {
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
            Record::Epoch(e) => format!(
                "epoch,{},,,,,,,{},{},{},,",
                e.epoch, e.average_cost, e.seconds, e.samples_per_second
            ),
            Record::Evaluation(e) => format!(
                "evaluation,,,{},,,,,,,,{},{}",
                e.at_epoch,
                e.kind.name(),
                e.accuracy
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checkpoints written before the measurements had types of their own (the shipped
    /// model among them) hold exactly this JSON; it must keep reading and writing so.
    #[test]
    fn records_read_and_write_the_json_checkpoints_hold() {
        let json = [
            r#"{"type":"batch","epoch":0,"batch":1,"loss":2.5,"learning_rate":0.001,"correct":9,"size":100}"#,
            r#"{"type":"epoch","epoch":0,"average_cost":0.34,"seconds":8.0,"samples_per_second":7500.0}"#,
            r#"{"type":"evaluation","at_epoch":1.0,"kind":"full","accuracy":0.97}"#,
        ];
        for line in json {
            let record: Record = serde_json::from_str(line).unwrap();
            assert_eq!(serde_json::to_string(&record).unwrap(), line);
        }
    }
}
