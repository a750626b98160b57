//! Another 10-class 28×28 data set, with class names, end to end: train, save, predict.

use crate::common;

use std::path::Path;

use common::cli::{assert_success, mnist_tui, one_line_error};
use mnist_tui::data::idx::{encode_images, encode_labels};
use mnist_tui::data::{Dataset, PIXELS, SIDE};

const NAMES: [&str; 10] = [
    "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf",
];

/// "Mirror-MNIST": every digit flipped left to right, a data set the model has never
/// seen, written as raw IDX files under the other common naming.
fn write_mirror_set(dir: &Path, train: usize, test: usize) {
    let data = Dataset::embedded().unwrap();
    let mirror = |split: &mnist_tui::data::Split, n: usize| -> (Vec<u8>, Vec<u8>) {
        let mut px = Vec::with_capacity(n * PIXELS);
        for i in 0..n {
            let img = split.image(i);
            for y in 0..SIDE {
                px.extend((0..SIDE).rev().map(|x| img[y * SIDE + x]));
            }
        }
        (encode_images(&px), encode_labels(&split.labels[..n]))
    };
    for (prefix, split, n) in [("train", &data.train, train), ("t10k", &data.test, test)] {
        let (images, labels) = mirror(split, n);
        std::fs::write(dir.join(format!("{prefix}-images.idx3-ubyte")), images).unwrap();
        std::fs::write(dir.join(format!("{prefix}-labels.idx1-ubyte")), labels).unwrap();
    }
}

#[test]
fn a_named_data_set_trains_saves_and_predicts_with_its_names() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("mirror");
    std::fs::create_dir(&data_dir).unwrap();
    write_mirror_set(&data_dir, 3000, 300);
    std::fs::write(dir.path().join("names.txt"), NAMES.join("\n") + "\n").unwrap();
    let out = mnist_tui(
        &[
            "train",
            "--data",
            "mirror",
            "--labels",
            "names.txt",
            "--epochs",
            "2",
            "--save",
            "mirror.safetensors",
        ],
        dir.path(),
    );
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let accuracy: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Accuracy: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(accuracy > 0.8, "{stdout}");
    // A mirrored test digit as a picture file: predict names its class.
    let data = Dataset::embedded().unwrap();
    let img = data.test.image(0);
    let picture = image::GrayImage::from_fn(SIDE as u32, SIDE as u32, |x, y| {
        image::Luma([img[y as usize * SIDE + (SIDE - 1 - x as usize)]])
    });
    picture.save(dir.path().join("d.png")).unwrap();
    let out = mnist_tui(
        &[
            "predict",
            "--checkpoint",
            "mirror.safetensors",
            "--json",
            "d.png",
        ],
        dir.path(),
    );
    assert_success(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let label = data.test.labels[0] as usize;
    assert_eq!(v["label"], label);
    assert_eq!(v["name"], NAMES[label]);
}

#[test]
fn a_bad_names_file_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("names.txt"), "a\nb\nc\n").unwrap();
    let err = one_line_error(&mnist_tui(&["train", "--labels", "names.txt"], dir.path()));
    assert_eq!(
        err.trim_end(),
        "error: names.txt: expected 10 class names, one per line, found 3"
    );
}
