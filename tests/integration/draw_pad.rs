//! Digits drawn on the pad through the real mouse and key paths are recognised by the
//! built-in pretrained model.

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use mnist_tui::app::draw_pad::{DrawPad, PAD_ORIGIN};
use mnist_tui::app::{update, App, Msg, Tab};
use mnist_tui::model::{Dev, SeedNet};
use mnist_tui::train::eval::probabilities;
use mnist_tui::train::events::argmax;
use mnist_tui::train::Event;

/// Strokes of each digit as polylines in a unit box (x right, y down), as a person
/// writes them.
fn strokes(digit: usize) -> Vec<Vec<(f32, f32)>> {
    let ellipse: Vec<(f32, f32)> = (0..=24)
        .map(|k| {
            let t = k as f32 / 24.0 * std::f32::consts::TAU;
            (0.5 + 0.38 * t.sin(), 0.5 - 0.46 * t.cos())
        })
        .collect();
    match digit {
        0 => vec![ellipse],
        1 => vec![vec![(0.35, 0.2), (0.55, 0.04), (0.55, 0.96)]],
        2 => vec![vec![
            (0.15, 0.25),
            (0.3, 0.07),
            (0.6, 0.04),
            (0.82, 0.2),
            (0.75, 0.45),
            (0.15, 0.95),
            (0.9, 0.95),
        ]],
        3 => vec![vec![
            (0.2, 0.1),
            (0.7, 0.06),
            (0.82, 0.25),
            (0.45, 0.48),
            (0.82, 0.68),
            (0.72, 0.92),
            (0.2, 0.92),
        ]],
        4 => vec![
            vec![(0.45, 0.05), (0.12, 0.62), (0.88, 0.62)],
            vec![(0.68, 0.3), (0.68, 0.97)],
        ],
        5 => vec![
            vec![
                (0.25, 0.05),
                (0.2, 0.45),
                (0.6, 0.4),
                (0.82, 0.62),
                (0.7, 0.9),
                (0.2, 0.9),
            ],
            vec![(0.25, 0.05), (0.85, 0.05)],
        ],
        6 => vec![vec![
            (0.72, 0.04),
            (0.35, 0.35),
            (0.2, 0.7),
            (0.35, 0.95),
            (0.7, 0.92),
            (0.78, 0.68),
            (0.5, 0.52),
            (0.22, 0.68),
        ]],
        7 => vec![vec![(0.12, 0.08), (0.88, 0.08), (0.4, 0.96)]],
        8 => vec![vec![
            (0.5, 0.5),
            (0.25, 0.28),
            (0.5, 0.04),
            (0.75, 0.28),
            (0.5, 0.5),
            (0.2, 0.74),
            (0.5, 0.96),
            (0.8, 0.74),
            (0.5, 0.5),
        ]],
        9 => vec![vec![
            (0.78, 0.25),
            (0.5, 0.05),
            (0.22, 0.25),
            (0.5, 0.48),
            (0.78, 0.3),
            (0.75, 0.96),
        ]],
        _ => unreachable!(),
    }
}

fn started_app() -> App {
    started_app_of((120, 40))
}

/// At 80×24 the pad is half blocks (28×14 cells), from 116×37 two cells per pixel.
fn started_app_of(size: (u16, u16)) -> App {
    let mut app = common::empty_app(size);
    update(&mut app, Msg::Worker(Event::Started(common::info())));
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Char('d'))));
    assert_eq!(app.tab, Tab::Draw);
    app
}

fn mouse(app: &mut App, kind: MouseEventKind, (column, row): (u16, u16)) {
    update(
        app,
        Msg::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        }),
    );
}

/// Draws `digit` with the mouse in the pad pixel box `(x, y, w, h)`: a button press,
/// drags through the terminal cells along each stroke, a release.
fn draw_with_mouse(app: &mut App, digit: usize, (bx, by, bw, bh): (f32, f32, f32, f32)) {
    for stroke in strokes(digit) {
        let zoomed = DrawPad::zoomed(app.screen.size);
        let cell = |(u, v): (f32, f32)| {
            let (x, y) = (bx + u * bw, by + v * bh);
            if zoomed {
                (PAD_ORIGIN.0 + 2 * x as u16, PAD_ORIGIN.1 + y as u16)
            } else {
                (PAD_ORIGIN.0 + x as u16, PAD_ORIGIN.1 + (y / 2.0) as u16)
            }
        };
        mouse(
            app,
            MouseEventKind::Down(MouseButton::Left),
            cell(stroke[0]),
        );
        for pair in stroke.windows(2) {
            // The terminal reports one drag event per cell crossed.
            for k in 1..=8 {
                let t = k as f32 / 8.0;
                let p = (
                    pair[0].0 + (pair[1].0 - pair[0].0) * t,
                    pair[0].1 + (pair[1].1 - pair[0].1) * t,
                );
                mouse(app, MouseEventKind::Drag(MouseButton::Left), cell(p));
            }
        }
        mouse(
            app,
            MouseEventKind::Up(MouseButton::Left),
            cell(*stroke.last().unwrap()),
        );
    }
}

fn key(app: &mut App, code: KeyCode, times: usize) {
    for _ in 0..times {
        update(app, Msg::Key(KeyEvent::from(code)));
    }
}

fn classify(net: &SeedNet, app: &App) -> usize {
    let pixels: Vec<f32> = app
        .pad
        .model_input()
        .iter()
        .map(|&p| p as f32 / 255.0)
        .collect();
    argmax(&probabilities(net, &Dev::default(), &pixels))
}

#[test]
fn digits_drawn_with_the_mouse_and_keys_are_recognised() {
    let checkpoint = mnist_tui::pretrained::checkpoint().unwrap();
    let (net, _) = checkpoint
        .restore::<SeedNet>(&Dev::default(), std::path::Path::new("pretrained"))
        .unwrap();
    // Large and centred, small in a corner, medium low and right: the preprocessing
    // must make position and size irrelevant.
    let boxes = [
        (6.0, 3.0, 15.0, 22.0),
        (1.0, 1.0, 9.0, 12.0),
        (13.0, 11.0, 11.0, 15.0),
    ];
    let mut right = 0;
    let mut wrong = Vec::new();
    let sizes = [(80, 24), (120, 40)];
    for (&b, size) in boxes.iter().flat_map(|b| sizes.map(|s| (b, s))) {
        for digit in 0..10 {
            let mut app = started_app_of(size);
            draw_with_mouse(&mut app, digit, b);
            let got = classify(&net, &app);
            if got == digit {
                right += 1;
            } else {
                wrong.push((digit, got, b));
            }
        }
    }
    // Through the keys: a 7 (pen down, right, then diagonally down-left) and a 1.
    let mut app = started_app();
    key(&mut app, KeyCode::Up, 9);
    key(&mut app, KeyCode::Left, 7);
    key(&mut app, KeyCode::Char(' '), 1);
    key(&mut app, KeyCode::Right, 13);
    for _ in 0..18 {
        key(&mut app, KeyCode::Down, 1);
        if app.pad.cursor.1.is_multiple_of(3) {
            key(&mut app, KeyCode::Left, 1);
        }
    }
    let seven = classify(&net, &app);
    let mut app = started_app();
    key(&mut app, KeyCode::Up, 10);
    key(&mut app, KeyCode::Char(' '), 1);
    key(&mut app, KeyCode::Down, 20);
    let one = classify(&net, &app);
    let total = boxes.len() * sizes.len() * 10;
    println!(
        "draw pad: {right}/{total} mouse-drawn digits recognised; keys: 7 → {seven}, 1 → {one}; wrong: {wrong:?}"
    );
    assert!(right * 10 >= total * 8, "{right}/{total}: {wrong:?}");
    assert_eq!((seven, one), (7, 1));
}
