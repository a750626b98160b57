//! The Clusters view's state: the latest projection of the test subset (PCA, or the last
//! t-SNE layout asked for with `t`) and the point the cursor is on. The arrow keys move the cursor to the nearest point in their
//! direction, on the screen's scale (each axis measured in its own range, as drawn).

use crate::train::events::FeatureProjection;

/// What the Clusters view draws.
#[derive(Debug, Clone, Default)]
pub struct ClustersView {
    /// The latest projection of the test subset.
    pub projection: Option<Box<FeatureProjection>>,
    /// The last t-SNE layout of it.
    pub tsne: Option<Box<FeatureProjection>>,
    /// The view shows the t-SNE layout (or waits for it) instead of the PCA.
    pub show_tsne: bool,
    /// A t-SNE layout was asked for and has not come yet.
    pub tsne_pending: bool,
    /// The point the cursor is on.
    pub point: usize,
}

impl ClustersView {
    /// What the view draws now: the PCA or the t-SNE layout.
    pub fn shown(&self) -> Option<&FeatureProjection> {
        if self.show_tsne {
            self.tsne.as_deref()
        } else {
            self.projection.as_deref()
        }
    }

    /// `t`: PCA → t-SNE → PCA; whether a new layout must be asked for (each switch to
    /// t-SNE asks for one of the model as it is now).
    pub fn toggle_tsne(&mut self) -> bool {
        self.show_tsne = !self.show_tsne;
        if self.show_tsne {
            self.tsne_pending = true;
        }
        self.show_tsne
    }

    /// A t-SNE layout arrived.
    pub fn on_embedding(&mut self, layout: Box<FeatureProjection>) {
        self.tsne_pending = false;
        if self.show_tsne {
            self.point = self.point.min(layout.points.len().saturating_sub(1));
        }
        self.tsne = Some(layout);
    }

    /// A new projection arrived: the cursor stays where it was, within its points.
    pub fn on_projection(&mut self, projection: Box<FeatureProjection>) {
        self.point = self.point.min(projection.points.len().saturating_sub(1));
        self.projection = Some(projection);
    }

    /// Moves the cursor to the nearest point in the direction `(dx, dy)`.
    pub fn pick(&mut self, direction: (isize, isize)) {
        if let Some(p) = self.shown() {
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
