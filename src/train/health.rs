//! Layer health: for each layer with weights, the size of its weights, of its gradient and
//! of its last update relative to its weights, and for each ReLU layer the fraction of
//! units that never fire; with the band each value should stay in, and why it matters.
//!
//! The worker measures these at the quick-evaluation cadence (one measured optimiser
//! step, [`super::adam::Adam::update_measured`], and the quick evaluation's own pass,
//! [`crate::model::Network::inspect`]) and sends them as [`HealthReport`]s; the metrics
//! file keeps them as `health` lines.

use serde::{Deserialize, Serialize};

use crate::model::LayerActivity;

use super::adam::StepSizes;

/// Update ratios ‖ΔW‖/‖W‖ above this (after [`UPDATE_WARM_UP`]) mean steps too large for
/// the weights: the learning rate is too high. Measured (README): the tutorial's `seed`
/// run has every layer between 3e-3 and 6e-3 at batch 100 and between 1.3e-3 and 6.4e-3
/// from batch 150 on; `deep` has its conv layers at 1.6e-2 at batch 100, 1.1e-2 at 150.
pub const UPDATE_TOO_HIGH: f64 = 2e-2;
/// Optimiser steps before an update ratio is judged: Adam's first steps move every weight
/// by about the rate while the weights are still at their small initial values, so every
/// run starts high (the tutorial's `seed` run at 6.7e-2–7.5e-2 at batch 10, 1.8e-2–3.2e-2
/// up to batch 50) whatever becomes of it.
pub const UPDATE_WARM_UP: usize = 100;
/// Below this the layer has all but stopped learning: at `--lr 0.05` both `seed` conv
/// layers are dead by batch 150, their gradient is zero and so is their update.
pub const UPDATE_TOO_LOW: f64 = 1e-6;
/// More than this fraction of a layer's units never firing on the quick-evaluation
/// images: the layer has lost most of its capacity. Not a half: the `deep` model's dense1
/// sits at 46–50 % dead at the tutorial's rate and still reaches 0.99; at `--lr 0.05`
/// `seed`'s conv layers are 100 % dead by batch 10.
pub const DEAD_TOO_MANY: f64 = 0.75;

/// One layer's numbers at one point of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerHealth {
    pub name: String,
    /// ‖W‖ (weights and bias together) before the measured step.
    pub weight_norm: f64,
    /// ‖∇W‖ of the measured step's batch.
    pub gradient_norm: f64,
    /// ‖ΔW‖ / ‖W‖ of the measured step.
    pub update_ratio: f64,
    /// The fraction of the layer's ReLU units (conv channels, dense units) that output
    /// zero for every quick-evaluation image; none for the output layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_fraction: Option<f64>,
}

/// Every layer's health after a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    /// Where in the run, in epochs.
    pub at_epoch: f64,
    /// Optimiser steps taken so far (the measured one included).
    pub step: usize,
    pub layers: Vec<LayerHealth>,
}

impl HealthReport {
    /// Why each layer is out of its band, if it is ([`LayerHealth::problem`]).
    pub fn problems(&self) -> impl Iterator<Item = Option<String>> + '_ {
        self.layers.iter().map(|l| l.problem(self.step))
    }
}

impl LayerHealth {
    /// Why the layer is out of its healthy band after `step` optimiser steps, in a few
    /// words; `None` when it is not.
    pub fn problem(&self, step: usize) -> Option<String> {
        let values = [self.weight_norm, self.gradient_norm, self.update_ratio];
        if values.iter().any(|v| !v.is_finite()) {
            return Some(crate::tr!("health-not-finite"));
        }
        if self.update_ratio > UPDATE_TOO_HIGH && step >= UPDATE_WARM_UP {
            return Some(crate::tr!(
                "health-too-high",
                ratio = format!("{:.1e}", self.update_ratio),
                limit = format!("{UPDATE_TOO_HIGH:.0e}")
            ));
        }
        if let Some(dead) = self.dead_fraction.filter(|&d| d > DEAD_TOO_MANY) {
            return Some(crate::tr!(
                "health-dead",
                percent = format!("{:.0}", dead * 100.0)
            ));
        }
        if self.update_ratio < UPDATE_TOO_LOW {
            return Some(crate::tr!(
                "health-too-low",
                ratio = format!("{:.1e}", self.update_ratio),
                limit = format!("{UPDATE_TOO_LOW:.0e}")
            ));
        }
        None
    }
}

/// The layer a tensor belongs to: its name without the last part (`2.1.weight` → `2.1`).
fn layer_of(tensor: &str) -> &str {
    tensor.rsplit_once('.').map_or(tensor, |(layer, _)| layer)
}

/// Gathers per-tensor step sizes (`tensors` names them, in the same order) into layers,
/// named by `layer_names` in order, with the ReLU layers' `activity` (in the same order,
/// one fewer or as many as the layers).
pub fn layer_health(
    layer_names: &[&str],
    tensors: &[String],
    sizes: &[StepSizes],
    activity: &[LayerActivity],
) -> Vec<LayerHealth> {
    assert_eq!(tensors.len(), sizes.len(), "one step size per tensor");
    let mut layers: Vec<(&str, StepSizes)> = Vec::new();
    for (name, s) in tensors.iter().zip(sizes) {
        match layers.last_mut() {
            Some((layer, sum)) if *layer == layer_of(name) => {
                sum.weight_sq += s.weight_sq;
                sum.gradient_sq += s.gradient_sq;
                sum.update_sq += s.update_sq;
            }
            _ => layers.push((layer_of(name), *s)),
        }
    }
    assert_eq!(layers.len(), layer_names.len(), "one name per layer");
    layers
        .iter()
        .zip(layer_names)
        .enumerate()
        .map(|(i, ((_, s), name))| {
            let weight_norm = s.weight_sq.sqrt();
            LayerHealth {
                name: name.to_string(),
                weight_norm,
                gradient_norm: s.gradient_sq.sqrt(),
                update_ratio: s.update_sq.sqrt() / weight_norm.max(f64::MIN_POSITIVE),
                dead_fraction: activity.get(i).map(LayerActivity::dead_fraction),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(w: f64, g: f64, u: f64) -> StepSizes {
        StepSizes {
            weight_sq: w,
            gradient_sq: g,
            update_sq: u,
        }
    }

    #[test]
    fn a_layers_weight_and_bias_are_one_layer_and_norms_are_square_roots_of_their_sums() {
        let tensors = ["0.weight", "1.1.weight", "1.1.bias"].map(String::from);
        // conv: ‖W‖² = 9, ‖∇‖² = 16, ‖Δ‖² = 0.0009; dense: 3 + 1 = 4, 2 + 2 = 4, 0.01 + 0.03.
        let steps = [
            sizes(9.0, 16.0, 0.0009),
            sizes(3.0, 2.0, 0.01),
            sizes(1.0, 2.0, 0.03),
        ];
        let mut relu = LayerActivity::new(4);
        relu.observe(&[0.0, 1.0, 0.0, 2.0], 1);
        let health = layer_health(&["conv", "dense"], &tensors, &steps, &[relu]);
        assert_eq!(health.len(), 2);
        let (conv, dense) = (&health[0], &health[1]);
        assert_eq!((conv.name.as_str(), dense.name.as_str()), ("conv", "dense"));
        assert!((conv.weight_norm - 3.0).abs() < 1e-12);
        assert!((conv.gradient_norm - 4.0).abs() < 1e-12);
        assert!((conv.update_ratio - 0.03 / 3.0).abs() < 1e-12);
        assert_eq!(conv.dead_fraction, Some(0.5));
        assert!((dense.weight_norm - 2.0).abs() < 1e-12);
        assert!((dense.gradient_norm - 2.0).abs() < 1e-12);
        assert!((dense.update_ratio - 0.2 / 2.0).abs() < 1e-12);
        assert_eq!(dense.dead_fraction, None);
    }

    #[test]
    fn a_layer_leaves_its_band_with_a_reason() {
        let healthy = LayerHealth {
            name: "conv2".into(),
            weight_norm: 4.0,
            gradient_norm: 0.1,
            update_ratio: 1e-3,
            dead_fraction: Some(0.0),
        };
        assert_eq!(healthy.problem(500), None);
        let hot = LayerHealth {
            update_ratio: 0.05,
            ..healthy.clone()
        };
        assert!(hot.problem(500).unwrap().contains("lower the rate"));
        // Every run starts with large steps: not judged before the warm-up.
        assert_eq!(hot.problem(UPDATE_WARM_UP - 1), None);
        let dead = LayerHealth {
            dead_fraction: Some(0.8),
            ..healthy.clone()
        };
        assert!(dead
            .problem(10)
            .unwrap()
            .contains("80% of units never fire"));
        let half_dead = LayerHealth {
            dead_fraction: Some(0.5),
            ..healthy.clone()
        };
        assert_eq!(half_dead.problem(500), None, "deep's dense1 trains well so");
        let frozen = LayerHealth {
            update_ratio: 1e-8,
            ..healthy.clone()
        };
        assert!(frozen.problem(500).unwrap().contains("not learning"));
        let broken = LayerHealth {
            gradient_norm: f64::NAN,
            ..healthy
        };
        assert!(broken.problem(10).unwrap().contains("not finite"));
    }
}
