//! How the terminal draws and how classes are named: what every panel with a picture
//! or a label needs besides its own state.

use ratatui_image::picker::Picker;

use crate::app::{App, ColorMode};
use crate::data::ClassNames;

/// The terminal's colours and graphics protocol, and the data set's class names.
#[derive(Clone, Copy)]
pub struct Look<'a> {
    pub colors: ColorMode,
    /// The terminal's graphics protocol, when it has one: images are drawn as pixels.
    pub graphics: Option<&'a Picker>,
    /// The data set's names for its classes, once the run has said which they are.
    pub classes: Option<&'a ClassNames>,
}

impl<'a> Look<'a> {
    pub fn of(app: &'a App) -> Self {
        Self {
            colors: app.screen.colors,
            graphics: app.screen.graphics.as_ref(),
            classes: app.info.as_ref().map(|i| &i.class_names),
        }
    }

    /// How class `i` is shown: the digit, or the data set's name for it.
    pub fn class_label(&self, i: usize) -> String {
        self.classes.map_or_else(|| i.to_string(), |c| c.label(i))
    }
}
