//! What a network's hidden layers do on a set of images, for the dashboard's views inside
//! the network: how strongly each unit of each ReLU layer ever fires (a unit that never
//! does is dead), the penultimate features the cluster view projects, and the logits.

use super::infer::conv_stack;
use conv3x3::{InferenceConv, MapLayout};

/// One ReLU layer's units over a set of images.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerActivity {
    /// The largest output of each unit (a conv channel over every position, or a dense
    /// unit) over every image; a unit whose largest output is 0 never fired.
    pub peak: Vec<f32>,
}

impl LayerActivity {
    pub fn new(units: usize) -> Self {
        Self {
            peak: vec![0.0; units],
        }
    }

    /// Takes in `outputs`, images one after another, each `units × plane` values.
    pub fn observe(&mut self, outputs: &[f32], plane: usize) {
        let units = self.peak.len();
        for image in outputs.chunks_exact(units * plane) {
            for (peak, unit) in self.peak.iter_mut().zip(image.chunks_exact(plane)) {
                *peak = unit.iter().fold(*peak, |m, &v| m.max(v));
            }
        }
    }

    /// The fraction of units that output zero for every image seen.
    pub fn dead_fraction(&self) -> f64 {
        let dead = self.peak.iter().filter(|&&p| p <= 0.0).count();
        dead as f64 / self.peak.len().max(1) as f64
    }
}

/// A network's inside on a set of images.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    /// One entry per ReLU layer, in network order (the first layers of
    /// [`super::Network::LAYERS`]).
    pub activity: Vec<LayerActivity>,
    /// The penultimate features, image after image, `feature_width` each.
    pub features: Vec<f32>,
    pub feature_width: usize,
    /// Ten class scores per image.
    pub logits: Vec<f32>,
}

/// Runs `images` (pixels, image after image) through the conv `layers` in parts of
/// [`INSPECT_CHUNK`] images, noting each layer's activity; returns it with the last
/// layer's outputs. Each layer runs on its own ([`conv_stack`] of one layer), with the
/// kernels and grouping of the inference pass, so the last outputs are its bits.
pub fn conv_activity(images: &[f32], layers: &[InferenceConv]) -> (Vec<LayerActivity>, Vec<f32>) {
    let mut activity: Vec<LayerActivity> = layers
        .iter()
        .map(|l| LayerActivity::new(l.out_channels()))
        .collect();
    let last = &layers[layers.len() - 1];
    let n = images.len() / layers[0].in_len();
    let mut outputs = Vec::with_capacity(n * last.out_len());
    for part in images.chunks(INSPECT_CHUNK * layers[0].in_len()) {
        let mut maps = part.to_vec();
        for (layer, seen) in layers.iter().zip(&mut activity) {
            maps = conv_stack(&maps, std::slice::from_ref(layer), MapLayout::Planar);
            seen.observe(&maps, layer.out_len() / layer.out_channels());
        }
        outputs.extend_from_slice(&maps);
    }
    (activity, outputs)
}

/// Images per part of an inspection: the conv maps of a thousand images would be tens of
/// megabytes at once, a quarter of them a few.
pub const INSPECT_CHUNK: usize = 250;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_is_dead_when_it_never_fires_on_any_image_or_position() {
        // Two images, three channels of two positions each.
        let outputs = [
            0.0, 0.0, /**/ 0.5, 0.0, /**/ 0.0, 0.0, // image 1
            0.0, 0.0, /**/ 0.0, 0.0, /**/ 0.0, 0.2, // image 2
        ];
        let mut layer = LayerActivity::new(3);
        layer.observe(&outputs, 2);
        assert_eq!(layer.peak, vec![0.0, 0.5, 0.2]);
        assert!((layer.dead_fraction() - 1.0 / 3.0).abs() < 1e-12);
    }
}
