//! One digit's walk through the network, for the dashboard's Walk view: every layer's
//! output in order — the input, each conv layer's maps after its ReLU, each pooling, the
//! deep network's dense units — and the logits with their softmax. The maps come from the
//! training path's ops on the one image; the logits from the inspection pass, which gives
//! the inference pass's bits, so the verdict shown is the verdict the model gives.

use super::probability::softmax;

/// One layer's output: `channels` maps of `side × side` values, channel after channel (a
/// dense layer: `channels` units of side 1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WalkLayer {
    /// `conv1 + ReLU`, `pool1`, `dense1 + ReLU`.
    pub name: String,
    pub channels: usize,
    pub side: usize,
    pub values: Vec<f32>,
}

impl WalkLayer {
    pub fn new(name: &str, channels: usize, side: usize, values: Vec<f32>) -> Self {
        debug_assert_eq!(values.len(), channels * side * side);
        Self {
            name: name.into(),
            channels,
            side,
            values,
        }
    }

    /// Channel `c`'s map.
    pub fn map(&self, c: usize) -> &[f32] {
        let plane = self.side * self.side;
        self.values.get(c * plane..(c + 1) * plane).unwrap_or(&[])
    }

    /// The channel whose map holds the largest value.
    pub fn most_active(&self) -> usize {
        (0..self.channels)
            .max_by(|&a, &b| {
                let peak = |c: usize| self.map(c).iter().fold(f32::MIN, |m, &v| m.max(v));
                peak(a).total_cmp(&peak(b))
            })
            .unwrap_or(0)
    }
}

/// A digit's walk through the network.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Walk {
    pub layers: Vec<WalkLayer>,
    pub logits: [f32; 10],
    pub probabilities: [f32; 10],
}

impl Walk {
    pub fn new(layers: Vec<WalkLayer>, logits: &[f32]) -> Self {
        let mut l = [0.0f32; 10];
        l.copy_from_slice(&logits[..10]);
        Self {
            layers,
            logits: l,
            probabilities: softmax(&l),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}
