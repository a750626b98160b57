//! The binary as a user runs it: output format, exit codes, one-line errors.

use crate::common;

use std::process::Command;

use common::cli::{assert_success, mnist_tui, one_line_error};

#[test]
fn headless_training_prints_the_tutorials_lines() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "train",
        "--epochs",
        "2",
        "--train-limit",
        "1000",
        "--test-limit",
        "200",
        "--threads",
        "2",
    ];
    let out = mnist_tui(&args, dir.path());
    assert_success(&out);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 7, "{stdout}");
    assert_eq!(lines[0], "Learning started. It takes sometime.");
    for (i, line) in lines[1..3].iter().enumerate() {
        let prefix = format!("Epoch: {:04} cost = ", i + 1);
        let cost = line
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{line}"));
        assert_eq!(cost.split('.').nth(1).unwrap().len(), 9, "{line}");
        assert!(cost.parse::<f64>().unwrap() > 0.0);
    }
    assert_eq!(lines[3], "Learning Finished!");
    let acc: f64 = lines[4]
        .strip_prefix("Accuracy: ")
        .unwrap()
        .parse()
        .unwrap();
    assert!((0.0..=1.0).contains(&acc));
    assert!(lines[5].starts_with("Label:  [") && lines[5].ends_with(']'));
    assert!(lines[6].starts_with("Prediction:  [") && lines[6].ends_with(']'));
    // stderr is not a terminal here: no progress bar.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_flag_values_are_one_line_errors_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let err = one_line_error(&mnist_tui(&["train", "--lr", "-1"], dir.path()));
    assert!(err.contains("learning_rate"), "{err}");
    let err = one_line_error(&mnist_tui(&["train", "--model", "vgg"], dir.path()));
    assert!(err.contains("model: unknown model 'vgg'"), "{err}");
    let err = one_line_error(&mnist_tui(&["train", "--train-limit", "50"], dir.path()));
    assert!(
        err.contains("batch_size: 100 is larger than the training set (50 images)"),
        "{err}"
    );
}

#[test]
fn bad_config_and_data_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "epochs = 2\nbogus = 1\n").unwrap();
    let err = one_line_error(&mnist_tui(&["train"], dir.path()));
    assert!(
        err.contains("config.toml: line 2: unknown field `bogus`"),
        "{err}"
    );
    std::fs::remove_file(dir.path().join("config.toml")).unwrap();

    let err = one_line_error(&mnist_tui(&["train", "--data", "nowhere"], dir.path()));
    assert!(err.contains("nowhere: not a directory"), "{err}");

    std::fs::write(dir.path().join("train-images-idx3-ubyte.gz"), b"not gzip").unwrap();
    let err = one_line_error(&mnist_tui(&["train", "--data", "."], dir.path()));
    assert!(
        err.contains("train-images-idx3-ubyte.gz: not gzip data"),
        "{err}"
    );
}

#[test]
fn bench_prints_a_table_and_one_json_line() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "bench",
        "--train-limit",
        "300",
        "--test-limit",
        "200",
        "--threads",
        "2",
    ];
    let out = mnist_tui(&args, dir.path());
    assert_success(&out);
    let stdout = String::from_utf8(out.stdout).unwrap();
    for want in [
        "samples/s",
        "images/s",
        "peak RSS",
        "conv1+pool+ReLU 1→32",
        "conv2+pool+ReLU 32→64",
        "dense 3136→10",
    ] {
        assert!(stdout.contains(want), "{want} missing from:\n{stdout}");
    }
    let json = stdout.lines().last().unwrap();
    assert!(json.starts_with('{') && json.ends_with('}'), "{json}");
    for key in [
        "\"samples_per_s\":",
        "\"sec_per_epoch\":",
        "\"infer_images_per_s\":",
        "\"peak_rss_mb\":",
        "\"layers\":[",
    ] {
        assert!(json.contains(key), "{key} missing from {json}");
    }
    // The launch time and the CPU use are measured, not left at zero: some time passes
    // before the first batch, and the kernel threads work while the epoch runs (two of
    // them here; the bounds are loose because a busy machine may stall a short run).
    let report: serde_json::Value = serde_json::from_str(json).unwrap();
    let launch = report["launch_to_first_batch_s"].as_f64().unwrap();
    assert!(launch > 0.0 && launch < 60.0, "{launch}");
    let cpu = report["cpu_use"].as_f64().unwrap();
    assert!(cpu > 0.05 && cpu < 3.0, "{cpu}");
    for line in ["launch", "CPU use"] {
        assert!(stdout.contains(line), "{line} missing from:\n{stdout}");
    }
}

#[test]
fn bench_compare_runs_rounds_of_both_thread_counts_and_reports_the_median_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "bench",
        "--compare",
        "threads",
        "--rounds",
        "3",
        "--train-limit",
        "200",
        "--threads",
        "2",
    ];
    let out = mnist_tui(&args, dir.path());
    assert_success(&out);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("median: 1 thread takes"),
        "no median in:\n{stdout}"
    );
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        report["variants"],
        serde_json::json!(["2 threads", "1 thread"])
    );
    let rounds = report["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 3);
    // The rounds take turns at which thread count goes first.
    let firsts: Vec<&str> = rounds
        .iter()
        .map(|r| r["first"].as_str().unwrap())
        .collect();
    assert_eq!(firsts, ["2 threads", "1 thread", "2 threads"]);
    let mut ratios = Vec::new();
    for round in rounds {
        let epochs = round["epochs"].as_array().unwrap();
        let speed = |i: usize| epochs[i]["samples_per_s"].as_f64().unwrap();
        assert!(speed(0) > 0.0 && speed(1) > 0.0, "{round}");
        // One seed gives one run whatever the thread count: the same cost to the bit.
        assert_eq!(epochs[0]["epoch_cost"], epochs[1]["epoch_cost"], "{round}");
        ratios.push(speed(0) / speed(1));
    }
    ratios.sort_by(f64::total_cmp);
    let median = report["median_time_ratios"][1].as_f64().unwrap();
    assert!(
        (median - ratios[1]).abs() < 1e-3,
        "{median} is not the median of {ratios:?}"
    );
}

#[test]
fn bench_compare_refuses_one_thread_and_zero_rounds() {
    let dir = tempfile::tempdir().unwrap();
    let one = ["bench", "--compare", "threads", "--threads", "1"];
    let err = one_line_error(&mnist_tui(&one, dir.path()));
    assert!(err.contains("--threads is 1: give 2 or more"), "{err}");
    let zero = ["bench", "--compare", "kernels", "--rounds", "0"];
    let out = mnist_tui(&zero, dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--rounds"));
}

#[test]
fn sigint_stops_headless_training_at_a_batch_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let child = crate::common::cli::binary()
        .args([
            "train",
            "--epochs",
            "50",
            "--train-limit",
            "2000",
            "--test-limit",
            "100",
            "--threads",
            "2",
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Let it get past start-up (data loading) and into training.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("interrupted: training stopped at a batch boundary"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("Learning started.") && !stdout.contains("Learning Finished!"),
        "{stdout}"
    );
}

#[test]
fn an_exploding_loss_stops_headless_training_with_exit_1_or_is_halved_away() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "train",
        "--lr",
        "10",
        "--epochs",
        "1",
        "--train-limit",
        "3000",
        "--test-limit",
        "500",
    ];
    let out = mnist_tui(&args, dir.path());
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "error: training diverged at epoch 1, batch 21 (learning rate 1e1): the loss blew up"
        ),
        "{err}"
    );
    assert!(err.contains("restored the weights from batch 0"), "{err}");

    let halve = [&args[..], &["--on-divergence", "halve"]].concat();
    let out = mnist_tui(&halve, dir.path());
    assert_success(&out);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.lines().count() >= 1, "{err}");
    assert!(
        err.lines()
            .all(|l| l.starts_with("warning: training diverged")),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Learning Finished!"));
}

#[test]
fn lr_find_prints_the_sweep_and_a_valley_between_1e_4_and_1e_2() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "lr-find",
        "--json",
        "--train-limit",
        "6000",
        "--test-limit",
        "100",
    ];
    let out = mnist_tui(&args, dir.path());
    assert_success(&out);
    let sweep: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let points = sweep["points"].as_array().unwrap();
    assert!((20..=100).contains(&points.len()), "{}", points.len());
    let first = points[0]["learning_rate"].as_f64().unwrap();
    assert!((first - 1e-7).abs() < 1e-12);
    let valley = sweep["suggestions"]["valley"].as_f64().unwrap();
    assert!((1e-4..=1e-2).contains(&valley), "valley {valley:e}");
    for key in ["steepest", "minimum_tenth"] {
        assert!(sweep["suggestions"][key].as_f64().is_some(), "{key}");
    }

    let out = mnist_tui(&args[1..], dir.path());
    assert!(!out.status.success(), "--json alone is not a command");
    let text = mnist_tui(&["lr-find", "--train-limit", "2000"], dir.path());
    assert_success(&text);
    let stdout = String::from_utf8(text.stdout).unwrap();
    assert!(
        stdout.starts_with("learning-rate range test (seed): "),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("suggestions: valley "),
        "{stdout}"
    );
}

#[test]
fn training_options_work_before_the_subcommand_as_after_it_and_are_checked_on_both_sides() {
    let dir = tempfile::tempdir().unwrap();
    let quick = [
        "--epochs",
        "1",
        "--train-limit",
        "1000",
        "--test-limit",
        "100",
    ];
    let before = mnist_tui(&[&quick[..], &["train"]].concat(), dir.path());
    let after = mnist_tui(&[&["train"][..], &quick].concat(), dir.path());
    assert_success(&before);
    assert_success(&after);
    // One epoch either way (not the default fifteen), and the same run.
    assert_eq!(before.stdout, after.stdout);
    let stdout = String::from_utf8_lossy(&before.stdout);
    assert_eq!(stdout.matches("Epoch: ").count(), 1, "{stdout}");
    // A bad value is refused wherever it stands.
    for args in [&["--lr", "-1", "train"][..], &["train", "--lr", "-1"]] {
        let err = one_line_error(&mnist_tui(args, dir.path()));
        assert!(
            err.contains("learning_rate: -1 is not a positive finite number"),
            "{err}"
        );
    }
    // Options of training given to predict are an error, not silently dropped.
    let err = one_line_error(&mnist_tui(
        &["--lr", "0.01", "predict", "x.png"],
        dir.path(),
    ));
    assert!(err.contains("do not apply"), "{err}");
    let err = one_line_error(&mnist_tui(
        &["--resume", "a", "train", "--pretrained"],
        dir.path(),
    ));
    assert!(err.contains("cannot be used together"), "{err}");
}

#[test]
fn completions_for_every_shell_and_the_manual_page_name_the_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = mnist_tui(&["completions", shell], dir.path());
        assert_success(&out);
        let script = String::from_utf8(out.stdout).unwrap();
        for sub in ["train", "bench", "predict", "lr-find", "completions", "man"] {
            assert!(script.contains(sub), "{shell}: no {sub}");
        }
        assert!(script.contains("--train-limit"), "{shell}: no flags");
    }
    let err = mnist_tui(&["completions", "cmd.exe"], dir.path());
    assert_eq!(err.status.code(), Some(2));
    let man = mnist_tui(&["man"], dir.path());
    assert_success(&man);
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(
        page.starts_with(".ie") && page.contains(".TH mnist-tui 1"),
        "{page}"
    );
    for sub in ["train", "bench", "predict", "lr\\-find"] {
        assert!(page.contains(sub), "man: no {sub}");
    }
}

#[test]
fn a_one_cycle_schedule_shows_in_the_metrics_file_rising_then_falling() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.csv");
    let args = [
        "train",
        "--epochs",
        "2",
        "--train-limit",
        "2000",
        "--test-limit",
        "100",
        "--schedule",
        "one-cycle",
        "--metrics",
        m.to_str().unwrap(),
    ];
    assert_success(&mnist_tui(&args, dir.path()));
    let text = std::fs::read_to_string(&m).unwrap();
    let rates: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with("batch,"))
        .map(|l| l.split(',').nth(5).unwrap().parse().unwrap())
        .collect();
    assert_eq!(rates.len(), 40);
    let peak = rates.iter().cloned().fold(0.0, f64::max);
    let at = rates.iter().position(|&r| r == peak).unwrap();
    assert!((peak - 0.001).abs() < 1e-12, "peak {peak}");
    assert!(rates[..=at].windows(2).all(|w| w[1] > w[0]), "rises");
    assert!(rates[at..].windows(2).all(|w| w[1] < w[0]), "falls");
    assert!(rates[0] < 0.05 * peak && *rates.last().unwrap() < 0.01 * peak);
    let err = one_line_error(&mnist_tui(&["train", "--schedule", "linear"], dir.path()));
    assert!(err.contains("schedule: unknown schedule 'linear'"), "{err}");
}
