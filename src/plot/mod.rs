//! Pictures of runs' curves for a report or a README (`mnist-tui plot`): a [`Figure`]
//! drawn as SVG by [`svg`] (axes, ticks, title, legend, one polyline per run), and the
//! same SVG rendered to PNG by resvg with the font shipped in `assets/fonts`.

mod figure;
mod svg;

pub use figure::{figure, Metric, View};
pub use svg::svg;

/// The font every picture's text is set in: DejaVu Sans cut down to ASCII and a few
/// signs (24 kB; its licence beside it).
#[cfg(feature = "png")]
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");
/// The font's family name, as the SVG asks for it.
pub(crate) const FONT_FAMILY: &str = "DejaVu Sans";

/// `(x, y)` points, x increasing.
pub type Curve = Vec<(f64, f64)>;

/// One run's curve, or a group's mean curve with its band.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// A group's lowest and highest curves, the band drawn between them.
    pub band: Option<(Curve, Curve)>,
}

/// What a picture shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Pixels.
    pub width: u32,
    pub height: u32,
}

/// The colours of the curves, in order: the theme's `tab10`, told apart by most eyes.
pub const COLOURS: [(u8, u8, u8); 10] = crate::ui::theme::TAB10;

/// The figure as a PNG file's bytes.
#[cfg(feature = "png")]
pub fn png(figure: &Figure) -> Result<Vec<u8>, String> {
    let text = svg(figure);
    let mut options = resvg::usvg::Options::default();
    options.fontdb_mut().load_font_data(FONT.to_vec());
    options.font_family = FONT_FAMILY.into();
    let tree = resvg::usvg::Tree::from_str(&text, &options).map_err(|e| e.to_string())?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(figure.width, figure.height)
        .ok_or_else(|| format!("{}×{} is not a picture size", figure.width, figure.height))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| e.to_string())
}

/// Without the `png` feature, only SVG.
#[cfg(not(feature = "png"))]
pub fn png(_figure: &Figure) -> Result<Vec<u8>, String> {
    Err("this build writes SVG only (built without the `png` feature)".into())
}
