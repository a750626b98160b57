//! Drawing small images with half-block characters: each cell shows two pixels, the upper
//! one as the foreground of `▀` and the lower one as the background, so pixels are square.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};

use ratatui_image::picker::Picker;

use crate::app::ColorMode;

use super::theme::shade;

/// Draws a `w×h` image of values whose colour `color` gives, at `(x, y)`, clipped to `clip`.
/// Without colour, each cell shows the shade of its two pixels' mean brightness
/// (`brightness` maps a value to [0, 1]). With a graphics protocol (`pixels`), an image
/// that fits whole is sent as real pixels over the same cells.
#[allow(clippy::too_many_arguments)]
pub fn draw_image(
    buf: &mut Buffer,
    clip: Rect,
    x: u16,
    y: u16,
    (w, h): (usize, usize),
    values: &[f32],
    mode: ColorMode,
    color: impl Fn(f32) -> Color,
    brightness: impl Fn(f32) -> f32,
    pixels: Option<&Picker>,
) {
    let cells = Rect::new(x, y, w as u16, h.div_ceil(2) as u16);
    if let Some(picker) = pixels.filter(|p| super::graphics::has_pixels(p)) {
        if mode != ColorMode::None
            && clip.contains(cells.as_position())
            && cells.right() <= clip.right()
            && cells.bottom() <= clip.bottom()
        {
            let colors: Vec<Color> = values[..w * h].iter().map(|&v| color(v)).collect();
            if super::graphics::draw_pixels(buf, cells, picker, (w, h), &colors) {
                return;
            }
        }
    }
    for row in 0..h.div_ceil(2) {
        for col in 0..w {
            let (cx, cy) = (x + col as u16, y + row as u16);
            if cx >= clip.right() || cy >= clip.bottom() || cx < clip.x || cy < clip.y {
                continue;
            }
            let top = values[2 * row * w + col];
            let bottom = values
                .get((2 * row + 1) * w + col)
                .copied()
                .filter(|_| 2 * row + 1 < h);
            let cell = &mut buf[(cx, cy)];
            if mode == ColorMode::None {
                let mean =
                    bottom.map_or(brightness(top), |b| (brightness(top) + brightness(b)) / 2.0);
                cell.set_symbol(shade(mean)).set_style(Style::default());
            } else {
                let style = Style::default().fg(color(top));
                let style = match bottom {
                    Some(b) => style.bg(color(b)),
                    None => style.bg(Color::Reset),
                };
                cell.set_symbol("▀").set_style(style);
            }
        }
    }
}

/// Draws a 28×28 greyscale digit (bytes, white on black) with its top left at `(x, y)`.
pub fn draw_digit(
    buf: &mut Buffer,
    clip: Rect,
    (x, y): (u16, u16),
    digit: &[u8],
    mode: ColorMode,
    pixels: Option<&Picker>,
) {
    let values: Vec<f32> = digit.iter().map(|&p| p as f32 / 255.0).collect();
    draw_grey(buf, clip, (x, y), &values, mode, pixels);
}

/// Draws a 28×28 greyscale image of values in [0, 1] with its top left at `(x, y)`.
pub fn draw_grey(
    buf: &mut Buffer,
    clip: Rect,
    (x, y): (u16, u16),
    values: &[f32],
    mode: ColorMode,
    pixels: Option<&Picker>,
) {
    let side = crate::data::SIDE;
    draw_image(
        buf,
        clip,
        x,
        y,
        (side, side),
        values,
        mode,
        |v| super::theme::grey(mode, v),
        |v| v,
        pixels,
    );
}
