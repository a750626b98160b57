//! A deterministic dashboard state for the UI tests.

pub mod cli;

use std::time::Instant;

use mnist_tui::app::{update, App, Msg};
use mnist_tui::model::{ModelKind, Saliency};
use mnist_tui::train::events::{FeatureProjection, HealthReport, LayerHealth};
use mnist_tui::train::{
    BatchLoss, EpochSummary, EvalKind, Evaluation, Event, RunInfo, SamplePrediction,
};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// `n` values uniform in [−1, 1), the same for the same seed.
pub fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect()
}

pub fn info() -> RunInfo {
    RunInfo {
        model: ModelKind::Seed,
        data_name: "MNIST (embedded)".into(),
        train_len: 60_000,
        test_len: 10_000,
        batch_size: 100,
        batches_per_epoch: 600,
        epochs: 15,
        learning_rate: 0.001,
        threads: 2,
        kernels: mnist_tui::model::LaneSet::Avx512,
        schedule: Default::default(),
        resumed_from: None,
        recorded_in: None,
        class_names: Default::default(),
    }
}

pub fn empty_app(size: (u16, u16)) -> App {
    App::new(Instant::now(), size)
}

/// A digit-like image: a vertical bar (a "1").
/// A vertical bar, three pixels wide: the fixtures' digit.
fn sample_pixels() -> Vec<u8> {
    let mut pixels = vec![0u8; 784];
    for y in 4..24 {
        for x in 13..16 {
            pixels[y * 28 + x] = 255;
        }
    }
    pixels
}

pub fn sample(label: u8, predicted: u8) -> SamplePrediction {
    let pixels = sample_pixels();
    let mut probabilities = [0.01f32; 10];
    probabilities[predicted as usize] = 0.91;
    SamplePrediction {
        index: 42,
        pixels,
        label,
        probabilities,
        conv1_maps: (0..32 * 784).map(|i| (i % 97) as f32 / 97.0).collect(),
        conv2_maps: (0..64 * 196).map(|i| (i % 13) as f32 / 13.0).collect(),
        // The bar's left column pushes toward each class, its right column away.
        saliency: Saliency(
            (0..10 * 784)
                .map(|i| match i % 28 {
                    13 => 1.0,
                    15 => -0.5,
                    _ => 0.0,
                })
                .collect(),
        ),
        // Hiding the bar's middle column lowers each class's probability.
        occlusion: Saliency(
            (0..10 * 784)
                .map(|i| {
                    if (i % 784) / 28 >= 4 && i % 28 == 14 {
                        0.3
                    } else {
                        0.0
                    }
                })
                .collect(),
        ),
        walk: walk(false),
    }
}

/// The bar of [`sample`] through the `seed` network (or the `deep` one): each map a
/// pattern of its own, so the Walk view's pictures tell the channels apart; channel 5 of
/// each layer the most active; the logits those of a confident 1.
pub fn walk(deep: bool) -> mnist_tui::train::events::Walk {
    use mnist_tui::train::events::{Walk, WalkLayer};
    let maps = |name: &str, channels: usize, side: usize| {
        let values = (0..channels * side * side)
            .map(|i| {
                let (c, p) = (i / (side * side), i % (side * side));
                let (y, x) = (p / side, p % side);
                let wave = ((x * (c % 4 + 1) + y * (c % 3 + 1)) % 7) as f32 / 7.0;
                if c == 5 {
                    wave + 1.0
                } else {
                    wave
                }
            })
            .collect();
        WalkLayer::new(name, channels, side, values)
    };
    let input: Vec<f32> = sample_pixels().iter().map(|&p| p as f32 / 255.0).collect();
    // Filters whose weights run from −1 to 1 across each 3×3, the input channel's number
    // tilting them.
    let filters = |outputs: usize, inputs: usize| -> Vec<f32> {
        (0..outputs * inputs * 9)
            .map(|i| ((i % 9) as f32 - 4.0) / 4.0 * (1.0 + (i / 9 % inputs) as f32 / 8.0))
            .collect()
    };
    let mut layers = vec![
        WalkLayer::new("input", 1, 28, input),
        maps("conv1 + ReLU", 32, 28).with_filters(&filters(32, 1), 1, 3),
        maps("pool1", 32, 14),
        maps("conv2 + ReLU", 64, 14).with_filters(&filters(64, 32), 32, 3),
        maps("pool2", 64, 7),
    ];
    if deep {
        layers.push(maps("conv3 + ReLU", 128, 7).with_filters(&filters(128, 64), 64, 3));
        layers.push(maps("pool3", 128, 4));
        layers.push(maps("dense1 + ReLU", 625, 1));
    }
    let mut logits = [-2.0f32; 10];
    logits[1] = 6.0;
    logits[7] = 1.5;
    Walk::new(layers, &logits)
}

/// Layer-health reports of a `seed` run, one every quarter epoch: weights growing,
/// updates shrinking; the last one with conv2 out of its band (updates too large).
pub fn health_reports() -> Vec<HealthReport> {
    (1..=6)
        .map(|k| {
            let t = k as f64;
            let layer = |name: &str, w: f64, dead: Option<f64>| LayerHealth {
                name: name.into(),
                weight_norm: w * (1.0 + 0.1 * t),
                gradient_norm: 0.2 / t,
                update_ratio: if k == 6 && name == "conv2" {
                    0.05
                } else {
                    4e-3 / t
                },
                dead_fraction: dead.map(|d| d * t / 6.0),
            };
            HealthReport {
                at_epoch: t / 4.0,
                step: k * 150,
                layers: vec![
                    layer("conv1", 0.7, Some(0.0)),
                    layer("conv2", 5.0, Some(0.0625)),
                    layer("dense", 7.8, None),
                ],
            }
        })
        .collect()
}

/// A projection of 200 test images: ten clusters around a circle, the images of a
/// vertical bar; every tenth point misclassified.
pub fn projection() -> FeatureProjection {
    let n = 200;
    let points = (0..n)
        .map(|i| {
            let class = (i % 10) as f32;
            let (angle, r) = (class * 0.628, 5.0 + (i / 10) as f32 * 0.1);
            [r * angle.cos(), r * angle.sin()]
        })
        .collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    let predicted = labels
        .iter()
        .enumerate()
        .map(|(i, &l)| if i % 10 == 3 { (l + 5) % 10 } else { l })
        .collect();
    let one = sample(1, 1).pixels;
    FeatureProjection {
        at_epoch: 1.5,
        points,
        explained: [0.23, 0.11],
        labels,
        predicted,
        pixels: one.repeat(n).into(),
        features: "conv2, 3136 wide".into(),
    }
}

/// An app 1.5 epochs into a run, with every panel populated.
pub fn busy_app(size: (u16, u16)) -> App {
    let mut app = empty_app(size);
    let mut send = |e: Event| {
        update(&mut app, Msg::Worker(e));
    };
    send(Event::Started(info()));
    let batches: Vec<BatchLoss> = (0..900)
        .map(|i| BatchLoss {
            epoch: i / 600,
            batch: i % 600,
            loss: 2.3 * (-(i as f32) / 60.0).exp() + 0.05 + 0.02 * ((i * 7919 % 13) as f32 / 13.0),
            learning_rate: 0.001,
            base_rate: None,
            correct: (60 + i.min(39)) as u32,
            size: 100,
        })
        .collect();
    send(Event::Batches(batches[..300].to_vec()));
    send(Event::LearningRateSet(0.001 * 1.778_279_4));
    send(Event::Batches(batches[300..].to_vec()));
    for k in 1..=9 {
        let x = k as f64 / 6.0;
        send(Event::Evaluated(Evaluation {
            at_epoch: x,
            kind: if k == 6 {
                EvalKind::Full
            } else {
                EvalKind::Quick
            },
            accuracy: 0.9 + 0.01 * k as f64,
        }));
    }
    send(Event::EpochFinished(EpochSummary {
        epoch: 0,
        average_cost: 0.34,
        seconds: 8.0,
        samples_per_second: 7500.0,
    }));
    send(Event::Filters(
        (0..32 * 9)
            .map(|i| ((i % 17) as f32 - 8.0) / 80.0)
            .collect(),
    ));
    send(Event::Sample(Box::new(sample(1, 1))));
    app
}

/// A finished learning-rate sweep: flat at chance, falling from 1e-5 to 1e-2, then
/// blowing up, as a fresh model's does.
pub fn sweep() -> mnist_tui::train::lr_finder::Sweep {
    use mnist_tui::train::lr_finder::{rate_at, Recorder, STEPS};
    let mut r = Recorder::default();
    for i in 0..STEPS {
        let x = rate_at(i).log10();
        let loss = if x < -5.0 {
            2.3
        } else if x < -2.0 {
            2.3 - 0.7 * (x + 5.0)
        } else {
            0.2 * 10f64.powf(3.0 * (x + 2.0))
        };
        if !r.record(rate_at(i), loss as f32) {
            break;
        }
    }
    r.finish()
}
