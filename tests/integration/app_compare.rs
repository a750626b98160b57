//! The dashboard's keys added with the runs directory: a recorded run drawn over the live
//! one (`o`), the charts' x axis (`z`), and a branch of a finished run.

use crossterm::event::{KeyCode, KeyEvent};
use mnist_tui::app::{update, App, ComparedRun, Effect, Msg};
use mnist_tui::train::runs::{ListState, ListedRun, RunCurves};
use mnist_tui::train::{Event, RunInfo};

use crate::app_steering::checkpoint_stub;
use crate::common::{busy_app, info};

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::from(code)))
}

/// A dashboard whose run is recorded in `runs/20261207-100000-seed-lr1e-3`.
fn recorded_app() -> App {
    let mut app = App::new(std::time::Instant::now(), (120, 40));
    let info = RunInfo {
        recorded_in: Some("runs/20261207-100000-seed-lr1e-3".into()),
        ..info()
    };
    update(&mut app, Msg::Worker(Event::Started(info)));
    app
}

fn listed(name: &str) -> ListedRun {
    let line = r#"{"format":1,"model":"seed","data_name":"MNIST","train_len":100,"test_len":10,"batch_size":10,"batches_per_epoch":10,"learning_rate":0.001,"last_learning_rate":0.001,"schedule":"constant","epochs_planned":2,"epochs_done":2,"batches_done":20,"best":{"accuracy":0.9,"at_epoch":2.0},"last_accuracy":0.9,"last_cost":0.3,"train_seconds":2.0,"state":"finished","started_unix":0,"updated_unix":2,"pid":1}"#;
    ListedRun {
        name: name.into(),
        path: format!("runs/{name}").into(),
        state: ListState::Finished,
        problem: None,
        summary: Some(serde_json::from_str(line).unwrap()),
    }
}

#[test]
fn o_lists_the_runs_directory_of_the_live_run_and_a_digit_reads_the_one_picked() {
    let mut app = recorded_app();
    assert_eq!(
        key(&mut app, KeyCode::Char('o')),
        [Effect::ListRuns("runs".into())]
    );
    let listing = vec![
        listed("20261207-090000-deep-lr1e-3"),
        listed("20261207-093000-seed-lr3e-3"),
        listed("20261207-100000-seed-lr1e-3"),
    ];
    update(&mut app, Msg::RunsListed(listing));
    let choices = app.compare.choices.as_ref().unwrap();
    let names: Vec<&str> = choices.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["20261207-093000-seed-lr3e-3", "20261207-090000-deep-lr1e-3"],
        "newest first, the live run's own folder left out"
    );
    assert_eq!(
        key(&mut app, KeyCode::Char('2')),
        [Effect::ReadRun {
            name: "20261207-090000-deep-lr1e-3".into(),
            path: "runs/20261207-090000-deep-lr1e-3/metrics.jsonl".into()
        }]
    );
    assert!(app.compare.choices.is_none());
    let run = ComparedRun {
        name: "20261207-090000-deep-lr1e-3".into(),
        curves: RunCurves::default(),
    };
    update(&mut app, Msg::RunRead(Box::new(run)));
    assert!(app.compare.run.is_some());
    // `o` again stops comparing, and following the file.
    assert_eq!(key(&mut app, KeyCode::Char('o')), [Effect::ForgetRun]);
    assert!(app.compare.run.is_none());
}

#[test]
fn the_picker_closes_on_esc_and_says_so_when_there_is_nothing_to_compare() {
    let mut app = recorded_app();
    update(
        &mut app,
        Msg::RunsListed(vec![listed("20261207-090000-deep-lr1e-3")]),
    );
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(app.compare.choices.is_none());
    assert!(!app.quit, "Esc closed the picker, not the dashboard");
    update(
        &mut app,
        Msg::RunsListed(vec![listed("20261207-100000-seed-lr1e-3")]),
    );
    assert!(app.compare.choices.is_none());
    assert!(app
        .notice
        .as_deref()
        .unwrap()
        .contains("no other recorded run"));
}

#[test]
fn z_switches_the_charts_between_the_run_so_far_and_the_whole_planned_run() {
    let mut app = busy_app((120, 40));
    assert!(!app.curves.whole_run);
    key(&mut app, KeyCode::Char('z'));
    assert!(app.curves.whole_run);
}

#[test]
fn a_branch_of_a_finished_run_trains_one_more_epoch_instead_of_finishing_at_once() {
    let mut app = busy_app((120, 40));
    key(&mut app, KeyCode::Char('b'));
    let mut finished = checkpoint_stub();
    finished.progress.position.epoch = 15;
    finished.progress.position.batch = 0;
    let effects = update(&mut app, Msg::Worker(Event::Forked(finished)));
    assert!(
        matches!(effects.as_slice(), [Effect::SpawnBranch { epochs: 16, .. }]),
        "{effects:?}"
    );
    assert!(app.notice.as_deref().unwrap().contains("one more epoch"));
    // A branch of a run still training keeps the run's plan.
    let mut app = busy_app((120, 40));
    key(&mut app, KeyCode::Char('b'));
    let effects = update(&mut app, Msg::Worker(Event::Forked(checkpoint_stub())));
    assert!(matches!(
        effects.as_slice(),
        [Effect::SpawnBranch { epochs: 15, .. }]
    ));
}
