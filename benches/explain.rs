//! What the dashboard's explanations cost the worker for one digit, on the shipped `seed`
//! model: gradient × input (one backward pass over ten copies), occlusion (one batched
//! inference pass over the patched copies), and the plain verdict they come with. The
//! worker computes them every 50 batches, beside 5 000 trained images.
//!
//! Then the Clusters view's two maps of the first 1 000 test images' penultimate features:
//! how long t-SNE takes, and how well each map keeps the digits apart (the share of points
//! whose nearest neighbour on the map has their label). The model is the shipped one, or
//! the checkpoint `MNIST_TUI_BENCH_CHECKPOINT` names (one epoch in, say).

use criterion::{criterion_group, criterion_main, Criterion};
use dfdx::prelude::*;
use mnist_tui::model::{occlusion, saliency, Dev, Images, Network, SeedNet};
use mnist_tui::train::embedding::{neighbour_agreement, tsne};
use mnist_tui::train::projection::principal_components;

/// The shipped model, or the checkpoint the environment names.
fn model(dev: &Dev) -> SeedNet {
    let checkpoint = match std::env::var_os("MNIST_TUI_BENCH_CHECKPOINT") {
        Some(path) => mnist_tui::train::checkpoint::Checkpoint::read(path.as_ref()).unwrap(),
        None => mnist_tui::pretrained::checkpoint().unwrap(),
    };
    checkpoint.restore(dev, "bench".as_ref()).unwrap().0
}

fn explanations(c: &mut Criterion) {
    let dev: Dev = Default::default();
    let net = model(&dev);
    let data = mnist_tui::data::Dataset::embedded().unwrap();
    let pixels: Vec<f32> = data
        .test
        .image(0)
        .iter()
        .map(|&p| p as f32 / 255.0)
        .collect();
    let mut group = c.benchmark_group("explain one digit");
    group.bench_function("verdict", |b| b.iter(|| net.infer_rows(&pixels, 1)));
    group.bench_function("gradient x input", |b| {
        b.iter(|| saliency(&net, &dev, &pixels))
    });
    group.bench_function("occlusion", |b| b.iter(|| occlusion(&net, &pixels)));
    group.finish();
}

fn maps_of_the_features(c: &mut Criterion) {
    let dev: Dev = Default::default();
    let net = model(&dev);
    let data = mnist_tui::data::Dataset::embedded().unwrap();
    let n = 1000;
    let pixels: Vec<f32> = (0..n)
        .flat_map(|i| data.test.image(i).to_vec())
        .map(|p| p as f32 / 255.0)
        .collect();
    let x: Images = dev.tensor_from_vec(pixels, (n, Const, Const, Const));
    let inside = net.inspect(&x);
    let (features, width) = (&inside.features, inside.feature_width);
    let labels = &data.test.labels[..n];
    let pca = principal_components(features, n, width, None).points;
    let layout = tsne(features, n, width);
    eprintln!(
        "nearest-neighbour label agreement over {n} test images: PCA {:.3}, t-SNE {:.3}",
        neighbour_agreement(&pca, labels),
        neighbour_agreement(&layout, labels)
    );
    let mut group = c.benchmark_group("map 1000 test images");
    group.sample_size(10);
    group.bench_function("pca", |b| {
        b.iter(|| principal_components(features, n, width, None))
    });
    group.bench_function("t-sne", |b| b.iter(|| tsne(features, n, width)));
    group.finish();
}

criterion_group!(benches, explanations, maps_of_the_features);
criterion_main!(benches);
