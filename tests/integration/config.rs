//! Settings precedence and every validation error.

use std::path::Path;

use mnist_tui::config::{Layer, Settings};
use mnist_tui::error::FileError;
use mnist_tui::model::ModelKind;

#[test]
fn defaults_are_the_tutorials() {
    let empty = tempfile::tempdir().unwrap();
    let s = Settings::resolve(Layer::default(), None, empty.path()).unwrap();
    assert_eq!(s.model, ModelKind::Seed);
    assert_eq!(
        (s.learning_rate, s.epochs, s.batch_size, s.seed),
        (0.001, 15, 100, 777)
    );
    assert!(s.threads >= 1);
}

#[test]
fn the_shipped_config_file_is_the_defaults() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped = Settings::resolve(Layer::default(), None, root).unwrap();
    assert_eq!(shipped, Settings::default());
}

#[test]
fn flags_beat_config_file_beat_local_file_beat_defaults() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join("config.toml"),
        "epochs = 3\nseed = 1\nbatch_size = 50\n",
    )
    .unwrap();
    let other = cwd.path().join("other.toml");
    std::fs::write(&other, "epochs = 4\nseed = 2\n").unwrap();
    // What `--epochs 5` makes of the flags (the parsing is tested beside the CLI).
    let flags = Layer {
        epochs: Some(5),
        ..Layer::default()
    };
    let s = Settings::resolve(flags, Some(&other), cwd.path()).unwrap();
    assert_eq!(
        (s.epochs, s.seed, s.batch_size, s.learning_rate),
        (5, 2, 50, 0.001)
    );
    let s = Settings::resolve(Layer::default(), None, cwd.path()).unwrap();
    assert_eq!((s.epochs, s.seed), (3, 1));
}

fn invalid(text: &str) -> FileError {
    let layer = Layer::from_toml("c.toml", text).unwrap();
    Settings::from_layer(layer, "c.toml").unwrap_err()
}

#[test]
fn invalid_values_are_errors_naming_the_key() {
    for (text, key) in [
        ("learning_rate = 0.0", "learning_rate"),
        ("learning_rate = -1.0", "learning_rate"),
        ("learning_rate = nan", "learning_rate"),
        ("learning_rate = inf", "learning_rate"),
        ("batch_size = 0", "batch_size"),
        ("epochs = 0", "epochs"),
        ("threads = 0", "threads"),
        ("model = \"resnet\"", "model"),
    ] {
        let err = invalid(text);
        assert!(
            err.file == "c.toml" && err.problem.starts_with(&format!("{key}: ")),
            "{text}: {err}"
        );
        assert!(
            err.to_string().starts_with(&format!("c.toml: {key}: ")),
            "{err}"
        );
    }
    let err = invalid("model = \"resnet\"").to_string();
    assert_eq!(
        err,
        "c.toml: model: unknown model 'resnet' (expected seed or deep)"
    );
}

#[test]
fn batch_larger_than_the_training_set_is_refused() {
    let s = Settings {
        batch_size: 101,
        ..Settings::default()
    };
    let err = s.check_against_data(100).unwrap_err().to_string();
    assert!(
        err.contains("batch_size: 101 is larger than the training set (100 images)"),
        "{err}"
    );
    assert!(s.check_against_data(101).is_ok());
}

#[test]
fn unknown_keys_and_syntax_errors_name_file_and_line() {
    let err = Layer::from_toml("c.toml", "epochs = 2\nlearning_rat = 0.1\n").unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("c.toml: line 2: unknown field `learning_rat`"),
        "{text}"
    );
    assert!(!text.contains('\n'));
    let err = Layer::from_toml("c.toml", "epochs = 2\n\nseed = = 3\n").unwrap_err();
    assert!(err.problem.starts_with("line 3: "), "{err}");
    let err = Layer::from_toml("c.toml", "epochs = \"many\"\n").unwrap_err();
    assert!(err.to_string().starts_with("c.toml: line 1:"), "{err}");
}

#[test]
fn an_unreadable_config_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    let err = Settings::resolve(Layer::default(), Some(&missing), dir.path()).unwrap_err();
    assert!(
        err.to_string().contains("missing.toml: cannot read"),
        "{err}"
    );
}

#[test]
fn every_key_the_shipped_config_documents_is_a_real_key() {
    // Uncommenting the examples of config.toml must give a file the program accepts.
    let text: String = include_str!("../../config.toml")
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if rest.contains(" = ") => rest,
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let layer = Layer::from_toml("config.toml", &text).unwrap();
    assert!(layer.kernels.is_some() && layer.threads.is_some() && layer.labels.is_some());
    Settings::from_layer(layer, "config.toml").unwrap();
}
