//! The filters panel's state: conv1's weights as the worker last sent them, and the
//! colour scale they are drawn on.

/// What the filters panel (and the Filters view) draws besides the sample's maps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FiltersView {
    /// conv1's 32 3×3 filters, as the worker last sent them.
    pub weights: Option<Vec<f32>>,
    /// Each filter drawn on its own colour scale instead of one shared by all.
    pub per_filter_scale: bool,
}
