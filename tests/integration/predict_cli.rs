//! `mnist-tui predict`: real pictures of test digits, as a user would feed them.

use crate::common;

use std::path::{Path, PathBuf};

use common::cli::{assert_success, expect_bad_input, mnist_tui};
use mnist_tui::data::{Dataset, SIDE};

/// Test digit `i` as a photo-like picture: dark ink on light paper, scaled `scale`×,
/// placed off-centre on a larger sheet.
fn paper_picture(data: &Dataset, i: usize, scale: u32) -> image::GrayImage {
    let digit = data.test.image(i);
    let (w, h) = (SIDE as u32 * scale * 2, SIDE as u32 * scale + 40);
    image::GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x.checked_sub(w / 3), y.checked_sub(25));
        let ink = match (dx, dy) {
            (Some(dx), Some(dy)) if dx / scale < SIDE as u32 && dy / scale < SIDE as u32 => {
                digit[(dy / scale) as usize * SIDE + (dx / scale) as usize]
            }
            _ => 0,
        };
        image::Luma([235 - (ink as u32 * 200 / 255) as u8])
    })
}

fn write_pictures(dir: &Path, n: usize) -> (Vec<PathBuf>, Vec<u8>) {
    let data = Dataset::embedded().unwrap();
    let formats = [
        ("png", image::ImageFormat::Png),
        ("jpg", image::ImageFormat::Jpeg),
        ("pgm", image::ImageFormat::Pnm),
    ];
    let mut paths = Vec::new();
    for i in 0..n {
        let (ext, format) = formats[i % formats.len()];
        let path = dir.join(format!("digit{i}.{ext}"));
        paper_picture(&data, i, 2 + (i % 4) as u32)
            .save_with_format(&path, format)
            .unwrap();
        paths.push(path);
    }
    (paths, data.test.labels[..n].to_vec())
}

#[test]
fn pictures_of_digits_are_classified_with_the_built_in_model() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, labels) = write_pictures(dir.path(), 30);
    let mut args = vec!["predict", "--json"];
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let out = mnist_tui(&args, dir.path());
    assert_success(&out);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut right = 0;
    for (line, &label) in stdout.lines().zip(&labels) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let probs: Vec<f64> = v["probabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_f64().unwrap())
            .collect();
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-3);
        right += usize::from(v["label"].as_u64().unwrap() == label as u64);
    }
    assert_eq!(stdout.lines().count(), 30);
    println!("predict: {right}/30 pictures right");
    assert!(right >= 28, "{right}/30");
}

#[test]
fn text_output_names_each_file_and_its_label() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, labels) = write_pictures(dir.path(), 1);
    let out = mnist_tui(&["predict", &paths[0].display().to_string()], dir.path());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let expected = format!("{}: {}  (0:", paths[0].display(), labels[0]);
    assert!(stdout.starts_with(&expected), "{stdout}");
}

#[test]
fn bad_pictures_and_checkpoints_are_one_line_errors_with_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, _) = write_pictures(dir.path(), 1);
    let good = paths[0].display().to_string();
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    std::fs::write(dir.path().join("empty.png"), "").unwrap();
    std::fs::write(dir.path().join("model.safetensors"), "not a model").unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["predict", &good, "notes.txt"], "notes.txt: not an image"),
        (&["predict", "empty.png"], "empty.png: the file is empty"),
        (&["predict", "missing.png"], "missing.png: cannot read"),
        (
            &["predict", "--checkpoint", "model.safetensors", &good],
            "model.safetensors: not a safetensors checkpoint",
        ),
        (
            &["predict", "--checkpoint", "nope.safetensors", &good],
            "nope.safetensors: cannot read",
        ),
    ];
    // Nothing is printed, not even for the good file given with a bad one.
    expect_bad_input(&cases, dir.path());
}
