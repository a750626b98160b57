//! Where a chart's legend hides the fewest points: the corner of the plot with the least
//! data in it (a falling cost leaves the top right empty, a rising accuracy the bottom
//! right).

use ratatui::widgets::LegendPosition;

/// Share of the plot's width and height a legend covers, roughly, in a corner.
const CORNER: f64 = 0.4;

/// The corner of `[x0, x1] × [y0, y1]` with the fewest of `points`; the top right on ties.
pub fn emptiest_corner<'a>(
    points: impl Iterator<Item = &'a (f64, f64)>,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> LegendPosition {
    let corners = [
        (LegendPosition::TopRight, true, true),
        (LegendPosition::BottomRight, true, false),
        (LegendPosition::TopLeft, false, true),
        (LegendPosition::BottomLeft, false, false),
    ];
    let mut counts = [0usize; 4];
    let (w, h) = ((x1 - x0).max(1e-12), (y1 - y0).max(1e-12));
    for &(x, y) in points {
        let (fx, fy) = ((x - x0) / w, (y - y0) / h);
        for (i, &(_, right, top)) in corners.iter().enumerate() {
            let in_x = if right {
                fx >= 1.0 - CORNER
            } else {
                fx <= CORNER
            };
            let in_y = if top {
                fy >= 1.0 - CORNER
            } else {
                fy <= CORNER
            };
            counts[i] += usize::from(in_x && in_y);
        }
    }
    let best = (0..4).min_by_key(|&i| counts[i]).unwrap_or(0);
    corners[best].0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_falling_curve_leaves_the_top_right_and_a_rising_one_the_bottom_right() {
        let falling: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, 100.0 - i as f64)).collect();
        let rising: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, i as f64)).collect();
        let b = ((0.0, 100.0), (0.0, 100.0));
        assert_eq!(
            emptiest_corner(falling.iter(), b.0, b.1),
            LegendPosition::TopRight
        );
        assert_eq!(
            emptiest_corner(rising.iter(), b.0, b.1),
            LegendPosition::BottomRight
        );
    }
}
