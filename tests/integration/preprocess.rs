//! MNIST-style preprocessing of pictures that did not come from MNIST, and the image
//! reader's refusals.

use mnist_tui::data::image_file::{digit_from_bytes, read_digit};
use mnist_tui::data::preprocess::{mnist_style, normalise_polarity, Gray};
use mnist_tui::data::{Dataset, SIDE};

/// Bounding box `(x0, y0, x1, y1)` and centre of mass of a 28×28 image (pixel `i`
/// spans `[i, i + 1)`, so MNIST's centre, pixel 14, is at 14.5).
fn measure(img: &[u8]) -> ((usize, usize, usize, usize), (f32, f32)) {
    let (mut b, mut m, mut mx, mut my) = ((SIDE, SIDE, 0, 0), 0.0f32, 0.0f32, 0.0f32);
    for y in 0..SIDE {
        for x in 0..SIDE {
            let v = img[y * SIDE + x] as f32;
            if v > 25.0 {
                b = (b.0.min(x), b.1.min(y), b.2.max(x + 1), b.3.max(y + 1));
            }
            m += v;
            mx += v * (x as f32 + 0.5);
            my += v * (y as f32 + 0.5);
        }
    }
    (b, (mx / m, my / m))
}

/// A light bar on a dark ground, anywhere in a big picture.
fn bar_picture(w: usize, h: usize, (x0, y0, x1, y1): (usize, usize, usize, usize)) -> Gray {
    let mut p = vec![0.0f32; w * h];
    for y in y0..y1 {
        for x in x0..x1 {
            p[y * w + x] = 1.0;
        }
    }
    Gray::new(w, h, p)
}

#[test]
fn the_digit_is_fitted_into_20x20_keeping_its_aspect_and_centred_by_mass() {
    // A tall bar in a corner of a wide picture: 10×40 pixels.
    let img = mnist_style(&bar_picture(200, 100, (5, 50, 15, 90)));
    let ((x0, y0, x1, y1), (cx, cy)) = measure(&img);
    assert_eq!(y1 - y0, 20, "the long side becomes 20 pixels");
    assert!((4..=6).contains(&(x1 - x0)), "aspect kept: {}", x1 - x0);
    assert!(
        (cx - 14.5).abs() <= 0.5 && (cy - 14.5).abs() <= 0.5,
        "{cx} {cy}"
    );
}

#[test]
fn an_off_centre_mass_is_moved_to_the_centre() {
    // An L shape: its mass sits low and left of its box's centre.
    let mut g = bar_picture(50, 50, (10, 10, 14, 40));
    for y in 36..40 {
        for x in 10..40 {
            g.pixels[y * 50 + x] = 1.0;
        }
    }
    let img = mnist_style(&g);
    let (_, (cx, cy)) = measure(&img);
    assert!(
        (cx - 14.5).abs() <= 0.5 && (cy - 14.5).abs() <= 0.5,
        "{cx} {cy}"
    );
}

#[test]
fn dark_ink_on_light_paper_is_inverted_and_an_empty_picture_stays_empty() {
    let light_on_dark = bar_picture(60, 60, (25, 10, 32, 50));
    let mut dark_on_light = light_on_dark.clone();
    dark_on_light
        .pixels
        .iter_mut()
        .for_each(|p| *p = 0.9 - 0.8 * *p);
    let a = mnist_style(&normalise_polarity(light_on_dark));
    let b = mnist_style(&normalise_polarity(dark_on_light));
    assert_eq!(a, b);
    assert!(a.contains(&255));
    assert!(mnist_style(&Gray::new(30, 30, vec![0.0; 900]))
        .iter()
        .all(|&v| v == 0));
}

#[test]
fn mnist_digits_stay_close_to_themselves() {
    let data = Dataset::embedded().unwrap();
    for i in 0..50 {
        let original = data.test.image(i);
        let g = Gray::new(
            SIDE,
            SIDE,
            original.iter().map(|&p| p as f32 / 255.0).collect(),
        );
        let again = mnist_style(&g);
        // Cosine similarity: MNIST's own processing is what this imitates.
        let dot: f32 = original
            .iter()
            .zip(&again)
            .map(|(&a, &b)| a as f32 * b as f32)
            .sum();
        let norm = |v: &[u8]| v.iter().map(|&a| (a as f32).powi(2)).sum::<f32>().sqrt();
        let cos = dot / (norm(original) * norm(&again));
        assert!(cos > 0.9, "test image {i}: {cos}");
    }
}

fn png(w: u32, h: u32, f: impl Fn(u32, u32) -> u8) -> Vec<u8> {
    let img = image::GrayImage::from_fn(w, h, |x, y| image::Luma([f(x, y)]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn the_image_reader_refuses_what_is_not_a_usable_picture() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let cases = [
        (write("empty.png", b""), "the file is empty"),
        (write("notes.png", b"just some text\n"), "not an image"),
        (
            write("huge.png", &png(9000, 1, |_, _| 0)),
            "larger than 8192×8192",
        ),
        (
            write("cut.png", &png(64, 64, |x, _| x as u8)[..60]),
            "not a readable image",
        ),
    ];
    for (path, expected) in cases {
        let e = read_digit(&path).unwrap_err();
        assert_eq!(e.file, path.display().to_string());
        assert!(
            e.problem.contains(expected),
            "{}: {}",
            path.display(),
            e.problem
        );
    }
    let e = read_digit(&dir.path().join("missing.png")).unwrap_err();
    assert!(e.problem.starts_with("cannot read"));
    // A good one: dark digit on white, any size.
    let ok = digit_from_bytes(&png(90, 120, |x, y| {
        if (40..50).contains(&x) && (20..100).contains(&y) {
            0
        } else {
            255
        }
    }))
    .unwrap();
    assert!(ok.iter().any(|&v| v > 200));
}
