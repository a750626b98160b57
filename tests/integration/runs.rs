//! Every run recorded, and the runs directory read back: the folders `train` leaves, what
//! `runs --list` says of them, and entries that are not whole runs.

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::common::cli::{assert_success, mnist_tui};
use mnist_tui::train::runs::{self, ListState};

const QUICK: [&str; 9] = [
    "train",
    "--epochs",
    "1",
    "--train-limit",
    "2000",
    "--test-limit",
    "500",
    "--threads",
    "2",
];

fn folders(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    found.sort();
    found
}

#[test]
fn a_run_leaves_one_folder_that_runs_list_reports_with_its_rate_and_best_accuracy() {
    let dir = tempfile::tempdir().unwrap();
    let out = mnist_tui(&QUICK, dir.path());
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let printed: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Accuracy: "))
        .unwrap()
        .parse()
        .unwrap();
    let found = folders(&dir.path().join("runs"));
    assert_eq!(found.len(), 1, "{found:?}");
    for file in [
        runs::METRICS_FILE,
        runs::CHECKPOINT_FILE,
        runs::SUMMARY_FILE,
    ] {
        assert!(found[0].join(file).is_file(), "{file} missing");
    }
    let list = mnist_tui(&["runs", "--list", "--json"], dir.path());
    assert_success(&list);
    let json: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["state"], "finished");
    let summary = &entries[0]["summary"];
    assert_eq!(summary["learning_rate"], 0.001);
    assert_eq!(summary["epochs_done"], 1);
    let best = summary["best"]["accuracy"].as_f64().unwrap();
    assert!((best - printed).abs() < 5e-5, "{best} against {printed}");

    // The recorded checkpoint continues the run, as a new run naming its parent.
    let name = found[0].file_name().unwrap().to_string_lossy().to_string();
    let from = format!("runs/{name}");
    let resumed = mnist_tui(
        &[
            "train",
            "--resume",
            &from,
            "--epochs",
            "2",
            "--threads",
            "2",
        ],
        dir.path(),
    );
    assert_success(&resumed);
    let listed = runs::list(&dir.path().join("runs")).unwrap();
    assert_eq!(listed.len(), 2);
    let child = listed.iter().find(|r| r.name != name).unwrap();
    let summary = child.summary.as_ref().unwrap();
    let parent = summary
        .parent
        .as_ref()
        .expect("the resumed run names its parent");
    assert_eq!(
        (parent.name.as_str(), parent.epoch, parent.batch),
        (name.as_str(), 1, 0)
    );
    assert_eq!(
        summary.epochs_done, 2,
        "the parent's epoch is in the new run's record"
    );
    let text = mnist_tui(&["runs", "--list"], dir.path());
    assert!(String::from_utf8_lossy(&text.stdout).contains(&name));
    // The CSV form: a header and a line per run, every line as wide as the header.
    let csv = mnist_tui(&["runs", "--list", "--csv"], dir.path());
    assert_success(&csv);
    let csv = String::from_utf8_lossy(&csv.stdout).to_string();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3);
    let columns = lines[0].split(',').count();
    assert!(
        lines.iter().all(|l| l.split(',').count() == columns),
        "{csv}"
    );
    assert!(lines[1..].iter().any(|l| l.contains(",finished,")));
}

#[test]
fn no_record_leaves_nothing_and_runs_dir_chooses_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let out = mnist_tui(&[&QUICK[..], &["--no-record"]].concat(), dir.path());
    assert_success(&out);
    assert!(folders(dir.path()).is_empty(), "{:?}", folders(dir.path()));
    let out = mnist_tui(
        &[&QUICK[..], &["--runs-dir", "elsewhere"]].concat(),
        dir.path(),
    );
    assert_success(&out);
    assert_eq!(folders(&dir.path().join("elsewhere")).len(), 1);
    assert!(!dir.path().join("runs").exists());
    // The config key does the same.
    std::fs::write(dir.path().join("config.toml"), "runs_dir = \"kept\"\n").unwrap();
    assert_success(&mnist_tui(&QUICK, dir.path()));
    assert_eq!(folders(&dir.path().join("kept")).len(), 1);
}

#[test]
fn a_runs_directory_that_cannot_be_made_is_a_one_line_error_before_training() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("taken"), b"a file").unwrap();
    let out = mnist_tui(&[&QUICK[..], &["--runs-dir", "taken"]].concat(), dir.path());
    let err = crate::common::cli::one_line_error(&out);
    assert!(
        err.contains("taken: cannot create the runs directory"),
        "{err}"
    );
}

const HEADER: &str = r#"{"type":"run","model":"seed","data_name":"MNIST","train_len":100,"test_len":10,"batch_size":10,"batches_per_epoch":10,"epochs":2,"learning_rate":0.001,"threads":1,"kernels":"portable","schedule":"constant"}"#;

fn batch_line(epoch: usize, batch: usize) -> String {
    format!(
        r#"{{"type":"batch","epoch":{epoch},"batch":{batch},"loss":1.5,"learning_rate":0.001,"correct":5,"size":10}}"#
    )
}

/// A metrics file of one finished epoch (and, if `finished`, the run's end).
fn metrics(finished: bool) -> String {
    let mut lines = vec![HEADER.to_string()];
    lines.extend((0..10).map(|b| batch_line(0, b)));
    lines.push(
        r#"{"type":"epoch","epoch":0,"average_cost":1.5,"seconds":1.0,"samples_per_second":100.0}"#
            .into(),
    );
    lines.push(r#"{"type":"evaluation","at_epoch":1.0,"kind":"full","accuracy":0.8}"#.into());
    if finished {
        lines.push(r#"{"type":"finished","accuracy":0.8}"#.into());
    }
    lines.join("\n") + "\n"
}

/// Makes `file` look untouched for an hour: nobody writes it any more.
fn age(file: &Path) {
    let f = std::fs::File::options().append(true).open(file).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
}

#[test]
fn good_truncated_foreign_unreadable_and_growing_entries_are_each_listed_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |name: &str, text: &str| {
        std::fs::create_dir(d.join(name)).unwrap();
        let file = d.join(name).join(runs::METRICS_FILE);
        std::fs::write(&file, text).unwrap();
        file
    };
    // Recorded before its summary was written: rebuilt from the metrics file.
    age(&run("a-good", &metrics(true)));
    let cut = metrics(false);
    age(&run("b-truncated", &cut[..cut.len() - 30]));
    run("c-growing", &metrics(false));
    std::fs::create_dir(d.join("d-not-a-run")).unwrap();
    std::fs::write(d.join("e-foreign.txt"), "hello").unwrap();
    run("f-garbage", "this is not json\n");
    std::fs::create_dir(d.join("g-bad-summary")).unwrap();
    std::fs::write(d.join("g-bad-summary").join(runs::SUMMARY_FILE), "{ cut").unwrap();
    // A summary cut mid-write falls back on the metrics file.
    age(&run("h-summary-cut", &metrics(true)));
    std::fs::write(
        d.join("h-summary-cut").join(runs::SUMMARY_FILE),
        "{ \"format\"",
    )
    .unwrap();

    let listed = runs::list(d).unwrap();
    let states: Vec<(&str, ListState)> =
        listed.iter().map(|r| (r.name.as_str(), r.state)).collect();
    assert_eq!(
        states,
        [
            ("a-good", ListState::Finished),
            ("b-truncated", ListState::Truncated),
            ("c-growing", ListState::Live),
            ("d-not-a-run", ListState::NotARun),
            ("e-foreign.txt", ListState::NotARun),
            ("f-garbage", ListState::Unreadable),
            ("g-bad-summary", ListState::Unreadable),
            ("h-summary-cut", ListState::Finished),
        ]
    );
    let good = listed[0].summary.as_ref().unwrap();
    assert_eq!(good.best.unwrap().accuracy, 0.8);
    assert_eq!(good.epochs_done, 1);
    assert!(listed[5]
        .problem
        .as_ref()
        .unwrap()
        .contains("not a mnist-tui metrics file"));
    // The text form lists them all too, one line each after the header.
    let out = mnist_tui(&["runs", "--list", &d.display().to_string()], d);
    assert_success(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 9);
}

#[test]
fn a_missing_runs_directory_lists_as_empty_and_a_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = mnist_tui(&["runs", "--list", "--json"], dir.path());
    assert_success(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
    std::fs::write(dir.path().join("f"), "x").unwrap();
    let out = mnist_tui(&["runs", "--list", "f"], dir.path());
    let err = crate::common::cli::one_line_error(&out);
    assert!(err.contains("f: cannot read the runs directory"), "{err}");
}
