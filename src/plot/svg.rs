//! A figure as SVG text: a white page, the plot's frame with ticks at round numbers,
//! the title above, the axes' names, the curves, and a legend in the corner the curves
//! leave emptiest.

use std::fmt::Write;

use super::{Figure, COLOURS, FONT_FAMILY};

/// Margins around the plot, in pixels: room for the tick labels, the title, the names.
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
/// Text sizes, in pixels.
const TITLE_SIZE: f64 = 16.0;
const LABEL_SIZE: f64 = 12.0;
/// A character's width as a share of the font size, for laying out the legend.
const CHAR_WIDTH: f64 = 0.6;

/// The figure as SVG.
pub fn svg(f: &Figure) -> String {
    let (w, h) = (f64::from(f.width), f64::from(f.height));
    let (px0, px1, py0, py1) = (LEFT, w - RIGHT, h - BOTTOM, TOP);
    let all = f
        .series
        .iter()
        .flat_map(|s| {
            let band = s.band.iter().flat_map(|(lo, hi)| lo.iter().chain(hi));
            s.points.iter().chain(band)
        })
        .filter(|p| p.0.is_finite() && p.1.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in all {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if !x0.is_finite() {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    let (xt, yt) = (ticks(x0, x1), ticks(y0, y1));
    (x0, x1) = (x0.min(xt[0]), x1.max(*xt.last().unwrap_or(&x1)));
    (y0, y1) = (y0.min(yt[0]), y1.max(*yt.last().unwrap_or(&y1)));
    let sx = |x: f64| px0 + (x - x0) / (x1 - x0).max(1e-300) * (px1 - px0);
    let sy = |y: f64| py0 - (y - y0) / (y1 - y0).max(1e-300) * (py0 - py1);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" font-family="{FONT_FAMILY}">"#,
        f.width, f.height, f.width, f.height
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    // Grid and ticks.
    for &x in &xt {
        let _ = writeln!(
            out,
            r##"<line x1="{0:.1}" y1="{py1}" x2="{0:.1}" y2="{py0}" stroke="#e5e5e5"/>"##,
            sx(x)
        );
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="{LABEL_SIZE}" text-anchor="middle">{}</text>"#,
            sx(x),
            py0 + 16.0,
            number(x)
        );
    }
    for &y in &yt {
        let _ = writeln!(
            out,
            r##"<line x1="{px0}" y1="{0:.1}" x2="{px1}" y2="{0:.1}" stroke="#e5e5e5"/>"##,
            sy(y)
        );
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="{LABEL_SIZE}" text-anchor="end">{}</text>"#,
            px0 - 6.0,
            sy(y) + 4.0,
            number(y)
        );
    }
    let _ = writeln!(
        out,
        r#"<rect x="{px0}" y="{py1}" width="{:.1}" height="{:.1}" fill="none" stroke="black"/>"#,
        px1 - px0,
        py0 - py1
    );
    // The curves, each group's band under its mean.
    for (i, s) in f.series.iter().enumerate() {
        let (r, g, b) = COLOURS[i % COLOURS.len()];
        if let Some((low, high)) = &s.band {
            let outline = points_attribute(low.iter().chain(high.iter().rev()), &sx, &sy);
            let _ = writeln!(
                out,
                r#"<polygon points="{outline}" fill="rgb({r},{g},{b})" fill-opacity="0.2" stroke="none"/>"#,
            );
        }
        let points = points_attribute(s.points.iter(), &sx, &sy);
        let _ = writeln!(
            out,
            r#"<polyline points="{points}" fill="none" stroke="rgb({r},{g},{b})" stroke-width="1.6"/>"#,
        );
    }
    // Title and the axes' names.
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-size="{TITLE_SIZE}" text-anchor="middle">{}</text>"#,
        (px0 + px1) / 2.0,
        TOP - 14.0,
        escape(&f.title)
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-size="{LABEL_SIZE}" text-anchor="middle">{}</text>"#,
        (px0 + px1) / 2.0,
        h - 12.0,
        escape(&f.x_label)
    );
    let _ = writeln!(
        out,
        r#"<text transform="translate(16 {:.1}) rotate(-90)" font-size="{LABEL_SIZE}" text-anchor="middle">{}</text>"#,
        (py0 + py1) / 2.0,
        escape(&f.y_label)
    );
    legend(&mut out, f, (px0, px1, py0, py1), (x0, x1, y0, y1));
    out.push_str("</svg>\n");
    out
}

/// `x,y x,y …` in pixels, for a polyline's or a polygon's `points` (points that are not
/// finite left out).
fn points_attribute<'a>(
    points: impl Iterator<Item = &'a (f64, f64)>,
    sx: &impl Fn(f64) -> f64,
    sy: &impl Fn(f64) -> f64,
) -> String {
    let mut text = String::new();
    for &(x, y) in points.filter(|p| p.0.is_finite() && p.1.is_finite()) {
        let _ = write!(text, "{:.1},{:.1} ", sx(x), sy(y));
    }
    text.trim_end().to_string()
}

/// The legend, in the plot's corner with the fewest points.
fn legend(
    out: &mut String,
    f: &Figure,
    (px0, px1, py0, py1): (f64, f64, f64, f64),
    (x0, x1, y0, y1): (f64, f64, f64, f64),
) {
    if f.series.is_empty() {
        return;
    }
    let longest = f
        .series
        .iter()
        .map(|s| s.label.chars().count())
        .max()
        .unwrap_or(0) as f64;
    let (bw, bh) = (
        longest * LABEL_SIZE * CHAR_WIDTH + 44.0,
        f.series.len() as f64 * 18.0 + 10.0,
    );
    let count = |right: bool, top: bool| {
        f.series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|p| {
                let fx = (p.0 - x0) / (x1 - x0).max(1e-300);
                let fy = (p.1 - y0) / (y1 - y0).max(1e-300);
                (if right { fx > 0.6 } else { fx < 0.4 }) && (if top { fy > 0.6 } else { fy < 0.4 })
            })
            .count()
    };
    let corners = [(true, true), (true, false), (false, true), (false, false)];
    let (right, top) = corners
        .into_iter()
        .min_by_key(|&(r, t)| count(r, t))
        .unwrap_or((true, true));
    let lx = if right { px1 - bw - 8.0 } else { px0 + 8.0 };
    let ly = if top { py1 + 8.0 } else { py0 - bh - 8.0 };
    let _ = writeln!(
        out,
        r##"<rect x="{lx:.1}" y="{ly:.1}" width="{bw:.1}" height="{bh:.1}" fill="white" fill-opacity="0.9" stroke="#999999"/>"##
    );
    for (i, s) in f.series.iter().enumerate() {
        let (r, g, b) = COLOURS[i % COLOURS.len()];
        let y = ly + 18.0 * i as f64 + 18.0;
        let _ = writeln!(
            out,
            r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="rgb({r},{g},{b})" stroke-width="3"/>"#,
            lx + 8.0,
            y - 4.0,
            lx + 30.0,
            y - 4.0
        );
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{y:.1}" font-size="{LABEL_SIZE}">{}</text>"#,
            lx + 36.0,
            escape(&s.label)
        );
    }
}

/// Tick positions at round numbers (1, 2 or 5 times a power of ten), about five.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(1e-12);
    let raw = span / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * power);
    let first = (lo / step).floor() * step;
    let mut out = Vec::new();
    let mut t = first;
    while t <= hi + step * 1e-9 {
        out.push(t);
        t += step;
    }
    if out.last().is_some_and(|&l| l < hi) {
        out.push(t);
    }
    out
}

/// A tick's label: as few digits as tell the ticks apart.
fn number(v: f64) -> String {
    let v = if v.abs() < 1e-12 { 0.0 } else { v };
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_round_numbers_and_cover_the_range() {
        assert_eq!(
            ticks(0.0, 1.0),
            [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        let t = ticks(0.93, 0.989);
        assert!(t[0] <= 0.93 && *t.last().unwrap() >= 0.989, "{t:?}");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(3.0), "3");
    }
}
