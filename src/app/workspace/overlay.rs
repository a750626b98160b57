//! How the workspace draws the marked runs' curves over each other: against epochs or
//! training time, smoothed or not, on a linear or log axis.

/// The smoothing weights `w` cycles through: TensorBoard's exponential moving average
/// (none, light, its default 0.6, heavy).
pub const SMOOTHING: [f64; 4] = [0.0, 0.6, 0.9, 0.99];

/// What the overlay's x axis measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XAxis {
    #[default]
    Epochs,
    /// Training seconds (evaluations and pauses left out), as the epochs' own times say.
    Time,
}

/// The overlay's own state.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OverlayView {
    pub x_axis: XAxis,
    /// An index into [`SMOOTHING`].
    pub smoothing: usize,
    /// The cost on a log axis, and the accuracy as the error rate on a log axis.
    pub log_y: bool,
    /// The x axis spans the runs' planned epochs instead of following their progress.
    pub whole_run: bool,
}

impl OverlayView {
    pub fn smoothing_weight(&self) -> f64 {
        SMOOTHING[self.smoothing % SMOOTHING.len()]
    }
}

/// The exponential moving average of `curve` with weight `w`, debiased at the start (as
/// TensorBoard's smoothing is, so the curve does not start at zero).
pub fn smooth(curve: &[(f64, f64)], w: f64) -> Vec<(f64, f64)> {
    if w <= 0.0 {
        return curve.to_vec();
    }
    let mut last = 0.0;
    let mut weight = 0.0;
    curve
        .iter()
        .filter(|p| p.1.is_finite())
        .map(|&(x, y)| {
            last = last * w + (1.0 - w) * y;
            weight = weight * w + (1.0 - w);
            (x, last / weight)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothing_follows_a_constant_exactly_and_damps_a_step() {
        let flat: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 2.0)).collect();
        for (_, y) in smooth(&flat, 0.9) {
            assert!((y - 2.0).abs() < 1e-12, "debiased from the first point");
        }
        let step = [(0.0, 0.0), (1.0, 1.0)];
        let s = smooth(&step, 0.5);
        assert!(s[1].1 > 0.0 && s[1].1 < 1.0);
        assert_eq!(smooth(&step, 0.0), step.to_vec());
    }
}
