//! MNIST's own preprocessing, for digits that did not come from MNIST (image files, the
//! draw pad): the digit's bounding box is scaled to fit 20×20 keeping its aspect ratio,
//! then placed in 28×28 so that its centre of mass is at pixel (14, 14).

use super::idx::{PIXELS, SIDE};

/// Side of the box the digit is fitted into.
const FIT: f32 = 20.0;
/// Ink below this (of 1.0) does not count towards the bounding box (paper noise).
const INK: f32 = 0.1;

/// A greyscale picture, light digit on dark ground, values in `[0, 1]`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Gray {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<f32>,
}

impl Gray {
    pub fn new(width: usize, height: usize, pixels: Vec<f32>) -> Self {
        assert_eq!(
            pixels.len(),
            width * height,
            "pixels must fill width × height"
        );
        Self {
            width,
            height,
            pixels,
        }
    }

    fn at(&self, x: usize, y: usize) -> f32 {
        self.pixels[y * self.width + x]
    }

    /// Bilinear sample at a real position (pixel centres at `i + 0.5`), 0 outside.
    fn sample(&self, x: f32, y: f32) -> f32 {
        let (fx, fy) = (x - 0.5, y - 0.5);
        let (x0, y0) = (fx.floor(), fy.floor());
        let (tx, ty) = (fx - x0, fy - y0);
        let get = |xi: f32, yi: f32| {
            if xi < 0.0 || yi < 0.0 || xi >= self.width as f32 || yi >= self.height as f32 {
                0.0
            } else {
                self.at(xi as usize, yi as usize)
            }
        };
        let top = get(x0, y0) * (1.0 - tx) + get(x0 + 1.0, y0) * tx;
        let bottom = get(x0, y0 + 1.0) * (1.0 - tx) + get(x0 + 1.0, y0 + 1.0) * tx;
        top * (1.0 - ty) + bottom * ty
    }
}

/// Makes a picture of dark ink on light paper into light ink on dark ground, judging by
/// the border (the paper shows there), and stretches its range to `[0, 1]`.
pub fn normalise_polarity(mut g: Gray) -> Gray {
    let (w, h) = (g.width, g.height);
    let mut border = Vec::new();
    for x in 0..w {
        border.push(g.at(x, 0));
        border.push(g.at(x, h - 1));
    }
    for y in 0..h {
        border.push(g.at(0, y));
        border.push(g.at(w - 1, y));
    }
    let border_mean = border.iter().sum::<f32>() / border.len().max(1) as f32;
    if border_mean > 0.5 {
        g.pixels.iter_mut().for_each(|p| *p = 1.0 - *p);
    }
    // Paper is rarely pure black after inversion: take its median level as zero.
    let mut sorted = g.pixels.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let ground = sorted[sorted.len() / 2];
    let top = sorted[sorted.len() - 1];
    let range = (top - ground).max(1e-6);
    g.pixels
        .iter_mut()
        .for_each(|p| *p = ((*p - ground) / range).clamp(0.0, 1.0));
    g
}

/// MNIST-style 28×28 bytes (white digit on black) of a light-on-dark picture; an empty
/// picture gives an empty image.
pub fn mnist_style(g: &Gray) -> [u8; PIXELS] {
    let mut out = [0u8; PIXELS];
    let Some((x0, y0, x1, y1)) = ink_box(g) else {
        return out;
    };
    let (bw, bh) = ((x1 - x0) as f32, (y1 - y0) as f32);
    let scale = FIT / bw.max(bh);
    let (ow, oh) = (
        (bw * scale).round().clamp(1.0, FIT) as usize,
        (bh * scale).round().clamp(1.0, FIT) as usize,
    );
    // Area-average when shrinking: several bilinear samples per output pixel.
    let k = ((1.0 / scale).ceil() as usize).clamp(1, 16);
    let mut fitted = vec![0.0f32; ow * oh];
    for oy in 0..oh {
        for ox in 0..ow {
            let mut sum = 0.0;
            for sy in 0..k {
                for sx in 0..k {
                    let u = (ox as f32 + (sx as f32 + 0.5) / k as f32) / scale + x0 as f32;
                    let v = (oy as f32 + (sy as f32 + 0.5) / k as f32) / scale + y0 as f32;
                    sum += g.sample(u, v);
                }
            }
            fitted[oy * ow + ox] = sum / (k * k) as f32;
        }
    }
    // Centre of mass of the fitted digit, then the shift that puts it at the centre.
    let (mut mass, mut mx, mut my) = (0.0f32, 0.0f32, 0.0f32);
    for (i, &v) in fitted.iter().enumerate() {
        mass += v;
        mx += v * ((i % ow) as f32 + 0.5);
        my += v * ((i / ow) as f32 + 0.5);
    }
    if mass <= 0.0 {
        return out;
    }
    // MNIST puts the centre of mass at pixel index 14, whose centre is at 14.5 here.
    let centre = SIDE as f32 / 2.0 + 0.5;
    let dx = (centre - mx / mass).round() as isize;
    let dy = (centre - my / mass).round() as isize;
    let peak = fitted.iter().cloned().fold(0.0f32, f32::max).max(1e-6);
    for oy in 0..oh {
        for ox in 0..ow {
            let (x, y) = (ox as isize + dx, oy as isize + dy);
            if (0..SIDE as isize).contains(&x) && (0..SIDE as isize).contains(&y) {
                let v = (fitted[oy * ow + ox] / peak).clamp(0.0, 1.0);
                out[y as usize * SIDE + x as usize] = (v * 255.0).round() as u8;
            }
        }
    }
    out
}

/// Bounding box `[x0, x1) × [y0, y1)` of the pixels with ink.
fn ink_box(g: &Gray) -> Option<(usize, usize, usize, usize)> {
    let mut bounds: Option<(usize, usize, usize, usize)> = None;
    for y in 0..g.height {
        for x in 0..g.width {
            if g.at(x, y) > INK {
                let b = bounds.get_or_insert((x, y, x + 1, y + 1));
                *b = (b.0.min(x), b.1.min(y), b.2.max(x + 1), b.3.max(y + 1));
            }
        }
    }
    bounds
}

/// Paints a soft round brush of `radius` pixels at `(x, y)` onto a 28×28 canvas
/// (values in `[0, 1]`, the strongest stroke wins), as a pen would: full ink in the
/// middle, fading over the last pixel so edges are anti-aliased.
pub fn brush(canvas: &mut [f32; PIXELS], x: f32, y: f32, radius: f32) {
    let reach = radius.ceil() as isize + 1;
    let (cx, cy) = (x.floor() as isize, y.floor() as isize);
    for py in cy - reach..=cy + reach {
        for px in cx - reach..=cx + reach {
            if !(0..SIDE as isize).contains(&px) || !(0..SIDE as isize).contains(&py) {
                continue;
            }
            let d = ((px as f32 + 0.5 - x).powi(2) + (py as f32 + 0.5 - y).powi(2)).sqrt();
            let ink = (radius + 0.5 - d).clamp(0.0, 1.0);
            let cell = &mut canvas[py as usize * SIDE + px as usize];
            *cell = cell.max(ink);
        }
    }
}

/// Rubs out a round area (the eraser).
pub fn erase(canvas: &mut [f32; PIXELS], x: f32, y: f32, radius: f32) {
    let reach = radius.ceil() as isize + 1;
    let (cx, cy) = (x.floor() as isize, y.floor() as isize);
    for py in cy - reach..=cy + reach {
        for px in cx - reach..=cx + reach {
            if (0..SIDE as isize).contains(&px) && (0..SIDE as isize).contains(&py) {
                let d = ((px as f32 + 0.5 - x).powi(2) + (py as f32 + 0.5 - y).powi(2)).sqrt();
                if d <= radius + 0.5 {
                    canvas[py as usize * SIDE + px as usize] = 0.0;
                }
            }
        }
    }
}
