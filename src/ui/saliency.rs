//! The saliency overlay: a 28×28 digit dimmed, with the pixels that push the model toward
//! the explained class in red and those that push it away in blue (`w`; the digit keys
//! choose the class). Shared by the sample panel and the draw pad.

use crate::tr;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use ratatui_image::picker::Picker;

use super::pixels::{draw_digit, draw_image};
use super::theme::saliency;
use crate::app::{ColorMode, Explanation};
use crate::data::SIDE;
use crate::train::events::Saliency;

/// Draws the 28×28 `digit` at `(x, y)`, overlaid with `map` (its gradient × input for
/// one class) when there is one; the map is scaled by its largest magnitude.
pub fn draw_explained(
    buf: &mut Buffer,
    clip: Rect,
    (x, y): (u16, u16),
    digit: &[u8],
    map: Option<&[f32]>,
    mode: ColorMode,
    pixels: Option<&Picker>,
) {
    let Some(map) = map else {
        draw_digit(buf, clip, (x, y), digit, mode, pixels);
        return;
    };
    let ink: Vec<f32> = digit.iter().map(|&p| p as f32 / 255.0).collect();
    let largest = map.iter().fold(1e-12f32, |m, v| m.max(v.abs()));
    // Each pixel's value is its index, so the colour can read both images at once.
    let index: Vec<f32> = (0..SIDE * SIDE).map(|i| i as f32).collect();
    draw_image(
        buf,
        clip,
        x,
        y,
        (SIDE, SIDE),
        &index,
        mode,
        |i| saliency(mode, ink[i as usize], map[i as usize] / largest),
        // Without colour the sign cannot show: the strength of either kind.
        |i| (map[i as usize] / largest).abs(),
        pixels,
    );
}

/// The overlay's question, for a title: `why 7?`, or `why not 3?` for another class than
/// the predicted one.
pub fn question(class: &str, predicted: bool) -> String {
    if predicted {
        tr!("why-class", class = class)
    } else {
        tr!("why-not-class", class = class)
    }
}

/// What the colours mean, in a few columns.
pub fn legend(class: &str, by: Explanation) -> String {
    match by {
        Explanation::Gradient => tr!("why-legend-gradient", class = class),
        Explanation::Occlusion => tr!("why-legend-occlusion", class = class),
    }
}

/// The maps of the explanation `by` asks for.
pub fn maps<'a>(by: Explanation, saliency: &'a Saliency, occlusion: &'a Saliency) -> &'a Saliency {
    match by {
        Explanation::Gradient => saliency,
        Explanation::Occlusion => occlusion,
    }
}

/// The question, for a title, with the explanation's name when it is not the first one:
/// `why 7?`, `why 7? · occlusion`.
pub fn titled_question(class: &str, predicted: bool, by: Explanation) -> String {
    match by {
        Explanation::Gradient => question(class, predicted),
        other => format!("{} · {}", question(class, predicted), other.name()),
    }
}
