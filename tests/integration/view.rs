//! `mnist-tui view FILE`: a metrics file written by a real run draws the curves the live
//! dashboard drew, and files that are not metrics files are refused in one line.

use crate::common;

use std::sync::Arc;
use std::time::Instant;

use common::cli::{expect_bad_input, mnist_tui};
use mnist_tui::app::{update, App, Msg};
use mnist_tui::config::Settings;
use mnist_tui::data::Dataset;
use mnist_tui::train::{self, Command, Event, FileState, WorkerOptions};
use mnist_tui::ui;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn panels(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(70, 30)).unwrap();
    t.draw(|f| {
        let [cost, accuracy] = ratatui::layout::Layout::vertical([
            ratatui::layout::Constraint::Length(15),
            ratatui::layout::Constraint::Length(15),
        ])
        .areas(f.area());
        ui::draw_cost(f, cost, &ui::Curves::of(app));
        ui::draw_accuracy(f, accuracy, &ui::Curves::of(app));
    })
    .unwrap();
    format!("{}", t.backend())
}

#[test]
fn a_viewed_metrics_file_draws_the_curves_the_live_dashboard_drew() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.jsonl");
    let mut data = Dataset::embedded().unwrap();
    data.train.truncate(2_000);
    data.test.truncate(300);
    let mut options = WorkerOptions::dashboard(Settings {
        epochs: 2,
        threads: 2,
        ..Settings::default()
    });
    (options.quick_eval_every, options.stay_after_finish) = (Some(5), false);
    options.metrics = Some(file.clone());
    let worker = train::spawn(Arc::new(data), options).unwrap();
    let now = Instant::now();
    let mut live = App::new(now, (120, 40));
    for event in worker.events.iter() {
        update(&mut live, Msg::Worker(event));
    }
    worker.thread.join().unwrap();

    let follower = train::follow(&file).unwrap();
    let mut viewed = App::new(now, (120, 40));
    for event in follower.events.iter() {
        let done = matches!(
            event,
            Event::Following {
                state: FileState::Complete,
                ..
            }
        );
        update(&mut viewed, Msg::Worker(event));
        if done {
            follower.commands.send(Command::Stop).unwrap();
        }
    }
    follower.thread.join().unwrap();

    assert!(viewed.viewing.is_some());
    assert_eq!(viewed.run.final_accuracy, live.run.final_accuracy);
    assert!(live.run.final_accuracy.is_some());
    let drawn = panels(&viewed);
    assert_eq!(drawn, panels(&live));
    // Two epochs of 20 batches and 8 quick evaluations: the curves are really there.
    assert_eq!(viewed.run.batches_done, 40);
    assert!(viewed.sample.is_some() && viewed.filters.weights.is_some());
    insta::assert_snapshot!(drawn);
}

#[test]
fn view_refuses_what_is_not_a_metrics_file_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello\n").unwrap();
    std::fs::write(dir.path().join("run.csv"), "type,epoch\n").unwrap();
    let batch = r#"{"type":"batch","epoch":0,"batch":0,"loss":2.3,"learning_rate":0.001,"correct":1,"size":10}"#;
    std::fs::write(dir.path().join("old.jsonl"), format!("{batch}\n")).unwrap();
    expect_bad_input(
        &[
            (
                &["view", "notes.txt"],
                "notes.txt: not a mnist-tui metrics file",
            ),
            (&["view", "missing.jsonl"], "missing.jsonl: cannot read"),
            (
                &["view", "run.csv"],
                "run.csv: a CSV metrics file holds the measurements only",
            ),
            (
                &["view", "old.jsonl"],
                "old.jsonl: the run's header line is missing",
            ),
            (
                &["--lr", "0.1", "view", "old.jsonl"],
                "training options before `view` do not apply to it",
            ),
        ],
        dir.path(),
    );
    // A good file, but no terminal to draw on: said so, exit 2.
    let good = dir.path().join("good.jsonl");
    let header = r#"{"type":"run","model":"seed","data_name":"MNIST","train_len":100,"test_len":10,"batch_size":10,"batches_per_epoch":10,"epochs":1,"learning_rate":0.001,"threads":1,"kernels":"portable","schedule":"constant"}"#;
    std::fs::write(&good, format!("{header}\n")).unwrap();
    let out = mnist_tui(&["view", "good.jsonl"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("run it in a terminal"));
}
