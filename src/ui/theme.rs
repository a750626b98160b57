//! The dashboard's one theme: the colour of each role (a curve, a mark, a verdict), and
//! the scales of heatmaps and digits, degrading to the 256-colour palette or to none.
//! A panel names a role here, never a colour, so that one run's curves have one colour
//! in every panel.

use ratatui::style::{Color, Style};

use crate::app::{ColorMode, RunState};

/// The branch: its curves, its legend entries and the mark where it forked.
pub const BRANCH: Color = Color::LightRed;
/// A recorded run drawn over the live one (`o`).
pub const COMPARED: Color = Color::LightMagenta;
/// Raw, noisy data behind a line: the batch-loss band, training-batch accuracy, the
/// finder's batches, empty bar cells.
pub const RAW: Color = Color::DarkGray;
/// A smoothed line (the cost, the finder's sweep) and a highlighted place (the cursor).
pub const SMOOTHED: Color = Color::Yellow;
/// Per-epoch averages and the draw pad's pen.
pub const EPOCH: Color = Color::Cyan;
/// The test subset's accuracy, and the learning rate drawn under the cost.
pub const TEST_SUBSET: Color = Color::Blue;
/// The full test evaluation, and a right answer.
pub const RIGHT: Color = Color::Green;
/// A wrong answer, a dead layer, a restore after divergence.
pub const WRONG: Color = Color::Red;
/// Reference lines (the tutorial's accuracies), filled bar cells, epoch ends.
pub const REFERENCE: Color = Color::Gray;
/// Where the learning rate was changed.
pub const RATE_CHANGE: Color = Color::Magenta;
/// Where the schedule was changed.
pub const SCHEDULE_CHANGE: Color = Color::Blue;
/// Where a rate from the finder was applied.
pub const FINDER_APPLIED: Color = Color::LightGreen;
/// A notice in the status bar (refused input, a save).
pub const NOTICE: Color = Color::Yellow;
/// Marks drawn on a dark picture (the scatter's mistakes, a dark heatmap cell's count).
pub const ON_PICTURE: Color = Color::White;
/// Text on a light heatmap cell.
pub const ON_LIGHT: Color = Color::Black;
/// The runs overlaid in the workspace (and a recorded run over the dashboard's), in
/// marking order: bright, and apart from one another on dark and light backgrounds.
pub const RUNS: [Color; 12] = [
    Color::Cyan,
    Color::Yellow,
    Color::LightMagenta,
    Color::LightGreen,
    Color::LightRed,
    Color::LightBlue,
    Color::White,
    Color::Green,
    Color::Magenta,
    Color::Blue,
    Color::Red,
    Color::Gray,
];
/// The finder's three suggestions, in order.
pub const SUGGESTIONS: [Color; 3] = [Color::Green, Color::Cyan, Color::Magenta];

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

/// The saliency overlay's colour of a pixel: the digit's ink `ink` in [0, 1] dimmed to a
/// third, tinted red where `s` in [-1, 1] pushes toward the class and blue where it pushes
/// away (the filters' red + / blue − convention), the stronger the more saturated.
pub fn saliency(mode: ColorMode, ink: f32, s: f32) -> Color {
    let base = ink.clamp(0.0, 1.0) * 85.0;
    let a = s.clamp(-1.0, 1.0).abs().sqrt();
    let (r, g, b) = if s >= 0.0 {
        (255.0, 40.0, 40.0)
    } else {
        (60.0, 110.0, 255.0)
    };
    let mix = |to: f32| (base + (to - base) * a) as u8;
    rgb(mode, mix(r), mix(g), mix(b))
}

/// One colour per class for the cluster scatter (the ten of matplotlib's `tab10`, which
/// are told apart by most eyes and on dark and light backgrounds).
pub fn class_color(mode: ColorMode, class: usize) -> Color {
    let (r, g, b) = TAB10[class % 10];
    rgb(mode, r, g, b)
}

/// matplotlib's `tab10`: the clusters' classes here, and the curves of `plot`'s pictures.
pub const TAB10: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// The colour of a listed run's state in the workspace's table.
pub fn list_state(state: crate::train::runs::ListState) -> Color {
    use crate::train::runs::ListState;
    match state {
        ListState::Live => RIGHT,
        ListState::Finished => EPOCH,
        ListState::Stopped => REFERENCE,
        ListState::Diverged | ListState::Truncated | ListState::Unreadable => WRONG,
        // Greyed: the sweep stopped it early, on purpose.
        ListState::NotARun | ListState::Pruned => RAW,
    }
}

/// The colour of the run's state in the status bar.
pub fn run_state(state: RunState) -> Color {
    match state {
        RunState::Running => RIGHT,
        RunState::Paused | RunState::Starting => NOTICE,
        RunState::Finished => EPOCH,
        RunState::Diverged | RunState::Crashed => WRONG,
        RunState::Stopped => REFERENCE,
    }
}
