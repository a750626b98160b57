//! Telling a loss that has blown up from one that is merely noisy.
//!
//! Adam rarely makes the loss infinite: at a learning rate of 10 it climbs to 5.6e6 and
//! stays finite, so a guard on non-finite values alone never fires. The rule here watches
//! the loss smoothed over about fifty batches (an exponential average with β = 0.98,
//! bias-corrected, as the learning-rate finder smooths it) and calls the run exploded
//! when, after a short warm-up, the smoothed loss is both above chance level (ln 10, what
//! a model that knows nothing scores) and several times the best smoothed loss seen.
//! Either half alone misfires: late in a healthy run the smoothed loss can be several
//! times its best (0.004 against 0.015) and stay far below chance, and at the very start
//! a healthy run sits at chance. The thresholds come from loss traces of healthy and
//! exploding runs (`tests/fixtures/loss-traces/`, checked by the tests below and in
//! `tests/integration/blowup.rs`).
//!
//! The same watch says when a snapshot may be taken: only while the smoothed loss is
//! close to its best, so that the weights restored after a blow-up are from before the
//! loss started climbing, not from the climb.

/// Weight of the past in the smoothed loss (about fifty batches).
pub const BETA: f64 = 0.98;
/// Batches before the rule may fire: the bias-corrected average of the first few is
/// little more than the last batch.
pub const WARMUP: usize = 20;
/// How many times its best the smoothed loss must be to count as exploded.
pub const BLOWUP_FACTOR: f64 = 3.0;
/// Chance level of ten classes: the cross-entropy of a uniform guess, ln 10.
pub const CHANCE: f64 = std::f64::consts::LN_10;
/// A snapshot is taken only while the smoothed loss is within this factor of its best
/// (or below [`SNAPSHOT_FLOOR`]).
pub const SNAPSHOT_FACTOR: f64 = 2.0;
/// Below this smoothed loss a run is healthy whatever its best was.
pub const SNAPSHOT_FLOOR: f64 = 0.1;

/// What the watch made of a batch's loss.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    Healthy,
    /// The smoothed loss is this, against the best smoothed loss seen.
    Exploded {
        smoothed: f64,
        best: f64,
    },
}

/// The smoothed loss of a run and its best so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossWatch {
    /// The exponential average before bias correction.
    average: f64,
    steps: usize,
    best: f64,
}

impl Default for LossWatch {
    fn default() -> Self {
        Self {
            average: 0.0,
            steps: 0,
            best: f64::INFINITY,
        }
    }
}

impl LossWatch {
    /// The bias-corrected smoothed loss (NaN before the first batch).
    pub fn smoothed(&self) -> f64 {
        self.average / (1.0 - BETA.powi(self.steps as i32))
    }

    pub fn best(&self) -> f64 {
        self.best
    }

    /// Takes one batch's (finite) loss.
    pub fn observe(&mut self, loss: f32) -> Verdict {
        self.steps += 1;
        self.average = BETA * self.average + (1.0 - BETA) * loss as f64;
        let smoothed = self.smoothed();
        let exploded =
            self.steps > WARMUP && smoothed > CHANCE && smoothed > BLOWUP_FACTOR * self.best;
        if exploded {
            return Verdict::Exploded {
                smoothed,
                best: self.best,
            };
        }
        self.best = self.best.min(smoothed);
        Verdict::Healthy
    }

    /// Whether weights taken now are good to go back to.
    pub fn is_snapshot_safe(&self) -> bool {
        let smoothed = self.smoothed();
        self.steps == 0 || smoothed <= SNAPSHOT_FLOOR || smoothed <= SNAPSHOT_FACTOR * self.best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_explosion(losses: &[f32]) -> Option<usize> {
        let mut watch = LossWatch::default();
        losses
            .iter()
            .position(|&l| watch.observe(l) != Verdict::Healthy)
    }

    #[test]
    fn a_loss_that_climbs_to_millions_is_caught_at_the_first_batch_after_the_warm_up() {
        let mut losses = vec![2.3f32; 5];
        losses.extend([40.0, 5e3, 5e6, 5e6].iter().cycle().take(40));
        assert_eq!(first_explosion(&losses), Some(WARMUP));
    }

    #[test]
    fn a_noisy_loss_far_below_chance_is_never_an_explosion() {
        // Late training: losses around 0.01 with spikes twenty times higher.
        let losses: Vec<f32> = (0..5000)
            .map(|i| {
                if i % 97 == 0 {
                    0.4
                } else {
                    0.01 + (i % 7) as f32 * 0.002
                }
            })
            .collect();
        assert_eq!(first_explosion(&losses), None);
    }

    #[test]
    fn a_run_stuck_at_chance_from_the_start_is_not_an_explosion() {
        assert_eq!(first_explosion(&[2.31f32; 500]), None);
    }

    #[test]
    fn a_climb_from_a_good_loss_is_an_explosion_and_stops_the_snapshots_first() {
        let mut watch = LossWatch::default();
        for _ in 0..300 {
            watch.observe(0.3);
        }
        assert!(watch.is_snapshot_safe());
        let mut unsafe_at = None;
        let mut exploded_at = None;
        for i in 0..300 {
            let loss = 0.3 * 1.05f32.powi(i);
            if exploded_at.is_none() && watch.observe(loss) != Verdict::Healthy {
                exploded_at = Some(i);
            }
            if unsafe_at.is_none() && !watch.is_snapshot_safe() {
                unsafe_at = Some(i);
            }
        }
        let (unsafe_at, exploded_at) = (unsafe_at.unwrap(), exploded_at.unwrap());
        assert!(unsafe_at < exploded_at, "{unsafe_at} {exploded_at}");
    }
}
