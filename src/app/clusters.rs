//! The Clusters view's state: the latest projection of the test subset and the point
//! the cursor is on. The arrow keys move the cursor to the nearest point in their
//! direction, on the screen's scale (each axis measured in its own range, as drawn).

use crate::train::events::FeatureProjection;

/// What the Clusters view draws.
#[derive(Debug, Clone, Default)]
pub struct ClustersView {
    /// The latest projection of the test subset.
    pub projection: Option<Box<FeatureProjection>>,
    /// The point the cursor is on.
    pub point: usize,
}

impl ClustersView {
    /// A new projection arrived: the cursor stays where it was, within its points.
    pub fn on_projection(&mut self, projection: Box<FeatureProjection>) {
        self.point = self.point.min(projection.points.len().saturating_sub(1));
        self.projection = Some(projection);
    }

    /// Moves the cursor to the nearest point in the direction `(dx, dy)`.
    pub fn pick(&mut self, direction: (isize, isize)) {
        if let Some(p) = &self.projection {
            self.point = step_cursor(p, self.point, direction);
        }
    }
}

/// The nearest point to `from` in the direction `(dx, dy)` (y up, as the scatter draws
/// it); `from` when no point lies that way.
pub fn step_cursor(projection: &FeatureProjection, from: usize, (dx, dy): (isize, isize)) -> usize {
    let points = &projection.points;
    let Some(&origin) = points.get(from) else {
        return 0;
    };
    let span = |axis: usize| {
        let (lo, hi) = points.iter().fold((f32::MAX, f32::MIN), |(lo, hi), p| {
            (lo.min(p[axis]), hi.max(p[axis]))
        });
        (hi - lo).max(f32::MIN_POSITIVE)
    };
    let (sx, sy) = (span(0), span(1));
    let (dx, dy) = (dx as f32, dy as f32);
    points
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != from)
        .filter_map(|(i, p)| {
            let (x, y) = ((p[0] - origin[0]) / sx, (p[1] - origin[1]) / sy);
            let along = x * dx + y * dy;
            let across = (x * dy - y * dx).abs();
            // Points off to the side count as farther: the cursor goes where the arrow
            // points, not to a close neighbour beside it.
            (along > 0.0).then_some((i, along * along + 4.0 * across * across))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(from, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn projection(points: Vec<[f32; 2]>) -> FeatureProjection {
        let n = points.len();
        FeatureProjection {
            at_epoch: 1.0,
            points,
            explained: [0.5, 0.2],
            labels: vec![0; n],
            predicted: vec![0; n],
            pixels: vec![0; n * 784].into(),
            features: "conv2, 3136 wide".into(),
        }
    }

    #[test]
    fn an_arrow_moves_to_the_nearest_point_that_way_and_stays_at_the_edge() {
        // 0 in the middle, 1 right, 2 far right, 3 above, 4 up and slightly right.
        let p = projection(vec![
            [0.0, 0.0],
            [1.0, 0.0],
            [3.0, 0.1],
            [0.0, 1.0],
            [0.2, 2.0],
        ]);
        assert_eq!(step_cursor(&p, 0, (1, 0)), 1);
        assert_eq!(step_cursor(&p, 1, (1, 0)), 2);
        assert_eq!(step_cursor(&p, 2, (1, 0)), 2, "nothing further right");
        assert_eq!(step_cursor(&p, 0, (0, 1)), 3);
        assert_eq!(step_cursor(&p, 3, (0, 1)), 4);
        assert_eq!(step_cursor(&p, 1, (-1, 0)), 0);
    }
}
