//! Checkpoints: one safetensors file holding the weights (under dfdx's own tensor names),
//! Adam's moments, and the run's settings, position and history as JSON metadata.
//!
//! Saving writes a temporary file beside the target, syncs it and renames it over the
//! target, so a crash or kill at any moment leaves the old checkpoint or the new one,
//! never a torn file.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};

use crate::error::FileError;
use crate::model::params::{self, NamedTensor};
use crate::model::{Dev, ModelKind, Network};

use super::adam::{Adam, AdamConfig};
use super::position::Position;
use super::record::Record;
use super::schedule::Schedule;

/// Metadata key holding the JSON; its presence marks a file as ours.
const META_KEY: &str = "mnist-tui";
/// Format version; a file from a newer format is refused rather than misread.
const FORMAT: u32 = 1;
/// Largest checkpoint read (the deep model's is about 30 MB).
const MAX_BYTES: u64 = 1 << 30;

/// The settings a resumed run continues with (unless flags override them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSettings {
    /// The learning rate in force when saved.
    pub learning_rate: f64,
    /// The schedule and the base rate it scales (older files: constant, no base).
    #[serde(default)]
    pub schedule: Schedule,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_rate: Option<f64>,
    pub epochs: usize,
    pub batch_size: usize,
    pub seed: u64,
    pub data: Option<PathBuf>,
    pub train_limit: Option<usize>,
    pub test_limit: Option<usize>,
    #[serde(default)]
    pub class_names: crate::data::ClassNames,
}

/// Everything but the tensors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub format: u32,
    pub model: ModelKind,
    pub settings: SavedSettings,
    /// Where the run is (its fields sit beside the others in the file's JSON).
    #[serde(flatten)]
    pub position: Position,
    pub adam_steps: i32,
    pub adam_betas: [f64; 2],
    pub adam_eps: f64,
    pub history: Vec<Record>,
}

/// A whole checkpoint in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub progress: Progress,
    pub weights: Vec<NamedTensor>,
    /// Adam's first and second moments per trainable tensor, in visiting order.
    pub moments: Vec<(Vec<f32>, Vec<f32>)>,
}

impl Checkpoint {
    /// Captures `net` and `adam` with `progress`.
    pub fn capture<N: Network>(net: &N, adam: &Adam, progress: Progress) -> Self {
        Self {
            progress,
            weights: params::export(net),
            moments: adam.moments.clone(),
        }
    }

    /// The same model without what only continuing its run needs: Adam's moments and
    /// the metric history (the shipped pretrained model is this, about an eighth of
    /// the full file). Resuming from it starts a fresh optimiser.
    pub fn weights_only(mut self) -> Self {
        self.moments.clear();
        self.progress.history.clear();
        self.progress.adam_steps = 0;
        self
    }

    /// The network and optimiser this checkpoint holds; `file` names it in errors.
    pub fn restore<N: Network>(&self, dev: &Dev, file: &Path) -> Result<(N, Adam), FileError> {
        let p = &self.progress;
        if p.model.name() != N::NAME {
            return Err(FileError::at(
                file,
                format!("holds a '{}' model, not '{}'", p.model, N::NAME),
            ));
        }
        let mut net = N::build_seeded(dev, p.settings.seed);
        params::import(&mut net, &self.weights).map_err(|e| FileError::at(file, e.to_string()))?;
        // Moments follow the visiting order, which the freshly built network gives.
        let sizes: Vec<usize> = params::export(&net).iter().map(|t| t.data.len()).collect();
        let fits = self.moments.is_empty()
            || (self.moments.len() == sizes.len()
                && self
                    .moments
                    .iter()
                    .zip(&sizes)
                    .all(|((m, v), &n)| m.len() == n && v.len() == n));
        if !fits {
            return Err(FileError::at(
                file,
                "the optimiser state does not match the weights",
            ));
        }
        let adam = Adam {
            cfg: AdamConfig {
                lr: p.settings.learning_rate,
                betas: p.adam_betas,
                eps: p.adam_eps,
            },
            t: p.adam_steps,
            moments: self.moments.clone(),
        };
        Ok((net, adam))
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
        for t in &self.weights {
            tensors.push((t.name.clone(), t.shape.clone(), le_bytes(&t.data)));
        }
        for (i, (m, v)) in self.moments.iter().enumerate() {
            tensors.push((format!("adam.m.{i}"), vec![m.len()], le_bytes(m)));
            tensors.push((format!("adam.v.{i}"), vec![v.len()], le_bytes(v)));
        }
        let views: Vec<(String, TensorView)> = tensors
            .iter()
            .map(|(name, shape, data)| {
                let view = TensorView::new(Dtype::F32, shape.clone(), data)
                    .expect("the shape matches the data by construction");
                (name.clone(), view)
            })
            .collect();
        let json = serde_json::to_string(&self.progress).expect("progress serialises");
        let metadata = Some(HashMap::from([(META_KEY.to_string(), json)]));
        safetensors::serialize(views, &metadata).expect("views are valid by construction")
    }

    /// Parses a checkpoint file's bytes; `file` names it in errors.
    pub fn from_bytes(bytes: &[u8], file: &Path) -> Result<Self, FileError> {
        let bad = |problem: String| FileError::at(file, problem);
        let (_, metadata) = SafeTensors::read_metadata(bytes)
            .map_err(|e| bad(format!("not a safetensors checkpoint ({e:?})")))?;
        let json = metadata
            .metadata()
            .as_ref()
            .and_then(|m| m.get(META_KEY))
            .ok_or_else(|| bad("a safetensors file, but not an mnist-tui checkpoint".into()))?;
        let progress: Progress = serde_json::from_str(json)
            .map_err(|e| bad(format!("damaged checkpoint metadata: {e}")))?;
        if progress.format != FORMAT {
            return Err(bad(format!(
                "checkpoint format {} is not the supported {FORMAT}",
                progress.format
            )));
        }
        let tensors = SafeTensors::deserialize(bytes)
            .map_err(|e| bad(format!("not a safetensors checkpoint ({e:?})")))?;
        let mut weights = Vec::new();
        let mut moments: Vec<(Vec<f32>, Vec<f32>)> = Vec::new();
        let mut named: Vec<(String, TensorView)> = tensors.tensors();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, view) in named {
            if view.dtype() != Dtype::F32 {
                return Err(bad(format!("tensor '{name}' is not f32")));
            }
            let data = f32s(view.data());
            let shape = view.shape().to_vec();
            if shape.iter().product::<usize>() != data.len() {
                return Err(bad(format!("tensor '{name}' has the wrong size")));
            }
            if let Some(rest) = name.strip_prefix("adam.") {
                let (which, index) = rest.split_at(rest.find('.').unwrap_or(0));
                let index: usize = index
                    .trim_start_matches('.')
                    .parse()
                    .map_err(|_| bad(format!("unexpected tensor '{name}'")))?;
                if index >= 1024 {
                    return Err(bad(format!("unexpected tensor '{name}'")));
                }
                if moments.len() <= index {
                    moments.resize(index + 1, (Vec::new(), Vec::new()));
                }
                match which {
                    "m" => moments[index].0 = data,
                    "v" => moments[index].1 = data,
                    _ => return Err(bad(format!("unexpected tensor '{name}'"))),
                }
            } else {
                weights.push(NamedTensor { name, shape, data });
            }
        }
        Ok(Self {
            progress,
            weights,
            moments,
        })
    }

    /// Reads and parses a checkpoint file.
    pub fn read(path: &Path) -> Result<Self, FileError> {
        let size = std::fs::metadata(path)
            .map_err(|e| FileError::at(path, format!("cannot read: {e}")))?
            .len();
        if size > MAX_BYTES {
            return Err(FileError::at(
                path,
                format!("{size} bytes is too large for a checkpoint"),
            ));
        }
        let bytes =
            std::fs::read(path).map_err(|e| FileError::at(path, format!("cannot read: {e}")))?;
        Self::from_bytes(&bytes, path)
    }

    /// Writes the checkpoint to `path` atomically (temporary file, sync, rename).
    pub fn save(&self, path: &Path) -> Result<(), FileError> {
        write_atomically(path, &self.to_bytes())
            .map_err(|e| FileError::at(path, format!("cannot save: {e}")))
    }
}

/// Replaces `path` with `bytes` so that a reader (or a crash) sees the old file or the new
/// one, whole.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // The rename itself must reach the disk for the new file to survive a power cut.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn le_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|f| f.to_le_bytes()).collect()
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
