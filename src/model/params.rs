//! A network's tensors by name (dfdx's field paths, e.g. `1.weight`), out and back in.
//!
//! The names are the ones dfdx's own `save_safetensors` writes, so the weights of a
//! checkpoint load into a dfdx model with `load_safetensors` too.

use dfdx::nn::tensor_collection::{
    RecursiveWalker, ScalarOptions, TensorCollection, TensorOptions, TensorVisitor, ViewTensorMut,
    ViewTensorName, ViewTensorRef,
};
use dfdx::prelude::*;

use super::ops::{to_vec, Dev};

/// One tensor's name, shape and elements.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Every tensor of `net` (trainable or not), in dfdx's visiting order.
pub fn export<N: TensorCollection<f32, Dev>>(net: &N) -> Vec<NamedTensor> {
    let mut out = Exporter(Vec::new());
    let walked = N::iter_tensors(&mut RecursiveWalker {
        m: (net, String::new()),
        f: &mut out,
    });
    if let Err(e) = walked {
        match e {}
    }
    out.0
}

/// Why a set of tensors does not fit a network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("tensor '{0}' is missing")]
    Missing(String),
    #[error("tensor '{name}' has shape {found:?}, the model needs {expected:?}")]
    Shape {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    #[error("tensor '{0}' holds NaN or infinite values")]
    NotFinite(String),
}

/// Overwrites every tensor of `net` with the one of the same name in `tensors`; on an
/// error `net` may be partly overwritten, so import into a scratch copy.
pub fn import<N: TensorCollection<f32, Dev>>(
    net: &mut N,
    tensors: &[NamedTensor],
) -> Result<(), ImportError> {
    N::iter_tensors(&mut RecursiveWalker {
        m: (net, String::new()),
        f: &mut Importer(tensors),
    })
    .map(|_| ())
}

struct Exporter(Vec<NamedTensor>);

impl TensorVisitor<f32, Dev> for Exporter {
    type Viewer = (ViewTensorRef, ViewTensorName);
    type Err = std::convert::Infallible;
    type E2 = f32;
    type D2 = Dev;

    fn visit<S: Shape>(
        &mut self,
        _: TensorOptions<S, f32, Dev>,
        (t, name): (&Tensor<S, f32, Dev>, String),
    ) -> Result<Option<Tensor<S, f32, Dev>>, Self::Err> {
        self.0.push(NamedTensor {
            name,
            shape: t.shape().concrete().into_iter().collect(),
            data: to_vec(t),
        });
        Ok(None)
    }

    fn visit_scalar<M: num_traits::NumCast>(
        &mut self,
        _: ScalarOptions<M>,
        _: (&M, String),
    ) -> Result<Option<M>, Self::Err> {
        // Scalars (dropout rates) are part of the model type, not of its learned state.
        Ok(None)
    }
}

struct Importer<'a>(&'a [NamedTensor]);

impl TensorVisitor<f32, Dev> for Importer<'_> {
    type Viewer = (ViewTensorMut, ViewTensorName);
    type Err = ImportError;
    type E2 = f32;
    type D2 = Dev;

    fn visit<S: Shape>(
        &mut self,
        _: TensorOptions<S, f32, Dev>,
        (t, name): (&mut Tensor<S, f32, Dev>, String),
    ) -> Result<Option<Tensor<S, f32, Dev>>, Self::Err> {
        let found = self
            .0
            .iter()
            .find(|n| n.name == name)
            .ok_or_else(|| ImportError::Missing(name.clone()))?;
        let expected: Vec<usize> = t.shape().concrete().into_iter().collect();
        if found.shape != expected {
            return Err(ImportError::Shape {
                name,
                expected,
                found: found.shape.clone(),
            });
        }
        if !found.data.iter().all(|v| v.is_finite()) {
            return Err(ImportError::NotFinite(name));
        }
        t.copy_from(&found.data);
        Ok(None)
    }

    fn visit_scalar<M: num_traits::NumCast>(
        &mut self,
        _: ScalarOptions<M>,
        _: (&mut M, String),
    ) -> Result<Option<M>, Self::Err> {
        Ok(None)
    }
}
