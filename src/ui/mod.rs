//! Pure drawing: `draw(frame, &app)` and one function per panel. Nothing here changes state.

mod accuracy;
mod bars;
mod chart;
mod clusters;
mod confusion;
mod cost;
mod draw_pad;
mod filters;
mod finder;
mod graphics;
mod health;
mod help;
mod mistakes;
pub mod palette;
mod pixels;
mod saliency;
mod sample;
mod sparkline;
mod status;
mod tabs;

pub use accuracy::draw_accuracy;
pub use clusters::draw_clusters;
pub use confusion::draw_confusion;
pub use cost::draw_cost;
pub use draw_pad::draw_pad;
pub use filters::draw_filters;
pub use finder::draw_finder;
pub use health::draw_health;
pub use help::draw_help;
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
    draw_tabs(frame, tabs, app);
    match app.tab {
        Tab::Overview => draw_overview(frame, main, app),
        Tab::Confusion => draw_confusion(frame, main, app),
        Tab::Mistakes => draw_mistakes(frame, main, app),
        Tab::Draw => draw_pad(frame, main, app),
        Tab::Filters => draw_filters(frame, main, app),
        Tab::Layers => draw_health(frame, main, app),
        Tab::Clusters => draw_clusters(frame, main, app),
    }
    if app.finder.is_some() {
        draw_finder(frame, main, app);
    }
    draw_status(frame, status, app);
    draw_keys(frame, keys, app);
    if app.show_help {
        draw_help(frame, area, app.tab);
    }
}

/// Curves, digit and filters together.
fn draw_overview(frame: &mut Frame, main: Rect, app: &App) {
    let area = main;
    // The right column holds the digit beside its probabilities when there is room.
    let right_width = if area.width >= 110 { 50 } else { 32 };
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_width)]).areas(main);
    let [cost, accuracy] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(left);
    draw_cost(frame, cost, app);
    draw_accuracy(frame, accuracy, app);
    // Too short for filters worth seeing (80×24): the digit takes the column, with room
    // for its verdict, and the filters have their own view (5).
    if right.height < SAMPLE_HEIGHT + MIN_FILTERS_HEIGHT {
        draw_sample(frame, right, app);
        return;
    }
    let [sample, filters] =
        Layout::vertical([Constraint::Length(SAMPLE_HEIGHT), Constraint::Fill(1)]).areas(right);
    draw_sample(frame, sample, app);
    draw_filters(frame, filters, app);
}

fn draw_too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "terminal too small (need {}×{}, have {}×{})",
        MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
    );
    let [row] = Layout::vertical([Constraint::Length(1)])
        .flex(Flex::Center)
        .areas(area);
    frame.render_widget(Paragraph::new(text).centered(), row);
}
