//! `mnist-tui plot`: pictures read back — a PNG of the stated size with each run's
//! colour in it, an SVG with one curve per run — and bad input refused in one line.

use crate::common::cli::{assert_success, expect_bad_input, mnist_tui};
use mnist_tui::plot::COLOURS;

/// Two recorded one-epoch runs in `dir/runs`, at two rates.
fn two_runs(dir: &std::path::Path) {
    for lr in ["1e-3", "1e-2"] {
        let args = [
            "train",
            "--epochs",
            "1",
            "--train-limit",
            "2000",
            "--test-limit",
            "500",
            "--threads",
            "2",
            "--lr",
            lr,
        ];
        assert_success(&mnist_tui(&args, dir));
    }
}

fn run_names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        // `.sweeps` holds sweeps' manifests, not runs.
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

#[test]
fn plot_writes_a_png_of_the_stated_size_with_a_curve_per_run_and_an_svg_alike() {
    let dir = tempfile::tempdir().unwrap();
    two_runs(dir.path());
    let names = run_names(dir.path());
    let mut args = vec!["plot"];
    args.extend(names.iter().map(String::as_str));
    args.extend(["-o", "cost.png", "--size", "640x400"]);
    assert_success(&mnist_tui(&args, dir.path()));
    let png = image::open(dir.path().join("cost.png")).unwrap().to_rgb8();
    assert_eq!(png.dimensions(), (640, 400));
    for &(r, g, b) in &COLOURS[..2] {
        let found = png.pixels().filter(|p| p.0 == [r, g, b]).count();
        assert!(found > 20, "colour ({r}, {g}, {b}): {found} pixels");
    }
    let third = COLOURS[2];
    assert!(
        !png.pixels().any(|p| p.0 == [third.0, third.1, third.2]),
        "no third curve"
    );

    // The SVG, by run folder, of the accuracy against time.
    let folders: Vec<String> = names.iter().map(|n| format!("runs/{n}")).collect();
    let mut args = vec![
        "plot", "--metric", "accuracy", "--x", "time", "-o", "acc.svg",
    ];
    args.extend(folders.iter().map(String::as_str));
    assert_success(&mnist_tui(&args, dir.path()));
    let svg = std::fs::read_to_string(dir.path().join("acc.svg")).unwrap();
    assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" width="900" height="540""#));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<polyline").count(), 2, "one curve per run");
    assert!(
        svg.contains("09:") || svg.contains("seed-lr1e-3"),
        "the legend names the runs"
    );
}

#[test]
fn bad_plot_input_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("not-a-run")).unwrap();
    expect_bad_input(
        &[
            (
                &["plot", "x", "-o", "p.gif"],
                "p.gif: the picture's name must end in .png or .svg",
            ),
            (
                &["plot", "nowhere", "-o", "p.png"],
                "nowhere: not a recorded run",
            ),
            (
                &["plot", "not-a-run", "-o", "p.svg"],
                "not-a-run: not a recorded run",
            ),
            (
                &["plot", "x", "-o", "p.png", "--size", "10x10"],
                "--size: '10x10' is not WIDTHxHEIGHT",
            ),
            (
                &["plot", "x", "-o", "p.png", "--smoothing", "1"],
                "--smoothing: 1 is not a weight",
            ),
        ],
        dir.path(),
    );
    assert!(!dir.path().join("p.png").exists() && !dir.path().join("p.svg").exists());
}

#[test]
fn plot_group_draws_repeats_as_one_mean_curve_in_its_band() {
    let dir = tempfile::tempdir().unwrap();
    let small = [
        "--epochs",
        "1",
        "--train-limit",
        "1000",
        "--test-limit",
        "200",
    ];
    let sweep = [&["sweep", "--repeats", "2"][..], &small].concat();
    assert_success(&mnist_tui(&sweep, dir.path()));
    let other = [&["train", "--lr", "1e-2", "--threads", "2"][..], &small].concat();
    assert_success(&mnist_tui(&other, dir.path()));
    let names = run_names(dir.path());
    assert_eq!(names.len(), 3);
    let mut args = vec!["plot", "--group", "-o", "g.svg"];
    args.extend(names.iter().map(String::as_str));
    assert_success(&mnist_tui(&args, dir.path()));
    let svg = std::fs::read_to_string(dir.path().join("g.svg")).unwrap();
    assert_eq!(
        svg.matches("<polyline").count(),
        2,
        "the group's mean and the other run"
    );
    assert_eq!(svg.matches("<polygon").count(), 1, "one band, the group's");
    assert!(
        svg.contains("×2 (mean, min–max)"),
        "the legend says what the band is"
    );
    // Without --group, three curves and no band.
    args.remove(1);
    assert_success(&mnist_tui(&args, dir.path()));
    let svg = std::fs::read_to_string(dir.path().join("g.svg")).unwrap();
    assert_eq!(svg.matches("<polyline").count(), 3);
    assert_eq!(svg.matches("<polygon").count(), 0);
}
