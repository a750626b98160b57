//! Colours for heatmaps and digits, degrading to the 256-colour palette or to none.

use ratatui::style::{Color, Style};

use crate::app::ColorMode;

fn rgb(mode: ColorMode, r: u8, g: u8, b: u8) -> Color {
    match mode {
        ColorMode::TrueColor => Color::Rgb(r, g, b),
        // The 6×6×6 cube of the 256-colour palette.
        _ => {
            let q = |v: u8| ((v as u16 * 5 + 127) / 255) as u8;
            Color::Indexed(16 + 36 * q(r) + 6 * q(g) + q(b))
        }
    }
}

/// Greyscale for `v` in [0, 1].
pub fn grey(mode: ColorMode, v: f32) -> Color {
    let l = (v.clamp(0.0, 1.0) * 255.0) as u8;
    match mode {
        ColorMode::TrueColor => Color::Rgb(l, l, l),
        // The 24-step grey ramp, with black and white at the ends.
        _ => match l {
            0..=3 => Color::Indexed(16),
            252..=255 => Color::Indexed(231),
            _ => Color::Indexed(232 + (l as u16 * 23 / 255) as u8),
        },
    }
}

/// Diverging blue–white–red for `v` in [-1, 1]: negative blue, positive red.
pub fn diverging(mode: ColorMode, v: f32) -> Color {
    let t = v.clamp(-1.0, 1.0);
    let fade = |a: f32| (255.0 * (1.0 - a.abs())) as u8;
    if t >= 0.0 {
        rgb(mode, 255, fade(t), fade(t))
    } else {
        rgb(mode, fade(t), fade(t), 255)
    }
}

/// A shade character for `v` in [0, 1], for terminals without colour.
pub fn shade(v: f32) -> &'static str {
    match (v.clamp(0.0, 1.0) * 4.0) as u8 {
        0 => " ",
        1 => "░",
        2 => "▒",
        3 => "▓",
        _ => "█",
    }
}

/// Style with a foreground colour, or plain when colours are off.
pub fn fg(mode: ColorMode, c: Color) -> Style {
    match mode {
        ColorMode::None => Style::default(),
        _ => Style::default().fg(c),
    }
}

/// Sequential white → orange → dark red for `t` in [0, 1] (counts in a heatmap).
pub fn heat(mode: ColorMode, t: f32) -> Color {
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: f32, b: f32, u: f32| (a + (b - a) * u) as u8;
    if t < 0.5 {
        let u = t * 2.0;
        rgb(mode, 255, lerp(245.0, 150.0, u), lerp(225.0, 60.0, u))
    } else {
        let u = (t - 0.5) * 2.0;
        rgb(
            mode,
            lerp(255.0, 150.0, u),
            lerp(150.0, 20.0, u),
            lerp(60.0, 20.0, u),
        )
    }
}
