//! One-row sparklines of eighth blocks, for a value's course over the run in a few cells.

/// The eight heights of a cell.
const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// How a sparkline's heights are scaled.
#[derive(Debug, Clone, Copy)]
pub enum Scale {
    /// Between the smallest and the largest value shown.
    Own,
    /// Between their logarithms (values that span decades).
    Log,
    /// A fixed range (fractions: 0 to 1).
    Fixed(f64, f64),
}

/// The last `width` of `values` as a sparkline, its heights as `scale` says; non-finite
/// values are blank.
pub fn sparkline(values: &[f64], width: usize, scale: Scale) -> String {
    let tail = &values[values.len().saturating_sub(width)..];
    let scaled: Vec<f64> = tail
        .iter()
        .map(|&v| match scale {
            Scale::Log => v.max(1e-12).log10(),
            _ => v,
        })
        .collect();
    let (lo, hi) = match scale {
        Scale::Fixed(lo, hi) => (lo, hi),
        _ => scaled
            .iter()
            .filter(|v| v.is_finite())
            .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v))),
    };
    scaled
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                ' '
            } else if hi - lo < 1e-12 {
                BLOCKS[0]
            } else {
                BLOCKS[(((v - lo) / (hi - lo)).clamp(0.0, 1.0) * 7.0).round() as usize]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparkline_rises_with_its_values_and_keeps_the_newest() {
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, 7.0], 4, Scale::Own), "▁▂▃█");
        assert_eq!(sparkline(&[9.0, 0.0, 7.0], 2, Scale::Own), "▁█");
        assert_eq!(sparkline(&[1.0, 1.0], 5, Scale::Own), "▁▁");
        assert_eq!(sparkline(&[1e-4, 1e-3, 1e-2], 3, Scale::Log), "▁▅█");
        assert_eq!(sparkline(&[1.0, f64::NAN, 2.0], 3, Scale::Own), "▁ █");
        // A layer dead all along is a full bar, not the floor of its own range.
        assert_eq!(
            sparkline(&[1.0, 1.0, 0.5], 3, Scale::Fixed(0.0, 1.0)),
            "██▅"
        );
    }
}
