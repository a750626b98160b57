//! The draw pad's state: a 28×28 canvas painted with a soft brush by mouse or keys, and
//! the live model's verdict on it.

use crate::data::preprocess::{brush, erase, mnist_style, Gray};
use crate::data::{PIXELS, SIDE};

/// Brush radius in pixels: MNIST strokes are 2–3 pixels wide.
pub const BRUSH_RADIUS: f32 = 1.1;
/// Where the pad's first cell is on screen (column, row): inside its border at the top
/// left of the main area. Each cell shows two pixels, one above the other.
pub const PAD_ORIGIN: (u16, u16) = (2, 2);
/// The smallest terminal that draws the pad zoomed: its 58×30 box, "Model sees" and the
/// verdict beside it, above the status.
pub const ZOOM_MIN_SIZE: (u16, u16) = (116, 37);

#[derive(Debug, Clone, PartialEq)]
pub struct DrawPad {
    pub canvas: [f32; PIXELS],
    /// Keyboard cursor in pixels.
    pub cursor: (usize, usize),
    /// Keyboard pen: while down, moving the cursor paints (or erases).
    pub pen_down: bool,
    pub erasing: bool,
    /// Last painted point of the current stroke, to join drag events with a line.
    last_point: Option<(f32, f32)>,
    /// The model's probabilities for [`Self::model_input`], once it has answered.
    pub prediction: Option<[f32; 10]>,
    /// Why the model said it, for each class (with the prediction).
    pub saliency: crate::train::events::Saliency,
    /// The same by occlusion.
    pub occlusion: crate::train::events::Saliency,
    /// The changed picture that fooled the model (`a`), shown instead of the drawing
    /// until `u` or the next stroke; the drawing itself is never changed.
    pub fooled: Option<Box<crate::train::events::Fooled>>,
    /// `a` was pressed and the worker has not answered yet.
    pub fooling: bool,
    /// The drawing through every layer, for the Walk view.
    pub walk: crate::train::events::Walk,
    /// A prediction was requested and not answered yet.
    pub waiting: bool,
    /// The canvas changed since the last request.
    pub dirty: bool,
    /// When the verdict was last requested.
    pub asked_at: Option<std::time::Instant>,
}

impl Default for DrawPad {
    fn default() -> Self {
        Self {
            canvas: [0.0; PIXELS],
            cursor: (SIDE / 2, SIDE / 2),
            pen_down: false,
            erasing: false,
            last_point: None,
            prediction: None,
            saliency: Default::default(),
            occlusion: Default::default(),
            fooled: None,
            fooling: false,
            walk: Default::default(),
            waiting: false,
            dirty: false,
            asked_at: None,
        }
    }
}

impl DrawPad {
    /// Whether the verdict was last requested at least `ago` before `now` (or never).
    pub fn asked_before(&self, now: std::time::Instant, ago: std::time::Duration) -> bool {
        self.asked_at
            .is_none_or(|at| now.saturating_duration_since(at) >= ago)
    }

    pub fn is_empty(&self) -> bool {
        self.canvas.iter().all(|&v| v == 0.0)
    }

    /// What the model is shown: the canvas prepared as MNIST prepared its digits.
    pub fn model_input(&self) -> [u8; PIXELS] {
        mnist_style(&Gray::new(SIDE, SIDE, self.canvas.to_vec()))
    }

    /// Paints (or erases) a stroke from the previous point of this stroke to `(x, y)`.
    pub fn stroke_to(&mut self, x: f32, y: f32, erasing: bool) {
        let from = self.last_point.unwrap_or((x, y));
        let steps = ((x - from.0).abs().max((y - from.1).abs()) * 2.0)
            .ceil()
            .max(1.0) as usize;
        for i in 0..=steps {
            let t = i as f32 / steps as f32;
            let (px, py) = (from.0 + (x - from.0) * t, from.1 + (y - from.1) * t);
            if erasing {
                erase(&mut self.canvas, px, py, BRUSH_RADIUS + 1.0);
            } else {
                brush(&mut self.canvas, px, py, BRUSH_RADIUS);
            }
        }
        self.last_point = Some((x, y));
        self.dirty = true;
        // The fooled picture was of the drawing before this stroke.
        self.fooled = None;
    }

    /// Ends the current stroke (mouse released, pen lifted).
    pub fn lift(&mut self) {
        self.last_point = None;
    }

    pub fn clear(&mut self) {
        self.canvas = [0.0; PIXELS];
        self.last_point = None;
        self.prediction = None;
        self.saliency = Default::default();
        self.occlusion = Default::default();
        self.fooled = None;
        self.dirty = true;
    }

    /// Moves the keyboard cursor, painting on the way if the pen is down.
    pub fn move_cursor(&mut self, dx: isize, dy: isize) {
        let clamp = |v: usize, d: isize| (v as isize + d).clamp(0, SIDE as isize - 1) as usize;
        self.cursor = (clamp(self.cursor.0, dx), clamp(self.cursor.1, dy));
        if self.pen_down {
            let (x, y) = self.cursor_point();
            self.stroke_to(x, y, self.erasing);
        }
    }

    /// Toggles the keyboard pen; putting it down paints a dot at the cursor.
    pub fn toggle_pen(&mut self) {
        self.pen_down = !self.pen_down;
        self.lift();
        if self.pen_down {
            let (x, y) = self.cursor_point();
            self.stroke_to(x, y, self.erasing);
        }
    }

    fn cursor_point(&self) -> (f32, f32) {
        (self.cursor.0 as f32 + 0.5, self.cursor.1 as f32 + 0.5)
    }

    /// Whether a terminal of `size` draws the pad large: a pixel as two cells across and
    /// one down (56×28 cells) instead of a half-block cell (28×14), a bigger target for
    /// the mouse where the room is there.
    pub fn zoomed((width, height): (u16, u16)) -> bool {
        width >= ZOOM_MIN_SIZE.0 && height >= ZOOM_MIN_SIZE.1
    }

    /// The pad pixel under a screen cell, if the cell is on the pad (the cell's centre:
    /// the middle of its two pixels, or of the one it shows when zoomed).
    pub fn cell_to_point(column: u16, row: u16, zoomed: bool) -> Option<(f32, f32)> {
        let (x, y) = (
            column.checked_sub(PAD_ORIGIN.0)?,
            row.checked_sub(PAD_ORIGIN.1)?,
        );
        if zoomed {
            let x = x / 2;
            return (usize::from(x) < SIDE && usize::from(y) < SIDE)
                .then(|| (f32::from(x) + 0.5, f32::from(y) + 0.5));
        }
        (usize::from(x) < SIDE && usize::from(y) < SIDE / 2)
            .then(|| (f32::from(x) + 0.5, f32::from(y) * 2.0 + 1.0))
    }
}
