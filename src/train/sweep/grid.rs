//! A sweep's grid: the values of each option (a list, or for the rate a log-spaced
//! range), and the trials they make: one per combination, or a random search's draws.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::model::ModelKind;
use crate::train::schedule::Schedule;

/// Most trials a sweep runs: more is a typo more often than a plan.
pub const MAX_TRIALS: usize = 256;

/// The values each option takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub learning_rates: Vec<f64>,
    pub models: Vec<ModelKind>,
    pub schedules: Vec<Schedule>,
    pub batch_sizes: Vec<usize>,
    pub seeds: Vec<u64>,
}

/// One combination of the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    pub learning_rate: f64,
    pub model: ModelKind,
    pub schedule: Schedule,
    pub batch_size: usize,
    pub seed: u64,
    /// What sets it apart from the other trials (`lr 1e-3 · seed 778`).
    pub label: String,
    /// The same, for its folder's name (`s778`), when more than the rate and model vary.
    pub tag: Option<String>,
}

/// Where a random search draws its rates from.
#[derive(Debug, Clone, PartialEq)]
pub enum RateSpace {
    /// One of these, each as likely.
    Values(Vec<f64>),
    /// Log-uniform between the two: each decade as likely.
    LogRange(f64, f64),
}

/// A random search's rates: `FROM..TO` (log-uniform), or what [`parse_rates`] reads.
pub fn parse_rate_space(text: &str) -> Result<RateSpace, String> {
    match text.split_once("..") {
        Some((from, to)) if !to.contains(':') => {
            let (from, to) = (number(from)?, number(to)?);
            if !(from > 0.0 && to > from && to.is_finite()) {
                return Err(format!(
                    "'{text}': the range must go up from a rate above 0"
                ));
            }
            Ok(RateSpace::LogRange(from, to))
        }
        _ => parse_rates(text).map(RateSpace::Values),
    }
}

/// A rate list: `1e-4,1e-3,1e-2`, or `FROM..TO:N`, N rates spaced evenly on a log scale
/// from FROM to TO.
pub fn parse_rates(text: &str) -> Result<Vec<f64>, String> {
    let rates = match text.split_once("..") {
        Some((from, rest)) => {
            let (to, n) = rest
                .split_once(':')
                .ok_or_else(|| {
                    format!(
                        "'{text}': a range is FROM..TO:N (e.g. 1e-4..1e-2:6), or FROM..TO with --random"
                    )
                })?;
            let (from, to) = (number(from)?, number(to)?);
            let n: usize = n
                .trim()
                .parse()
                .map_err(|_| format!("'{n}' is not a count of rates"))?;
            if n < 2 {
                return Err(format!("'{text}': a range needs at least 2 rates"));
            }
            if from <= 0.0 || to <= from {
                return Err(format!(
                    "'{text}': the range must go up from a rate above 0"
                ));
            }
            let step = (to / from).ln() / (n - 1) as f64;
            (0..n)
                .map(|i| round_rate(from * (step * i as f64).exp()))
                .collect()
        }
        None => text.split(',').map(number).collect::<Result<Vec<_>, _>>()?,
    };
    if let Some(bad) = rates.iter().find(|r| !(r.is_finite() && **r > 0.0)) {
        return Err(format!("{bad} is not a positive learning rate"));
    }
    Ok(rates)
}

/// Draws a random search makes per trial it wants before it says the space is too small.
const DRAWS_PER_TRIAL: usize = 50;

fn pick<T: Copy>(rng: &mut StdRng, values: &[T]) -> T {
    values[rng.gen_range(0..values.len())]
}

/// The distinct values, in their first order.
fn dedup<T: PartialEq>(values: impl Iterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Three significant digits: `1e-4..1e-2:5` gives 3.16e-4, not 3.1622776601683794e-4.
fn round_rate(r: f64) -> f64 {
    format!("{r:.2e}").parse().unwrap_or(r)
}

fn number(text: &str) -> Result<f64, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("'{}' is not a number", text.trim()))
}

/// A comma-separated list of values of one option.
pub fn parse_list<T: std::str::FromStr>(text: &str, what: &str) -> Result<Vec<T>, String> {
    text.split(',')
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| format!("'{}' is not a {what}", v.trim()))
        })
        .collect()
}

impl Grid {
    /// Every combination, the rate varying fastest; a label and a folder tag naming what
    /// varies besides the rate and the model (which the folder's name has already).
    pub fn trials(&self) -> Result<Vec<Trial>, String> {
        let count = self.learning_rates.len()
            * self.models.len()
            * self.schedules.len()
            * self.batch_sizes.len()
            * self.seeds.len();
        if count == 0 {
            return Err("the sweep has no trials".into());
        }
        if count > MAX_TRIALS {
            return Err(format!("{count} trials is more than {MAX_TRIALS}"));
        }
        let mut trials = Vec::with_capacity(count);
        for &seed in &self.seeds {
            for &batch_size in &self.batch_sizes {
                for &schedule in &self.schedules {
                    for &model in &self.models {
                        for &learning_rate in &self.learning_rates {
                            trials.push(self.trial(
                                learning_rate,
                                model,
                                schedule,
                                batch_size,
                                seed,
                            ));
                        }
                    }
                }
            }
        }
        Ok(trials)
    }

    /// A random search: `n` different configurations drawn (rates from `rates`, each
    /// other option from its list), each run with every seed; the same draws for the
    /// same `draw_seed`.
    pub fn random(
        &self,
        rates: &RateSpace,
        n: usize,
        draw_seed: u64,
    ) -> Result<Vec<Trial>, String> {
        if n == 0 || self.models.is_empty() || self.schedules.is_empty() {
            return Err("the sweep has no trials".into());
        }
        if n * self.seeds.len().max(1) > MAX_TRIALS {
            return Err(format!(
                "{} trials is more than {MAX_TRIALS}",
                n * self.seeds.len()
            ));
        }
        let mut rng = StdRng::seed_from_u64(draw_seed);
        let mut drawn: Vec<(f64, ModelKind, Schedule, usize)> = Vec::with_capacity(n);
        // Lists alone hold few configurations: give up drawing after this many tries.
        let mut tries = n * DRAWS_PER_TRIAL;
        while drawn.len() < n && tries > 0 {
            tries -= 1;
            let rate = match rates {
                RateSpace::Values(v) => pick(&mut rng, v),
                RateSpace::LogRange(from, to) => {
                    let t: f64 = rng.gen();
                    round_rate(from * ((to / from).ln() * t).exp())
                }
            };
            let config = (
                rate,
                pick(&mut rng, &self.models),
                pick(&mut rng, &self.schedules),
                pick(&mut rng, &self.batch_sizes),
            );
            if !drawn.contains(&config) {
                drawn.push(config);
            }
        }
        if drawn.len() < n {
            return Err(format!(
                "only {} different configurations can be drawn, not {n}",
                drawn.len()
            ));
        }
        // Labels name what varies among the draws.
        let varies = Grid {
            learning_rates: drawn.iter().map(|c| c.0).collect(),
            models: dedup(drawn.iter().map(|c| c.1)),
            schedules: dedup(drawn.iter().map(|c| c.2)),
            batch_sizes: dedup(drawn.iter().map(|c| c.3)),
            seeds: self.seeds.clone(),
        };
        Ok(self
            .seeds
            .iter()
            .flat_map(|&seed| {
                let varies = &varies;
                drawn.iter().map(move |&(rate, model, schedule, batch)| {
                    varies.trial(rate, model, schedule, batch, seed)
                })
            })
            .collect())
    }

    fn trial(
        &self,
        learning_rate: f64,
        model: ModelKind,
        schedule: Schedule,
        batch_size: usize,
        seed: u64,
    ) -> Trial {
        let mut label = vec![format!("lr {learning_rate:e}")];
        let mut tag = Vec::new();
        if self.models.len() > 1 {
            label.push(model.to_string());
        }
        if self.schedules.len() > 1 {
            label.push(schedule.name().to_string());
            tag.push(schedule.name().to_string());
        }
        if self.batch_sizes.len() > 1 {
            label.push(format!("batch {batch_size}"));
            tag.push(format!("b{batch_size}"));
        }
        if self.seeds.len() > 1 {
            label.push(format!("seed {seed}"));
            tag.push(format!("s{seed}"));
        }
        Trial {
            learning_rate,
            model,
            schedule,
            batch_size,
            seed,
            label: label.join(" · "),
            tag: (!tag.is_empty()).then(|| tag.join("-")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_range_spaces_its_rates_evenly_by_ratio() {
        assert_eq!(parse_rates("1e-4..1e-2:3").unwrap(), [1e-4, 1e-3, 1e-2]);
        assert_eq!(parse_rates("1e-4..1e-2:5").unwrap()[1], 3.16e-4);
        assert_eq!(parse_rates("0.001, 0.01").unwrap(), [0.001, 0.01]);
    }

    #[test]
    fn bad_rates_are_named_in_the_error() {
        for (text, expected) in [
            ("1e-4..1e-2", "a range is FROM..TO:N"),
            ("1e-2..1e-4:3", "must go up"),
            ("1e-4..1e-2:1", "at least 2"),
            ("0.1,abc", "'abc' is not a number"),
            ("0.1,-2", "-2 is not a positive learning rate"),
        ] {
            let err = parse_rates(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn a_random_search_draws_different_rates_inside_its_range_the_same_each_time() {
        let grid = Grid {
            learning_rates: vec![],
            models: vec![ModelKind::Seed],
            schedules: vec![Schedule::Constant],
            batch_sizes: vec![100],
            seeds: vec![777, 778],
        };
        let space = parse_rate_space("1e-4..1e-2").unwrap();
        let trials = grid.random(&space, 8, 777).unwrap();
        assert_eq!(trials.len(), 16, "8 draws, each with 2 seeds");
        assert!(trials
            .iter()
            .all(|t| (1e-4..=1e-2).contains(&t.learning_rate)));
        let mut rates: Vec<f64> = trials[..8].iter().map(|t| t.learning_rate).collect();
        rates.sort_by(f64::total_cmp);
        rates.dedup();
        assert_eq!(rates.len(), 8);
        // Log-uniform: some draws in each half of the range's decades.
        assert!(rates.iter().any(|&r| r < 1e-3) && rates.iter().any(|&r| r > 1e-3));
        assert_eq!(grid.random(&space, 8, 777).unwrap(), trials);
        assert_ne!(grid.random(&space, 8, 778).unwrap(), trials);
    }

    #[test]
    fn a_random_search_larger_than_its_lists_is_an_error() {
        let grid = Grid {
            learning_rates: vec![],
            models: vec![ModelKind::Seed, ModelKind::Deep],
            schedules: vec![Schedule::Constant],
            batch_sizes: vec![100],
            seeds: vec![777],
        };
        let space = parse_rate_space("1e-3,1e-2").unwrap();
        assert_eq!(grid.random(&space, 4, 1).unwrap().len(), 4);
        let err = grid.random(&space, 5, 1).unwrap_err();
        assert!(err.contains("only 4 different configurations"), "{err}");
    }

    #[test]
    fn repeats_are_told_apart_by_their_seed_in_label_and_folder() {
        let grid = Grid {
            learning_rates: vec![1e-3],
            models: vec![ModelKind::Seed],
            schedules: vec![Schedule::Constant],
            batch_sizes: vec![100],
            seeds: vec![777, 778],
        };
        let trials = grid.trials().unwrap();
        assert_eq!(trials.len(), 2);
        assert_eq!(trials[1].label, "lr 1e-3 · seed 778");
        assert_eq!(trials[1].tag.as_deref(), Some("s778"));
    }
}
