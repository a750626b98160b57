//! `mnist-tui predict`: classifies picture files with a checkpoint.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::data::image_file::read_digit;
use crate::data::PIXELS;
use crate::model::{DeepNet, Dev, ModelKind, Network, SeedNet};
use crate::train::eval::probabilities;
use crate::train::events::argmax;
use crate::train::Checkpoint;

/// One picture's verdict.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Verdict {
    pub file: PathBuf,
    pub label: usize,
    /// The class's name, for data sets other than digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub probabilities: [f32; 10],
}

/// How `predict` reports: one text line or one JSON object per picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// Classifies every file of `images` with the checkpoint (default: the pretrained one),
/// then prints all verdicts; any unreadable file fails the whole command before anything
/// is printed.
pub fn run(
    checkpoint: Option<&Path>,
    images: &[PathBuf],
    format: Format,
    out: &mut impl Write,
) -> anyhow::Result<std::process::ExitCode> {
    let (checkpoint, name) = match checkpoint {
        Some(path) => (Checkpoint::read(path)?, path.to_path_buf()),
        None => (
            crate::pretrained::checkpoint()?,
            PathBuf::from(crate::pretrained::NAME),
        ),
    };
    let digits = images
        .iter()
        .map(|path| read_digit(path))
        .collect::<Result<Vec<_>, _>>()?;
    let verdicts = match checkpoint.progress.model {
        ModelKind::Seed => classify::<SeedNet>(&checkpoint, &name, &digits)?,
        ModelKind::Deep => classify::<DeepNet>(&checkpoint, &name, &digits)?,
    };
    let names = &checkpoint.progress.settings.class_names;
    for (file, (label, probabilities)) in images.iter().zip(verdicts) {
        let v = Verdict {
            file: file.clone(),
            label,
            name: (!names.are_digits()).then(|| names.names()[label].clone()),
            probabilities,
        };
        if format == Format::Json {
            writeln!(out, "{}", serde_json::to_string(&v)?)?;
        } else {
            let probs: Vec<String> = probabilities
                .iter()
                .enumerate()
                .map(|(d, p)| format!("{d}:{p:.3}"))
                .collect();
            let shown = names.label(label);
            writeln!(out, "{}: {shown}  ({})", file.display(), probs.join(" "))?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

fn classify<N: Network>(
    checkpoint: &Checkpoint,
    name: &Path,
    digits: &[[u8; PIXELS]],
) -> anyhow::Result<Vec<(usize, [f32; 10])>> {
    let dev = Dev::default();
    let (net, _) = checkpoint.restore::<N>(&dev, name)?;
    Ok(digits
        .iter()
        .map(|d| {
            let scaled: Vec<f32> = d.iter().map(|&p| p as f32 / 255.0).collect();
            let p = probabilities(&net, &dev, &scaled);
            (argmax(&p), p)
        })
        .collect())
}
