//! The filters panel: conv1's 32 3×3 filters as heatmaps on one shared diverging scale
//! (blue negative, red positive), then the sample digit's feature maps after conv1 and
//! conv2, so the user sees what each filter responds to.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::palette::{diverging, grey};
use super::pixels::draw_image;
use crate::app::App;

/// Feature maps are drawn at 14×14 (conv1's 28×28 halved by 2×2 averaging).
const MAP: usize = 14;

pub fn draw_filters(frame: &mut Frame, area: Rect, app: &App) {
    let block = Block::bordered().title(" Filters: conv1 (blue − / red +) and feature maps ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(filters) = &app.filters else {
        frame.render_widget(Paragraph::new("no filters yet"), inner);
        return;
    };
    let mode = app.colors;
    let scale = filters.iter().fold(1e-12f32, |m, v| m.max(v.abs()));
    frame.render_widget(
        Paragraph::new(Line::from(format!("32 filters, scale ±{scale:.3}"))),
        Rect::new(inner.x, inner.y, inner.width, 1.min(inner.height)),
    );
    // Each filter is 3 cells wide and 1.5 tall (half blocks): the unused lower half of
    // its second row separates it from the filter below; a one-cell gap to the right.
    let per_row = ((inner.width + 1) / 4).max(1) as usize;
    let mut y = inner.y + 1;
    for (i, f) in filters.chunks(9).enumerate() {
        let (col, row) = (i % per_row, i / per_row);
        let fy = inner.y + 1 + row as u16 * 2;
        draw_image(
            frame.buffer_mut(),
            inner,
            inner.x + col as u16 * 4,
            fy,
            (3, 3),
            f,
            mode,
            |v| diverging(mode, v / scale),
            |v| 0.5 + 0.5 * v / scale,
            app.graphics.as_ref(),
        );
        y = fy + 2;
    }
    let Some(sample) = &app.sample else { return };
    let conv1: Vec<Vec<f32>> = sample.conv1_maps.chunks(28 * 28).map(halve).collect();
    let conv2: Vec<Vec<f32>> = sample
        .conv2_maps
        .chunks(MAP * MAP)
        .map(|m| m.to_vec())
        .collect();
    for (name, maps) in [("conv1", conv1), ("conv2", conv2)] {
        if maps.is_empty() || y + 1 + (MAP as u16 / 2) > inner.bottom() {
            break;
        }
        let per_row = ((inner.width + 1) / (MAP as u16 + 1)) as usize;
        let shown = per_row.min(maps.len());
        frame.render_widget(
            Paragraph::new(format!(
                "{name}: first {shown} of {} maps for the sample",
                maps.len()
            )),
            Rect::new(inner.x, y, inner.width, 1),
        );
        for (i, m) in maps.iter().take(shown).enumerate() {
            let max = m.iter().fold(1e-12f32, |a, &v| a.max(v));
            draw_image(
                frame.buffer_mut(),
                inner,
                inner.x + i as u16 * (MAP as u16 + 1),
                y + 1,
                (MAP, MAP),
                m,
                mode,
                |v| grey(mode, v / max),
                |v| v / max,
                app.graphics.as_ref(),
            );
        }
        y += 1 + MAP as u16 / 2;
    }
}

/// 2×2 average of a 28×28 map.
fn halve(m: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; MAP * MAP];
    for y in 0..MAP {
        for x in 0..MAP {
            let at = |dy: usize, dx: usize| m[(2 * y + dy) * 28 + 2 * x + dx];
            out[y * MAP + x] = (at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4.0;
        }
    }
    out
}
