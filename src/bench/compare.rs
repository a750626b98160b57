//! `bench --compare threads|kernels --rounds N`: how an epoch's speed changes with the
//! thread count, or with the kernels' instruction set, measured as N rounds of short
//! epochs run back to back in this process, one per setting.
//!
//! Why rounds, in one process: on a shared machine the speed of a run drifts with what
//! else runs, by more than the differences measured, and unevenly (another tenant's
//! work takes a core from a two-thread run and nothing from a one-thread run). A round's
//! epochs run seconds apart, and the rounds take turns at the order, so a drift falls on
//! every setting of a round alike; the median over the rounds of each setting's time
//! against the reference's then leaves out the rounds a burst of load fell on.

use std::sync::Arc;

use crate::data::Dataset;
use crate::model::ModelKind;
use crate::train::Settings;
use conv3x3::LaneSet;

use super::epoch::{time_epoch, EpochTiming};

/// Test images each epoch evaluates at its end. The evaluation is not timed; fewer test
/// images make the rounds come faster.
pub const ROUND_TEST_IMAGES: usize = 1_000;

/// What a comparison varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compared {
    /// `--threads` against one thread.
    Threads,
    /// Every instruction set the CPU has, the widest first, at `--threads`.
    Kernels,
}

/// One setting of a comparison: its label and the settings it trains with.
#[derive(Debug, Clone)]
pub struct Variant {
    pub label: String,
    pub settings: Settings,
}

/// The settings compared: the reference (the fastest expected) first.
pub fn variants(compared: Compared, settings: &Settings) -> Vec<Variant> {
    match compared {
        Compared::Threads => [settings.threads, 1]
            .into_iter()
            .map(|threads| Variant {
                label: format!("{threads} thread{}", if threads == 1 { "" } else { "s" }),
                settings: Settings {
                    threads,
                    ..settings.clone()
                },
            })
            .collect(),
        Compared::Kernels => LaneSet::available()
            .map(|kernels| Variant {
                label: kernels.label().to_string(),
                settings: Settings {
                    kernels,
                    ..settings.clone()
                },
            })
            .collect(),
    }
}

/// One round: an epoch of every variant, in the variants' order.
#[derive(Debug, Clone)]
pub struct Round {
    /// The variant that ran first; the others followed in turn.
    pub first: usize,
    /// One timing per variant, in the variants' order (not the order run).
    pub epochs: Vec<EpochTiming>,
}

impl Round {
    /// Variant `i`'s time per image over the reference's (variant 0): how many times
    /// longer it took.
    pub fn time_ratio(&self, i: usize) -> f64 {
        self.epochs[0].samples_per_second / self.epochs[i].samples_per_second.max(1e-9)
    }
}

/// The rounds of a comparison.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub model: ModelKind,
    pub train_images: usize,
    pub labels: Vec<String>,
    pub rounds: Vec<Round>,
}

/// The median of `values` (the mean of the middle two for an even count); NaN for none.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

impl Comparison {
    /// Variant `i`'s time ratio in every round.
    pub fn time_ratios(&self, i: usize) -> Vec<f64> {
        self.rounds.iter().map(|r| r.time_ratio(i)).collect()
    }

    /// The median over the rounds of variant `i`'s time ratio: the figure to quote.
    pub fn median_time_ratio(&self, i: usize) -> f64 {
        median(&self.time_ratios(i))
    }

    /// The human-readable table: a row per round (images/s and CPU use of each variant,
    /// then each one's time against the reference), then the medians.
    pub fn table(&self) -> String {
        let reference = &self.labels[0];
        let mut s = format!(
            "mnist-tui bench --compare: {} model, {} images per epoch, {} rounds; \
             time ratios are against {reference}\n\n{:>5}  {:>9}",
            self.model,
            self.train_images,
            self.rounds.len(),
            "round",
            "first",
        );
        for label in &self.labels {
            s += &format!("  {:>20}  {:>5}", format!("{label} images/s"), "CPU");
        }
        for label in &self.labels[1..] {
            s += &format!("  {:>10}", format!("{label} ×"));
        }
        s += "\n";
        for (n, round) in self.rounds.iter().enumerate() {
            s += &format!("{:>5}  {:>9}", n + 1, self.labels[round.first]);
            for e in &round.epochs {
                s += &format!(
                    "  {:>20.0}  {:>4.0}%",
                    e.samples_per_second,
                    e.cpu_use * 100.0
                );
            }
            for i in 1..self.labels.len() {
                s += &format!("  {:>10.3}", round.time_ratio(i));
            }
            s += "\n";
        }
        s += "\n";
        for (i, label) in self.labels.iter().enumerate().skip(1) {
            s += &format!(
                "median: {label} takes {:.3}× the time of {reference} per epoch\n",
                self.median_time_ratio(i)
            );
        }
        s
    }

    /// One JSON line for scripts.
    pub fn json(&self) -> String {
        let rounds: Vec<String> = self
            .rounds
            .iter()
            .map(|r| {
                let epochs: Vec<String> = r
                    .epochs
                    .iter()
                    .map(|e| {
                        format!(
                            "{{\"samples_per_s\":{:.1},\"cpu_use\":{:.3},\"epoch_cost\":{:.9}}}",
                            e.samples_per_second, e.cpu_use, e.epoch_cost
                        )
                    })
                    .collect();
                format!(
                    "{{\"first\":\"{}\",\"epochs\":[{}]}}",
                    self.labels[r.first],
                    epochs.join(",")
                )
            })
            .collect();
        let medians: Vec<String> = (0..self.labels.len())
            .map(|i| format!("{:.4}", self.median_time_ratio(i)))
            .collect();
        let labels: Vec<String> = self.labels.iter().map(|l| format!("\"{l}\"")).collect();
        format!(
            "{{\"model\":\"{}\",\"train_images\":{},\"variants\":[{}],\"median_time_ratios\":[{}],\"rounds\":[{}]}}",
            self.model,
            self.train_images,
            labels.join(","),
            medians.join(","),
            rounds.join(",")
        )
    }
}

/// Runs `rounds` rounds of one-epoch trainings over `data.train`, one per variant; round
/// `r` starts with variant `r mod variants` and runs the others in turn. Every epoch
/// starts from the same seed, so every run does the same work.
pub fn compare(variants: &[Variant], data: &Dataset, rounds: usize) -> Comparison {
    assert!(!variants.is_empty(), "nothing to compare");
    let mut fewer_tests = data.clone();
    fewer_tests.truncate(None, Some(ROUND_TEST_IMAGES));
    let data = Arc::new(fewer_tests);
    let n = variants.len();
    let rounds = (0..rounds)
        .map(|r| {
            let first = r % n;
            let mut epochs = vec![None; n];
            for i in (first..n).chain(0..first) {
                epochs[i] = Some(time_epoch(&variants[i].settings, data.clone()));
            }
            Round {
                first,
                epochs: epochs.into_iter().flatten().collect(),
            }
        })
        .collect();
    Comparison {
        model: variants[0].settings.model,
        train_images: data.train.len(),
        labels: variants.iter().map(|v| v.label.clone()).collect(),
        rounds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_value_and_of_an_even_count_the_mean_of_two() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[1.7]), 1.7);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn threads_are_compared_with_one_thread_and_kernels_set_by_set_widest_first() {
        let settings = Settings {
            threads: 4,
            ..Settings::default()
        };
        let threads: Vec<_> = variants(Compared::Threads, &settings)
            .into_iter()
            .map(|v| (v.label, v.settings.threads))
            .collect();
        assert_eq!(threads, [("4 threads".into(), 4), ("1 thread".into(), 1)]);
        let kernels: Vec<_> = variants(Compared::Kernels, &settings)
            .into_iter()
            .map(|v| (v.settings.kernels, v.settings.threads))
            .collect();
        let expected: Vec<_> = LaneSet::available().map(|k| (k, 4)).collect();
        assert_eq!(kernels, expected);
        assert_eq!(kernels.last(), Some(&(LaneSet::Portable, 4)));
    }

    #[test]
    fn a_time_ratio_is_how_many_times_longer_a_variant_took_than_the_reference() {
        let epoch = |samples_per_second| EpochTiming {
            samples_per_second,
            epoch_cost: 0.0,
            cpu_use: 1.0,
            to_first_batch: 0.0,
        };
        let round = |a, b| Round {
            first: 0,
            epochs: vec![epoch(a), epoch(b)],
        };
        let comparison = Comparison {
            model: ModelKind::Seed,
            train_images: 100,
            labels: vec!["2 threads".into(), "1 thread".into()],
            rounds: vec![
                round(9000.0, 5000.0),
                round(8000.0, 5000.0),
                round(4000.0, 4000.0),
            ],
        };
        assert_eq!(comparison.time_ratios(1), [1.8, 1.6, 1.0]);
        assert_eq!(comparison.median_time_ratio(1), 1.6);
        assert_eq!(comparison.median_time_ratio(0), 1.0);
        let table = comparison.table();
        assert!(
            table.contains("median: 1 thread takes 1.600× the time of 2 threads"),
            "{table}"
        );
    }
}
