//! The filters panel (and the Filters view, where it has the main area): conv1's 32 3×3
//! filters as heatmaps on a diverging scale (blue negative, red positive), shared by all
//! or each filter's own (`p`), then the sample digit's most active feature maps after
//! conv1 and conv2 with their channel numbers, so the user sees what each filter
//! responds to.

use crate::app::keymap::{key_name, Action};
use crate::tr;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::look::Look;
use super::pixels::draw_image;
use super::theme::{diverging, grey};
use crate::app::FiltersView;
use crate::train::SamplePrediction;

/// Feature maps are drawn at 14×14 (conv1's 28×28 halved by 2×2 averaging).
const MAP: usize = 14;

pub fn draw_filters(
    frame: &mut Frame,
    area: Rect,
    look: &Look,
    view: &FiltersView,
    sample: Option<&SamplePrediction>,
) {
    let block = Block::bordered().title(format!(" {} ", tr!("filters-title")));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(filters) = &view.weights else {
        frame.render_widget(Paragraph::new(tr!("filters-none")), inner);
        return;
    };
    let mode = look.colors;
    let largest = |f: &[f32]| f.iter().fold(1e-12f32, |m, v| m.max(v.abs()));
    let shared = largest(filters);
    let own: Vec<f32> = filters.chunks(9).map(largest).collect();
    let p = key_name(Action::ToggleFilterScale);
    let caption = if view.per_filter_scale {
        let smallest = own.iter().fold(f32::INFINITY, |a, &b| a.min(b));
        tr!(
            "filters-own-scales",
            smallest = format!("{smallest:.3}"),
            largest = format!("{shared:.3}"),
            key = p
        )
    } else {
        tr!(
            "filters-shared-scale",
            largest = format!("{shared:.3}"),
            key = p
        )
    };
    frame.render_widget(
        Paragraph::new(Line::from(caption)),
        Rect::new(inner.x, inner.y, inner.width, 1.min(inner.height)),
    );
    // Each filter is 3 cells wide and 1.5 tall (half blocks): the unused lower half of
    // its second row separates it from the filter below; a one-cell gap to the right.
    let per_row = ((inner.width + 1) / 4).max(1) as usize;
    let mut y = inner.y + 1;
    for (i, f) in filters.chunks(9).enumerate() {
        let scale = if view.per_filter_scale {
            own[i]
        } else {
            shared
        };
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
            look.graphics,
        );
        y = fy + 2;
    }
    let Some(sample) = sample else { return };
    let conv1: Vec<Vec<f32>> = sample.conv1_maps.chunks(28 * 28).map(halve).collect();
    let conv2: Vec<Vec<f32>> = sample
        .conv2_maps
        .chunks(MAP * MAP)
        .map(|m| m.to_vec())
        .collect();
    let row_height = 1 + MAP as u16 / 2;
    let left = inner.bottom().saturating_sub(y + 1);
    if left < row_height - 1 {
        return;
    }
    let fit = (left / row_height).max(1);
    let layers = [("conv1", conv1), ("conv2", conv2)];
    let half = inner.width / 2;
    if fit == 1 && half < 2 * (MAP as u16 + 1) {
        // One narrow row: conv1's maps only.
        draw_maps(
            frame,
            Rect::new(inner.x, y, inner.width, inner.bottom() - y),
            look,
            "conv1",
            &layers[0].1,
            1,
        );
        return;
    }
    if fit == 1 {
        // Room for one row of maps only: conv1's and conv2's side by side.
        for (i, (name, maps)) in layers.iter().enumerate() {
            let x = inner.x + i as u16 * half;
            let area = Rect::new(x, y, half, inner.bottom() - y);
            draw_maps(frame, area, look, name, maps, 1);
        }
        return;
    }
    // conv1 takes a second row of maps only where conv2 still gets one below it.
    let conv1_rows = (fit - 1).clamp(1, 2);
    for (name, maps) in &layers {
        let rows = if *name == "conv1" {
            conv1_rows
        } else {
            (fit - conv1_rows).clamp(1, 2)
        };
        let area = Rect::new(inner.x, y, inner.width, inner.bottom().saturating_sub(y));
        y += draw_maps(frame, area, look, name, maps, rows);
    }
}

/// One layer's most active maps in up to `rows` rows at the top of `area`, under a
/// caption, each with its channel number below it; returns the rows used.
fn draw_maps(
    frame: &mut Frame,
    area: Rect,
    look: &Look,
    name: &str,
    maps: &[Vec<f32>],
    rows: u16,
) -> u16 {
    let row_height = 1 + MAP as u16 / 2;
    if maps.is_empty() || area.height < row_height {
        return 0;
    }
    let mode = look.colors;
    let per_row = ((area.width + 1) / (MAP as u16 + 1)).max(1) as usize;
    let shown = (per_row * rows as usize).min(maps.len());
    frame.render_widget(
        Paragraph::new(tr!(
            "filters-most-active",
            layer = name,
            shown = shown,
            maps = maps.len()
        )),
        Rect::new(area.x, area.y, area.width, 1),
    );
    for (i, &channel) in most_active(maps).iter().take(shown).enumerate() {
        let (col, row) = ((i % per_row) as u16, (i / per_row) as u16);
        let (mx, my) = (
            area.x + col * (MAP as u16 + 1),
            area.y + 1 + row * row_height,
        );
        let m = &maps[channel];
        let max = m.iter().fold(1e-12f32, |a, &v| a.max(v));
        draw_image(
            frame.buffer_mut(),
            area,
            mx,
            my,
            (MAP, MAP),
            m,
            mode,
            |v| grey(mode, v / max),
            |v| v / max,
            look.graphics,
        );
        // The channel number under its map, in the row between map rows.
        let label = Rect::new(mx, my + MAP as u16 / 2, MAP as u16, 1).intersection(area);
        frame.render_widget(Paragraph::new(format!("#{channel}")), label);
    }
    1 + shown.div_ceil(per_row) as u16 * row_height
}

/// Channel indices by mean activation, most active first (ties: lower channel first).
fn most_active(maps: &[Vec<f32>]) -> Vec<usize> {
    let mean: Vec<f32> = maps
        .iter()
        .map(|m| m.iter().sum::<f32>() / m.len().max(1) as f32)
        .collect();
    let mut order: Vec<usize> = (0..maps.len()).collect();
    order.sort_by(|&a, &b| mean[b].total_cmp(&mean[a]).then(a.cmp(&b)));
    order
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
