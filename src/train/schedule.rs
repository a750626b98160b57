//! Learning-rate schedules: the rate in force is the run's base rate times a factor of
//! how far the run is (0 at the first batch, 1 at the last of the planned epochs). The
//! tutorial's constant rate is the default; `+`/`-` and `l` change the base, so they scale
//! the whole schedule instead of fighting it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Schedule {
    /// The base rate throughout (the tutorial's).
    #[default]
    Constant,
    /// The base rate, ÷10 from half the run, ÷100 from three quarters.
    Step,
    /// Cosine from the base rate down to 1 % of it.
    Cosine,
    /// Smith's one-cycle (PyTorch's `OneCycleLR` defaults): up from 1/25 of the base to
    /// the base over the first 30 %, then cosine down to 1/25 000 of the base.
    OneCycle,
}

/// One-cycle's start and end, as fractions of the peak (PyTorch's `div_factor` 25 and
/// `final_div_factor` 1e4), and the share of the run spent warming up (`pct_start`).
const ONE_CYCLE_START: f64 = 1.0 / 25.0;
const ONE_CYCLE_END: f64 = ONE_CYCLE_START / 1e4;
const ONE_CYCLE_WARMUP: f64 = 0.3;
/// Where cosine ends, as a fraction of the base: the last epochs still move.
const COSINE_END: f64 = 0.01;

impl Schedule {
    pub const ALL: [Schedule; 4] = [
        Schedule::Constant,
        Schedule::Step,
        Schedule::Cosine,
        Schedule::OneCycle,
    ];

    /// As the command line and the config file write it.
    pub fn name(self) -> &'static str {
        match self {
            Schedule::Constant => "constant",
            Schedule::Step => "step",
            Schedule::Cosine => "cosine",
            Schedule::OneCycle => "one-cycle",
        }
    }

    /// The next schedule, for the key that cycles them.
    pub fn next(self) -> Schedule {
        let i = Self::ALL.iter().position(|&s| s == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    /// The multiple of the base rate at `progress` (0 to 1) of the run.
    pub fn factor(self, progress: f64) -> f64 {
        let p = progress.clamp(0.0, 1.0);
        let cosine = |from: f64, to: f64, t: f64| {
            to + (from - to) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
        };
        match self {
            Schedule::Constant => 1.0,
            Schedule::Step if p < 0.5 => 1.0,
            Schedule::Step if p < 0.75 => 0.1,
            Schedule::Step => 0.01,
            Schedule::Cosine => cosine(1.0, COSINE_END, p),
            Schedule::OneCycle if p < ONE_CYCLE_WARMUP => {
                cosine(ONE_CYCLE_START, 1.0, p / ONE_CYCLE_WARMUP)
            }
            Schedule::OneCycle => cosine(
                1.0,
                ONE_CYCLE_END,
                (p - ONE_CYCLE_WARMUP) / (1.0 - ONE_CYCLE_WARMUP),
            ),
        }
    }
}

impl std::str::FromStr for Schedule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| {
                format!("unknown schedule '{s}' (expected constant, step, cosine or one-cycle)")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn constant_is_exactly_one_so_the_tutorials_run_is_unchanged_to_the_bit() {
        for p in [0.0, 0.3, 1.0] {
            assert_eq!(Schedule::Constant.factor(p), 1.0);
        }
    }

    #[test]
    fn each_schedule_starts_and_ends_where_it_says() {
        assert!(close(Schedule::Step.factor(0.49), 1.0));
        assert!(close(Schedule::Step.factor(0.5), 0.1));
        assert!(close(Schedule::Step.factor(0.99), 0.01));
        assert!(close(Schedule::Cosine.factor(0.0), 1.0));
        assert!(close(Schedule::Cosine.factor(1.0), COSINE_END));
        assert!(close(Schedule::OneCycle.factor(0.0), ONE_CYCLE_START));
        assert!(close(Schedule::OneCycle.factor(ONE_CYCLE_WARMUP), 1.0));
        assert!(close(Schedule::OneCycle.factor(1.0), ONE_CYCLE_END));
    }

    #[test]
    fn one_cycle_rises_then_falls_and_cosine_only_falls() {
        let f = |s: Schedule| {
            (0..=100)
                .map(|i| s.factor(i as f64 / 100.0))
                .collect::<Vec<_>>()
        };
        let one = f(Schedule::OneCycle);
        assert!(one[..=30].windows(2).all(|w| w[1] > w[0]));
        assert!(one[30..].windows(2).all(|w| w[1] < w[0]));
        assert!(f(Schedule::Cosine).windows(2).all(|w| w[1] < w[0]));
    }

    #[test]
    fn schedules_parse_from_their_names_and_cycle_through_all() {
        let mut s = Schedule::Constant;
        for _ in 0..4 {
            assert_eq!(s.name().parse::<Schedule>(), Ok(s));
            s = s.next();
        }
        assert_eq!(s, Schedule::Constant);
        assert!("linear".parse::<Schedule>().is_err());
    }
}
