//! One-row sparklines of eighth blocks, for a value's course over the run in a few cells.

/// The eight heights of a cell.
const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` of `values` as a sparkline, each scaled between their smallest and
/// largest (after `scale`, e.g. a logarithm); non-finite values are blank.
pub fn sparkline(values: &[f64], width: usize, scale: impl Fn(f64) -> f64) -> String {
    let tail = &values[values.len().saturating_sub(width)..];
    let scaled: Vec<f64> = tail.iter().map(|&v| scale(v)).collect();
    let (lo, hi) = scaled
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    scaled
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                ' '
            } else if hi - lo < 1e-12 {
                BLOCKS[0]
            } else {
                BLOCKS[(((v - lo) / (hi - lo)) * 7.0).round() as usize]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparkline_rises_with_its_values_and_keeps_the_newest() {
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, 7.0], 4, |v| v), "▁▂▃█");
        assert_eq!(sparkline(&[9.0, 0.0, 7.0], 2, |v| v), "▁█");
        assert_eq!(sparkline(&[1.0, 1.0], 5, |v| v), "▁▁");
        assert_eq!(sparkline(&[1e-4, 1e-3, 1e-2], 3, f64::log10), "▁▅█");
        assert_eq!(sparkline(&[1.0, f64::NAN, 2.0], 3, |v| v), "▁ █");
    }
}
