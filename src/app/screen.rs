//! What the terminal can show: its size, its colours, and whether it draws pixels.

/// The smallest terminal the layout is made for.
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// What colours the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMode {
    /// `NO_COLOR` is set: text attributes and characters only.
    None,
    /// The 256-colour palette.
    Indexed,
    TrueColor,
}

impl ColorMode {
    /// Reads the conventions: `NO_COLOR` (any value) disables colour; `COLORTERM` says
    /// whether 24-bit colour is available.
    pub fn detect() -> Self {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            ColorMode::None
        } else if std::env::var("COLORTERM").is_ok_and(|v| v == "truecolor" || v == "24bit") {
            ColorMode::TrueColor
        } else {
            ColorMode::Indexed
        }
    }
}

/// The terminal the dashboard draws on.
#[derive(Debug, Clone)]
pub struct Screen {
    /// Columns and rows.
    pub size: (u16, u16),
    pub colors: ColorMode,
    /// The terminal's graphics protocol, when it has one: images are drawn as pixels.
    pub graphics: Option<ratatui_image::picker::Picker>,
}

impl Screen {
    pub fn new(size: (u16, u16)) -> Self {
        Self {
            size,
            colors: ColorMode::TrueColor,
            graphics: None,
        }
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_SIZE.0 || self.size.1 < MIN_SIZE.1
    }
}
