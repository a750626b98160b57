//! `update`: each key and each worker event changes the state as specified.

mod common;

use std::time::Duration;

use common::{busy_app, empty_app, info};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mnist_tui::app::{update, App, Msg, RunState, LR_STEP};
use mnist_tui::train::{Command, Event};

fn key(app: &mut App, code: KeyCode) -> Vec<Command> {
    update(app, Msg::Key(KeyEvent::from(code)))
}

fn started() -> App {
    let mut app = empty_app((120, 40));
    update(&mut app, Msg::Worker(Event::Started(info())));
    app
}

#[test]
fn started_event_sets_the_acknowledged_values() {
    let app = started();
    assert_eq!(app.state, RunState::Running);
    assert_eq!((app.learning_rate, app.epochs), (0.001, 15));
}

#[test]
fn learning_rate_keys_request_quarter_decade_steps_but_show_only_acks() {
    let mut app = started();
    let cmds = key(&mut app, KeyCode::Char('+'));
    assert_eq!(cmds, vec![Command::SetLearningRate(0.001 * LR_STEP)]);
    assert_eq!(
        app.learning_rate, 0.001,
        "not shown before the worker acknowledges"
    );
    update(
        &mut app,
        Msg::Worker(Event::LearningRateSet(0.001 * LR_STEP)),
    );
    assert_eq!(app.learning_rate, 0.001 * LR_STEP);
    let cmds = key(&mut app, KeyCode::Char('-'));
    assert_eq!(
        cmds,
        vec![Command::SetLearningRate(0.001 * LR_STEP / LR_STEP)]
    );
    assert!((LR_STEP.powi(4) - 10.0).abs() < 1e-12);
    // The change is marked on the curve.
    assert_eq!(app.history.learning_rates.len(), 2);
}

#[test]
fn the_lr_prompt_applies_valid_values_and_refuses_others() {
    let mut app = started();
    assert!(key(&mut app, KeyCode::Char('l')).is_empty());
    for c in "0.02".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert_eq!(app.prompt.as_ref().unwrap().text, "0.02");
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Command::SetLearningRate(0.02)]
    );
    assert!(app.prompt.is_none());

    key(&mut app, KeyCode::Char('l'));
    for c in "-3".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(app.notice.as_ref().unwrap().contains("not a learning rate"));

    key(&mut app, KeyCode::Char('l'));
    key(&mut app, KeyCode::Char('x')); // refused outright
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Backspace);
    assert_eq!(app.prompt.as_ref().unwrap().text, "");
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(
        app.prompt.is_none() && !app.quit,
        "Esc closes the prompt, not the app"
    );
}

#[test]
fn epoch_keys_and_acks() {
    let mut app = started();
    assert_eq!(
        key(&mut app, KeyCode::Char(']')),
        vec![Command::SetEpochs(16)]
    );
    assert_eq!(
        key(&mut app, KeyCode::Char('[')),
        vec![Command::SetEpochs(14)]
    );
    update(&mut app, Msg::Worker(Event::EpochsSet(16)));
    assert_eq!(app.epochs, 16);
}

#[test]
fn adding_epochs_after_finishing_resumes_the_run() {
    let mut app = busy_app((120, 40));
    update(&mut app, Msg::Worker(Event::Finished { accuracy: 0.99 }));
    assert_eq!(app.state, RunState::Finished);
    update(&mut app, Msg::Worker(Event::EpochsSet(16)));
    assert_eq!(app.state, RunState::Running);
}

#[test]
fn space_pauses_and_resumes_and_dot_steps_only_while_paused() {
    let mut app = started();
    assert_eq!(key(&mut app, KeyCode::Char('.')), vec![]);
    assert!(app.notice.is_some());
    assert_eq!(key(&mut app, KeyCode::Char(' ')), vec![Command::Pause]);
    update(&mut app, Msg::Worker(Event::Paused));
    assert_eq!(app.state, RunState::Paused);
    assert_eq!(key(&mut app, KeyCode::Char('.')), vec![Command::Step]);
    assert_eq!(key(&mut app, KeyCode::Char(' ')), vec![Command::Resume]);
    update(&mut app, Msg::Worker(Event::Resumed));
    assert_eq!(app.state, RunState::Running);
}

#[test]
fn quit_keys_stop_the_worker() {
    for k in [KeyCode::Char('q'), KeyCode::Esc] {
        let mut app = started();
        assert_eq!(key(&mut app, k), vec![Command::Stop]);
        assert!(app.quit);
    }
    let mut app = started();
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(update(&mut app, Msg::Key(ctrl_c)), vec![Command::Stop]);
    assert!(app.quit);
}

#[test]
fn other_keys() {
    let mut app = started();
    assert_eq!(key(&mut app, KeyCode::Char('n')), vec![Command::NewSample]);
    key(&mut app, KeyCode::Char('L'));
    assert!(app.log_y);
    key(&mut app, KeyCode::Char('?'));
    assert!(app.show_help);
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(!app.show_help && !app.quit);
}

#[test]
fn events_fill_the_history() {
    let app = busy_app((120, 40));
    assert_eq!(app.history.batch_loss.len(), 900);
    assert_eq!(app.batches_done, 900);
    assert!((app.progress_epochs() - 1.5).abs() < 1e-9);
    assert_eq!(app.history.test_accuracy.len(), 1);
    assert_eq!(app.history.epoch_costs, vec![(1.0, 0.34)]);
    assert!(app.filters.is_some() && app.sample.is_some());
    // Smoothing follows the raw loss down.
    let last = app.history.smoothed_loss.last().unwrap().1;
    assert!(last < 0.2, "{last}");
}

#[test]
fn divergence_and_crash_states() {
    let mut app = started();
    update(
        &mut app,
        Msg::Worker(Event::Diverged {
            epoch: 0,
            batch: 5,
            learning_rate: 10.0,
        }),
    );
    update(&mut app, Msg::Worker(Event::Paused));
    assert_eq!(app.state, RunState::Diverged);
    assert_eq!(key(&mut app, KeyCode::Char(' ')), vec![Command::Resume]);
    update(&mut app, Msg::WorkerGone);
    assert_eq!(app.state, RunState::Crashed);
}

#[test]
fn resize_and_speed_and_eta() {
    let mut app = started();
    update(&mut app, Msg::Resize(70, 20));
    assert!(app.too_small());
    let t0 = app.now;
    let batch = |i: usize| mnist_tui::train::BatchLoss {
        epoch: 0,
        batch: i,
        loss: 1.0,
        learning_rate: 0.001,
        correct: 50,
        size: 100,
    };
    update(&mut app, Msg::Worker(Event::Batches(vec![batch(0)])));
    update(&mut app, Msg::Tick(t0 + Duration::from_secs(2)));
    update(
        &mut app,
        Msg::Worker(Event::Batches((1..101).map(batch).collect())),
    );
    // 100 batches of 100 images in 2 s.
    assert_eq!(app.samples_per_second, Some(5000.0));
    let eta = app.eta_seconds().unwrap();
    assert!(
        (eta - (15.0 * 600.0 - 101.0) * 100.0 / 5000.0).abs() < 1e-6,
        "{eta}"
    );
}
