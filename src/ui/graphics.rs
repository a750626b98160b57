//! Real pixels where the terminal can show them (kitty, sixel, iTerm2 protocols, found by
//! `ratatui-image`'s query at start-up): a small image is scaled to the cells it covers
//! and handed to the terminal whole. Without a protocol, [`super::pixels`] draws half
//! blocks as before.

use image::{imageops::FilterType, DynamicImage, RgbImage};
use ratatui::buffer::Buffer;
use ratatui::layout::{Rect, Size};
use ratatui::style::Color;
use ratatui::widgets::Widget;
use ratatui_image::picker::{Picker, ProtocolType};
use ratatui_image::{Image, Resize};

/// Whether `picker` draws real pixels (a picker that fell back to half blocks does not:
/// ours are drawn instead, as the snapshots show them).
pub fn has_pixels(picker: &Picker) -> bool {
    picker.protocol_type() != ProtocolType::Halfblocks
}

/// Draws a `w×h` image (row-major RGB colours) into `cells`, scaled up with square
/// pixels to fill it. Returns false when the image cannot be drawn (an encoding error, or
/// no room), so the caller can fall back.
pub fn draw_pixels(
    buf: &mut Buffer,
    cells: Rect,
    picker: &Picker,
    (w, h): (usize, usize),
    colors: &[Color],
) -> bool {
    if cells.width == 0 || cells.height == 0 || colors.len() != w * h {
        return false;
    }
    let mut rgb = RgbImage::new(w as u32, h as u32);
    for (p, c) in rgb.pixels_mut().zip(colors) {
        p.0 = to_rgb(*c);
    }
    let font = picker.font_size();
    let (px_w, px_h) = (
        u32::from(cells.width) * u32::from(font.width.max(1)),
        u32::from(cells.height) * u32::from(font.height.max(1)),
    );
    // Nearest neighbour: a digit's pixels stay crisp squares, as the half blocks show them.
    let scale = (px_w / w as u32).min(px_h / h as u32).max(1);
    let image = image::imageops::resize(
        &rgb,
        w as u32 * scale,
        h as u32 * scale,
        FilterType::Nearest,
    );
    let size = Size::new(cells.width, cells.height);
    match picker.new_protocol(DynamicImage::ImageRgb8(image), size, Resize::Fit(None)) {
        Ok(protocol) => {
            Image::new(&protocol).render(cells, buf);
            true
        }
        Err(_) => false,
    }
}

/// The RGB of a terminal colour: exact for RGB, the xterm palette's for indexed colours.
fn to_rgb(c: Color) -> [u8; 3] {
    const BASE: [[u8; 3]; 16] = [
        [0, 0, 0],
        [205, 0, 0],
        [0, 205, 0],
        [205, 205, 0],
        [0, 0, 238],
        [205, 0, 205],
        [0, 205, 205],
        [229, 229, 229],
        [127, 127, 127],
        [255, 0, 0],
        [0, 255, 0],
        [255, 255, 0],
        [92, 92, 255],
        [255, 0, 255],
        [0, 255, 255],
        [255, 255, 255],
    ];
    match c {
        Color::Rgb(r, g, b) => [r, g, b],
        Color::Indexed(i @ 0..=15) => BASE[usize::from(i)],
        Color::Indexed(i @ 16..=231) => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            let i = i - 16;
            [level(i / 36), level(i / 6 % 6), level(i % 6)]
        }
        Color::Indexed(i) => {
            let l = 8 + 10 * (i - 232);
            [l, l, l]
        }
        _ => [0, 0, 0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui_image::picker::Picker;

    #[test]
    fn indexed_colours_map_to_the_xterm_palette() {
        assert_eq!(to_rgb(Color::Indexed(16)), [0, 0, 0]);
        assert_eq!(to_rgb(Color::Indexed(231)), [255, 255, 255]);
        assert_eq!(to_rgb(Color::Indexed(196)), [255, 0, 0]);
        assert_eq!(to_rgb(Color::Indexed(244)), [128, 128, 128]);
        assert_eq!(to_rgb(Color::Rgb(1, 2, 3)), [1, 2, 3]);
    }

    #[test]
    fn a_sixel_terminal_gets_one_image_sequence_where_the_digit_goes() {
        let mut picker = Picker::halfblocks();
        assert!(!has_pixels(&picker));
        picker.set_protocol_type(ProtocolType::Sixel);
        assert!(has_pixels(&picker));
        let area = Rect::new(0, 0, 30, 16);
        let mut buf = Buffer::empty(area);
        let colors: Vec<Color> = (0..28 * 28)
            .map(|i| {
                if i % 28 == 14 {
                    Color::Rgb(255, 255, 255)
                } else {
                    Color::Rgb(0, 0, 0)
                }
            })
            .collect();
        let cells = Rect::new(1, 1, 28, 14);
        assert!(draw_pixels(&mut buf, cells, &picker, (28, 28), &colors));
        // The cells are cleared, then the sixel data (DCS … `q` … ST) paints them, all
        // sent from the first cell: 28 pixels scaled to 28 cells of 10×20.
        let first = buf[(1, 1)].symbol();
        assert!(first.contains("\x1bP9;1;0q\"1;1;280;280"), "{first:?}");
        assert!(first.ends_with("\x1b\\"), "sixel data is terminated");
        // Cells outside the image are untouched.
        assert_eq!(buf[(0, 0)].symbol(), " ");
        let mut kitty = picker.clone();
        kitty.set_protocol_type(ProtocolType::Kitty);
        let mut buf = Buffer::empty(area);
        assert!(draw_pixels(&mut buf, cells, &kitty, (28, 28), &colors));
        assert!(
            buf[(1, 1)].symbol().contains("\x1b_G"),
            "kitty graphics command"
        );
    }
}
