//! How a layer's maps are cut into tiles: F(4, 3) along each side while four outputs
//! are left, then one smaller tile for the rest, so that no tile computes outputs past
//! the map's edge. Tiles of the same size in both directions form a class, whose
//! transformed values make one set of products.
//!
//! Why: with 4×4 tiles only, a 14×14 map takes sixteen tiles covering 16×16 and a 7×7
//! one four covering 8×8; the products (most of the layer's time) are then 576 and 144
//! per channel pair, against 484 and 121 with the edge tiles sized to fit.
//!
//! Every tile but a side's last covers an even number of outputs, so a 2×2 pooling
//! window never straddles two tiles.

use crate::shape::{gcd, lcm};

/// Outputs per tile along a side, the interior's.
const INTERIOR: usize = 4;

/// Rows of the product kernel's register block: a class's tile count per group is made
/// a multiple of it, or its last rows would run one at a time, at a fraction of the rate.
pub(super) const KERNEL_ROWS: usize = 6;

/// The outputs each tile along a side of `len` covers, in order.
fn side(len: usize) -> Vec<usize> {
    let mut sizes = vec![INTERIOR; len / INTERIOR];
    if !len.is_multiple_of(INTERIOR) {
        sizes.push(len % INTERIOR);
    }
    sizes
}

/// The tiles of `my × mx` outputs, by the output each starts at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Class {
    pub(super) my: usize,
    pub(super) mx: usize,
    pub(super) origins: Vec<(usize, usize)>,
}

impl Class {
    /// Transformed values per tile (and products per channel pair).
    pub(super) fn xis(&self) -> usize {
        (self.my + 2) * (self.mx + 2)
    }
}

/// Tile geometry of one layer: `h×w` images of `ci` channels in, `co` out; the padded
/// channels-last image is `rows×cols` pixels (one of border on each side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Geometry {
    pub(super) h: usize,
    pub(super) w: usize,
    pub(super) ci: usize,
    pub(super) co: usize,
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) classes: Vec<Class>,
}

impl Geometry {
    pub(super) fn new(ci: usize, co: usize, h: usize, w: usize) -> Self {
        let (down, along) = (side(h), side(w));
        let mut classes: Vec<Class> = Vec::new();
        let mut oy = 0;
        for &my in &down {
            let mut ox = 0;
            for &mx in &along {
                match classes.iter_mut().find(|c| (c.my, c.mx) == (my, mx)) {
                    Some(class) => class.origins.push((oy, ox)),
                    None => classes.push(Class {
                        my,
                        mx,
                        origins: vec![(oy, ox)],
                    }),
                }
                ox += mx;
            }
            oy += my;
        }
        Self {
            h,
            w,
            ci,
            co,
            rows: h + 2,
            cols: w + 2,
            classes,
        }
    }

    /// Tiles per image.
    pub(super) fn tiles(&self) -> usize {
        self.classes.iter().map(|c| c.origins.len()).sum()
    }

    /// Elements of one padded channels-last image.
    pub(super) fn padded_len(&self) -> usize {
        self.rows * self.cols * self.ci
    }

    /// Pooled output rows and columns (2×2 SAME pooling).
    pub(super) fn pooled(&self) -> (usize, usize) {
        (self.h.div_ceil(2), self.w.div_ceil(2))
    }

    /// Images per group: the fewest that give every class a multiple of
    /// [`KERNEL_ROWS`] tiles, times as many as keep the group within `max_tiles`.
    pub(super) fn group(&self, max_tiles: usize) -> usize {
        let fewest = self.classes.iter().fold(1, |acc, c| {
            lcm(acc, KERNEL_ROWS / gcd(KERNEL_ROWS, c.origins.len()))
        });
        fewest * (max_tiles / (fewest * self.tiles())).max(1)
    }

    /// The largest `xis × tiles` of a class, for groups of `n` images: the transformed
    /// values per channel that one class's scratch holds.
    pub(super) fn largest_class(&self, n: usize) -> usize {
        self.classes
            .iter()
            .map(|c| c.xis() * c.origins.len() * n)
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::Geometry;

    #[test]
    fn tiles_fit_the_maps_without_overhang_and_group_in_multiples_of_six() {
        let g = Geometry::new(32, 64, 14, 14);
        let sizes: Vec<_> = g
            .classes
            .iter()
            .map(|c| (c.my, c.mx, c.origins.len()))
            .collect();
        assert_eq!(sizes, [(4, 4, 9), (4, 2, 3), (2, 4, 3), (2, 2, 1)]);
        let products: usize = g.classes.iter().map(|c| c.xis() * c.origins.len()).sum();
        assert_eq!(products, 484);
        assert_eq!(g.group(48), 6);
        let g = Geometry::new(64, 128, 7, 7);
        assert_eq!(g.classes.iter().map(|c| c.xis()).sum::<usize>(), 121);
        assert_eq!(g.group(48), 12);
        assert_eq!(Geometry::new(16, 16, 8, 8).classes.len(), 1);
        assert_eq!(Geometry::new(16, 16, 1, 1).classes[0].origins, [(0, 0)]);
    }
}
