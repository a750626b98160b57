//! The Walk view's state: which digit walks through the network (the sample, or the draw
//! pad's drawing), the layer and the map selected, and whether that map is shown large.

use crate::train::events::Walk;

/// What the Walk view shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkView {
    /// Index into the walk's layers, then the logits and the softmax after them.
    pub layer: usize,
    /// The map (channel, or unit) selected in the layer.
    pub map: usize,
    /// `Enter`: the selected map large, with the filter that made it.
    pub large: bool,
    /// `v`: the draw pad's drawing walks instead of the sample.
    pub drawing: bool,
}

/// The two rows after the layers: the logits and their softmax.
pub const HEAD_ROWS: usize = 2;

impl WalkView {
    /// `↑` / `↓`: the previous or next layer; the map stays within the new layer.
    pub fn step_layer(&mut self, walk: Option<&Walk>, delta: isize) {
        let rows = walk.map_or(0, |w| w.layers.len() + HEAD_ROWS);
        if rows == 0 {
            return;
        }
        self.layer = (self.layer as isize + delta).clamp(0, rows as isize - 1) as usize;
        self.map = self.map.min(self.maps_in(walk).saturating_sub(1));
    }

    /// `←` / `→`: the previous or next map of the layer.
    pub fn step_map(&mut self, walk: Option<&Walk>, delta: isize) {
        let n = self.maps_in(walk);
        if n > 0 {
            self.map = (self.map as isize + delta).clamp(0, n as isize - 1) as usize;
        }
    }

    /// Maps of the selected layer (ten classes for the logits and the softmax).
    pub fn maps_in(&self, walk: Option<&Walk>) -> usize {
        match walk {
            Some(w) => w.layers.get(self.layer).map_or(10, |l| l.channels),
            None => 0,
        }
    }
}
