//! The learning-rate range test (Leslie Smith, 2015; as fastai's `lr_find` and
//! Lightning's `Tuner.lr_find` run it): train for up to [`STEPS`] batches while the rate
//! grows exponentially from [`START`] to [`END`], smooth the loss, stop once it is
//! [`STOP_FACTOR`] times its best, and read suggestions off the curve. The sweep runs on a
//! copy of the weights and optimiser state (`trainer/finder.rs`); this file is the
//! arithmetic: the rates, the smoothing, the stopping rule and the three suggestions.

use serde::Serialize;

use super::blowup::LossWatch;

/// The sweep's first and last rates, and its length (fastai's defaults).
pub const START: f64 = 1e-7;
pub const END: f64 = 10.0;
pub const STEPS: usize = 100;
/// The sweep stops once the smoothed loss is this many times its best.
pub const STOP_FACTOR: f64 = 4.0;
/// Points left out of the suggestions: the first tenth (the average has not settled)
/// and the last few (already blowing up), as fastai does.
const SKIP_START: usize = STEPS / 10;
const SKIP_END: usize = 5;

/// The rate of step `i` of the sweep.
pub fn rate_at(i: usize) -> f64 {
    START * (END / START).powf(i as f64 / (STEPS - 1) as f64)
}

/// One batch of the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SweepPoint {
    pub learning_rate: f64,
    pub loss: f32,
    /// The loss smoothed with a bias-corrected exponential average (β 0.98).
    pub smoothed: f64,
}

/// Rates read off a sweep; `None` where the sweep was too short to say.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Suggestions {
    /// fastai's default: two thirds down the longest stretch where the loss keeps falling.
    pub valley: Option<f64>,
    /// Where the smoothed loss falls fastest against log(rate).
    pub steepest: Option<f64>,
    /// The rate of the lowest smoothed loss, divided by ten.
    pub minimum_tenth: Option<f64>,
}

impl Suggestions {
    /// The suggestions by name, in the order the dashboard cycles through them.
    pub fn named(&self) -> Vec<(&'static str, f64)> {
        [
            ("valley", self.valley),
            ("steepest", self.steepest),
            ("minimum ÷ 10", self.minimum_tenth),
        ]
        .into_iter()
        .filter_map(|(name, rate)| rate.map(|r| (name, r)))
        .collect()
    }
}

/// A suggestion's name (`valley`, as [`Suggestions::named`] and the JSON write it) as a
/// person reads it, in their language.
pub fn suggestion_label(name: &str) -> String {
    match name {
        "valley" => crate::tr!("finder-valley"),
        "steepest" => crate::tr!("finder-steepest"),
        "minimum ÷ 10" => crate::tr!("finder-minimum-tenth"),
        other => other.to_owned(),
    }
}

/// A whole sweep and what it suggests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sweep {
    pub points: Vec<SweepPoint>,
    pub suggestions: Suggestions,
}

/// The smoothing and the stopping rule, batch by batch: the loss is smoothed exactly as
/// the blow-up rule smooths it ([`LossWatch`]), whose best smoothed loss the stop uses.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    watch: LossWatch,
    pub points: Vec<SweepPoint>,
}

impl Recorder {
    /// Records a batch's loss at `learning_rate`; `false` when the sweep should stop.
    pub fn record(&mut self, learning_rate: f64, loss: f32) -> bool {
        if !loss.is_finite() {
            return false;
        }
        // The verdict is the training run's business; a sweep stops on its own rule.
        let _ = self.watch.observe(loss);
        let smoothed = self.watch.smoothed();
        self.points.push(SweepPoint {
            learning_rate,
            loss,
            smoothed,
        });
        smoothed <= STOP_FACTOR * self.watch.best() && self.points.len() < STEPS
    }

    pub fn finish(self) -> Sweep {
        Sweep {
            suggestions: suggest(&self.points),
            points: self.points,
        }
    }
}

/// The three suggestions of a sweep, on its smoothed losses.
pub fn suggest(points: &[SweepPoint]) -> Suggestions {
    let end = points.len().saturating_sub(SKIP_END);
    if end < SKIP_START + 3 {
        return Suggestions::default();
    }
    let kept = &points[SKIP_START..end];
    let lrs: Vec<f64> = kept.iter().map(|p| p.learning_rate).collect();
    let losses: Vec<f64> = kept.iter().map(|p| p.smoothed).collect();
    Suggestions {
        valley: Some(lrs[valley(&losses)]),
        steepest: Some(lrs[steepest(&lrs, &losses)]),
        minimum_tenth: Some(lrs[argmin(&losses)] / 10.0),
    }
}

fn argmin(v: &[f64]) -> usize {
    (0..v.len()).fold(0, |best, i| if v[i] < v[best] { i } else { best })
}

/// fastai's valley: the longest decreasing subsequence of the losses, and the point two
/// thirds of the way down it (`start + ⌊len/3⌋ + ⌊len/6⌋`).
fn valley(losses: &[f64]) -> usize {
    let n = losses.len();
    let mut run = vec![1usize; n];
    let (mut start, mut end) = (0, 0);
    for i in 1..n {
        for j in 0..i {
            if losses[i] < losses[j] && run[i] < run[j] + 1 {
                run[i] = run[j] + 1;
            }
            if run[end] < run[i] {
                end = i;
                start = end - run[end];
            }
        }
    }
    let sections = (end - start) as f64 / 3.0;
    (start + sections as usize + (sections / 2.0) as usize).min(n - 1)
}

/// The index where the loss falls fastest against log(rate).
fn steepest(lrs: &[f64], losses: &[f64]) -> usize {
    let slopes: Vec<f64> = (1..lrs.len())
        .map(|i| (losses[i] - losses[i - 1]) / (lrs[i].ln() - lrs[i - 1].ln()))
        .collect();
    argmin(&slopes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep(losses: impl Fn(f64) -> f32) -> Sweep {
        let mut r = Recorder::default();
        for i in 0..STEPS {
            if !r.record(rate_at(i), losses(rate_at(i))) {
                break;
            }
        }
        r.finish()
    }

    #[test]
    fn the_rates_grow_exponentially_from_start_to_end() {
        assert!((rate_at(0) - START).abs() < 1e-18);
        assert!((rate_at(STEPS - 1) - END).abs() < 1e-9);
        let ratio = rate_at(1) / rate_at(0);
        assert!((rate_at(51) / rate_at(50) - ratio).abs() < 1e-9);
    }

    #[test]
    fn a_loss_that_falls_then_explodes_stops_early_with_suggestions_in_the_fall() {
        // Flat at 2.3 until 1e-5, falling until 1e-2, exploding after.
        let s = sweep(|lr| {
            let x = lr.log10();
            if x < -5.0 {
                2.3
            } else if x < -2.0 {
                (2.3 - 0.7 * (x + 5.0)) as f32
            } else {
                (0.2 * 10f64.powf(3.0 * (x + 2.0))) as f32
            }
        });
        assert!(s.points.len() < STEPS, "stopped early");
        let last = s.points.last().unwrap();
        assert!(last.smoothed > STOP_FACTOR * 0.2);
        for (name, rate) in s.suggestions.named() {
            assert!((1e-5..=1e-2).contains(&rate), "{name} {rate:e}");
        }
        assert_eq!(s.suggestions.named().len(), 3);
    }

    #[test]
    fn the_smoothing_is_the_bias_corrected_average() {
        let mut r = Recorder::default();
        r.record(1e-7, 2.0);
        r.record(1e-6, 1.0);
        // (0.02·2·0.98 + 0.02·1) / (1 − 0.98²)
        let want = (0.02 * 2.0 * 0.98 + 0.02) / (1.0 - 0.98f64.powi(2));
        assert!((r.points[1].smoothed - want).abs() < 1e-12);
        assert_eq!(r.points[0].smoothed, 2.0);
    }

    #[test]
    fn a_non_finite_loss_ends_the_sweep_and_too_short_a_sweep_suggests_nothing() {
        let mut r = Recorder::default();
        assert!(r.record(1e-7, 2.0));
        assert!(!r.record(1e-6, f32::NAN));
        assert_eq!(r.finish().suggestions, Suggestions::default());
    }

    #[test]
    fn valley_is_two_thirds_down_the_longest_fall() {
        // The longest fall is 3.1 → 0.7, eight points ending at index 8; fastai counts
        // from 8 − 8 = 0 and steps in ⌊8/3⌋ + ⌊8/6⌋ = 3.
        let losses = [3.0, 3.1, 3.0, 2.5, 2.0, 1.5, 1.0, 0.8, 0.7, 2.0, 5.0];
        assert_eq!(valley(&losses), 3);
    }
}
