//! Looking inside the network: the inspection pass, the saliency, Adam's measured step and
//! the layer-health records of a real run, each against a result worked out by hand.

use crate::common;

use common::cli::{assert_success, mnist_tui};
use common::random;
use dfdx::nn::modules::Linear;
use dfdx::prelude::*;
use mnist_tui::model::occlusion::{occlusion, PATCH};
use mnist_tui::model::ops::to_vec;
use mnist_tui::model::params::{export, import};
use mnist_tui::model::{saliency, DeepNet, Dev, Images, Network, SeedNet};
use mnist_tui::train::adam::{Adam, AdamConfig};
use mnist_tui::train::metrics_line::MetricsLine;

fn images(dev: &Dev, n: usize) -> Images {
    let pixels: Vec<f32> = random(n * 784, 9).iter().map(|v| v.abs()).collect();
    dev.tensor_from_vec(pixels, (n, Const, Const, Const))
}

/// The inspection's logits are the inference pass's, bit for bit, so the quick
/// evaluation's accuracy does not change by being taken from it.
fn assert_inspection_is_inference<N: Network>(n: usize) {
    let dev = Dev::seed_from_u64(3);
    let net = N::build_seeded(&dev, 5);
    let x = images(&dev, n);
    let inside = net.inspect(&x);
    let logits = to_vec(&net.forward_infer(x));
    assert_eq!(inside.logits.len(), logits.len());
    for (a, b) in inside.logits.iter().zip(&logits) {
        assert_eq!(a.to_bits(), b.to_bits(), "{}: {a} vs {b}", N::NAME);
    }
    assert_eq!(inside.features.len(), n * inside.feature_width);
    assert_eq!(
        inside.activity.len(),
        N::LAYERS.len() - 1,
        "one per ReLU layer"
    );
}

#[test]
fn the_inspection_pass_gives_the_inference_logits_to_the_bit() {
    // 251 images: a second part of one image after the first 250.
    assert_inspection_is_inference::<SeedNet>(251);
    assert_inspection_is_inference::<DeepNet>(13);
}

#[test]
fn a_conv_layer_with_only_negative_weights_is_all_dead_on_non_negative_images() {
    let dev = Dev::seed_from_u64(3);
    let mut net = SeedNet::build_seeded(&dev, 5);
    let w: Vec<f32> = to_vec(&net.0.weight)
        .iter()
        .map(|v| -v.abs() - 1e-3)
        .collect();
    net.0.weight.copy_from(&w);
    let inside = net.inspect(&images(&dev, 20));
    assert_eq!(inside.activity[0].dead_fraction(), 1.0);
    // Nothing reaches conv2 either.
    assert_eq!(inside.activity[1].dead_fraction(), 1.0);
    let fresh = SeedNet::build_seeded(&dev, 5).inspect(&images(&dev, 20));
    assert!(fresh.activity[0].dead_fraction() < 0.5);
}

/// A `seed` model whose only non-zero weights take one pixel to class 3's score: conv1's
/// and conv2's centre taps of channel 0, and the dense weight of the pooled position
/// (3, 2), which sees the 4×4 pixels at rows 12–15, columns 8–11.
fn one_pixel_model(dev: &Dev) -> SeedNet {
    let mut net = SeedNet::build_seeded(dev, 5);
    let mut tensors = export(&net);
    for t in &mut tensors {
        t.data.iter_mut().for_each(|v| *v = 0.0);
        match t.name.as_str() {
            "0.weight" => t.data[4] = 1.0,
            "1.weight" => t.data[4] = 1.0,
            "2.1.weight" => t.data[3 * 3136 + 3 * 7 + 2] = 1.0,
            _ => {}
        }
    }
    import(&mut net, &tensors).unwrap();
    net
}

#[test]
fn the_saliency_of_a_model_that_reads_one_pixel_is_that_pixel() {
    let dev = Dev::seed_from_u64(3);
    let net = one_pixel_model(&dev);
    let mut pixels = vec![0.0f32; 784];
    pixels[13 * 28 + 9] = 0.8; // the brightest pixel of the window read
    pixels[14 * 28 + 10] = 0.3; // in the window, but the max-pool passes the other one
    pixels[2 * 28 + 2] = 1.0; // outside the window
    pixels[25 * 28 + 25] = 0.5;
    let s = saliency(&net, &dev, &pixels);
    let three = s.of_class(3);
    for (i, &v) in three.iter().enumerate() {
        if i == 13 * 28 + 9 {
            // Gradient 1 times the pixel's 0.8.
            assert!((v - 0.8).abs() < 1e-6, "the pixel read: {v}");
        } else {
            assert_eq!(v, 0.0, "pixel ({}, {}) of class 3", i / 28, i % 28);
        }
    }
    for c in (0..10).filter(|&c| c != 3) {
        assert!(s.of_class(c).iter().all(|&v| v == 0.0), "class {c}");
    }
}

#[test]
fn the_saliency_is_zero_wherever_the_image_is_blank() {
    // A random model's saliency is zero where the image is blank (gradient × input).
    let dev = Dev::seed_from_u64(3);
    let net = DeepNet::build_seeded(&dev, 5);
    let mut pixels = vec![0.0f32; 784];
    (100..200).for_each(|i| pixels[i] = 1.0);
    let s = saliency(&net, &dev, &pixels);
    assert_eq!(s.0.len(), 10 * 784);
    for c in 0..10 {
        let map = s.of_class(c);
        assert!(map[..100].iter().chain(&map[200..]).all(|&v| v == 0.0));
        assert!(map[100..200].iter().any(|&v| v != 0.0), "class {c}");
    }
}

type Tiny = Linear<2, 2, f32, Dev>;

#[test]
fn adams_measured_step_is_the_same_step_with_its_sizes_worked_out_by_hand() {
    let dev = Dev::seed_from_u64(1);
    let mut net = <Tiny as BuildModule<Dev, f32>>::build(&dev);
    net.weight.copy_from(&[3.0, 0.0, 0.0, 4.0]);
    net.bias.copy_from(&[0.0, 0.0]);
    let x = dev.tensor_from_vec(vec![1.0f32, 2.0], (1, Const::<2>));
    // d Σy / dW[o][i] = x[i]: [[1, 2], [1, 2]]; d Σy / db = [1, 1].
    let mut grads = net.forward(x.leaky_trace()).sum::<Rank0, _>().backward();
    let mut plain = (net.clone(), Adam::new(AdamConfig::with_lr(0.01)));
    let mut plain_grads = grads.clone();
    let mut adam = Adam::new(AdamConfig::with_lr(0.01));
    let (_, sizes) = adam.update_measured(&mut net, &mut grads);
    plain.1.update(&mut plain.0, &mut plain_grads);
    assert_eq!(
        to_vec(&net.weight),
        to_vec(&plain.0.weight),
        "the same step"
    );
    assert_eq!(sizes.len(), 2);
    let (w, b) = (sizes[0], sizes[1]);
    assert_eq!(w.weight_sq, 25.0); // 3² + 4²
    assert_eq!(w.gradient_sq, 10.0); // 1 + 4 + 1 + 4
    assert_eq!(b.weight_sq, 0.0);
    assert_eq!(b.gradient_sq, 2.0);
    // Adam's first step moves every weight with a gradient by lr (m̂/√v̂ = ±1).
    assert!((w.update_sq - 4.0 * 1e-4).abs() < 1e-9, "{}", w.update_sq);
    assert!((b.update_sq - 2.0 * 1e-4).abs() < 1e-9, "{}", b.update_sq);
}

#[test]
fn a_headless_metrics_file_records_every_layers_health() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.jsonl");
    let out = mnist_tui(
        &[
            "train",
            "--train-limit",
            "1000",
            "--test-limit",
            "300",
            "--epochs",
            "2",
            "--metrics",
            file.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_success(&out);
    let text = std::fs::read_to_string(&file).unwrap();
    let health: Vec<_> = text
        .lines()
        .map(|l| serde_json::from_str::<MetricsLine>(l).unwrap())
        .filter_map(|l| match l {
            MetricsLine::Health(h) => Some(h),
            _ => None,
        })
        .collect();
    // Ten batches an epoch: measured at each epoch's end.
    assert_eq!(health.len(), 2);
    assert_eq!(health[1].at_epoch, 2.0);
    let names: Vec<_> = health[0].layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["conv1", "conv2", "dense"]);
    for l in &health[1].layers {
        assert!(l.weight_norm > 0.0 && l.gradient_norm > 0.0, "{l:?}");
        // Adam at the tutorial's rate: steps of about 1e-3 per weight.
        assert!(l.update_ratio > 1e-5 && l.update_ratio < 0.1, "{l:?}");
        assert_eq!(l.dead_fraction.is_some(), l.name != "dense");
    }
}

#[test]
fn occlusion_is_exactly_zero_where_every_patch_hides_only_blank_pixels() {
    let dev = Dev::seed_from_u64(3);
    let net = DeepNet::build_seeded(&dev, 5);
    // Ink in rows 10–17, columns 10–17; a patch reaching it starts within PATCH of it.
    let mut pixels = vec![0.0f32; 784];
    for y in 10..18 {
        for x in 10..18 {
            pixels[y * 28 + x] = 0.9;
        }
    }
    let o = occlusion(&net, &pixels);
    assert_eq!(o.0.len(), 10 * 784);
    let reach = |i: usize| (10 - PATCH + 1..18 + PATCH - 1).contains(&i);
    for c in 0..10 {
        let map = o.of_class(c);
        for (i, &v) in map.iter().enumerate() {
            if !(reach(i / 28) && reach(i % 28)) {
                assert_eq!(v, 0.0, "class {c}, pixel ({}, {})", i / 28, i % 28);
            }
        }
    }
    // Every drop of one image's probabilities sums to zero over the classes.
    for i in 0..784 {
        let sum: f32 = (0..10).map(|c| o.of_class(c)[i]).sum();
        assert!(sum.abs() < 1e-5, "pixel {i}: {sum}");
    }
    assert!(
        o.0.iter().any(|&v| v != 0.0),
        "hiding the ink changes something"
    );
}

#[test]
fn hiding_the_ink_of_a_digit_read_right_lowers_the_shipped_models_belief_in_it() {
    let checkpoint = mnist_tui::pretrained::checkpoint().unwrap();
    let dev = Dev::seed_from_u64(0);
    let (net, _): (SeedNet, _) = checkpoint.restore(&dev, "pretrained".as_ref()).unwrap();
    let data = mnist_tui::data::Dataset::embedded().unwrap();
    for i in 0..20 {
        let pixels: Vec<f32> = data
            .test
            .image(i)
            .iter()
            .map(|&p| p as f32 / 255.0)
            .collect();
        let label = usize::from(data.test.labels[i]);
        let logits = net.infer_rows(&pixels, 1);
        let predicted = (0..10)
            .max_by(|&a, &b| logits[a].total_cmp(&logits[b]))
            .unwrap();
        if predicted != label {
            // Hiding a misread digit's ink may well make its label likelier.
            continue;
        }
        let map = occlusion(&net, &pixels);
        let on_ink: f32 = map
            .of_class(label)
            .iter()
            .zip(&pixels)
            .filter(|(_, &p)| p > 0.5)
            .map(|(v, _)| v)
            .sum();
        assert!(on_ink > 0.0, "test image {i} (a {label}): {on_ink}");
    }
}

#[test]
fn a_running_worker_lays_out_its_subset_by_tsne_on_request_and_trains_all_its_batches() {
    use mnist_tui::config::Settings;
    use mnist_tui::train::{self, Command, Event, WorkerOptions};
    let mut data = mnist_tui::data::Dataset::embedded().unwrap();
    data.train.truncate(3_000);
    data.test.truncate(300);
    let mut options = WorkerOptions::dashboard(Settings {
        epochs: 2,
        threads: 2,
        ..Settings::default()
    });
    // The worker waits after its epochs, so a layout still computing then is not lost.
    options.stay_after_finish = true;
    let worker = train::spawn(std::sync::Arc::new(data), options).unwrap();
    worker.commands.send(Command::Embed).unwrap();
    let (mut layout, mut batches_after, mut finished) = (None, 0, false);
    for event in worker.events.iter() {
        match event {
            Event::Embedded(p) => layout = Some(p),
            Event::Batches(b) => batches_after += b.len(),
            Event::Finished { .. } => finished = true,
            _ => {}
        }
        // Both the layout and the run's end, in either order: then the worker may go.
        if finished && layout.is_some() {
            worker.commands.send(Command::Stop).unwrap();
        }
    }
    worker.thread.join().unwrap();
    let layout = layout.expect("the layout came");
    assert_eq!(
        layout.points.len(),
        300,
        "one point per image of the subset"
    );
    assert_eq!(layout.labels.len(), 300);
    assert!(layout
        .points
        .iter()
        .all(|p| p[0].is_finite() && p[1].is_finite()));
    let spread = layout.points.iter().map(|p| p[0]).fold(f32::MIN, f32::max)
        - layout.points.iter().map(|p| p[0]).fold(f32::MAX, f32::min);
    assert!(spread > 1.0, "the points are spread out: {spread}");
    assert_eq!(
        batches_after, 60,
        "the run trained all its batches, two epochs of 30"
    );
}

/// A 7 drawn on the pad as a person would, with the keyboard pen: the top bar, then the
/// stroke down to the left.
fn drawn_seven() -> [u8; 784] {
    let mut pad = mnist_tui::app::DrawPad::default();
    pad.cursor = (8, 7);
    pad.toggle_pen();
    for _ in 0..12 {
        pad.move_cursor(1, 0);
    }
    for _ in 0..14 {
        pad.move_cursor(-1, 1);
    }
    pad.model_input()
}

#[test]
fn the_smallest_fooling_step_flips_the_shipped_models_verdict_on_a_drawn_seven() {
    let checkpoint = mnist_tui::pretrained::checkpoint().unwrap();
    let dev = Dev::seed_from_u64(0);
    let (net, _): (SeedNet, _) = checkpoint.restore(&dev, "pretrained".as_ref()).unwrap();
    let drawing = drawn_seven();
    let pixels: Vec<f32> = drawing.iter().map(|&p| p as f32 / 255.0).collect();
    let before = pixels.clone();
    let fooled = mnist_tui::model::fool::fool(&net, &dev, &pixels, None).expect("a flip");
    assert_eq!(fooled.was, 7, "the shipped model reads the drawing as a 7");
    assert_ne!(fooled.now, fooled.was);
    let ladder = mnist_tui::model::fool::ladder();
    assert!(ladder.contains(&fooled.epsilon));
    // Every pixel moved by at most the step, and the model reads the change as `now`.
    let moved = fooled
        .pixels
        .iter()
        .zip(&pixels)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(moved <= fooled.epsilon + 1e-6 && moved > 0.0);
    let logits = net.infer_rows(&fooled.pixels, 1);
    let read = (0..10)
        .max_by(|&a, &b| logits[a].total_cmp(&logits[b]))
        .unwrap();
    assert_eq!(read, fooled.now);
    // The step below it did not flip the verdict: it is the smallest on the ladder.
    let i = ladder.iter().position(|&e| e == fooled.epsilon).unwrap();
    if i > 0 {
        let smaller = fooled
            .pixels
            .iter()
            .zip(&pixels)
            .map(|(f, p)| {
                let d = (f - p).signum() * f32::from(f != p);
                (p + ladder[i - 1] * d).clamp(0.0, 1.0)
            })
            .collect::<Vec<_>>();
        let logits = net.infer_rows(&smaller, 1);
        let read = (0..10)
            .max_by(|&a, &b| logits[a].total_cmp(&logits[b]))
            .unwrap();
        assert_eq!(read, 7);
    }
    assert_eq!(pixels, before, "the drawing itself is untouched");
    // Toward a chosen class: the step that makes it a 3.
    let to_three = mnist_tui::model::fool::fool(&net, &dev, &pixels, Some(3)).expect("a 3");
    assert_eq!(to_three.now, 3);
    assert!(to_three.epsilon >= fooled.epsilon);
}

/// The walk's logits are the inference pass's, bit for bit, and its layers have the
/// network's shapes.
fn assert_walk_is_inference<N: Network>(names: &[(&str, usize, usize)]) {
    let dev = Dev::seed_from_u64(3);
    let net = N::build_seeded(&dev, 5);
    let pixels: Vec<f32> = random(784, 11).iter().map(|v| v.abs().min(1.0)).collect();
    let walk = net.walk(&dev, &pixels);
    let logits = net.infer_rows(&pixels, 1);
    for (a, b) in walk.logits.iter().zip(&logits) {
        assert_eq!(a.to_bits(), b.to_bits(), "{}: {a} vs {b}", N::NAME);
    }
    let shapes: Vec<(&str, usize, usize)> = walk
        .layers
        .iter()
        .map(|l| (l.name.as_str(), l.channels, l.side))
        .collect();
    assert_eq!(shapes, names, "{}", N::NAME);
    assert_eq!(walk.layers[0].values, pixels, "the input is the digit");
    // After a ReLU nothing is negative.
    assert!(walk
        .layers
        .iter()
        .all(|l| l.values.iter().all(|&v| v >= 0.0)));
    let sum: f32 = walk.probabilities.iter().sum();
    assert!((sum - 1.0).abs() < 1e-5);
}

#[test]
fn the_walks_logits_are_the_inference_passs_to_the_bit_for_both_networks() {
    assert_walk_is_inference::<SeedNet>(&[
        ("input", 1, 28),
        ("conv1 + ReLU", 32, 28),
        ("pool1", 32, 14),
        ("conv2 + ReLU", 64, 14),
        ("pool2", 64, 7),
    ]);
    assert_walk_is_inference::<DeepNet>(&[
        ("input", 1, 28),
        ("conv1 + ReLU", 32, 28),
        ("pool1", 32, 14),
        ("conv2 + ReLU", 64, 14),
        ("pool2", 64, 7),
        ("conv3 + ReLU", 128, 7),
        ("pool3", 128, 4),
        ("dense1 + ReLU", 625, 1),
    ]);
}

#[test]
fn each_pooled_map_is_the_2x2_maximum_of_its_conv_map() {
    let dev = Dev::seed_from_u64(3);
    let net = SeedNet::build_seeded(&dev, 5);
    let pixels: Vec<f32> = random(784, 12).iter().map(|v| v.abs().min(1.0)).collect();
    let walk = net.walk(&dev, &pixels);
    let (conv, pool) = (&walk.layers[3], &walk.layers[4]);
    for c in [0, 17, 63] {
        let (m, p) = (conv.map(c), pool.map(c));
        for y in 0..7 {
            for x in 0..7 {
                let block = [(0, 0), (0, 1), (1, 0), (1, 1)]
                    .map(|(dy, dx)| m[(2 * y + dy) * 14 + 2 * x + dx]);
                let max = block.iter().copied().fold(f32::MIN, f32::max);
                assert_eq!(p[y * 7 + x], max, "channel {c} at ({y}, {x})");
            }
        }
    }
}
