//! Settings: built-in defaults < `./config.toml` < `--config FILE` < command-line flags.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::FileError;
use crate::i18n::Language;
use crate::model::LaneSet;
use crate::tr;
pub use crate::train::{default_threads, Settings};

/// Every setting, each optional: one layer of the precedence chain (a file or the flags).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub model: Option<String>,
    pub learning_rate: Option<f64>,
    pub epochs: Option<i64>,
    pub batch_size: Option<i64>,
    pub seed: Option<u64>,
    pub data: Option<PathBuf>,
    pub threads: Option<i64>,
    pub train_limit: Option<i64>,
    pub test_limit: Option<i64>,
    /// A file of ten class names, one per line.
    pub labels: Option<PathBuf>,
    /// The kernels' instruction set: `auto`, `avx512`, `avx2` or `portable`.
    pub kernels: Option<String>,
    /// The learning-rate schedule: `constant`, `step`, `cosine` or `one-cycle`.
    pub schedule: Option<String>,
    /// Where runs are recorded, a folder each (default `runs`).
    pub runs_dir: Option<PathBuf>,
    /// The language of what the program shows: `en` or `ko` (default: the locale's).
    pub lang: Option<String>,
}

impl Layer {
    /// Fills the settings this layer leaves unset from `lower`.
    pub fn over(self, lower: Layer) -> Layer {
        Layer {
            model: self.model.or(lower.model),
            learning_rate: self.learning_rate.or(lower.learning_rate),
            epochs: self.epochs.or(lower.epochs),
            batch_size: self.batch_size.or(lower.batch_size),
            seed: self.seed.or(lower.seed),
            data: self.data.or(lower.data),
            threads: self.threads.or(lower.threads),
            train_limit: self.train_limit.or(lower.train_limit),
            test_limit: self.test_limit.or(lower.test_limit),
            labels: self.labels.or(lower.labels),
            kernels: self.kernels.or(lower.kernels),
            schedule: self.schedule.or(lower.schedule),
            runs_dir: self.runs_dir.or(lower.runs_dir),
            lang: self.lang.or(lower.lang),
        }
    }

    /// Parses a TOML config file's text; `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Layer, FileError> {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(1);
            FileError::new(
                file,
                tr!(
                    "config-line",
                    line = line,
                    problem = e.message().replace('\n', " ")
                ),
            )
        })
    }

    /// Reads and parses a config file.
    pub fn from_file(path: &Path) -> Result<Layer, FileError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| FileError::new(&file, tr!("file-cannot-read", error = e.to_string())))?;
        Layer::from_toml(&file, &text)
    }
}

/// The language the config files ask for (`lang`): `--config FILE`'s, then
/// `./config.toml`'s. Read before the command line's help is drawn; a file that cannot be
/// read or a bad value says nothing here (the settings' resolution reports it).
pub fn configured_language(config_file: Option<&Path>, cwd: &Path) -> Option<Language> {
    let local = cwd.join("config.toml");
    config_file
        .into_iter()
        .chain(local.is_file().then_some(local.as_path()))
        .filter_map(|path| Layer::from_file(path).ok()?.lang)
        .find_map(|code| Language::from_code(&code))
}

impl Settings {
    /// Resolves the chain: `flags` over `--config FILE` (if given) over `./config.toml`
    /// (if present in `cwd`) over the defaults, then validates.
    pub fn resolve(
        flags: Layer,
        config_file: Option<&Path>,
        cwd: &Path,
    ) -> Result<Settings, FileError> {
        let mut merged = flags;
        let mut source = tr!("config-command-line");
        if let Some(path) = config_file {
            merged = merged.over(Layer::from_file(path)?);
            source = path.display().to_string();
        }
        let local = cwd.join("config.toml");
        if local.is_file() {
            merged = merged.over(Layer::from_file(&local)?);
            if config_file.is_none() {
                source = "config.toml".into();
            }
        }
        Settings::from_layer(merged, &source)
    }

    /// Validates a merged layer, filling gaps with the defaults; errors name the key.
    pub fn from_layer(l: Layer, source: &str) -> Result<Settings, FileError> {
        let d = Settings::default();
        // Every message names the key first: `SOURCE: KEY: PROBLEM`.
        let bad = |key: &'static str, message: String| {
            FileError::new(source, format!("{key}: {message}"))
        };
        let model = match l.model {
            Some(m) => m.parse().map_err(|e| bad("model", e))?,
            None => d.model,
        };
        let learning_rate = l.learning_rate.unwrap_or(d.learning_rate);
        if !(learning_rate.is_finite() && learning_rate > 0.0) {
            return Err(bad(
                "learning_rate",
                tr!("config-not-positive", value = learning_rate.to_string()),
            ));
        }
        let positive =
            |key: &'static str, v: Option<i64>, default: usize| -> Result<usize, FileError> {
                match v {
                    None => Ok(default),
                    Some(n) if n >= 1 => Ok(n as usize),
                    Some(n) => Err(bad(key, tr!("config-at-least-one", value = n.to_string()))),
                }
            };
        let epochs = positive("epochs", l.epochs, d.epochs)?;
        let batch_size = positive("batch_size", l.batch_size, d.batch_size)?;
        let threads = positive("threads", l.threads, d.threads)?;
        let train_limit = l
            .train_limit
            .map(|n| positive("train_limit", Some(n), 0))
            .transpose()?;
        let test_limit = l
            .test_limit
            .map(|n| positive("test_limit", Some(n), 0))
            .transpose()?;
        if threads > 256 {
            return Err(bad(
                "threads",
                tr!("config-too-many-threads", value = threads),
            ));
        }
        let kernels = match l.kernels.as_deref() {
            None | Some("auto") => d.kernels,
            Some(name) => {
                let set: LaneSet = name.parse().map_err(|e| bad("kernels", e))?;
                if !set.is_available() {
                    let has: Vec<_> = LaneSet::available().map(LaneSet::name).collect();
                    let has = has.join(", ");
                    return Err(bad(
                        "kernels",
                        tr!("config-kernels", name = name, has = has),
                    ));
                }
                set
            }
        };
        if let Some(lang) = &l.lang {
            if Language::from_code(lang).is_none() {
                return Err(bad("lang", tr!("config-bad-lang", value = lang.clone())));
            }
        }
        let schedule = match l.schedule.as_deref() {
            None => d.schedule,
            Some(name) => name.parse().map_err(|e| bad("schedule", e))?,
        };
        Ok(Settings {
            schedule,
            model,
            learning_rate,
            epochs,
            batch_size,
            seed: l.seed.unwrap_or(d.seed),
            data: l.data,
            threads,
            train_limit,
            test_limit,
            labels: l.labels,
            kernels,
            runs_dir: l.runs_dir.unwrap_or(d.runs_dir),
        })
    }
}
