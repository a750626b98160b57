//! The Layers view: for each layer with weights, ‖W‖, ‖∇W‖, the update ratio ‖ΔW‖/‖W‖ and
//! the dead fraction of its ReLU units, each with its course over the run as a
//! sparkline; a layer out of its healthy band turns red with the reason under it.

use crate::i18n::width::{cells, pad};
use crate::tr;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::sparkline::{sparkline, Scale};
use super::theme::{self, fg};
use crate::app::{ColorMode, LayersView};
use crate::train::events::LayerHealth;
use crate::train::health::{DEAD_TOO_MANY, UPDATE_TOO_HIGH, UPDATE_TOO_LOW, UPDATE_WARM_UP};

/// Columns of the layer's name.
const NAME: usize = 8;

/// The four measurements: a header, what it means (the legend under the rows where there
/// is room: a learner's first question), both catalogue ids; how a value is written, and
/// the scale of its sparkline.
struct Column {
    header: &'static str,
    meaning: &'static str,
    value: fn(&LayerHealth) -> Option<f64>,
    text: fn(f64) -> String,
    scale: Scale,
}

const COLUMNS: [Column; 4] = [
    Column {
        header: "health-weights-header",
        meaning: "health-legend-weights",
        value: |l| Some(l.weight_norm),
        text: |v| format!("{v:.3}"),
        scale: Scale::Own,
    },
    Column {
        header: "health-gradient-header",
        meaning: "health-legend-gradient",
        value: |l| Some(l.gradient_norm),
        text: |v| format!("{v:.2e}"),
        scale: Scale::Log,
    },
    Column {
        header: "health-update-header",
        meaning: "health-legend-update",
        value: |l| Some(l.update_ratio),
        text: |v| format!("{v:.1e}"),
        scale: Scale::Log,
    },
    Column {
        header: "health-dead-header",
        meaning: "health-legend-dead",
        value: |l| l.dead_fraction,
        text: |v| format!("{:.1}%", v * 100.0),
        scale: Scale::Fixed(0.0, 1.0),
    },
];

pub fn draw_health(frame: &mut Frame, area: Rect, mode: ColorMode, view: &LayersView) {
    let title = match view.health.last() {
        Some(h) => format!(
            " {} ",
            tr!("health-title-at", epoch = format!("{:.2}", h.at_epoch))
        ),
        None => format!(" {} ", tr!("health-title")),
    };
    let block = Block::bordered().title(title).title_bottom(format!(
        " {} ",
        tr!(
            "health-bands",
            high = format!("{UPDATE_TOO_HIGH:.0e}"),
            warm_up = UPDATE_WARM_UP,
            low = format!("{UPDATE_TOO_LOW:.0e}"),
            dead = format!("{:.0}", DEAD_TOO_MANY * 100.0)
        )
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(last) = view.health.last() else {
        let text = tr!("health-waiting");
        frame.render_widget(Paragraph::new(text), inner);
        return;
    };
    let width = usize::from(inner.width).saturating_sub(NAME);
    let column = (width / COLUMNS.len()).max(4);
    let mut lines = Vec::new();
    for (i, (layer, problem)) in last.layers.iter().zip(last.problems()).enumerate() {
        let style = match &problem {
            Some(_) => fg(mode, theme::WRONG).add_modifier(Modifier::BOLD),
            None => Style::default(),
        };
        let mut values = vec![Span::styled(format!("{:<NAME$}", layer.name), style)];
        let mut sparks = vec![Span::raw(" ".repeat(NAME))];
        for c in &COLUMNS {
            let Some(v) = (c.value)(layer) else {
                values.push(Span::raw(format!("{:<column$}", "")));
                sparks.push(Span::raw(" ".repeat(column)));
                continue;
            };
            let text = format!("{} {}", tr!(c.header), (c.text)(v));
            values.push(Span::styled(pad(&text, column), style));
            let course: Vec<f64> = view
                .health
                .iter()
                .filter_map(|h| h.layers.get(i).and_then(|l| (c.value)(l)))
                .collect();
            let line = sparkline(&course, column.saturating_sub(2), c.scale);
            sparks.push(Span::styled(
                format!("{line:<column$}"),
                fg(mode, theme::EPOCH),
            ));
        }
        lines.push(Line::from(values));
        lines.push(Line::from(sparks));
        if let Some(reason) = problem {
            lines.push(Line::styled(format!("{:NAME$}⚠ {reason}", ""), style));
        }
    }
    let room = usize::from(inner.height).saturating_sub(lines.len() + 1);
    if room >= COLUMNS.len() {
        lines.push(Line::raw(""));
        let dim = Style::default().add_modifier(Modifier::DIM);
        let headers = COLUMNS.map(|c| tr!(c.header));
        let names = headers.iter().map(|h| cells(h)).max().unwrap_or(0) + 2;
        lines.extend(headers.iter().zip(&COLUMNS).map(|(header, c)| {
            Line::styled(format!("{}{}", pad(header, names), tr!(c.meaning)), dim)
        }));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
