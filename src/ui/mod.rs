//! Pure drawing: `draw(frame, &app)` and one function per panel. Nothing here changes state.
//!
//! `draw` hands each panel only what it draws: its view's state, the runs it plots, and the
//! [`Look`] (colours, graphics, class names). The status bar and the key line are the
//! exception: they report on everything, so they read the whole [`App`].

mod accuracy;
mod bars;
mod chart;
mod chart_legend;
mod clusters;
mod compare;
mod confusion;
mod cost;
mod draw_pad;
mod filters;
mod finder;
mod graphics;
mod health;
mod help;
mod look;
mod mistakes;
mod pixels;
mod saliency;
mod sample;
mod sparkline;
mod status;
mod tabs;
pub mod theme;
mod walk;
pub mod workspace;

pub use accuracy::draw_accuracy;
pub use chart::Curves;
pub use clusters::draw_clusters;
pub use confusion::draw_confusion;
pub use cost::draw_cost;
pub use draw_pad::draw_pad;
pub use filters::draw_filters;
pub use finder::draw_finder;
pub use health::draw_health;
pub use help::draw_help;
pub use look::Look;
pub use mistakes::draw_mistakes;
pub use sample::draw_sample;
pub use status::{draw_keys, draw_status};
pub use tabs::draw_tabs;

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::{App, Tab, MIN_SIZE};

/// Height of the sample panel: 14 rows of half-block digit and its border.
const SAMPLE_HEIGHT: u16 = 16;
/// Rows below which the filters panel would show a caption and a row of filters at most.
const MIN_FILTERS_HEIGHT: u16 = 8;

/// Draws the whole dashboard.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if app.too_small() || area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        draw_too_small(frame, area);
        return;
    }
    let [tabs, main, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(4),
        Constraint::Length(1),
    ])
    .areas(area);
    let look = Look::of(app);
    draw_tabs(frame, tabs, app.tab);
    let sample = app.sample.as_deref();
    match app.tab {
        Tab::Overview => draw_overview(frame, main, app, &look),
        Tab::Confusion => draw_confusion(frame, main, &look, app.report.report.as_deref()),
        Tab::Mistakes => draw_mistakes(frame, main, &look, &app.report),
        Tab::Draw => draw_pad(frame, main, &look, (&app.pad, app.why), app.screen.size),
        Tab::Filters => draw_filters(frame, main, &look, &app.filters, sample),
        Tab::Layers => draw_health(frame, main, look.colors, &app.layers),
        Tab::Clusters => draw_clusters(frame, main, &look, &app.clusters, app.viewing.is_some()),
        Tab::Walk => walk::draw_walk(frame, main, &look, (app.walked(), app.walk)),
    }
    if let Some(finder) = &app.overlays.finder {
        draw_finder(frame, main, look.colors, finder);
    }
    compare::draw_compare_picker(frame, main, &app.compare);
    draw_status(frame, status, app);
    draw_keys(frame, keys, app);
    if app.overlays.help {
        draw_help(frame, area, app.tab);
    }
}

/// Curves, digit and filters together.
fn draw_overview(frame: &mut Frame, main: Rect, app: &App, look: &Look) {
    let area = main;
    // The right column holds the digit beside its probabilities when there is room.
    let right_width = if area.width >= 110 { 50 } else { 32 };
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_width)]).areas(main);
    let [cost, accuracy] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(left);
    let curves = Curves::of(app);
    draw_cost(frame, cost, &curves);
    draw_accuracy(frame, accuracy, &curves);
    let sample = app.sample.as_deref();
    // Too short for filters worth seeing (80×24): the digit takes the column, with room
    // for its verdict, and the filters have their own view (5).
    if right.height < SAMPLE_HEIGHT + MIN_FILTERS_HEIGHT {
        draw_sample(frame, right, look, sample, app.why);
        return;
    }
    let [sample_area, filters] =
        Layout::vertical([Constraint::Length(SAMPLE_HEIGHT), Constraint::Fill(1)]).areas(right);
    draw_sample(frame, sample_area, look, sample, app.why);
    draw_filters(frame, filters, look, &app.filters, sample);
}

fn draw_too_small(frame: &mut Frame, area: Rect) {
    let text = crate::tr!(
        "terminal-too-small",
        need = format!("{}×{}", MIN_SIZE.0, MIN_SIZE.1),
        have = format!("{}×{}", area.width, area.height)
    );
    let [row] = Layout::vertical([Constraint::Length(1)])
        .flex(Flex::Center)
        .areas(area);
    frame.render_widget(Paragraph::new(text).centered(), row);
}
