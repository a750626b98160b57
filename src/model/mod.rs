//! The networks: typed layers on dfdx, with custom differentiable conv and pool ops.
//!
//! - [`ops`], [`dense`], [`dropout`]: our ops on dfdx's tape (the arithmetic of the conv
//!   and pool ops is the `conv3x3` crate's);
//! - [`layers`], [`nets`], [`params`]: the typed layers, the `seed` and `deep` networks,
//!   their parameters;
//! - [`fused`]: each network's training pass as few ops as its dropouts allow;
//! - [`infer`]: inference, conv layers and dense layers, without the tape;
//! - [`inspect`], [`saliency`], [`occlusion`], [`fool`], [`walk`] (and the softmax they
//!   share, [`probability`]): what the views inside the network show.

pub mod copies;
pub mod dense;
pub mod dropout;
pub mod fool;
pub mod fused;
pub mod infer;
pub mod inspect;
pub mod layers;
pub mod nets;
pub mod occlusion;
pub mod ops;
pub mod params;
pub mod probability;
pub mod saliency;
pub mod walk;

pub use conv3x3::{matrix_product, LaneSet};
pub use inspect::{Inspection, LayerActivity};
pub use nets::{DeepNet, Images, Logits, Network, SeedNet, Taped};
pub use occlusion::occlusion;
pub use ops::{Dev, Grads};
pub use saliency::{saliency, Saliency};

/// Which network to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// mnist_cnn.py: two conv layers, one dense layer (0.9885 in the tutorial).
    #[default]
    Seed,
    /// The tutorial's three-conv variant with dropout (0.9938 in the tutorial).
    Deep,
}

impl ModelKind {
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Seed => "seed",
            ModelKind::Deep => "deep",
        }
    }
}

impl std::str::FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "seed" => Ok(ModelKind::Seed),
            "deep" => Ok(ModelKind::Deep),
            other => Err(format!("unknown model '{other}' (expected seed or deep)")),
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
