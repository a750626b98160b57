//! Successive halving (as Optuna's pruner and Hyperband's inner loop): every trial trains
//! to the first rung; the better half goes on to the next, with twice the epochs; and so
//! on until one is left or the epochs are spent.

/// The rungs' budgets in epochs: 1, 2, 4… doubling, the last one `epochs` itself.
pub fn rungs(epochs: usize) -> Vec<usize> {
    let mut budgets = Vec::new();
    let mut b = 1;
    while b < epochs {
        budgets.push(b);
        b *= 2;
    }
    budgets.push(epochs.max(1));
    budgets
}

/// The trials that go on from a rung: the better half (rounded up, at least one) by
/// score, ties to the earlier trial. `scores` holds `(trial, score)`.
pub fn survivors(scores: &[(usize, f64)]) -> Vec<usize> {
    let mut ranked = scores.to_vec();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let keep = scores.len().div_ceil(2).max(1);
    let mut kept: Vec<usize> = ranked.into_iter().take(keep).map(|(t, _)| t).collect();
    kept.sort_unstable();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rungs_double_until_the_last_epoch() {
        assert_eq!(rungs(3), [1, 2, 3]);
        assert_eq!(rungs(15), [1, 2, 4, 8, 15]);
        assert_eq!(rungs(1), [1]);
    }

    #[test]
    fn the_better_half_survives_rounded_up() {
        let scores = [(0, 0.5), (1, 0.9), (2, 0.7), (3, 0.1), (4, 0.8)];
        assert_eq!(survivors(&scores), [1, 2, 4]);
        assert_eq!(survivors(&[(7, 0.2)]), [7]);
    }
}
