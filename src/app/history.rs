//! The curves the dashboard plots, as they arrive from the worker.

use crate::train::{BatchLoss, EvalKind, Event};

/// Points `(x in epochs, y)`.
pub type Curve = Vec<(f64, f64)>;

/// Something that changed the run, marked on the curves where it happened (rate changes
/// are marked from [`History::learning_rates`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMark {
    EpochEnd,
    /// Drawn from [`History::learning_rates`], never stored in the marks.
    RateChange,
    ScheduleChange,
    Branch,
    /// Weights restored after a divergence.
    Restore,
    /// A rate the learning-rate finder suggested was applied.
    FinderApplied,
    /// A checkpoint was written.
    Saved,
}

impl RunMark {
    pub const ALL: [RunMark; 7] = [
        RunMark::EpochEnd,
        RunMark::RateChange,
        RunMark::ScheduleChange,
        RunMark::Branch,
        RunMark::Restore,
        RunMark::FinderApplied,
        RunMark::Saved,
    ];

    /// Its name in the charts' legends.
    pub fn label(self) -> String {
        crate::tr!(match self {
            RunMark::EpochEnd => "mark-epoch-end",
            RunMark::RateChange => "mark-rate-change",
            RunMark::ScheduleChange => "mark-schedule",
            RunMark::Branch => "mark-branch",
            RunMark::Restore => "mark-restore",
            RunMark::FinderApplied => "mark-finder",
            RunMark::Saved => "mark-saved",
        })
    }
}

/// Weight of the newest batch in the smoothed cost curve.
const SMOOTHING: f64 = 0.05;

#[derive(Debug, Clone, Default)]
pub struct History {
    pub batch_loss: Curve,
    pub smoothed_loss: Curve,
    pub epoch_costs: Curve,
    /// `(x, learning rate)` at the start and at every change.
    pub learning_rates: Curve,
    pub quick_accuracy: Curve,
    pub test_accuracy: Curve,
    /// Running training accuracy (smoothed over batches).
    pub train_accuracy: Curve,
    /// The rate each batch was taken with (it moves under a schedule).
    pub rates: Curve,
    /// `(x, what)` for everything else that changed the run.
    pub marks: Vec<(f64, RunMark)>,
    /// The last batch's base rate under a schedule: a mark goes where it changes.
    last_rate_key: Option<f64>,
}

impl History {
    /// Adds the measurements a worker event carries (batches, epoch averages,
    /// evaluations) to the curves; other events leave them alone.
    pub fn record(&mut self, event: &Event, per_epoch: usize) {
        match event {
            Event::Batches(list) => self.push_batches(list, per_epoch),
            Event::EpochFinished(e) => {
                let x = (e.epoch + 1) as f64;
                self.epoch_costs.push((x, e.average_cost));
                self.marks.push((x, RunMark::EpochEnd));
            }
            Event::Evaluated(e) => self.push_evaluation(e.at_epoch, e.kind, e.accuracy),
            _ => {}
        }
    }

    /// Adds consecutive batches (`per_epoch` to an epoch), marking every learning-rate
    /// change they carry where it happened.
    pub fn push_batches(&mut self, list: &[BatchLoss], per_epoch: usize) {
        let per_epoch = per_epoch.max(1) as f64;
        for b in list {
            let x = b.epoch as f64 + (b.batch + 1) as f64 / per_epoch;
            // Under a schedule the rate moves every batch: only a change of its base (a
            // key, or a replayed one) is a mark.
            let new_mark = match b.base_rate {
                None => self.learning_rates.last().map(|l| l.1) != Some(b.learning_rate),
                Some(base) => self
                    .last_rate_key
                    .map_or(self.learning_rates.is_empty(), |k| k != base),
            };
            if new_mark {
                self.learning_rates
                    .push((x - 1.0 / per_epoch, b.learning_rate));
            }
            self.last_rate_key = b.base_rate;
            self.rates.push((x, b.learning_rate));
            self.push_batch(x, b);
        }
    }

    pub fn push_batch(&mut self, x: f64, b: &BatchLoss) {
        let loss = b.loss as f64;
        self.batch_loss.push((x, loss));
        let smooth = |c: &Curve, v: f64| c.last().map_or(v, |&(_, s)| s + SMOOTHING * (v - s));
        let s = smooth(&self.smoothed_loss, loss);
        self.smoothed_loss.push((x, s));
        let acc = b.correct as f64 / b.size.max(1) as f64;
        let a = smooth(&self.train_accuracy, acc);
        self.train_accuracy.push((x, a));
    }

    /// Drops every point after `x` (epochs), as when diverged training goes back to a
    /// snapshot.
    pub fn truncate_after(&mut self, x: f64) {
        let keep = |c: &mut Curve| c.retain(|&(px, _)| px <= x + 1e-9);
        keep(&mut self.batch_loss);
        keep(&mut self.smoothed_loss);
        keep(&mut self.epoch_costs);
        keep(&mut self.quick_accuracy);
        keep(&mut self.test_accuracy);
        keep(&mut self.train_accuracy);
        keep(&mut self.rates);
        self.marks.retain(|&(px, _)| px <= x + 1e-9);
        self.last_rate_key = None;
        if self.learning_rates.len() > 1 {
            let first = self.learning_rates[0];
            keep(&mut self.learning_rates);
            if self.learning_rates.is_empty() {
                self.learning_rates.push(first);
            }
        }
    }

    pub fn push_evaluation(&mut self, x: f64, kind: EvalKind, accuracy: f64) {
        match kind {
            EvalKind::Quick => self.quick_accuracy.push((x, accuracy)),
            EvalKind::Full => {
                // The quick curve joins the full one at each epoch's end.
                self.quick_accuracy.push((x, accuracy));
                self.test_accuracy.push((x, accuracy));
            }
        }
    }
}
