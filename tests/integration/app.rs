//! `update`: each key and each worker event changes the state as specified.

use crate::common;

use std::time::Duration;

use common::{busy_app, empty_app, info};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use mnist_tui::app::{update, App, Effect, Msg, RunState, Tab, LR_STEP};
use mnist_tui::model::Saliency;
use mnist_tui::train::events::Verdict;
use mnist_tui::train::{Command, Event};

pub(crate) fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::from(code)))
}

pub(crate) fn started() -> App {
    let mut app = empty_app((120, 40));
    update(&mut app, Msg::Worker(Event::Started(info())));
    app
}

#[test]
fn started_event_sets_the_acknowledged_values() {
    let app = started();
    assert_eq!(app.run.state, RunState::Running);
    assert_eq!((app.run.learning_rate, app.run.epochs), (0.001, 15));
}

#[test]
fn learning_rate_keys_request_quarter_decade_steps_but_show_only_acks() {
    let mut app = started();
    let cmds = key(&mut app, KeyCode::Char('+'));
    assert_eq!(
        cmds,
        vec![Effect::ToMain(Command::SetLearningRate(0.001 * LR_STEP))]
    );
    assert_eq!(
        app.run.learning_rate, 0.001,
        "not shown before the worker acknowledges"
    );
    update(
        &mut app,
        Msg::Worker(Event::LearningRateSet(0.001 * LR_STEP)),
    );
    assert_eq!(app.run.learning_rate, 0.001 * LR_STEP);
    let cmds = key(&mut app, KeyCode::Char('-'));
    assert_eq!(
        cmds,
        vec![Effect::ToMain(Command::SetLearningRate(
            0.001 * LR_STEP / LR_STEP
        ))]
    );
    assert!((LR_STEP.powi(4) - 10.0).abs() < 1e-12);
    // The change is marked on the curve.
    assert_eq!(app.run.history.learning_rates.len(), 2);
}

#[test]
fn the_lr_prompt_applies_valid_values_and_refuses_others() {
    let mut app = started();
    assert!(key(&mut app, KeyCode::Char('l')).is_empty());
    for c in "0.02".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert_eq!(app.overlays.prompt.as_ref().unwrap().text, "0.02");
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::ToMain(Command::SetLearningRate(0.02))]
    );
    assert!(app.overlays.prompt.is_none());

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
    assert_eq!(app.overlays.prompt.as_ref().unwrap().text, "");
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(
        app.overlays.prompt.is_none() && !app.quit,
        "Esc closes the prompt, not the app"
    );
}

#[test]
fn epoch_keys_and_acks() {
    let mut app = started();
    assert_eq!(
        key(&mut app, KeyCode::Char(']')),
        vec![Effect::ToMain(Command::SetEpochs(16))]
    );
    assert_eq!(
        key(&mut app, KeyCode::Char('[')),
        vec![Effect::ToMain(Command::SetEpochs(14))]
    );
    update(&mut app, Msg::Worker(Event::EpochsSet(16)));
    assert_eq!(app.run.epochs, 16);
}

#[test]
fn adding_epochs_after_finishing_resumes_the_run() {
    let mut app = busy_app((120, 40));
    update(&mut app, Msg::Worker(Event::Finished { accuracy: 0.99 }));
    assert_eq!(app.run.state, RunState::Finished);
    update(&mut app, Msg::Worker(Event::EpochsSet(16)));
    assert_eq!(app.run.state, RunState::Running);
}

#[test]
fn space_pauses_and_resumes_and_dot_steps_only_while_paused() {
    let mut app = started();
    assert_eq!(key(&mut app, KeyCode::Char('.')), vec![]);
    assert!(app.notice.is_some());
    assert_eq!(
        key(&mut app, KeyCode::Char(' ')),
        vec![Effect::ToMain(Command::Pause)]
    );
    update(&mut app, Msg::Worker(Event::Paused));
    assert_eq!(app.run.state, RunState::Paused);
    assert_eq!(
        key(&mut app, KeyCode::Char('.')),
        vec![Effect::ToMain(Command::Step)]
    );
    assert_eq!(
        key(&mut app, KeyCode::Char(' ')),
        vec![Effect::ToMain(Command::Resume)]
    );
    update(&mut app, Msg::Worker(Event::Resumed));
    assert_eq!(app.run.state, RunState::Running);
}

#[test]
fn quit_keys_stop_the_worker() {
    for k in [KeyCode::Char('q'), KeyCode::Esc] {
        let mut app = started();
        assert_eq!(key(&mut app, k), vec![Effect::ToMain(Command::Stop)]);
        assert!(app.quit);
    }
    let mut app = started();
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(
        update(&mut app, Msg::Key(ctrl_c)),
        vec![Effect::ToMain(Command::Stop)]
    );
    assert!(app.quit);
}

#[test]
fn other_keys() {
    let mut app = started();
    assert_eq!(
        key(&mut app, KeyCode::Char('n')),
        vec![Effect::ToMain(Command::NewSample)]
    );
    key(&mut app, KeyCode::Char('L'));
    assert!(app.curves.log_y);
    key(&mut app, KeyCode::Char('?'));
    assert!(app.overlays.help);
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(!app.overlays.help && !app.quit);
}

#[test]
fn events_fill_the_history() {
    let app = busy_app((120, 40));
    assert_eq!(app.run.history.batch_loss.len(), 900);
    assert_eq!(app.run.batches_done, 900);
    assert!((app.progress_epochs() - 1.5).abs() < 1e-9);
    assert_eq!(app.run.history.test_accuracy.len(), 1);
    assert_eq!(app.run.history.epoch_costs, vec![(1.0, 0.34)]);
    assert!(app.filters.weights.is_some() && app.sample.is_some());
    // Smoothing follows the raw loss down.
    let last = app.run.history.smoothed_loss.last().unwrap().1;
    assert!(last < 0.2, "{last}");
}

#[test]
fn divergence_and_crash_states() {
    let mut app = busy_app((120, 40));
    assert_eq!(app.run.batches_done, 900);
    update(
        &mut app,
        Msg::Worker(Event::Diverged(mnist_tui::train::Divergence {
            epoch: 1,
            batch: 299,
            learning_rate: 10.0,
            reason: mnist_tui::train::DivergenceReason::NotFinite,
            restored_epoch: 1,
            restored_batch: 250,
        })),
    );
    update(&mut app, Msg::Worker(Event::Paused));
    assert_eq!(app.run.state, RunState::Diverged);
    // The curves go back to the restored weights' position.
    assert_eq!(app.run.batches_done, 850);
    let last_x = app.run.history.batch_loss.last().unwrap().0;
    assert!((last_x - 850.0 / 600.0).abs() < 1e-9, "{last_x}");
    assert!(app
        .run
        .history
        .quick_accuracy
        .iter()
        .all(|p| p.0 <= 850.0 / 600.0 + 1e-9));
    assert_eq!(
        key(&mut app, KeyCode::Char(' ')),
        vec![Effect::ToMain(Command::Resume)]
    );
    update(&mut app, Msg::WorkerGone);
    assert_eq!(app.run.state, RunState::Crashed);
}

#[test]
fn resize_and_speed_and_eta() {
    let mut app = started();
    update(&mut app, Msg::Resize(70, 20));
    assert!(app.too_small());
    let t0 = app.clock.now;
    let batch = |i: usize| mnist_tui::train::BatchLoss {
        epoch: 0,
        batch: i,
        loss: 1.0,
        learning_rate: 0.001,
        base_rate: None,
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
    assert_eq!(app.clock.samples_per_second, Some(5000.0));
    let eta = app.eta_seconds().unwrap();
    assert!(
        (eta - (15.0 * 600.0 - 101.0) * 100.0 / 5000.0).abs() < 1e-6,
        "{eta}"
    );
}

fn mouse(app: &mut App, kind: MouseEventKind, column: u16, row: u16) -> Vec<Effect> {
    update(
        app,
        Msg::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        }),
    )
}

#[test]
fn tab_and_number_keys_switch_the_main_view() {
    let mut app = started();
    assert_eq!(app.tab, Tab::Overview);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::Confusion);
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.tab, Tab::Overview);
    key(&mut app, KeyCode::Char('3'));
    assert_eq!(app.tab, Tab::Mistakes);
    key(&mut app, KeyCode::Char('d'));
    assert_eq!(app.tab, Tab::Draw);
    // Esc leaves the draw pad rather than quitting.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.tab, Tab::Overview);
    assert!(!app.quit);
}

#[test]
fn drawing_with_the_mouse_asks_the_worker_once_per_answer() {
    let mut app = started();
    key(&mut app, KeyCode::Char('d'));
    let (x0, y0) = mnist_tui::app::draw_pad::PAD_ORIGIN;
    let first = mouse(
        &mut app,
        MouseEventKind::Down(MouseButton::Left),
        x0 + 14,
        y0 + 2,
    );
    assert!(
        matches!(first.as_slice(), [Effect::ToMain(Command::Predict(_))]),
        "{first:?}"
    );
    // While the answer is outstanding, more strokes do not flood the worker.
    for row in 3..12 {
        let more = mouse(
            &mut app,
            MouseEventKind::Drag(MouseButton::Left),
            x0 + 14,
            y0 + row,
        );
        assert!(more.is_empty());
    }
    mouse(
        &mut app,
        MouseEventKind::Up(MouseButton::Left),
        x0 + 14,
        y0 + 11,
    );
    assert!(app.pad.canvas.iter().filter(|&&v| v > 0.5).count() > 30);
    let mut p = [0.0f32; 10];
    p[1] = 0.9;
    // The answer arrives; the canvas changed since the request, so it is asked again.
    let verdict = Verdict {
        probabilities: p,
        saliency: Saliency(vec![0.5; 7840]),
        occlusion: Saliency(vec![0.25; 7840]),
        walk: Default::default(),
    };
    let again = update(&mut app, Msg::Worker(Event::Predicted(Box::new(verdict))));
    assert!(matches!(
        again.as_slice(),
        [Effect::ToMain(Command::Predict(_))]
    ));
    assert_eq!(app.pad.prediction, Some(p));
    assert_eq!(app.pad.saliency.of_class(9), &[0.5; 784]);
    // Right-drag erases; c clears.
    mouse(
        &mut app,
        MouseEventKind::Down(MouseButton::Right),
        x0 + 14,
        y0 + 5,
    );
    let erased = app.pad.canvas[10 * 28 + 14];
    assert_eq!(erased, 0.0);
    key(&mut app, KeyCode::Char('c'));
    assert!(app.pad.is_empty());
    assert!(app.pad.saliency.is_empty(), "no explanation of a blank pad");
    // Clicks off the pad draw nothing.
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), 100, 30);
    assert!(app.pad.is_empty());
}

#[test]
fn the_keyboard_pen_draws_along_the_cursor() {
    let mut app = started();
    key(&mut app, KeyCode::Char('d'));
    assert_eq!(app.pad.cursor, (14, 14));
    // Space in the pad is the pen, not pause; the dot it paints goes to the model at once.
    let cmds = key(&mut app, KeyCode::Char(' '));
    assert!(
        matches!(cmds.as_slice(), [Effect::ToMain(Command::Predict(_))]),
        "{cmds:?}"
    );
    assert!(app.pad.pen_down);
    for _ in 0..8 {
        key(&mut app, KeyCode::Down);
    }
    assert_eq!(app.pad.cursor, (14, 22));
    let column: Vec<f32> = (0..28).map(|y| app.pad.canvas[y * 28 + 14]).collect();
    let full: Vec<usize> = (0..28).filter(|&y| column[y] > 0.99).collect();
    assert_eq!(
        full,
        (14..=22).collect::<Vec<_>>(),
        "full ink along the path"
    );
    // Anti-aliased ends: partly inked, then nothing.
    for y in [13, 23] {
        assert!(column[y] > 0.3 && column[y] < 0.99, "{y}: {}", column[y]);
    }
    assert_eq!((column[11], column[25]), (0.0, 0.0));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char('x'));
    key(&mut app, KeyCode::Char(' '));
    assert!(
        app.pad.canvas[22 * 28 + 14] == 0.0,
        "the eraser took the end off"
    );
}

#[test]
fn mistakes_are_browsed_with_the_arrows_and_reports_replace_each_other() {
    let mut app = started();
    let mistake = |index| mnist_tui::train::Mistake {
        index,
        pixels: vec![0; 784],
        label: 4,
        predicted: 9,
        p_label: 0.3,
        p_predicted: 0.6,
    };
    let report = mnist_tui::train::TestReport {
        at_epoch: 1.0,
        confusion: [[0; 10]; 10],
        mistakes: (0..3).map(mistake).collect(),
    };
    update(
        &mut app,
        Msg::Worker(Event::TestReport(Box::new(report.clone()))),
    );
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    assert_eq!(app.report.mistake, 2, "stops at the last");
    key(&mut app, KeyCode::Left);
    assert_eq!(app.report.mistake, 1);
    let smaller = mnist_tui::train::TestReport {
        mistakes: vec![mistake(7)],
        ..report
    };
    update(&mut app, Msg::Worker(Event::TestReport(Box::new(smaller))));
    assert_eq!(app.report.mistake, 0, "kept within the new list");
}

#[test]
fn save_key_and_save_results() {
    let mut app = started();
    assert_eq!(
        key(&mut app, KeyCode::Char('s')),
        vec![Effect::ToMain(Command::Save)]
    );
    update(
        &mut app,
        Msg::Worker(Event::Saved {
            path: "run.safetensors".into(),
            epoch: 2,
            batch: 0,
        }),
    );
    assert_eq!(
        app.notice.as_deref(),
        Some("saved run.safetensors after epoch 2")
    );
    update(
        &mut app,
        Msg::Worker(Event::SaveFailed {
            path: "/ro/run.safetensors".into(),
            error: "cannot save: Read-only file system".into(),
        }),
    );
    assert!(app
        .notice
        .as_deref()
        .unwrap()
        .contains("training continues"));
}

#[test]
fn replayed_batches_carry_their_learning_rate_marks() {
    let mut app = empty_app((120, 40));
    let mut i = info();
    i.resumed_from = Some("run.safetensors".into());
    update(&mut app, Msg::Worker(Event::Started(i)));
    let batch = |b: usize, lr: f64| mnist_tui::train::BatchLoss {
        epoch: 0,
        batch: b,
        loss: 1.0,
        learning_rate: lr,
        base_rate: None,
        correct: 50,
        size: 100,
    };
    update(
        &mut app,
        Msg::Worker(Event::Batches(vec![
            batch(0, 0.001),
            batch(1, 0.001),
            batch(2, 0.01),
        ])),
    );
    let marks = &app.run.history.learning_rates;
    assert_eq!(marks.len(), 2, "{marks:?}");
    assert_eq!(marks[0], (0.0, 0.001));
    assert!(
        (marks[1].0 - 2.0 / 600.0).abs() < 1e-12 && marks[1].1 == 0.01,
        "{marks:?}"
    );
}
