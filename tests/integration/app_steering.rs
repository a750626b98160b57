//! `update`, continued: the branch, the learning-rate finder, schedules, the marks on the
//! charts, and the views inside the network.

use crate::app::key;
use crate::common;

use common::{busy_app, info};
use crossterm::event::KeyCode;
use mnist_tui::app::{update, App, Effect, Explanation, Msg, Tab, Why, LR_STEP};
use mnist_tui::train::{Command, Event};

pub fn checkpoint_stub() -> Box<mnist_tui::train::Checkpoint> {
    Box::new(mnist_tui::train::Checkpoint {
        progress: mnist_tui::train::checkpoint::Progress {
            format: 1,
            model: mnist_tui::model::ModelKind::Seed,
            settings: mnist_tui::train::checkpoint::SavedSettings {
                learning_rate: 0.001,
                schedule: Default::default(),
                base_rate: None,
                epochs: 15,
                batch_size: 100,
                seed: 777,
                data: None,
                train_limit: None,
                test_limit: None,
                class_names: Default::default(),
            },
            position: mnist_tui::train::Position {
                epoch: 1,
                batch: 300,
                epoch_cost: 0.0,
            },
            adam_steps: 900,
            adam_betas: [0.9, 0.999],
            adam_eps: 1e-8,
            history: Vec::new(),
        },
        weights: Vec::new(),
        moments: Vec::new(),
    })
}

#[test]
fn b_forks_a_branch_at_a_lower_rate_that_can_be_kept_or_dropped() {
    let mut app = busy_app((120, 40));
    let lr = app.run.learning_rate;
    assert_eq!(
        key(&mut app, KeyCode::Char('b')),
        vec![Effect::ToMain(Command::Fork)]
    );
    let expected = lr / mnist_tui::app::BRANCH_LR_FACTOR;
    let effects = update(&mut app, Msg::Worker(Event::Forked(checkpoint_stub())));
    assert!(matches!(
        effects.as_slice(),
        [Effect::SpawnBranch { learning_rate, .. }] if *learning_rate == expected
    ));
    let b = app.branch.as_ref().unwrap();
    assert!((b.forked_at - 1.5).abs() < 1e-9);
    // The branch's own events fill its own curves, not the main run's.
    let main_points = app.run.history.batch_loss.len();
    let batch = mnist_tui::train::BatchLoss {
        epoch: 1,
        batch: 300,
        loss: 0.2,
        learning_rate: expected,
        base_rate: None,
        correct: 90,
        size: 100,
    };
    // The branch's worker starts from the forked checkpoint, at the branch's rate.
    let branch_info = mnist_tui::train::RunInfo {
        learning_rate: expected,
        resumed_from: Some("branch".into()),
        recorded_in: None,
        ..info()
    };
    update(&mut app, Msg::Branch(Event::Started(branch_info)));
    update(&mut app, Msg::Branch(Event::Batches(vec![batch])));
    assert_eq!(app.run.history.batch_loss.len(), main_points);
    assert_eq!(app.branch.as_ref().unwrap().run.history.batch_loss.len(), 1);
    // A second b does not fork again; ( lowers the branch's rate; space pauses both.
    assert!(key(&mut app, KeyCode::Char('b')).is_empty());
    assert_eq!(
        key(&mut app, KeyCode::Char('(')),
        vec![Effect::ToBranch(Command::SetLearningRate(
            expected / LR_STEP
        ))]
    );
    assert_eq!(
        key(&mut app, KeyCode::Char(' ')),
        vec![
            Effect::ToMain(Command::Pause),
            Effect::ToBranch(Command::Pause)
        ]
    );
    // m keeps the main run and stops the branch.
    let mut dropped = app.clone();
    let effects = key(&mut dropped, KeyCode::Char('m'));
    assert!(dropped.branch.is_none());
    assert_eq!(effects, vec![Effect::ToBranch(Command::Stop)]);
    // k keeps the branch: its curves and rate become the main ones.
    assert_eq!(
        key(&mut app, KeyCode::Char('k')),
        vec![Effect::PromoteBranch]
    );
    assert!(app.branch.is_none());
    assert_eq!(app.run.history.batch_loss.len(), 1);
    assert_eq!(app.run.learning_rate, expected);
}

#[test]
fn f_sweeps_the_rates_and_enter_applies_the_chosen_suggestion() {
    let mut app = busy_app((120, 40));
    assert_eq!(
        key(&mut app, KeyCode::Char('f')),
        vec![Effect::ToMain(Command::FindLearningRate)]
    );
    assert!(app.overlays.finder.is_some());
    // Enter before the sweep ended applies nothing.
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    let sweep = common::sweep();
    for p in &sweep.points[..10] {
        update(&mut app, Msg::Worker(Event::SweepPoint(*p)));
    }
    assert_eq!(app.overlays.finder.as_ref().unwrap().points.len(), 10);
    update(
        &mut app,
        Msg::Worker(Event::SweepDone(Box::new(sweep.clone()))),
    );
    let named = sweep.suggestions.named();
    assert_eq!(named.len(), 3);
    // → picks the second suggestion, ← twice wraps round to the last.
    key(&mut app, KeyCode::Right);
    assert_eq!(
        app.overlays.finder.as_ref().unwrap().chosen(),
        Some(named[1])
    );
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Left);
    assert_eq!(
        app.overlays.finder.as_ref().unwrap().chosen(),
        Some(named[2])
    );
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::ToMain(Command::SetLearningRate(named[2].1))]
    );
    assert!(app.overlays.finder.is_none());
    // The acknowledgement marks the change on the cost curve, as any rate change.
    let marks = app.run.history.learning_rates.len();
    update(&mut app, Msg::Worker(Event::LearningRateSet(named[2].1)));
    assert_eq!(app.run.history.learning_rates.len(), marks + 1);
    assert_eq!(app.run.learning_rate, named[2].1);
}

#[test]
fn esc_discards_the_finder_and_points_of_the_other_run_are_not_its_own() {
    let mut app = busy_app((120, 40));
    key(&mut app, KeyCode::Char('f'));
    let sweep = common::sweep();
    // A branch's sweep does not fill the main run's finder.
    update(&mut app, Msg::Branch(Event::SweepPoint(sweep.points[0])));
    assert!(app.overlays.finder.as_ref().unwrap().points.is_empty());
    // A second f while the sweep runs does not start another.
    assert!(key(&mut app, KeyCode::Char('f')).is_empty());
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(app.overlays.finder.is_none());
    assert!(!app.quit, "Esc closes the finder, it does not quit");
    // A sweep ending after the finder closed changes nothing.
    update(&mut app, Msg::Worker(Event::SweepDone(Box::new(sweep))));
    assert!(app.overlays.finder.is_none());
    // F without a branch says so.
    assert!(key(&mut app, KeyCode::Char('F')).is_empty());
    assert_eq!(app.notice.as_deref(), Some("no branch: b forks one"));
}

#[test]
fn shift_s_cycles_the_schedule_and_the_status_follows_the_acknowledgement() {
    let mut app = busy_app((120, 40));
    assert_eq!(
        key(&mut app, KeyCode::Char('S')),
        vec![Effect::ToMain(Command::SetSchedule(
            mnist_tui::train::Schedule::Step
        ))]
    );
    // Shown only once the worker says so.
    assert_eq!(app.run.schedule, mnist_tui::train::Schedule::Constant);
    let marks = app.run.history.learning_rates.len();
    update(
        &mut app,
        Msg::Worker(Event::ScheduleSet(mnist_tui::train::Schedule::Step)),
    );
    assert_eq!(app.run.schedule, mnist_tui::train::Schedule::Step);
    assert_eq!(
        app.run.history.learning_rates.len(),
        marks,
        "not a rate change"
    );
    assert!(app
        .run
        .history
        .marks
        .iter()
        .any(|m| m.1 == mnist_tui::app::RunMark::ScheduleChange));
    // Under a schedule the rate in force is the batches' own.
    let batch = mnist_tui::train::BatchLoss {
        epoch: 1,
        batch: 300,
        loss: 0.1,
        learning_rate: 1e-4,
        base_rate: Some(1e-3),
        correct: 99,
        size: 100,
    };
    update(&mut app, Msg::Worker(Event::Batches(vec![batch])));
    assert_eq!(app.run.learning_rate, 1e-4);
    // The rate moving with the schedule is no mark; a new base is.
    let marks = app.run.history.learning_rates.len();
    let next = mnist_tui::train::BatchLoss {
        batch: 301,
        learning_rate: 0.9e-4,
        ..batch
    };
    update(&mut app, Msg::Worker(Event::Batches(vec![next])));
    assert_eq!(app.run.history.learning_rates.len(), marks);
    let rebased = mnist_tui::train::BatchLoss {
        batch: 302,
        base_rate: Some(2e-3),
        ..next
    };
    update(&mut app, Msg::Worker(Event::Batches(vec![rebased])));
    assert_eq!(app.run.history.learning_rates.len(), marks + 1);
}

#[test]
fn what_changed_the_run_is_marked_where_it_happened() {
    use mnist_tui::app::RunMark;
    let mut app = busy_app((120, 40));
    let has = |app: &App, kind: RunMark, x: f64| {
        app.run
            .history
            .marks
            .iter()
            .any(|&(mx, k)| k == kind && (mx - x).abs() < 1e-9)
    };
    // busy_app finished one epoch.
    assert!(has(&app, RunMark::EpochEnd, 1.0));
    update(
        &mut app,
        Msg::Worker(Event::Saved {
            path: "c".into(),
            epoch: 1,
            batch: 300,
        }),
    );
    assert!(has(&app, RunMark::Saved, 1.5));
    key(&mut app, KeyCode::Char('b'));
    update(&mut app, Msg::Worker(Event::Forked(checkpoint_stub())));
    assert!(has(&app, RunMark::Branch, 1.5));
    key(&mut app, KeyCode::Char('m'));
    key(&mut app, KeyCode::Char('f'));
    update(
        &mut app,
        Msg::Worker(Event::SweepDone(Box::new(common::sweep()))),
    );
    key(&mut app, KeyCode::Enter);
    assert!(has(&app, RunMark::FinderApplied, 1.5));
    update(
        &mut app,
        Msg::Worker(Event::Diverged(mnist_tui::train::Divergence {
            epoch: 1,
            batch: 299,
            learning_rate: 10.0,
            reason: mnist_tui::train::DivergenceReason::NotFinite,
            restored_epoch: 1,
            restored_batch: 60,
        })),
    );
    // The restore takes the marks after it away and marks itself.
    assert!(has(&app, RunMark::Restore, 1.1));
    assert!(!has(&app, RunMark::Saved, 1.5));
    assert!(has(&app, RunMark::EpochEnd, 1.0));
}

#[test]
fn w_cycles_gradient_occlusion_and_off_and_digits_then_ask_about_a_class_instead_of_switching_views(
) {
    let mut app = busy_app((120, 40));
    key(&mut app, KeyCode::Char('w'));
    assert_eq!(
        app.why,
        Some(Why {
            class: None,
            by: Explanation::Gradient
        })
    );
    assert_eq!(key(&mut app, KeyCode::Char('3')), vec![]);
    assert_eq!(app.tab, Tab::Overview, "3 asked about a class");
    assert_eq!(
        app.why,
        Some(Why {
            class: Some(3),
            by: Explanation::Gradient
        })
    );
    assert_eq!(app.why.unwrap().class_for(1), 3);
    // The same digit again: back to explaining the prediction.
    key(&mut app, KeyCode::Char('3'));
    assert_eq!(app.why.unwrap().class_for(1), 1);
    key(&mut app, KeyCode::Char('0'));
    assert_eq!(
        app.why,
        Some(Why {
            class: Some(0),
            by: Explanation::Gradient
        })
    );
    // On the draw pad too; in a view without a digit, the digits switch views.
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::Mistakes);
    key(&mut app, KeyCode::Char('4'));
    assert_eq!(app.tab, Tab::Draw);
    key(&mut app, KeyCode::Char('5'));
    assert_eq!((app.tab, app.why.unwrap().class), (Tab::Draw, Some(5)));
    // w again: the same question answered by occlusion; once more: off.
    key(&mut app, KeyCode::Char('w'));
    assert_eq!(
        app.why,
        Some(Why {
            class: Some(5),
            by: Explanation::Occlusion
        })
    );
    key(&mut app, KeyCode::Char('w'));
    assert_eq!(app.why, None);
    key(&mut app, KeyCode::Char('5'));
    assert_eq!(
        app.tab,
        Tab::Filters,
        "overlay off: digits switch views again"
    );
}

#[test]
fn six_seven_and_eight_show_the_layers_the_clusters_and_the_walk() {
    let mut app = busy_app((120, 40));
    key(&mut app, KeyCode::Char('6'));
    assert_eq!(app.tab, Tab::Layers);
    key(&mut app, KeyCode::Char('7'));
    assert_eq!(app.tab, Tab::Clusters);
    key(&mut app, KeyCode::Char('8'));
    assert_eq!(app.tab, Tab::Walk);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::Overview, "Tab wraps after the last view");
}

#[test]
fn health_reports_accumulate_and_a_new_projection_replaces_the_last() {
    let mut app = busy_app((120, 40));
    for report in common::health_reports() {
        update(&mut app, Msg::Worker(Event::Health(Box::new(report))));
    }
    assert_eq!(app.layers.health.len(), 6);
    assert_eq!(app.layers.health[5].at_epoch, 1.5);
    let mut p = common::projection();
    update(&mut app, Msg::Worker(Event::Projected(Box::new(p.clone()))));
    app.clusters.point = 150;
    p.points.truncate(100);
    p.at_epoch = 2.0;
    update(&mut app, Msg::Worker(Event::Projected(Box::new(p))));
    let shown = app.clusters.projection.as_ref().unwrap();
    assert_eq!(shown.at_epoch, 2.0);
    assert_eq!(app.clusters.point, 99, "the cursor stays on a point");
}

#[test]
fn arrows_in_the_clusters_view_move_the_cursor_to_the_nearest_point_that_way() {
    let mut app = busy_app((120, 40));
    let p = common::projection();
    update(&mut app, Msg::Worker(Event::Projected(Box::new(p.clone()))));
    key(&mut app, KeyCode::Char('7'));
    // Point 0 is class 0's cluster, at angle 0 on the right of the circle.
    assert_eq!(app.clusters.point, 0);
    key(&mut app, KeyCode::Up);
    let moved = app.clusters.point;
    assert!(p.points[moved][1] > p.points[0][1], "up moved up: {moved}");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Left);
    assert!(
        p.points[app.clusters.point][0] < p.points[0][0],
        "left moved left"
    );
    // Elsewhere the arrows are not the cursor's.
    let before = app.clusters.point;
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Up);
    assert_eq!(app.clusters.point, before);
}
