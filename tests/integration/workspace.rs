//! The runs workspace: its keys through `update`, and its screens drawn into ratatui's
//! `TestBackend` at 120×40 and 80×24 with four runs marked and overlaid.

use crossterm::event::{KeyCode, KeyEvent};
use mnist_tui::app::workspace::{update, Column, Workspace, WorkspaceEffect, WorkspaceMsg, XAxis};
use mnist_tui::app::ColorMode;
use mnist_tui::model::ModelKind;
use mnist_tui::train::runs::{Best, ListState, ListedRun, RecordedState, RunCurves, RunSummary};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// A finished run's summary: `epochs` epochs at `rate`, reaching `best`.
fn summary(model: ModelKind, rate: f64, epochs: usize, best: f64) -> RunSummary {
    RunSummary {
        format: 1,
        model,
        data_name: "MNIST (embedded)".into(),
        train_len: 60_000,
        test_len: 10_000,
        batch_size: 100,
        batches_per_epoch: 600,
        learning_rate: rate,
        last_learning_rate: rate,
        schedule: Default::default(),
        epochs_planned: 15,
        epochs_done: epochs,
        batches_done: epochs * 600,
        best: Some(Best {
            accuracy: best,
            at_epoch: epochs as f64,
        }),
        last_accuracy: Some(best - 0.0004),
        last_cost: Some(0.3 / epochs as f64),
        train_seconds: 6.0 * epochs as f64,
        state: RecordedState::Finished,
        parent: None,
        sweep: None,
        started_unix: 1_796_637_000,
        updated_unix: 1_796_637_000 + 7 * epochs as u64,
        pid: 1,
    }
}

fn listed(name: &str, state: ListState, s: Option<RunSummary>) -> ListedRun {
    ListedRun {
        name: name.into(),
        path: format!("runs/{name}").into(),
        state,
        problem: s
            .is_none()
            .then(|| "no metrics.jsonl or summary.json".into()),
        summary: s,
    }
}

/// Three `seed` runs at three rates, a `deep` one still training, and a folder that is
/// not a run.
fn runs() -> Vec<ListedRun> {
    let mut live = summary(ModelKind::Deep, 0.001, 2, 0.9791);
    live.state = RecordedState::Running;
    vec![
        listed(
            "20261207-090000-seed-lr1e-3",
            ListState::Finished,
            Some(summary(ModelKind::Seed, 0.001, 5, 0.9871)),
        ),
        listed(
            "20261207-091000-seed-lr3e-3",
            ListState::Finished,
            Some(summary(ModelKind::Seed, 0.003, 5, 0.9853)),
        ),
        listed(
            "20261207-092000-seed-lr3e-4",
            ListState::Stopped,
            Some(summary(ModelKind::Seed, 0.0003, 3, 0.9712)),
        ),
        listed("20261207-093000-deep-lr1e-3", ListState::Live, Some(live)),
        listed("notes", ListState::NotARun, None),
    ]
}

/// A loss falling at `speed` over `epochs` epochs, and an accuracy rising toward `top`.
fn curves(epochs: usize, speed: f64, top: f64) -> RunCurves {
    let per = 600;
    let mut c = RunCurves {
        batches_per_epoch: per,
        epochs: 15,
        ..RunCurves::default()
    };
    for i in 0..epochs * per {
        let x = (i + 1) as f64 / per as f64;
        let noise = 0.05 * ((i * 7919 % 13) as f64 / 13.0);
        c.losses.push((x, 2.3 * (-x * speed).exp() + 0.03 + noise));
    }
    for e in 1..=epochs {
        c.accuracy
            .push((e as f64, top - 0.05 * (-(e as f64)).exp()));
        c.epoch_seconds.push(6.0 + e as f64 * 0.1);
    }
    c
}

fn key(code: KeyCode) -> WorkspaceMsg {
    WorkspaceMsg::Key(KeyEvent::from(code))
}

fn ws() -> Workspace {
    let mut ws = Workspace::new("runs".into(), (120, 40));
    update(&mut ws, WorkspaceMsg::Listed(runs()));
    update(&mut ws, WorkspaceMsg::Tick(1_796_637_100));
    ws
}

/// The workspace with every run marked and its curves read.
fn marked() -> Workspace {
    let mut ws = ws();
    for _ in 0..4 {
        update(&mut ws, key(KeyCode::Char(' ')));
        update(&mut ws, key(KeyCode::Down));
    }
    let shapes = [
        (2, 3.0, 0.9791),
        (3, 0.6, 0.9712),
        (5, 2.0, 0.9853),
        (5, 1.2, 0.9871),
    ];
    let names: Vec<String> = ws.visible().iter().map(|r| r.name.clone()).collect();
    for (name, (epochs, speed, top)) in names.into_iter().zip(shapes) {
        update(
            &mut ws,
            WorkspaceMsg::Curves {
                name,
                curves: curves(epochs, speed, top),
            },
        );
    }
    ws
}

fn draw(ws: &Workspace, (w, h): (u16, u16)) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| mnist_tui::ui::workspace::draw_workspace(f, ws, ColorMode::TrueColor))
        .unwrap();
    t
}

#[test]
fn newest_runs_come_first_and_entries_that_are_not_runs_last() {
    let ws = ws();
    let names: Vec<&str> = ws.visible().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names[0], "20261207-093000-deep-lr1e-3");
    assert_eq!(names[4], "notes");
}

#[test]
fn space_marks_a_run_for_the_overlay_and_space_again_unmarks_it() {
    let mut ws = ws();
    let effects = update(&mut ws, key(KeyCode::Char(' ')));
    let name = "20261207-093000-deep-lr1e-3".to_string();
    assert_eq!(
        effects,
        [WorkspaceEffect::Follow {
            name: name.clone(),
            path: "runs/20261207-093000-deep-lr1e-3/metrics.jsonl".into()
        }]
    );
    assert_eq!(ws.colour_index(&name), Some(0));
    assert_eq!(
        update(&mut ws, key(KeyCode::Char(' '))),
        [WorkspaceEffect::Unfollow(name)]
    );
    assert!(ws.marked.is_empty());
    // A folder that is not a run has nothing to draw.
    update(&mut ws, key(KeyCode::End));
    assert!(update(&mut ws, key(KeyCode::Char(' '))).is_empty());
    assert!(ws.notice.as_deref().unwrap().contains("no curves"));
}

#[test]
fn the_filter_keeps_runs_whose_name_or_settings_hold_every_word() {
    let mut ws = ws();
    for c in "/seed 3e".chars() {
        update(&mut ws, key(KeyCode::Char(c)));
    }
    assert!(ws.typing_filter);
    update(&mut ws, key(KeyCode::Enter));
    let names: Vec<&str> = ws.visible().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["20261207-092000-seed-lr3e-4", "20261207-091000-seed-lr3e-3"]
    );
    // Esc clears the filter before it quits.
    update(&mut ws, key(KeyCode::Esc));
    assert_eq!(ws.visible().len(), 5);
    assert!(!ws.quit);
    update(&mut ws, key(KeyCode::Esc));
    assert!(ws.quit);
}

#[test]
fn s_sorts_by_the_next_column_and_capital_s_reverses_it() {
    let mut ws = ws();
    update(&mut ws, key(KeyCode::Char('s')));
    assert_eq!(ws.sort, Column::Model);
    for _ in 0..4 {
        update(&mut ws, key(KeyCode::Char('s')));
    }
    assert_eq!(ws.sort, Column::Best);
    let best: Vec<&str> = ws.visible().iter().take(4).map(|r| &r.name[16..]).collect();
    assert_eq!(
        best,
        ["seed-lr1e-3", "seed-lr3e-3", "deep-lr1e-3", "seed-lr3e-4"]
    );
    update(&mut ws, key(KeyCode::Char('S')));
    assert_eq!(&ws.visible()[0].name[16..], "seed-lr3e-4");
}

#[test]
fn delete_asks_first_and_never_takes_a_live_run() {
    let mut ws = ws();
    // The live run first: refused.
    assert!(update(&mut ws, key(KeyCode::Char('d'))).is_empty());
    assert!(ws.confirm_delete.is_none());
    update(&mut ws, key(KeyCode::Down));
    update(&mut ws, key(KeyCode::Char('d')));
    assert_eq!(
        ws.confirm_delete.as_deref(),
        Some("20261207-092000-seed-lr3e-4")
    );
    assert!(
        update(&mut ws, key(KeyCode::Char('n'))).is_empty(),
        "any other key keeps it"
    );
    update(&mut ws, key(KeyCode::Char('d')));
    assert_eq!(
        update(&mut ws, key(KeyCode::Char('y'))),
        [WorkspaceEffect::Delete(
            "runs/20261207-092000-seed-lr3e-4".into()
        )]
    );
}

#[test]
fn enter_opens_the_run_and_r_resumes_it_unless_it_still_trains() {
    let mut ws = ws();
    assert_eq!(
        update(&mut ws, key(KeyCode::Enter)),
        [WorkspaceEffect::Open(
            "runs/20261207-093000-deep-lr1e-3".into()
        )]
    );
    assert!(update(&mut ws, key(KeyCode::Char('r'))).is_empty());
    assert!(ws.notice.as_deref().unwrap().contains("still training"));
    update(&mut ws, key(KeyCode::Down));
    assert_eq!(
        update(&mut ws, key(KeyCode::Char('r'))),
        [WorkspaceEffect::Resume(
            "runs/20261207-092000-seed-lr3e-4".into()
        )]
    );
}

#[test]
fn the_overlay_keys_change_its_axes_and_smoothing() {
    let mut ws = ws();
    let before = ws.overlay.smoothing_weight();
    update(&mut ws, key(KeyCode::Char('w')));
    assert_ne!(ws.overlay.smoothing_weight(), before);
    update(&mut ws, key(KeyCode::Char('x')));
    assert_eq!(ws.overlay.x_axis, XAxis::Time);
    update(&mut ws, key(KeyCode::Char('z')));
    assert!(ws.overlay.whole_run);
    update(&mut ws, key(KeyCode::Char('L')));
    assert!(ws.overlay.log_y);
}

#[test]
fn a_marked_run_whose_folder_went_away_is_unmarked() {
    let mut ws = marked();
    let mut fewer = runs();
    fewer.remove(0);
    let effects = update(&mut ws, WorkspaceMsg::Listed(fewer));
    assert_eq!(
        effects,
        [WorkspaceEffect::Unfollow(
            "20261207-090000-seed-lr1e-3".into()
        )]
    );
    assert_eq!(ws.marked.len(), 3);
}

#[test]
fn workspace_120x40_four_runs_overlaid() {
    insta::assert_snapshot!(draw(&marked(), (120, 40)).backend());
}

#[test]
fn workspace_80x24_four_runs_overlaid() {
    let mut ws = marked();
    update(&mut ws, WorkspaceMsg::Resize(80, 24));
    insta::assert_snapshot!(draw(&ws, (80, 24)).backend());
}

#[test]
fn workspace_overlay_against_time_on_log_axes() {
    let mut ws = marked();
    for c in ['x', 'L'] {
        update(&mut ws, key(KeyCode::Char(c)));
    }
    insta::assert_snapshot!(draw(&ws, (120, 40)).backend());
}

#[test]
fn workspace_with_no_runs_says_how_to_record_one() {
    let ws = Workspace::new("runs".into(), (80, 24));
    insta::assert_snapshot!(draw(&ws, (80, 24)).backend());
}

/// A sweep's trials as the workspace sees them mid-sweep: two pruned at the first rung,
/// two training on, one not a trial of it.
fn sweep_runs() -> Vec<ListedRun> {
    let tag = |trial: &str| {
        Some(mnist_tui::train::runs::SweepTag {
            name: "sweep-20261207-100000".into(),
            trial: trial.into(),
        })
    };
    let mut rows = Vec::new();
    for (i, (rate, state, epochs, best)) in [
        (1e-4, ListState::Pruned, 1, 0.9012),
        (1e-3, ListState::Live, 2, 0.9814),
        (1e-2, ListState::Live, 2, 0.9853),
        (1e-1, ListState::Pruned, 1, 0.1135),
    ]
    .into_iter()
    .enumerate()
    {
        let mut s = summary(ModelKind::Seed, rate, epochs, best);
        s.sweep = tag(&format!("lr {rate:e}"));
        s.epochs_planned = 3;
        rows.push(listed(
            &format!("20261207-10000{i}-seed-lr{rate:e}"),
            state,
            Some(s),
        ));
    }
    rows.push(listed(
        "20261207-090000-seed-lr1e-3",
        ListState::Finished,
        Some(summary(ModelKind::Seed, 0.001, 5, 0.9871)),
    ));
    rows
}

#[test]
fn a_workspace_following_a_sweep_marks_its_trials_as_they_appear() {
    let mut ws = Workspace::new("runs".into(), (120, 40));
    (ws.filter, ws.auto_mark) = ("sweep-20261207-100000".into(), true);
    let effects = update(&mut ws, WorkspaceMsg::Listed(sweep_runs()));
    assert_eq!(effects.len(), 4, "the four trials, not the other run");
    assert!(!ws.marked.contains_key("20261207-090000-seed-lr1e-3"));
}

#[test]
fn workspace_following_a_sweep_with_pruned_trials_and_its_leader() {
    let mut ws = Workspace::new("runs".into(), (120, 40));
    (ws.filter, ws.auto_mark) = ("sweep-20261207-100000".into(), true);
    update(&mut ws, WorkspaceMsg::Listed(sweep_runs()));
    update(&mut ws, WorkspaceMsg::Tick(1_796_637_100));
    let names: Vec<String> = ws.visible().iter().map(|r| r.name.clone()).collect();
    for (name, (epochs, speed, top)) in names.into_iter().zip([
        (1, 2.5, 0.1135),
        (2, 2.0, 0.9853),
        (2, 1.2, 0.9814),
        (1, 0.3, 0.9012),
    ]) {
        update(
            &mut ws,
            WorkspaceMsg::Curves {
                name,
                curves: curves(epochs, speed, top),
            },
        );
    }
    update(
        &mut ws,
        WorkspaceMsg::Notice("trial 1/4  lr 1e-4  pruned after 1 epoch (accuracy 0.9012)".into()),
    );
    insta::assert_snapshot!(draw(&ws, (120, 40)).backend());
}

#[test]
fn capital_p_saves_the_overlay_of_the_marked_runs_as_pictures() {
    let mut ws = ws();
    assert!(update(&mut ws, key(KeyCode::Char('P'))).is_empty());
    assert!(ws.notice.as_deref().unwrap().starts_with("nothing to save"));
    let mut ws = marked();
    update(&mut ws, key(KeyCode::Char('x')));
    let effects = update(&mut ws, key(KeyCode::Char('P')));
    let [WorkspaceEffect::SavePictures {
        runs,
        smoothing,
        time,
    }] = &effects[..]
    else {
        panic!("{effects:?}");
    };
    assert_eq!(runs.len(), 4);
    assert_eq!((*smoothing, *time), (ws.overlay.smoothing_weight(), true));
}

/// Three repeats of the tutorial's settings (best 0.9874, 0.9876, 0.9875) beside one run
/// at another rate.
fn repeat_runs() -> Vec<ListedRun> {
    let mut rows: Vec<ListedRun> = [0.9874, 0.9876, 0.9875]
        .iter()
        .enumerate()
        .map(|(i, &best)| {
            listed(
                &format!("20261207-10{i}000-seed-lr1e-3-s{}", 777 + i),
                ListState::Finished,
                Some(summary(ModelKind::Seed, 0.001, 5, best)),
            )
        })
        .collect();
    rows.push(listed(
        "20261207-110000-seed-lr3e-3",
        ListState::Finished,
        Some(summary(ModelKind::Seed, 0.003, 5, 0.9853)),
    ));
    rows
}

/// The repeats grouped (`R`), the group and the other run marked, their curves read.
fn grouped() -> Workspace {
    let mut ws = Workspace::new("runs".into(), (120, 40));
    update(&mut ws, WorkspaceMsg::Listed(repeat_runs()));
    update(&mut ws, WorkspaceMsg::Tick(1_796_637_100));
    update(&mut ws, key(KeyCode::Char('R')));
    update(&mut ws, key(KeyCode::Char(' ')));
    update(&mut ws, key(KeyCode::Down));
    update(&mut ws, key(KeyCode::Char(' ')));
    let shapes = [
        (5, 1.2, 0.9874),
        (5, 1.5, 0.9876),
        (5, 1.0, 0.9875),
        (5, 2.0, 0.9853),
    ];
    let names: Vec<String> = repeat_runs().into_iter().map(|r| r.name).collect();
    for (name, (epochs, speed, top)) in names.into_iter().zip(shapes) {
        update(
            &mut ws,
            WorkspaceMsg::Curves {
                name,
                curves: curves(epochs, speed, top),
            },
        );
    }
    ws
}

#[test]
fn capital_r_groups_repeats_into_one_row_that_marks_all_of_them() {
    let mut ws = Workspace::new("runs".into(), (120, 40));
    update(&mut ws, WorkspaceMsg::Listed(repeat_runs()));
    assert_eq!(ws.visible().len(), 4);
    update(&mut ws, key(KeyCode::Char('R')));
    assert_eq!(ws.visible().len(), 2, "three repeats as one row");
    assert!(ws.notice.as_deref().unwrap().contains("1 configuration"));
    let group = ws.groups[0].clone();
    let best = group.best.unwrap();
    assert_eq!(best.n, 3);
    assert!((best.mean - 0.9875).abs() < 1e-12 && (best.sd - 1e-4).abs() < 1e-12);
    // The group's row is the run at the top (newest first: the other rate's).
    update(&mut ws, key(KeyCode::Down));
    let effects = update(&mut ws, key(KeyCode::Char(' ')));
    assert_eq!(effects.len(), 3, "{effects:?}");
    assert!(group.members.iter().all(|m| ws.marked.contains_key(m)));
    assert_eq!(ws.overlay_groups(), std::slice::from_ref(&group.members));
    // Deleting is for one run: the group refuses.
    assert!(update(&mut ws, key(KeyCode::Char('d'))).is_empty());
    assert!(ws.confirm_delete.is_none());
    // Space again takes the whole group off; R again shows the runs one by one.
    assert_eq!(update(&mut ws, key(KeyCode::Char(' '))).len(), 3);
    assert!(ws.marked.is_empty());
    update(&mut ws, key(KeyCode::Char('R')));
    assert_eq!(ws.visible().len(), 4);
}

#[test]
fn a_resumed_runs_stopped_parent_is_not_counted_among_its_repeats() {
    let mut rows = repeat_runs();
    let mut child = summary(ModelKind::Seed, 0.001, 5, 0.9877);
    child.parent = Some(mnist_tui::train::runs::Parent {
        name: rows[0].name.clone(),
        epoch: 2,
        batch: 0,
    });
    rows.push(listed(
        "20261207-120000-seed-lr1e-3",
        ListState::Finished,
        Some(child),
    ));
    let groups = mnist_tui::app::workspace::group_repeats(&rows);
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].members.len(), 3);
    assert!(!groups[0].members.contains(&rows[0].name));
}

#[test]
fn workspace_120x40_repeats_grouped_with_their_band() {
    insta::assert_snapshot!(draw(&grouped(), (120, 40)).backend());
}

#[test]
fn workspace_80x24_repeats_grouped_with_their_band() {
    let mut ws = grouped();
    update(&mut ws, WorkspaceMsg::Resize(80, 24));
    insta::assert_snapshot!(draw(&ws, (80, 24)).backend());
}
