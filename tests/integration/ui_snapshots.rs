//! Every panel and the full layout, drawn from fixed states into ratatui's `TestBackend`.

use crate::common;

use common::{busy_app, empty_app, sample};
use crossterm::event::{KeyCode, KeyEvent};
use mnist_tui::app::{update, App, ColorMode, Msg, Tab};
use mnist_tui::train::Event;
use mnist_tui::ui;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::Terminal;

fn render(
    app: &App,
    (w, h): (u16, u16),
    draw: impl Fn(&mut ratatui::Frame, Rect, &App),
) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, f.area(), app)).unwrap();
    t
}

/// The sample panel as the dashboard draws it.
fn sample_panel(f: &mut ratatui::Frame, area: Rect, app: &App) {
    let sample = app.sample.as_deref();
    ui::draw_sample(f, area, &ui::Look::of(app), sample, app.why);
}

/// The filters panel as the dashboard draws it.
fn filters_panel(f: &mut ratatui::Frame, area: Rect, app: &App) {
    let sample = app.sample.as_deref();
    ui::draw_filters(f, area, &ui::Look::of(app), &app.filters, sample);
}

pub(crate) fn full(app: &App, size: (u16, u16)) -> Terminal<TestBackend> {
    render(app, size, |f, _, a| ui::draw(f, a))
}

#[test]
fn full_layout_120x40() {
    insta::assert_snapshot!(full(&busy_app((120, 40)), (120, 40)).backend());
}

#[test]
fn full_layout_80x24() {
    insta::assert_snapshot!(full(&busy_app((80, 24)), (80, 24)).backend());
}

#[test]
fn empty_state_before_the_first_batch() {
    insta::assert_snapshot!(full(&empty_app((120, 40)), (120, 40)).backend());
}

#[test]
fn diverged_state() {
    let mut app = busy_app((120, 40));
    update(
        &mut app,
        Msg::Worker(Event::Diverged(mnist_tui::train::Divergence {
            epoch: 1,
            batch: 299,
            learning_rate: 3.16,
            reason: mnist_tui::train::DivergenceReason::NotFinite,
            restored_epoch: 1,
            restored_batch: 250,
        })),
    );
    insta::assert_snapshot!(full(&app, (120, 40)).backend());
}

#[test]
fn too_small_terminal() {
    insta::assert_snapshot!(full(&busy_app((60, 20)), (60, 20)).backend());
}

#[test]
fn help_overlay() {
    let mut app = busy_app((80, 24));
    app.overlays.help = true;
    insta::assert_snapshot!(full(&app, (80, 24)).backend());
}

#[test]
fn cost_panel_log_scale() {
    let mut app = busy_app((60, 16));
    app.curves.log_y = true;
    insta::assert_snapshot!(render(&app, (60, 16), |f, a, app| ui::draw_cost(
        f,
        a,
        &ui::Curves::of(app)
    ))
    .backend());
}

#[test]
fn accuracy_panel() {
    insta::assert_snapshot!(render(
        &busy_app((60, 14)),
        (60, 14),
        |f, a, app| ui::draw_accuracy(f, a, &ui::Curves::of(app))
    )
    .backend());
}

#[test]
fn sample_panel_wrong_prediction() {
    let mut app = busy_app((50, 16));
    update(&mut app, Msg::Worker(Event::Sample(Box::new(sample(1, 7)))));
    insta::assert_snapshot!(render(&app, (50, 16), sample_panel).backend());
}

#[test]
fn filters_panel_without_colour() {
    let mut app = busy_app((50, 20));
    app.screen.colors = ColorMode::None;
    insta::assert_snapshot!(render(&app, (50, 20), filters_panel).backend());
}

#[test]
fn status_panel_and_prompt() {
    let mut app = busy_app((120, 5));
    update(
        &mut app,
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char('l'),
        )),
    );
    update(
        &mut app,
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char('3'),
        )),
    );
    let t = render(&app, (120, 5), |f, area, a| {
        let [status, keys] = ratatui::layout::Layout::vertical([
            ratatui::layout::Constraint::Length(4),
            ratatui::layout::Constraint::Length(1),
        ])
        .areas(area);
        ui::draw_status(f, status, a);
        ui::draw_keys(f, keys, a);
    });
    insta::assert_snapshot!(t.backend());
}

#[test]
fn sample_panel_is_coloured_greyscale_and_verdict_green() {
    let app = busy_app((50, 16));
    let t = render(&app, (50, 16), sample_panel);
    let buf = t.backend().buffer();
    // A lit pixel of the bar in the middle of the digit is white over white.
    let cell = &buf[(1 + 14, 1 + 8)];
    assert_eq!(cell.symbol(), "▀");
    assert_eq!(cell.fg, ratatui::style::Color::Rgb(255, 255, 255));
    // The predicted digit's line is green (right).
    let verdict = (0..50)
        .find(|&x| buf[(x, 3)].symbol() == "1" && x > 28)
        .unwrap();
    assert_eq!(buf[(verdict, 3)].fg, ratatui::style::Color::Green);
}

/// A test report with a few typical confusions and three mistakes.
pub(crate) fn report_app(size: (u16, u16)) -> App {
    let mut app = busy_app(size);
    let mut confusion = [[0u32; 10]; 10];
    for (d, row) in confusion.iter_mut().enumerate() {
        row[d] = 980 - d as u32 * 3;
    }
    confusion[4][9] = 12;
    confusion[7][2] = 9;
    confusion[3][5] = 5;
    confusion[9][4] = 3;
    let mistakes = (0..3)
        .map(|k| mnist_tui::train::Mistake {
            index: 100 + k,
            pixels: sample(4, 9).pixels,
            label: 4,
            predicted: 9,
            p_label: 0.25,
            p_predicted: 0.7,
        })
        .collect();
    update(
        &mut app,
        Msg::Worker(Event::TestReport(Box::new(mnist_tui::train::TestReport {
            at_epoch: 1.0,
            confusion,
            mistakes,
        }))),
    );
    app
}

#[test]
fn confusion_tab_80x24() {
    let mut app = report_app((80, 24));
    app.tab = Tab::Confusion;
    insta::assert_snapshot!(full(&app, (80, 24)).backend());
}

#[test]
fn mistakes_tab_80x24() {
    let mut app = report_app((80, 24));
    app.tab = Tab::Mistakes;
    app.report.mistake = 1;
    insta::assert_snapshot!(full(&app, (80, 24)).backend());
}

#[test]
fn confusion_and_mistakes_before_any_evaluation() {
    let mut app = busy_app((80, 24));
    app.tab = Tab::Confusion;
    let confusion = format!("{}", full(&app, (80, 24)).backend());
    assert!(confusion.contains("no full test evaluation yet"));
    app.tab = Tab::Mistakes;
    let mistakes = format!("{}", full(&app, (80, 24)).backend());
    assert!(mistakes.contains("no full test evaluation yet"));
}

/// `busy_app` on the draw pad with a stroke drawn down with the keys and the model's
/// verdict on it: a 1 at 91 %.
pub(crate) fn drawn_one(size: (u16, u16)) -> App {
    let mut app = busy_app(size);
    app.tab = Tab::Draw;
    app.pad.toggle_pen();
    for _ in 0..8 {
        app.pad.move_cursor(0, 1);
    }
    let mut p = [0.01f32; 10];
    p[1] = 0.91;
    app.pad.prediction = Some(p);
    app
}

#[test]
fn draw_tab_with_a_stroke_and_a_verdict_80x24() {
    let mut app = drawn_one((80, 24));
    app.screen.colors = ColorMode::None;
    insta::assert_snapshot!(full(&app, (80, 24)).backend());
}

#[test]
fn draw_tab_empty_120x40() {
    let mut app = busy_app((120, 40));
    app.tab = Tab::Draw;
    insta::assert_snapshot!(full(&app, (120, 40)).backend());
}

#[test]
fn class_names_show_wherever_labels_appear() {
    let mut app = empty_app((120, 40));
    let mut info = common::info();
    let names = "T-shirt\nTrouser\nPullover\nDress\nCoat\nSandal\nShirt\nSneaker\nBag\nBoot\n";
    info.class_names = mnist_tui::data::ClassNames::parse("names", names).unwrap();
    update(&mut app, Msg::Worker(Event::Started(info)));
    update(&mut app, Msg::Worker(Event::Sample(Box::new(sample(3, 4)))));
    insta::assert_snapshot!(render(&app, (60, 16), sample_panel).backend());
}

#[test]
fn a_branch_overlays_its_curves_and_shows_in_the_status() {
    let mut app = busy_app((120, 40));
    let mut branch = mnist_tui::app::Branch::new(0.000316, 1.0);
    // A branch's worker starts from the forked checkpoint, at the branch's rate.
    branch.run.apply(&Event::Started(mnist_tui::train::RunInfo {
        learning_rate: 0.000316,
        resumed_from: Some("branch".into()),
        recorded_in: None,
        ..common::info()
    }));
    let batches = (600..900)
        .map(|i| mnist_tui::train::BatchLoss {
            epoch: i / 600,
            batch: i % 600,
            loss: 0.4 * (-(i as f32 - 600.0) / 100.0).exp() + 0.02,
            learning_rate: 0.000316,
            base_rate: None,
            correct: 97,
            size: 100,
        })
        .collect();
    branch.run.apply(&Event::Batches(batches));
    branch
        .run
        .apply(&Event::Evaluated(mnist_tui::train::Evaluation {
            at_epoch: 1.4,
            kind: mnist_tui::train::EvalKind::Quick,
            accuracy: 0.985,
        }));
    app.branch = Some(branch);
    insta::assert_snapshot!(full(&app, (120, 40)).backend());
}

#[test]
fn learning_rate_finder_overlay_with_its_suggestions() {
    let mut app = busy_app((120, 40));
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Char('f'))));
    update(
        &mut app,
        Msg::Worker(Event::SweepDone(Box::new(common::sweep()))),
    );
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Right)));
    insta::assert_snapshot!(full(&app, (120, 40)).backend());
}

#[test]
fn learning_rate_finder_overlay_while_it_sweeps_80x24() {
    let mut app = busy_app((80, 24));
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Char('f'))));
    for p in &common::sweep().points[..40] {
        update(&mut app, Msg::Worker(Event::SweepPoint(*p)));
    }
    insta::assert_snapshot!(full(&app, (80, 24)).backend());
}

#[test]
fn a_cosine_schedule_draws_its_rate_under_the_cost_and_names_it_in_the_status() {
    let mut app = empty_app((120, 40));
    let info = mnist_tui::train::RunInfo {
        schedule: mnist_tui::train::Schedule::Cosine,
        ..common::info()
    };
    update(&mut app, Msg::Worker(Event::Started(info)));
    let batches = (0..900)
        .map(|i| {
            let p = i as f64 / 9000.0;
            mnist_tui::train::BatchLoss {
                epoch: i / 600,
                batch: i % 600,
                loss: 2.3 * (-(i as f32) / 60.0).exp() + 0.05,
                learning_rate: 1e-3 * mnist_tui::train::Schedule::Cosine.factor(p),
                base_rate: Some(1e-3),
                correct: 90,
                size: 100,
            }
        })
        .collect();
    update(&mut app, Msg::Worker(Event::Batches(batches)));
    insta::assert_snapshot!(full(&app, (120, 40)).backend());
}

#[test]
fn filters_view_80x24_shows_the_most_active_maps_with_their_channels() {
    let mut app = busy_app((80, 24));
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Char('5'))));
    assert_eq!(app.tab, Tab::Filters);
    let screen = full(&app, (80, 24));
    let text = format!("{}", screen.backend());
    assert!(text.contains("conv1: 2 most active of 32 maps"), "{text}");
    assert!(text.contains("conv2: 2 most active of 64 maps"), "{text}");
    insta::assert_snapshot!(screen.backend());
}

#[test]
fn each_filter_on_its_own_scale_names_the_range_of_scales() {
    let mut app = busy_app((50, 12));
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Char('p'))));
    assert!(app.filters.per_filter_scale);
    insta::assert_snapshot!(render(&app, (50, 12), filters_panel).backend());
}

#[test]
fn accuracy_panel_as_error_rate_on_a_log_axis() {
    let mut app = busy_app((60, 14));
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Char('L'))));
    assert!(app.curves.log_y);
    let screen = render(&app, (60, 14), |f, a, app| {
        ui::draw_accuracy(f, a, &ui::Curves::of(app))
    });
    let text = format!("{}", screen.backend());
    assert!(text.contains("10.0%") && text.contains("0.5%"), "{text}");
    insta::assert_snapshot!(screen.backend());
}

/// `busy_app` with the layer-health reports and a projection.
pub(crate) fn inside_app(size: (u16, u16)) -> App {
    let mut app = busy_app(size);
    for report in common::health_reports() {
        update(&mut app, Msg::Worker(Event::Health(Box::new(report))));
    }
    let p = common::projection();
    update(&mut app, Msg::Worker(Event::Projected(Box::new(p))));
    app
}

#[test]
fn layers_view_120x40_with_a_layer_out_of_its_band() {
    let mut app = inside_app((120, 40));
    app.tab = Tab::Layers;
    let t = full(&app, (120, 40));
    let screen = format!("{}", t.backend());
    assert!(screen.contains("updates 5.0e-2 of the weights (> 2e-2): lower the rate"));
    // The row out of its band is red, the others are not.
    let buf = t.backend().buffer();
    let row = |name: &str| {
        (0..40).find(|&y| buf[(1, y)].symbol() == &name[..1] && buf[(5, y)].symbol() == &name[4..5])
    };
    let conv2 = row("conv2").unwrap();
    let conv1 = row("conv1").unwrap();
    assert_eq!(buf[(1, conv2)].fg, ratatui::style::Color::Red);
    assert_ne!(buf[(1, conv1)].fg, ratatui::style::Color::Red);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn layers_view_80x24_and_before_any_measurement() {
    let mut app = inside_app((80, 24));
    app.tab = Tab::Layers;
    insta::assert_snapshot!(full(&app, (80, 24)).backend());
    assert_empty_view_says(Tab::Layers, "no measurements yet");
}

/// `tab` of a run with nothing measured yet says `what` at 80×24.
fn assert_empty_view_says(tab: Tab, what: &str) {
    let mut empty = busy_app((80, 24));
    empty.tab = tab;
    let screen = format!("{}", full(&empty, (80, 24)).backend());
    assert!(screen.contains(what), "{screen}");
}

#[test]
fn clusters_view_120x40_with_the_cursor_on_a_mistake() {
    let mut app = inside_app((120, 40));
    app.tab = Tab::Clusters;
    app.clusters.point = 3; // misclassified: label 3 taken for 8
    let t = full(&app, (120, 40));
    let screen = format!("{}", t.backend());
    assert!(screen.contains("label 3 → 8 ✗"));
    assert!(screen.contains("PC1 23% PC2 11%"));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn clusters_view_80x24_and_before_any_projection() {
    let mut app = inside_app((80, 24));
    app.tab = Tab::Clusters;
    insta::assert_snapshot!(full(&app, (80, 24)).backend());
    assert_empty_view_says(Tab::Clusters, "no projection yet");
}

#[test]
fn the_saliency_overlay_paints_pixels_for_red_and_against_blue() {
    let mut app = busy_app((50, 16));
    app.why = Some(mnist_tui::app::Why {
        class: Some(7),
        ..Default::default()
    });
    let t = render(&app, (50, 16), sample_panel);
    let buf = t.backend().buffer();
    // The fixture's map: column 13 pushes toward every class, column 15 away, 14 is 0.
    let (toward, away, neutral) = (
        &buf[(1 + 13, 1 + 8)],
        &buf[(1 + 15, 1 + 8)],
        &buf[(1 + 14, 1 + 8)],
    );
    let rgb = |c: ratatui::style::Color| match c {
        ratatui::style::Color::Rgb(r, g, b) => (r, g, b),
        other => panic!("{other:?}"),
    };
    let (r, g, b) = rgb(toward.fg);
    assert!(r > 200 && g < 80 && b < 80, "toward: {:?}", (r, g, b));
    let (r, g, b) = rgb(away.fg);
    assert!(b > 150 && r < 150, "away: {:?}", (r, g, b));
    let (r, g, b) = rgb(neutral.fg);
    assert!(
        r == g && g == b && r < 100,
        "neutral ink is dimmed grey: {:?}",
        (r, g, b)
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn the_draw_pad_explains_what_the_model_sees_120x40() {
    let mut app = drawn_one((120, 40));
    app.pad.saliency = common::sample(1, 1).saliency;
    app.why = Some(mnist_tui::app::Why::default());
    let t = full(&app, (120, 40));
    let screen = format!("{}", t.backend());
    assert!(screen.contains("Why 1?") || screen.contains("why 1?"));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn the_occlusion_overlay_paints_what_hiding_lowers_and_says_so_in_the_title() {
    let mut app = busy_app((50, 16));
    app.why = Some(mnist_tui::app::Why {
        class: None,
        by: mnist_tui::app::Explanation::Occlusion,
    });
    let t = render(&app, (50, 16), sample_panel);
    let screen = format!("{}", t.backend());
    assert!(screen.contains("· occlusion"), "{screen}");
    let buf = t.backend().buffer();
    // The fixture's occlusion map: only the bar's middle column, 14, is red.
    let red = |x: u16| match buf[(1 + x, 1 + 8)].fg {
        ratatui::style::Color::Rgb(r, g, b) => r > 200 && g < 80 && b < 80,
        _ => false,
    };
    assert!(red(14) && !red(13) && !red(15));
    insta::assert_snapshot!(t.backend());
}

/// The fixture's projection laid out otherwise: ten tight islands on a grid, as t-SNE
/// draws well-learned classes.
fn tsne_layout() -> mnist_tui::train::events::FeatureProjection {
    let mut p = common::projection();
    p.points = (0..p.points.len())
        .map(|i| {
            let c = (i % 10) as f32;
            let jitter = (i / 10) as f32 * 0.05;
            [(c % 5.0) * 10.0 + jitter, (c / 5.0).floor() * 10.0 - jitter]
        })
        .collect();
    p.explained = [0.0, 0.0];
    p
}

#[test]
fn t_asks_for_a_tsne_layout_shows_it_when_it_comes_and_t_again_goes_back_to_pca() {
    let mut app = inside_app((120, 40));
    app.tab = Tab::Clusters;
    let effects = update(
        &mut app,
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char('t'),
        )),
    );
    assert_eq!(
        effects,
        [mnist_tui::app::Effect::ToMain(
            mnist_tui::train::Command::Embed
        )]
    );
    let waiting = format!("{}", full(&app, (120, 40)).backend());
    assert!(
        waiting.contains("t-SNE: laying out the points"),
        "{waiting}"
    );
    update(
        &mut app,
        Msg::Worker(Event::Embedded(Box::new(tsne_layout()))),
    );
    assert_eq!(app.clusters.shown().unwrap().points, tsne_layout().points);
    // The cursor moves on the layout shown.
    app.clusters.point = 0;
    update(
        &mut app,
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Right,
        )),
    );
    let shown = &app.clusters.shown().unwrap().points;
    assert!(
        shown[app.clusters.point][0] > shown[0][0],
        "a point to the right"
    );
    let t = full(&app, (120, 40));
    let screen = format!("{}", t.backend());
    assert!(screen.contains("t-SNE at epoch 1.50 (t: PCA)"), "{screen}");
    insta::assert_snapshot!(t.backend());
    let effects = update(
        &mut app,
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char('t'),
        )),
    );
    assert!(effects.is_empty());
    assert_eq!(
        app.clusters.shown().unwrap().explained,
        [0.23, 0.11],
        "PCA again"
    );
}

#[test]
fn a_fools_the_model_shows_the_changed_picture_and_u_puts_the_drawing_back() {
    use crossterm::event::{KeyCode, KeyEvent};
    let mut app = drawn_one((120, 40));
    let canvas = app.pad.canvas;
    let effects = update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Char('a'))));
    // (The drawing's verdict, still to ask for, may follow.)
    let Some(mnist_tui::app::Effect::ToMain(mnist_tui::train::Command::Fool { pixels, target })) =
        effects.first()
    else {
        panic!("{effects:?}");
    };
    assert_eq!((**pixels, *target), (app.pad.model_input(), None));
    assert!(app.pad.fooling);
    // The answer: every inked pixel dimmed by 0.061, read as a 7.
    let mut probabilities = [0.01f32; 10];
    probabilities[7] = 0.91;
    let changed: Vec<f32> = app
        .pad
        .model_input()
        .iter()
        .map(|&p| (p as f32 / 255.0 - 0.061).max(0.0))
        .collect();
    let fooled = mnist_tui::train::events::Fooled {
        epsilon: 0.061,
        pixels: changed,
        probabilities,
        was: 1,
        now: 7,
    };
    update(&mut app, Msg::Worker(Event::Fooled(Some(Box::new(fooled)))));
    let t = full(&app, (120, 40));
    let screen = format!("{}", t.backend());
    assert!(
        screen.contains("Fooled: ε 0.061") && screen.contains("7  (91.0%), was 1"),
        "{screen}"
    );
    insta::assert_snapshot!(t.backend());
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Char('u'))));
    assert!(app.pad.fooled.is_none());
    assert_eq!(app.pad.canvas, canvas, "the drawing is as it was");
    // No step fools it: a notice says so.
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Char('a'))));
    update(&mut app, Msg::Worker(Event::Fooled(None)));
    assert!(app.notice.as_deref().unwrap().starts_with("not fooled"));
    // On an empty pad there is nothing to fool.
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Char('c'))));
    assert!(update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Char('a')))).is_empty());
    assert!(app
        .notice
        .as_deref()
        .unwrap()
        .starts_with("draw a digit first"));
}

/// The busy app on the Walk view, its sample walking through `seed` (or `deep`).
fn walking(size: (u16, u16), deep: bool) -> App {
    let mut app = busy_app(size);
    if let Some(s) = app.sample.as_mut() {
        s.walk = common::walk(deep);
    }
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Char('8'))));
    assert_eq!(app.tab, Tab::Walk);
    app
}

#[test]
fn walk_keys_choose_the_layer_and_the_map_and_enter_shows_it_large() {
    let mut app = walking((120, 40), false);
    let key = |app: &mut App, code| update(app, Msg::Key(KeyEvent::from(code)));
    key(&mut app, KeyCode::Down);
    assert_eq!((app.walk.layer, app.walk.map), (1, 0));
    for _ in 0..40 {
        key(&mut app, KeyCode::Right);
    }
    assert_eq!(app.walk.map, 31, "conv1 has 32 maps");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    assert_eq!((app.walk.layer, app.walk.map), (3, 31));
    for _ in 0..10 {
        key(&mut app, KeyCode::Down);
    }
    assert_eq!(app.walk.layer, 6, "five layers, the logits, the softmax");
    assert_eq!(app.walk.map, 9, "ten classes");
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Enter);
    assert!(app.walk.large);
    key(&mut app, KeyCode::Enter);
    assert!(!app.walk.large);
    // v walks the drawing, which there is none of yet.
    key(&mut app, KeyCode::Char('v'));
    assert!(app.walk.drawing && app.walked().is_none());
    let screen = format!("{}", full(&app, (120, 40)).backend());
    assert!(screen.contains("no drawing yet"), "{screen}");
}

#[test]
fn walk_view_seed_120x40_every_conv1_map_labelled_the_most_active_starred() {
    let mut app = walking((120, 40), false);
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Down)));
    let t = full(&app, (120, 40));
    let screen = format!("{}", t.backend());
    assert!(
        screen.contains("conv1 + ReLU · 32×28×28 · ★ #5 most active"),
        "{screen}"
    );
    assert!(screen.contains("★5") && screen.contains("31"), "{screen}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn walk_view_seed_80x24_one_layer_at_a_time() {
    let mut app = walking((80, 24), false);
    for _ in 0..3 {
        update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Down)));
    }
    let t = full(&app, (80, 24));
    let screen = format!("{}", t.backend());
    assert!(
        screen.contains("conv2 + ReLU") && screen.contains("layer 4/7"),
        "{screen}"
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn walk_view_deep_120x40_dense_units_and_80x24_logits() {
    let mut app = walking((120, 40), true);
    for _ in 0..7 {
        update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Down)));
    }
    let t = full(&app, (120, 40));
    let screen = format!("{}", t.backend());
    assert!(screen.contains("dense1 + ReLU · 625 units"), "{screen}");
    insta::assert_snapshot!("walk_view_deep_120x40_dense_units", t.backend());
    let mut app = walking((80, 24), true);
    for _ in 0..8 {
        update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Down)));
    }
    let t = full(&app, (80, 24));
    let screen = format!("{}", t.backend());
    assert!(
        screen.contains("logits") && screen.contains("6.000"),
        "{screen}"
    );
    insta::assert_snapshot!("walk_view_deep_80x24_logits", t.backend());
}

#[test]
fn walk_view_enter_shows_a_conv1_map_large_with_its_filter() {
    let mut app = walking((120, 40), false);
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Down)));
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Right)));
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Enter)));
    let t = full(&app, (120, 40));
    let screen = format!("{}", t.backend());
    assert!(
        screen.contains("conv1 filter #1 (blue −, red +)"),
        "{screen}"
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn walk_view_enter_on_a_conv2_map_shows_its_strongest_input_slices() {
    let mut app = walking((120, 40), false);
    for code in [KeyCode::Down, KeyCode::Down, KeyCode::Down, KeyCode::Enter] {
        update(&mut app, Msg::Key(KeyEvent::from(code)));
    }
    let t = full(&app, (120, 40));
    let screen = format!("{}", t.backend());
    // The fixture's weights grow with the input channel: the last three are strongest.
    assert!(
        screen.contains("filter #0: its 3 strongest inputs"),
        "{screen}"
    );
    assert!(
        screen.contains("from #31") && screen.contains("from #30"),
        "{screen}"
    );
    insta::assert_snapshot!(t.backend());
}
