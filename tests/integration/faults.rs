//! Faults a user causes: kills during saves, interrupts, unwritable and bad files, and
//! training pushed off a cliff. Nothing saved is ever lost.

use crate::common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::cli::{assert_success, binary, expect_bad_input, mnist_tui as run, one_line_error};
use std::time::{Duration, Instant};

use mnist_tui::model::{Dev, SeedNet};
use mnist_tui::train::Checkpoint;

fn spawn(args: &[&str], cwd: &Path) -> Child {
    binary()
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn loadable(path: &Path) -> (usize, usize) {
    let c = Checkpoint::read(path).unwrap_or_else(|e| panic!("{e}"));
    c.restore::<SeedNet>(&Dev::default(), path).unwrap();
    (c.progress.position.epoch, c.progress.position.batch)
}

#[test]
fn sigkill_at_any_moment_of_saving_leaves_a_loadable_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("run.safetensors");
    // Two batches per epoch and a save at every epoch's end: the process is saving much
    // of the time, so kills land before, during and after writes.
    let base = [
        "train",
        "--train-limit",
        "200",
        "--test-limit",
        "20",
        "--epochs",
        "1000000",
        "--threads",
        "1",
        "--save",
        "run.safetensors",
    ];
    let mut positions = Vec::new();
    let mut delay = 137u64;
    for round in 0..20 {
        let mut args = base.to_vec();
        if round > 0 {
            args.extend(["--resume", "run.safetensors"]);
        }
        let mut child = spawn(&args, dir.path());
        let start = Instant::now();
        while round == 0 && !ck.exists() && start.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(5));
        }
        // A spread of moments, reproducible from run to run.
        delay = (delay * 7919 + 31) % 400;
        std::thread::sleep(Duration::from_millis(150 + delay));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        positions.push(loadable(&ck));
    }
    // Each resumed run went on from where the last one was killed.
    assert!(positions.windows(2).all(|w| w[1] >= w[0]), "{positions:?}");
    assert!(
        positions.last().unwrap().0 > positions[0].0,
        "{positions:?}"
    );
}

#[test]
fn sigint_saves_the_position_and_resume_goes_on_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let child = binary()
        .args([
            "train",
            "--epochs",
            "50",
            "--train-limit",
            "2000",
            "--test-limit",
            "100",
            "--save",
            "run.safetensors",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("saved run.safetensors"), "{stderr}");
    let (epoch, batch) = loadable(&dir.path().join("run.safetensors"));
    assert!(epoch > 0 || batch > 0);
    let out = run(
        &[
            "train",
            "--resume",
            "run.safetensors",
            "--epochs",
            &(epoch + 1).to_string(),
        ],
        dir.path(),
    );
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("Epoch: {:04} cost", epoch + 1)),
        "{stdout}"
    );
}

#[test]
fn an_unwritable_checkpoint_path_is_reported_and_training_continues() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), "").unwrap();
    let out = run(
        &[
            "train",
            "--epochs",
            "2",
            "--train-limit",
            "500",
            "--test-limit",
            "100",
            "--save",
            "file/run.safetensors",
        ],
        dir.path(),
    );
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: file/run.safetensors: cannot save"),
        "{stderr}"
    );
    assert!(stderr.contains("training continues"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Epoch: 0002"));
}

#[test]
fn divergence_can_halve_the_rate_and_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &[
            "train",
            "--lr",
            "1e30",
            "--on-divergence",
            "halve",
            "--epochs",
            "1",
            "--train-limit",
            "600",
            "--test-limit",
            "100",
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("continuing at learning rate 5e29"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Learning Finished!"));
    // The default: stop with the message and exit code 1.
    let out = run(
        &[
            "train",
            "--lr",
            "1e30",
            "--epochs",
            "1",
            "--train-limit",
            "600",
            "--test-limit",
            "100",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("restored the weights from batch 0; lower the learning rate"),
        "{stderr}"
    );
}

#[test]
fn metrics_stream_as_csv_or_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let common = [
        "train",
        "--epochs",
        "2",
        "--train-limit",
        "500",
        "--test-limit",
        "100",
    ];
    let mut args = common.to_vec();
    args.extend(["--metrics", "m.csv"]);
    assert!(run(&args, dir.path()).status.success());
    let csv = std::fs::read_to_string(dir.path().join("m.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("type,epoch,batch,"));
    let count = |t: &str| lines.iter().filter(|l| l.starts_with(t)).count();
    assert_eq!(
        (count("batch,"), count("epoch,"), count("evaluation,")),
        (10, 2, 2)
    );
    let columns = lines[0].split(',').count();
    assert!(lines.iter().all(|l| l.split(',').count() == columns));
    let mut args = common.to_vec();
    args.extend(["--metrics", "m.jsonl"]);
    assert!(run(&args, dir.path()).status.success());
    let jsonl = std::fs::read_to_string(dir.path().join("m.jsonl")).unwrap();
    let types: Vec<String> = jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    // The measurements as in the CSV, and around them what `view` draws: the header first,
    // a sample at the start and after each epoch, how the run ended.
    let count = |t: &str| types.iter().filter(|x| *x == t).count();
    assert_eq!(
        (count("batch"), count("epoch"), count("evaluation")),
        (10, 2, 2)
    );
    assert_eq!((count("run"), count("sample")), (1, 3));
    assert_eq!(types[0], "run");
    assert_eq!(types[types.len() - 2..], ["finished", "stopped"]);
}

#[test]
fn bad_resume_and_output_files_are_one_line_errors_that_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("garbage.safetensors"), [0u8; 100]).unwrap();
    let ok = run(
        &[
            "train",
            "--epochs",
            "1",
            "--train-limit",
            "300",
            "--test-limit",
            "50",
            "--save",
            "seed.safetensors",
        ],
        dir.path(),
    );
    assert!(ok.status.success());
    let cases: [(&[&str], &str); 4] = [
        (
            &["train", "--resume", "garbage.safetensors"],
            "garbage.safetensors: not a safetensors checkpoint",
        ),
        (
            &["train", "--resume", "missing.safetensors"],
            "missing.safetensors: cannot read",
        ),
        (
            &["train", "--resume", "seed.safetensors", "--model", "deep"],
            "seed.safetensors: holds a 'seed' model, not 'deep'",
        ),
        (
            &[
                "train",
                "--metrics",
                "no/such/dir/m.csv",
                "--save",
                "new.safetensors",
            ],
            "no/such/dir/m.csv: cannot create",
        ),
    ];
    expect_bad_input(&cases, dir.path());
    assert!(!dir.path().join("new.safetensors").exists());
}

#[test]
fn a_checkpoint_directory_keeps_every_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &[
            "train",
            "--epochs",
            "3",
            "--train-limit",
            "500",
            "--test-limit",
            "50",
            "--checkpoint-dir",
            "runs/a",
        ],
        dir.path(),
    );
    assert_success(&out);
    for epoch in 1..=3 {
        let path = dir
            .path()
            .join(format!("runs/a/seed-epoch-{epoch:03}.safetensors"));
        assert_eq!(loadable(&path), (epoch, 0));
    }
    std::fs::write(dir.path().join("file"), "").unwrap();
    let err = one_line_error(&run(&["train", "--checkpoint-dir", "file/x"], dir.path()));
    assert!(
        err.starts_with("error: file/x: cannot create the checkpoint directory"),
        "{err}"
    );
}
