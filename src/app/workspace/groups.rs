//! Repeats: runs with the same settings (model, data, batch, rate, schedule, epochs) that
//! differ only in their seed, taken as one configuration — one row with the mean ± the
//! standard deviation of their best accuracies, one mean curve with a min–max band —
//! so that a difference between two configurations can be told from the seeds' noise.

use crate::train::runs::{ListedRun, RunSummary};

/// Runs of one configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct RunGroup {
    /// Its runs' names, sorted (the first stands for the group in the table).
    pub members: Vec<String>,
    /// The spread of the members' best full test accuracies.
    pub best: Option<Spread>,
}

/// Mean, sample standard deviation and range of a few values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub min: f64,
    pub max: f64,
}

/// A group's curve: the mean of its members' curves and their range, point by point.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Band {
    pub mean: Vec<(f64, f64)>,
    pub low: Vec<(f64, f64)>,
    pub high: Vec<(f64, f64)>,
}

/// What makes runs repeats of each other: every setting but the seed (which the summary
/// does not hold). The rate is compared by its bits: the same flag gives the same bits.
type Key = (
    crate::model::ModelKind,
    String,
    usize,
    usize,
    usize,
    u64,
    crate::train::Schedule,
    usize,
);

fn key(s: &RunSummary) -> Key {
    (
        s.model,
        s.data_name.clone(),
        s.train_len,
        s.test_len,
        s.batch_size,
        s.learning_rate.to_bits(),
        s.schedule,
        s.epochs_planned,
    )
}

/// The groups of two runs or more among `runs`. A run that another run continues (a
/// resumed trial's stopped folder) is left out: its child holds its history already.
pub fn group_repeats(runs: &[ListedRun]) -> Vec<RunGroup> {
    let parents: Vec<&str> = runs
        .iter()
        .filter_map(|r| Some(r.summary.as_ref()?.parent.as_ref()?.name.as_str()))
        .collect();
    let mut groups: Vec<(Key, Vec<&ListedRun>)> = Vec::new();
    for run in runs {
        let Some(s) = run.summary.as_ref().filter(|_| run.state.is_run()) else {
            continue;
        };
        if parents.contains(&run.name.as_str()) {
            continue;
        }
        let k = key(s);
        match groups.iter_mut().find(|g| g.0 == k) {
            Some(g) => g.1.push(run),
            None => groups.push((k, vec![run])),
        }
    }
    groups
        .into_iter()
        .filter(|g| g.1.len() > 1)
        .map(|(_, members)| {
            let best: Vec<f64> = members
                .iter()
                .filter_map(|r| Some(r.summary.as_ref()?.best?.accuracy))
                .collect();
            let mut names: Vec<String> = members.iter().map(|r| r.name.clone()).collect();
            names.sort();
            RunGroup {
                members: names,
                best: spread(&best),
            }
        })
        .collect()
}

/// The spread of `values`; `None` for none. One value has no deviation (0).
pub fn spread(values: &[f64]) -> Option<Spread> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    // The sample standard deviation: the repeats are a sample of the seeds.
    let sd = if n > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    Some(Spread {
        n,
        mean,
        sd,
        min: values.iter().copied().fold(f64::INFINITY, f64::min),
        max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

/// The mean and range of `curves`, point by point over the points they all have (repeats
/// measure at the same batches; one still running is followed to where it is).
pub fn band(curves: &[Vec<(f64, f64)>]) -> Band {
    let n = curves.iter().map(Vec::len).min().unwrap_or(0);
    let mut out = Band::default();
    for i in 0..n {
        let xs = curves.iter().map(|c| c[i].0);
        let x = xs.sum::<f64>() / curves.len() as f64;
        let ys: Vec<f64> = curves.iter().map(|c| c[i].1).collect();
        let s = spread(&ys).expect("at least one curve");
        out.mean.push((x, s.mean));
        out.low.push((x, s.min));
        out.high.push((x, s.max));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spread_of_three_repeats_is_their_mean_and_sample_deviation() {
        let s = spread(&[0.9874, 0.9876, 0.9875]).unwrap();
        assert!((s.mean - 0.9875).abs() < 1e-12);
        assert!((s.sd - 1e-4).abs() < 1e-12);
        assert_eq!((s.min, s.max), (0.9874, 0.9876));
        assert_eq!(spread(&[0.5]).unwrap().sd, 0.0);
        assert_eq!(spread(&[]), None);
    }

    #[test]
    fn a_band_spans_the_curves_over_the_points_they_share() {
        let a = vec![(1.0, 1.0), (2.0, 3.0), (3.0, 9.0)];
        let b = vec![(1.0, 3.0), (2.0, 1.0)];
        let band = band(&[a, b]);
        assert_eq!(band.mean, [(1.0, 2.0), (2.0, 2.0)]);
        assert_eq!(band.low, [(1.0, 1.0), (2.0, 1.0)]);
        assert_eq!(band.high, [(1.0, 3.0), (2.0, 3.0)]);
    }
}
