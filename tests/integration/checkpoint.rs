//! Checkpoints: the optimiser matches dfdx's, files round-trip, resumed runs equal
//! uninterrupted ones to the bit, and every damaged or foreign file is refused cleanly.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dfdx::prelude::*;
use mnist_tui::config::Settings;
use mnist_tui::data::Dataset;
use mnist_tui::model::params::export;
use mnist_tui::model::{DeepNet, Dev, Network, SeedNet};
use mnist_tui::train::adam::{Adam, AdamConfig, Update};
use mnist_tui::train::eval::images_tensor;
use mnist_tui::train::{self, Checkpoint, Command, Event, Record, WorkerHandle, WorkerOptions};
use proptest::prelude::*;

fn subset(train: usize, test: usize) -> Arc<Dataset> {
    let mut d = Dataset::embedded().unwrap();
    d.train.truncate(train);
    d.test.truncate(test);
    Arc::new(d)
}

/// Gradients of the cross-entropy of `net` on the first `n` training images.
fn gradients<N: Network>(
    net: &mut N,
    dev: &Dev,
    data: &Dataset,
    n: usize,
) -> mnist_tui::model::Grads {
    let idx: Vec<usize> = (0..n).collect();
    let x = images_tensor(dev, &data.train, &idx);
    let mut onehot = vec![0.0f32; n * 10];
    for (row, &i) in idx.iter().enumerate() {
        onehot[row * 10 + data.train.labels[i] as usize] = 1.0;
    }
    let y = dev.tensor_from_vec(onehot, (n, Const::<10>));
    let logits = net.forward_train(x.traced(net.alloc_grads()));
    cross_entropy_with_logits_loss(logits, y).backward()
}

#[test]
fn our_adam_matches_dfdx_adam_to_the_bit() {
    let data = subset(50, 10);
    let dev = Dev::seed_from_u64(3);
    let mut ours_net = SeedNet::build_seeded(&dev, 3);
    let mut dfdx_net = ours_net.clone();
    let mut ours = Adam::new(AdamConfig::with_lr(0.01));
    let mut theirs = dfdx::optim::Adam::new(
        &dfdx_net,
        dfdx::optim::AdamConfig {
            lr: 0.01,
            betas: [0.9, 0.999],
            eps: 1e-8,
            weight_decay: None,
        },
    );
    for _ in 0..3 {
        let mut g = gradients(&mut ours_net, &dev, &data, 20);
        assert_eq!(ours.update(&mut ours_net, &mut g), Update::Applied);
        let g = gradients(&mut dfdx_net, &dev, &data, 20);
        theirs.update(&mut dfdx_net, &g).unwrap();
    }
    let (a, b) = (export(&ours_net), export(&dfdx_net));
    assert_eq!(a, b);
    assert_ne!(
        a,
        export(&SeedNet::build_seeded(&dev, 3)),
        "the weights moved"
    );
}

#[test]
fn the_update_leaves_every_gradient_it_read_at_zero() {
    let data = subset(50, 10);
    let dev = Dev::seed_from_u64(3);
    let mut net = SeedNet::build_seeded(&dev, 3);
    let mut g = gradients(&mut net, &dev, &data, 20);
    let (conv1, dense) = (&net.0.weight, &net.2 .1.weight);
    let nonzero = |v: Vec<f32>| v.iter().filter(|&&x| x != 0.0).count();
    assert!(nonzero(g.get(conv1).as_vec()) > 0 && nonzero(g.get(dense).as_vec()) > 0);
    let mut adam = Adam::new(AdamConfig::with_lr(0.01));
    assert_eq!(adam.update(&mut net, &mut g), Update::Applied);
    let (conv1, dense) = (&net.0.weight, &net.2 .1.weight);
    assert_eq!(nonzero(g.get(conv1).as_vec()), 0);
    assert_eq!(nonzero(g.get(dense).as_vec()), 0);
}

#[test]
fn non_finite_weights_are_reported_by_the_update() {
    let data = subset(50, 10);
    let dev = Dev::seed_from_u64(3);
    let mut net = SeedNet::build_seeded(&dev, 3);
    // A rate that overflows f32 turns every updated weight infinite.
    let mut adam = Adam::new(AdamConfig::with_lr(1e300));
    let mut g = gradients(&mut net, &dev, &data, 10);
    assert_eq!(adam.update(&mut net, &mut g), Update::NonFiniteWeights);
}

fn settings(epochs: usize) -> Settings {
    Settings {
        epochs,
        threads: 2,
        ..Settings::default()
    }
}

fn run_to_end(w: WorkerHandle) -> Vec<Event> {
    let events: Vec<Event> = w.events.iter().collect();
    w.thread.join().unwrap();
    events
}

fn headless(
    data: &Arc<Dataset>,
    epochs: usize,
    save: &Path,
    resume: Option<&Path>,
) -> WorkerHandle {
    let mut o = WorkerOptions::headless(settings(epochs));
    o.save_to = Some(save.to_path_buf());
    if let Some(r) = resume {
        o.resume = Some((Arc::new(Checkpoint::read(r).unwrap()), r.to_path_buf()));
    }
    train::spawn(data.clone(), o).unwrap()
}

fn batch_losses(c: &Checkpoint) -> Vec<(usize, usize, f32)> {
    c.progress
        .history
        .iter()
        .filter_map(|r| match r {
            Record::Batch(b) => Some((b.epoch, b.batch, b.loss)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_resumed_run_equals_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| -> PathBuf { dir.path().join(n) };
    let data = subset(1000, 200);
    run_to_end(headless(&data, 2, &p("whole"), None));
    run_to_end(headless(&data, 1, &p("first"), None));
    let events = run_to_end(headless(&data, 2, &p("resumed"), Some(&p("first"))));
    // The resumed run first replays the saved curve, then trains epoch 2 only.
    let finished: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            Event::EpochFinished(e) => Some(e.epoch),
            _ => None,
        })
        .collect();
    assert_eq!(finished, vec![0, 1]);
    let whole = Checkpoint::read(&p("whole")).unwrap();
    let resumed = Checkpoint::read(&p("resumed")).unwrap();
    assert_eq!(whole.weights, resumed.weights);
    assert_eq!(whole.moments, resumed.moments);
    assert_eq!(batch_losses(&whole), batch_losses(&resumed));
    assert_eq!(
        (
            resumed.progress.position.epoch,
            resumed.progress.position.batch
        ),
        (2, 0)
    );
}

#[test]
fn a_run_stopped_mid_epoch_resumes_at_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| -> PathBuf { dir.path().join(n) };
    let data = subset(1000, 200);
    run_to_end(headless(&data, 2, &p("whole"), None));
    // Stop after some batches of epoch 1; the stop writes a checkpoint where it stopped.
    let w = headless(&data, 2, &p("stopped"), None);
    let (mut seen, mut stop_sent) = (0, false);
    for e in w.events.iter() {
        if let Event::Batches(list) = &e {
            seen += list.len();
            // Once: a second Stop could find the worker gone (its receiver dropped).
            if seen >= 4 && !stop_sent {
                w.commands.send(Command::Stop).unwrap();
                stop_sent = true;
            }
        }
        if e == Event::Stopped {
            break;
        }
    }
    w.thread.join().unwrap();
    let stopped = Checkpoint::read(&p("stopped")).unwrap();
    let at = (
        stopped.progress.position.epoch,
        stopped.progress.position.batch,
    );
    assert!(at.0 == 0 && at.1 >= 4 && at.1 < 10, "{at:?}");
    run_to_end(headless(&data, 2, &p("resumed"), Some(&p("stopped"))));
    let whole = Checkpoint::read(&p("whole")).unwrap();
    let resumed = Checkpoint::read(&p("resumed")).unwrap();
    assert_eq!(whole.weights, resumed.weights);
    assert_eq!(batch_losses(&whole), batch_losses(&resumed));
}

fn small_checkpoint() -> Checkpoint {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c");
    run_to_end(headless(&subset(300, 100), 1, &path, None));
    Checkpoint::read(&path).unwrap()
}

#[test]
fn checkpoints_round_trip_and_refuse_the_wrong_model() {
    let c = small_checkpoint();
    let back = Checkpoint::from_bytes(&c.to_bytes(), Path::new("x")).unwrap();
    assert_eq!(back, c);
    let dev = Dev::default();
    assert!(c.restore::<SeedNet>(&dev, Path::new("x")).is_ok());
    let e = c
        .restore::<DeepNet>(&dev, Path::new("run.safetensors"))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "run.safetensors: holds a 'seed' model, not 'deep'"
    );
}

#[test]
fn damaged_and_foreign_files_are_refused_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let c = small_checkpoint();
    let bytes = c.to_bytes();
    let name = Path::new("c.safetensors");
    // Truncated anywhere.
    for cut in (0..bytes.len()).step_by(bytes.len() / 97 + 1) {
        let e = Checkpoint::from_bytes(&bytes[..cut], name)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.safetensors: ") && !e.contains('\n'), "{e}");
    }
    // Not safetensors at all.
    let e = Checkpoint::from_bytes(b"epochs = 3\n", name).unwrap_err();
    assert!(e.problem.starts_with("not a safetensors checkpoint"), "{e}");
    // A dfdx model file: safetensors, but no run metadata.
    let plain = dir.path().join("plain.safetensors");
    SeedNet::build_seeded(&Dev::default(), 1)
        .save_safetensors(&plain)
        .unwrap();
    let e = Checkpoint::read(&plain).unwrap_err();
    assert!(e.problem.contains("not an mnist-tui checkpoint"), "{e}");
    // A missing file.
    let e = Checkpoint::read(&dir.path().join("nope")).unwrap_err();
    assert!(e.problem.starts_with("cannot read"), "{e}");
}

#[test]
fn saving_is_atomic_and_failures_leave_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let c = small_checkpoint();
    let path = dir.path().join("run.safetensors");
    c.save(&path).unwrap();
    let before = std::fs::read(&path).unwrap();
    // A directory in the way of the temporary file: the save fails, the old file stays.
    let blocker = dir
        .path()
        .join(format!(".run.safetensors.tmp-{}", std::process::id()));
    std::fs::create_dir(&blocker).unwrap();
    let e = c.save(&path).unwrap_err();
    assert!(e.problem.starts_with("cannot save"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    std::fs::remove_dir(&blocker).unwrap();
    // A parent that is a file.
    let e = c.save(&path.join("x")).unwrap_err();
    assert!(e.problem.starts_with("cannot save"), "{e}");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("run.safetensors")],
        "no stray files"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Fuzzing the reader: any corruption of a real checkpoint is an error or a checkpoint
    /// that restores or is refused, never a panic.
    #[test]
    fn corrupted_checkpoints_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let bytes = FUZZ_BASE.with(|b| b.clone());
        let mut bytes = bytes;
        for (i, v) in flips {
            let i = i.index(bytes.len());
            bytes[i] ^= v;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        if let Ok(c) = Checkpoint::from_bytes(&bytes, Path::new("f")) {
            let _ = c.restore::<SeedNet>(&Dev::default(), Path::new("f"));
        }
    }

    #[test]
    fn random_bytes_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        prop_assert!(Checkpoint::from_bytes(&bytes, Path::new("f")).is_err());
    }
}

thread_local! {
    static FUZZ_BASE: Vec<u8> = small_checkpoint().to_bytes();
}

#[test]
fn a_finished_run_resumed_on_the_dashboard_reports_its_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("done");
    let data = subset(300, 100);
    run_to_end(headless(&data, 1, &path, None));
    let mut o = WorkerOptions::dashboard(settings(1));
    o.resume = Some((Arc::new(Checkpoint::read(&path).unwrap()), path.clone()));
    let w = train::spawn(data, o).unwrap();
    let mut report = None;
    for e in w.events.iter() {
        match e {
            Event::TestReport(r) => report = Some(r),
            Event::Finished { .. } => {
                w.commands.send(Command::Stop).unwrap();
            }
            Event::Stopped => break,
            _ => {}
        }
    }
    w.thread.join().unwrap();
    let report = report.expect("a test report without training anything");
    let total: u32 = report.confusion.iter().flatten().sum();
    assert_eq!(total, 100);
    assert_eq!(report.at_epoch, 1.0);
}

#[test]
fn a_scheduled_run_stopped_mid_epoch_resumes_exactly_with_its_schedule_and_base() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| -> PathBuf { dir.path().join(n) };
    let data = subset(1000, 200);
    let spawn = |save: &str, resume: Option<&str>| {
        let mut o = WorkerOptions::headless(Settings {
            schedule: mnist_tui::train::Schedule::OneCycle,
            learning_rate: 0.003,
            ..settings(2)
        });
        o.save_to = Some(p(save));
        if let Some(r) = resume {
            o.resume = Some((Arc::new(Checkpoint::read(&p(r)).unwrap()), p(r)));
        }
        train::spawn(data.clone(), o).unwrap()
    };
    run_to_end(spawn("whole", None));
    let w = spawn("stopped", None);
    let (mut seen, mut stop_sent) = (0, false);
    for e in w.events.iter() {
        if let Event::Batches(list) = &e {
            seen += list.len();
            // Once: a second Stop could find the worker gone (its receiver dropped).
            if seen >= 13 && !stop_sent {
                w.commands.send(Command::Stop).unwrap();
                stop_sent = true;
            }
        }
        if e == Event::Stopped {
            break;
        }
    }
    w.thread.join().unwrap();
    let stopped = Checkpoint::read(&p("stopped")).unwrap();
    let saved = &stopped.progress.settings;
    assert_eq!(saved.schedule, mnist_tui::train::Schedule::OneCycle);
    assert_eq!(saved.base_rate, Some(0.003));
    // The rate in force when it stopped is the schedule's, not the base.
    assert!(saved.learning_rate > 0.0 && saved.learning_rate != 0.003);
    run_to_end(spawn("resumed", Some("stopped")));
    let whole = Checkpoint::read(&p("whole")).unwrap();
    let resumed = Checkpoint::read(&p("resumed")).unwrap();
    assert_eq!(whole.weights, resumed.weights);
    assert_eq!(batch_losses(&whole), batch_losses(&resumed));
    // The rates rose and fell as one-cycle says, batch by batch the same in both.
    let rates: Vec<f64> = whole
        .progress
        .history
        .iter()
        .filter_map(|r| match r {
            Record::Batch(b) => Some(b.learning_rate),
            _ => None,
        })
        .collect();
    let peak = rates.iter().cloned().fold(0.0, f64::max);
    let at = rates.iter().position(|&r| r == peak).unwrap();
    assert!((peak - 0.003).abs() < 1e-4, "{peak}");
    assert!(
        at > 0 && at < rates.len() - 1,
        "rises then falls: peak at {at}"
    );
}

#[test]
fn the_shipped_model_is_weights_only_and_still_classifies_the_test_set() {
    let c = mnist_tui::pretrained::checkpoint().unwrap();
    assert!(c.moments.is_empty() && c.progress.history.is_empty());
    assert!(c.to_bytes().len() < 250_000, "{} bytes", c.to_bytes().len());
    let dev = Dev::default();
    let (net, adam) = c.restore::<SeedNet>(&dev, Path::new("pretrained")).unwrap();
    // Resuming from it starts a fresh optimiser, not one at step 9 000 with no moments.
    assert_eq!(adam.t, 0);
    let data = Dataset::embedded().unwrap();
    let acc = train::eval::accuracy(&net, &data.test, 2_000);
    assert!(acc > 0.98, "accuracy {acc}");
}
