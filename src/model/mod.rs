//! The networks: typed layers on dfdx, with custom differentiable conv and pool ops.

mod chacha;
pub(crate) mod conv;
pub mod copies;
pub mod dense;
pub mod dense_infer;
mod infer;
pub mod inspect;
pub mod layers;
pub mod nets;
pub mod ops;
pub mod params;
pub mod saliency;
pub mod stack;

pub use conv::{matrix_product, LaneSet};
pub use inspect::{Inspection, LayerActivity};
pub use nets::{DeepNet, Images, Logits, Network, SeedNet, Taped};
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
