//! What the dashboard's explanations cost the worker for one digit, on the shipped `seed`
//! model: gradient × input (one backward pass over ten copies), occlusion (one batched
//! inference pass over the patched copies), and the plain verdict they come with. The
//! worker computes them every 50 batches, beside 5 000 trained images.

use criterion::{criterion_group, criterion_main, Criterion};
use mnist_tui::model::{occlusion, saliency, Dev, Network, SeedNet};

fn explanations(c: &mut Criterion) {
    let checkpoint = mnist_tui::pretrained::checkpoint().unwrap();
    let dev: Dev = Default::default();
    let (net, _): (SeedNet, _) = checkpoint.restore(&dev, "pretrained".as_ref()).unwrap();
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

criterion_group!(benches, explanations);
criterion_main!(benches);
