//! The Walk view (`8`): one digit through every layer of the network, in order — the
//! input, each conv layer's maps after ReLU and each pooling (every map, small, labelled
//! by its channel, the most active starred), the deep network's dense units, the logits
//! and the softmax. `↑`/`↓` choose the layer, `←`/`→` the map, `Enter` shows the map
//! large with the filter that made it (its strongest input channels' 3×3 slices). At 80
//! columns the layer list gives way to the layer itself.

use crate::tr;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::bars::{probability_lines, BAR, BESIDE_BAR};
use super::look::Look;
use super::pixels::draw_image;
use super::theme::{self, fg};
use crate::app::{ColorMode, WalkView};
use crate::train::events::{Walk, WalkLayer};

/// Terminal width from which the layer list sits beside the layer.
const WIDE: u16 = 100;
/// Width of the layer list.
const LIST: u16 = 26;
/// Thumbnail sizes tried, in pixels, largest first: the largest that shows every map.
const THUMBS: [usize; 5] = [28, 14, 10, 7, 4];

/// Draws the Walk view of `walk` (none yet: a hint).
pub fn draw_walk(
    frame: &mut Frame,
    area: Rect,
    look: &Look,
    (walk, view): (Option<&Walk>, WalkView),
) {
    let source = tr!(if view.drawing {
        "walk-drawing"
    } else {
        "walk-sample"
    });
    let Some(walk) = walk else {
        let hint = tr!(if view.drawing {
            "walk-no-drawing"
        } else {
            "walk-no-sample"
        });
        let block =
            Block::bordered().title(format!(" {} ", tr!("walk-title", source = source.clone())));
        frame.render_widget(Paragraph::new(hint).block(block), area);
        return;
    };
    let rows = walk.layers.len() + crate::app::WALK_HEAD_ROWS;
    let layer = view.layer.min(rows - 1);
    let main = if area.width >= WIDE {
        let [list, main] =
            Layout::horizontal([Constraint::Length(LIST), Constraint::Fill(1)]).areas(area);
        draw_list(frame, list, walk, layer, &source);
        main
    } else {
        area
    };
    let position = tr!("walk-position", layer = layer + 1, rows = rows);
    match walk.layers.get(layer) {
        Some(l) => draw_layer(frame, main, look, (l, view), &position),
        None if layer == walk.layers.len() => {
            draw_head(frame, main, look, (&walk.logits, true), &position)
        }
        None => draw_head(frame, main, look, (&walk.probabilities, false), &position),
    }
}

/// The layers in order, with their shapes; the selected one reversed.
fn draw_list(frame: &mut Frame, area: Rect, walk: &Walk, selected: usize, source: &str) {
    let mut lines: Vec<Line> = walk
        .layers
        .iter()
        .map(|l| {
            if l.side == 1 {
                format!("{:<14}{:>4}", l.name, l.channels)
            } else {
                format!("{:<14}{:>3}×{}²", l.name, l.channels, l.side)
            }
        })
        .chain(["logits".to_string(), "softmax".to_string()].map(|n| format!("{n:<14}{:>4}", 10)))
        .map(Line::from)
        .collect();
    if let Some(line) = lines.get_mut(selected) {
        *line = line
            .clone()
            .style(Style::default().add_modifier(Modifier::REVERSED));
    }
    let title = tr!("walk-title", source = source);
    let block = Block::bordered().title(format!(" {title} (v) "));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// One layer: every map small (or the selected one large), or the dense units as cells.
fn draw_layer(
    frame: &mut Frame,
    area: Rect,
    look: &Look,
    (layer, view): (&WalkLayer, WalkView),
    position: &str,
) {
    let mode = look.colors;
    let selected = view.map.min(layer.channels.saturating_sub(1));
    let most = layer.most_active();
    let shape = if layer.side == 1 {
        tr!("walk-units", units = layer.channels)
    } else {
        format!("{}×{}×{}", layer.channels, layer.side, layer.side)
    };
    let title = format!(
        " {} · {shape} · {} · #{selected} · {position} ",
        layer.name,
        tr!("walk-most-active", most = most)
    );
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // One scale for the whole layer, so the maps' strengths compare.
    let top = layer.values.iter().fold(1e-12f32, |m, &v| m.max(v.abs()));
    let buf = frame.buffer_mut();
    if layer.side == 1 {
        draw_units(buf, inner, (layer, selected, most), top, mode);
    } else if view.large {
        draw_large(buf, inner, look, (layer, selected), top);
    } else {
        draw_maps(buf, inner, (layer, selected, most), top, mode);
    }
}

/// Every map as a thumbnail with its channel number below it.
fn draw_maps(
    buf: &mut Buffer,
    inner: Rect,
    (layer, selected, most): (&WalkLayer, usize, usize),
    top: f32,
    mode: ColorMode,
) {
    let fits = |t: usize| {
        let cols = (inner.width as usize + 1) / (t + 1);
        let rows = inner.height as usize / (t.div_ceil(2) + 1);
        cols * rows
    };
    let t = THUMBS
        .into_iter()
        .filter(|&t| t <= layer.side)
        .find(|&t| fits(t) >= layer.channels)
        .unwrap_or(THUMBS[THUMBS.len() - 1].min(layer.side));
    let cols = ((inner.width as usize + 1) / (t + 1)).max(1);
    let cell_h = t.div_ceil(2) + 1;
    for c in 0..layer.channels.min(fits(t).max(1)) {
        let (gx, gy) = (c % cols, c / cols);
        let x = inner.x + (gx * (t + 1)) as u16;
        let y = inner.y + (gy * cell_h) as u16;
        if y + cell_h as u16 > inner.bottom() {
            break;
        }
        let small = shrink(layer.map(c), layer.side, t);
        draw_image(
            buf,
            inner,
            x,
            y,
            (t, t),
            &small,
            mode,
            |v| theme::grey(mode, v / top),
            |v| v / top,
            None,
        );
        let star = if c == most { "★" } else { "" };
        let label = format!("{star}{c}");
        let style = if c == selected {
            Style::default().add_modifier(Modifier::REVERSED)
        } else if c == most {
            fg(mode, theme::NOTICE)
        } else {
            Style::default()
        };
        buf.set_stringn(x, y + (t.div_ceil(2)) as u16, &label, t, style);
    }
}

/// The selected map at up to 28 pixels a side, and the filter that made it.
fn draw_large(
    buf: &mut Buffer,
    inner: Rect,
    look: &Look,
    (layer, selected): (&WalkLayer, usize),
    top: f32,
) {
    let mode = look.colors;
    let scale = (28 / layer.side).max(1);
    let side = layer.side * scale;
    let big = grow(layer.map(selected), layer.side, scale);
    draw_image(
        buf,
        inner,
        inner.x,
        inner.y,
        (side, side),
        &big,
        mode,
        |v| theme::grey(mode, v / top),
        |v| v / top,
        look.graphics,
    );
    let x = inner.x + side as u16 + 2;
    let sources = layer.sources.get(selected).map_or(&[][..], Vec::as_slice);
    let text = if !sources.is_empty() {
        // Each slice: its input channel, then its 3×3 weights in two-cell squares, on
        // one scale for the filter.
        let largest = sources
            .iter()
            .flat_map(|(_, w)| w.iter())
            .fold(1e-12f32, |m, v| m.max(v.abs()));
        for (k, (input, w)) in sources.iter().enumerate() {
            let y = inner.y + 2 + 5 * k as u16;
            if y + 4 > inner.bottom() || x + 8 > inner.right() {
                break;
            }
            buf.set_string(x, y, tr!("walk-from", input = *input), Style::default());
            for (i, &v) in w.iter().enumerate() {
                let (fx, fy) = (x + 2 * (i % 3) as u16, y + 1 + (i / 3) as u16);
                let style = Style::default().fg(theme::diverging(mode, v / largest));
                buf.set_string(fx, fy, "██", style);
            }
        }
        if layer.name.starts_with("conv1") {
            tr!(
                "walk-conv1-filter",
                selected = selected,
                largest = format!("{largest:.3}")
            )
        } else {
            tr!(
                "walk-filter-sources",
                selected = selected,
                sources = sources.len(),
                largest = format!("{largest:.3}")
            )
        }
    } else if layer.name == "input" {
        tr!("walk-input")
    } else if layer.name.starts_with("pool") {
        tr!("walk-pool", selected = selected)
    } else {
        String::new()
    };
    if x < inner.right() {
        let room = (inner.right() - x) as usize;
        buf.set_stringn(x, inner.y, text, room, Style::default());
    }
}

/// Dense units as cells shaded by their value, the selected one reversed.
fn draw_units(
    buf: &mut Buffer,
    inner: Rect,
    (layer, selected, most): (&WalkLayer, usize, usize),
    top: f32,
    mode: ColorMode,
) {
    let width = inner.width.max(1) as usize;
    for (i, &v) in layer.values.iter().enumerate() {
        let (x, y) = (inner.x + (i % width) as u16, inner.y + (i / width) as u16);
        if y >= inner.bottom() {
            break;
        }
        let mut style = Style::default().fg(theme::grey(mode, v / top));
        if i == selected {
            style = style.add_modifier(Modifier::REVERSED);
        }
        let symbol = if mode == ColorMode::None {
            theme::shade(v / top)
        } else {
            "█"
        };
        buf.set_string(x, y, symbol, style);
    }
    let rows = layer.channels.div_ceil(width) as u16;
    let y = inner.y + rows + 1;
    if y < inner.bottom() {
        let text = tr!(
            "walk-unit",
            selected = selected,
            value = format!("{:.3}", layer.values.get(selected).copied().unwrap_or(0.0)),
            most = most,
            most_value = format!("{:.3}", layer.values.get(most).copied().unwrap_or(0.0)),
            firing = layer.values.iter().filter(|&&v| v > 0.0).count(),
            units = layer.channels
        );
        buf.set_stringn(inner.x, y, text, inner.width as usize, Style::default());
    }
}

/// The logits (`raw`) or the softmax as ten bars.
fn draw_head(
    frame: &mut Frame,
    area: Rect,
    look: &Look,
    (values, raw): (&[f32; 10], bool),
    position: &str,
) {
    let mode = look.colors;
    let best = (0..10)
        .max_by(|&a, &b| values[a].total_cmp(&values[b]))
        .unwrap_or(0);
    let style = fg(mode, theme::EPOCH).add_modifier(Modifier::BOLD);
    let room = (area.width.saturating_sub(2) as usize).saturating_sub(BESIDE_BAR);
    let lines = if raw {
        // Bars from the smallest logit to the largest, the value itself after them.
        let lo = values.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let span = (hi - lo).max(1e-6);
        let bar = room.min(3 * BAR);
        (0..10)
            .map(|c| {
                let filled = (((values[c] - lo) / span) * bar as f32).round() as usize;
                let s = if c == best {
                    style
                } else {
                    fg(mode, theme::REFERENCE)
                };
                Line::from(vec![
                    Span::raw(format!("{} ", look.class_label(c))),
                    Span::styled("█".repeat(filled), s),
                    Span::styled("·".repeat(bar - filled.min(bar)), fg(mode, theme::RAW)),
                    Span::raw(format!(" {:>8.3}", values[c])),
                ])
            })
            .collect()
    } else {
        probability_lines(values, best, style, mode, room.min(3 * BAR))
    };
    let title = if raw {
        format!(" {} · {position} ", tr!("walk-logits"))
    } else {
        format!(" {} · {position} ", tr!("walk-softmax"))
    };
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        area,
    );
}

/// A `side × side` map shrunk to `t × t` by the largest value of each block (a small map
/// keeps its strongest activations visible).
fn shrink(map: &[f32], side: usize, t: usize) -> Vec<f32> {
    (0..t * t)
        .map(|i| {
            let (y, x) = (i / t, i % t);
            let (y0, y1) = (y * side / t, ((y + 1) * side / t).max(y * side / t + 1));
            let (x0, x1) = (x * side / t, ((x + 1) * side / t).max(x * side / t + 1));
            (y0..y1)
                .flat_map(|r| (x0..x1).map(move |c| (r, c)))
                .map(|(r, c)| map.get(r * side + c).copied().unwrap_or(0.0))
                .fold(f32::MIN, f32::max)
        })
        .collect()
}

/// A map grown `scale` times by repeating each value.
fn grow(map: &[f32], side: usize, scale: usize) -> Vec<f32> {
    let big = side * scale;
    (0..big * big)
        .map(|i| {
            let (y, x) = (i / big / scale, i % big / scale);
            map.get(y * side + x).copied().unwrap_or(0.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shrunk_map_keeps_each_blocks_strongest_value() {
        let map: Vec<f32> = (0..16).map(|i| i as f32).collect();
        assert_eq!(shrink(&map, 4, 2), [5.0, 7.0, 13.0, 15.0]);
        assert_eq!(shrink(&map, 4, 4), map);
        assert_eq!(grow(&[1.0, 2.0, 3.0, 4.0], 2, 2)[..4], [1.0, 1.0, 2.0, 2.0]);
    }
}
