//! `mnist-tui sweep` as a script runs it: trials recorded and ranked, halving's cuts
//! recorded as pruned, and bad input refused in one line.

use std::io::BufRead;
use std::process::{Command, Stdio};

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
            (
                &["sweep", "--random", "2", "--lr", "1e-2..1e-4"],
                "--lr: '1e-2..1e-4': the range must go up",
            ),
            (
                &["sweep", "--random", "3", "--lr", "1e-3,1e-2"],
                "sweep: only 2 different configurations can be drawn, not 3",
            ),
            (
                &["sweep", "--resume", "runs", "--lr", "1e-3"],
                "the argument '--resume <SWEEP>' cannot be used with '--lr <RATES>'",
            ),
            (
                &["sweep", "--resume", "sweep-19700101-000000"],
                "sweep-19700101-000000: not a sweep",
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

/// The trials of a `--json` sweep as `(trial, outcome, epochs, accuracy)`, sorted by trial.
fn outcomes(json: &serde_json::Value) -> Vec<(String, String, u64, Option<f64>)> {
    let mut rows: Vec<_> = json["trials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["trial"].as_str().unwrap().to_string(),
                t["outcome"].as_str().unwrap().to_string(),
                t["epochs"].as_u64().unwrap(),
                t["accuracy"].as_f64(),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

#[test]
fn a_sweep_stopped_midway_and_resumed_ends_as_the_same_sweep_run_through() {
    let grid = [
        &[
            "sweep",
            "--lr",
            "1e-4..1e-2:4",
            "--epochs",
            "2",
            "--halving",
        ][..],
        &SMALL,
    ]
    .concat();
    let through = tempfile::tempdir().unwrap();
    let out = mnist_tui(&[&grid[..], &["--json"]].concat(), through.path());
    assert_success(&out);
    let expected = outcomes(&serde_json::from_slice(&out.stdout).unwrap());

    // Ctrl-C once the first trial reaches its first rung: the others are mid-epoch.
    let stopped = tempfile::tempdir().unwrap();
    let mut child = crate::common::cli::binary()
        .args(&grid)
        .current_dir(stopped.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("rung of 1 epoch"), "{first}");
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    child.wait().unwrap();
    assert!(
        rest.iter()
            .any(|l| l.ends_with("stopped") || l.contains(" stopped ")),
        "the sweep was stopped midway: {rest:?}"
    );

    let out = mnist_tui(&["sweep", "--resume", "runs", "--json"], stopped.path());
    assert_success(&out);
    let resumed = outcomes(&serde_json::from_slice(&out.stdout).unwrap());
    assert_eq!(resumed, expected);
    // The cut trials are recorded as pruned, as in the run-through.
    let pruned = |dir: &std::path::Path| {
        runs::list(&dir.join("runs"))
            .unwrap()
            .iter()
            .filter(|r| r.state == ListState::Pruned)
            .count()
    };
    assert_eq!(pruned(stopped.path()), pruned(through.path()));
}

#[test]
fn a_random_search_draws_its_trials_from_the_ranges_and_records_each() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        &[
            "sweep",
            "--random",
            "3",
            "--lr",
            "1e-4..1e-2",
            "--epochs",
            "1",
            "--json",
        ][..],
        &SMALL,
    ]
    .concat();
    let out = mnist_tui(&args, dir.path());
    assert_success(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rates: Vec<f64> = runs::list(&dir.path().join("runs"))
        .unwrap()
        .iter()
        .map(|r| r.summary.as_ref().unwrap().learning_rate)
        .collect();
    assert_eq!(rates.len(), 3);
    assert!(rates.iter().all(|r| (1e-4..=1e-2).contains(r)), "{rates:?}");
    assert_eq!(json["trials"].as_array().unwrap().len(), 3);
    // The same command draws the same rates.
    let again = tempfile::tempdir().unwrap();
    assert_success(&mnist_tui(&args, again.path()));
    let mut first = rates.clone();
    let mut second: Vec<f64> = runs::list(&again.path().join("runs"))
        .unwrap()
        .iter()
        .map(|r| r.summary.as_ref().unwrap().learning_rate)
        .collect();
    first.sort_by(f64::total_cmp);
    second.sort_by(f64::total_cmp);
    assert_eq!(first, second);
}
