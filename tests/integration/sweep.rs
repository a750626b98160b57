//! `mnist-tui sweep` as a script runs it: trials recorded and ranked, halving's cuts
//! recorded as pruned, and bad input refused in one line.

use crate::common::cli::{assert_success, expect_bad_input, mnist_tui};
use mnist_tui::train::runs::{self, ListState};

const SMALL: [&str; 6] = [
    "--train-limit",
    "2000",
    "--test-limit",
    "500",
    "--threads",
    "2",
];

#[test]
fn a_sweep_outside_a_terminal_records_each_trial_and_ranks_them() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        &["sweep", "--lr", "1e-4,1e-3,1e-2", "--epochs", "1"][..],
        &SMALL,
    ]
    .concat();
    let out = mnist_tui(&args, dir.path());
    assert_success(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("finished: accuracy").count(), 3, "{text}");
    let rank1 = text
        .lines()
        .find(|l| l.trim_start().starts_with("1  "))
        .unwrap();
    assert!(
        rank1.contains("lr 1e-2") && rank1.contains("finished"),
        "{text}"
    );
    let listed = runs::list(&dir.path().join("runs")).unwrap();
    assert_eq!(listed.len(), 3);
    let sweeps: Vec<String> = listed
        .iter()
        .map(|r| {
            r.summary
                .as_ref()
                .unwrap()
                .sweep
                .as_ref()
                .unwrap()
                .name
                .clone()
        })
        .collect();
    assert!(sweeps
        .iter()
        .all(|s| s == &sweeps[0] && s.starts_with("sweep-")));
    // The lr 1e-3 trial is the run `train` makes with the same settings.
    let trial = listed.iter().find(|r| r.name.ends_with("lr1e-3")).unwrap();
    assert_eq!(
        trial.summary.as_ref().unwrap().best.unwrap().accuracy,
        0.396
    );
}

#[test]
fn halving_stops_the_worse_half_at_each_rung_and_records_them_as_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        &[
            "sweep",
            "--lr",
            "1e-4..1e-2:4",
            "--epochs",
            "2",
            "--halving",
            "--json",
        ][..],
        &SMALL,
    ]
    .concat();
    let out = mnist_tui(&args, dir.path());
    assert_success(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let trials = json["trials"].as_array().unwrap();
    let outcomes: Vec<(&str, u64)> = trials
        .iter()
        .map(|t| {
            (
                t["outcome"].as_str().unwrap(),
                t["epochs"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("finished", 2),
            ("finished", 2),
            ("pruned", 1),
            ("pruned", 1)
        ]
    );
    let best = trials[0]["accuracy"].as_f64().unwrap();
    assert!(trials
        .iter()
        .skip(1)
        .all(|t| t["accuracy"].as_f64().unwrap() <= best));
    let listed = runs::list(&dir.path().join("runs")).unwrap();
    let pruned = listed
        .iter()
        .filter(|r| r.state == ListState::Pruned)
        .count();
    assert_eq!(pruned, 2);
    // A pruned trial keeps its checkpoint: it can be resumed.
    let p = listed
        .iter()
        .find(|r| r.state == ListState::Pruned)
        .unwrap();
    assert!(p.path.join(runs::CHECKPOINT_FILE).is_file());
}

#[test]
fn bad_sweep_input_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    expect_bad_input(
        &[
            (
                &["sweep", "--lr", "1e-4..1e-2"],
                "--lr: '1e-4..1e-2': a range is FROM..TO:N",
            ),
            (
                &["sweep", "--lr", "1e-2..1e-4:3"],
                "--lr: '1e-2..1e-4:3': the range must go up",
            ),
            (&["sweep", "--lrr", "1"], "unexpected argument '--lrr'"),
            (
                &["sweep", "--model", "seed,vgg"],
                "--model: 'vgg' is not a model",
            ),
            (
                &["sweep", "--batch-size", "0"],
                "--batch-size: 0 must be at least 1",
            ),
            (
                &["sweep", "--batch-size", "100,5000", "--train-limit", "2000"],
                "settings: batch_size: 5000 is larger than the training set",
            ),
            (
                &["sweep", "--repeats", "0"],
                "invalid value '0' for '--repeats",
            ),
        ],
        dir.path(),
    );
    assert!(!dir.path().join("runs").exists(), "nothing recorded");
}

#[test]
fn repeats_run_each_configuration_with_consecutive_seeds_and_report_their_spread() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        &["sweep", "--repeats", "2", "--epochs", "1", "--json"][..],
        &SMALL,
    ]
    .concat();
    let out = mnist_tui(&args, dir.path());
    assert_success(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let labels: Vec<&str> = json["trials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["trial"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"lr 1e-3 · seed 777") && labels.contains(&"lr 1e-3 · seed 778"));
    let repeats = &json["repeats"][0];
    assert_eq!(repeats["configuration"], "lr 1e-3");
    assert_eq!(repeats["seeds"], 2);
    let (min, max, mean) = (
        repeats["min"].as_f64().unwrap(),
        repeats["max"].as_f64().unwrap(),
        repeats["mean"].as_f64().unwrap(),
    );
    assert!(min <= mean && mean <= max);
    assert!(
        (mean - (min + max) / 2.0).abs() < 1e-12,
        "two seeds: the mean is the midpoint"
    );
    // The folders say which seed each is.
    let names: Vec<String> = runs::list(&dir.path().join("runs"))
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert!(names.iter().any(|n| n.ends_with("-s778")), "{names:?}");
}
