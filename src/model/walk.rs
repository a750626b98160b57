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
    /// A conv layer's: for each output channel, the input channels whose 3×3 weights
    /// weigh most in its filter (largest sum of magnitudes first), with those weights.
    pub sources: Vec<Vec<(usize, [f32; 9])>>,
}

impl WalkLayer {
    pub fn new(name: &str, channels: usize, side: usize, values: Vec<f32>) -> Self {
        debug_assert_eq!(values.len(), channels * side * side);
        Self {
            name: name.into(),
            channels,
            side,
            values,
            sources: Vec::new(),
        }
    }

    /// The same layer, with its filters' strongest slices (`weights`: `channels × inputs
    /// × 3 × 3`, as the layer holds them), `keep` per output channel.
    pub fn with_filters(mut self, weights: &[f32], inputs: usize, keep: usize) -> Self {
        self.sources = weights
            .chunks_exact(inputs * 9)
            .map(|filter| {
                let mut slices: Vec<(usize, [f32; 9])> = filter
                    .chunks_exact(9)
                    .enumerate()
                    .map(|(i, s)| (i, s.try_into().expect("3×3")))
                    .collect();
                let weight = |s: &[f32; 9]| s.iter().map(|v| v.abs()).sum::<f32>();
                slices.sort_by(|a, b| weight(&b.1).total_cmp(&weight(&a.1)));
                slices.truncate(keep);
                slices
            })
            .collect();
        self
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

/// Input channels shown for each conv map's filter in the large view.
pub const SOURCES: usize = 3;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filters_strongest_input_slices_come_first_with_their_weights() {
        // Two output channels of three inputs; output 1's input 2 is the strongest.
        let mut weights = vec![0.1f32; 2 * 3 * 9];
        weights[(3 + 2) * 9..(3 + 3) * 9].fill(-2.0);
        // Output 1, input 0: one strong weight, second.
        weights[3 * 9] = 1.5;
        let layer = WalkLayer::new("conv", 2, 1, vec![0.0, 0.0]).with_filters(&weights, 3, 2);
        let inputs: Vec<usize> = layer.sources[1].iter().map(|s| s.0).collect();
        assert_eq!(inputs, [2, 0]);
        assert_eq!(layer.sources[1][0].1, [-2.0; 9]);
        assert_eq!(layer.sources[0].len(), 2);
    }
}
