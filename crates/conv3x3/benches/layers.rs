//! The fused conv + ReLU + pool layer of the `seed` network's second layer (100 images,
//! 32 → 64 channels, 14×14), forward and backward, on every lane set this CPU has:
//! `cargo bench -p conv3x3`. The whole training epoch, against TensorFlow and PyTorch, is
//! the app's `mnist-tui bench` (see docs/benchmarks.md).

use conv3x3::{reference, winograd, ConvShape, LaneSet};
use criterion::{criterion_group, criterion_main, Criterion};

fn conv2(c: &mut Criterion) {
    let s = ConvShape {
        batch: 100,
        ci: 32,
        co: 64,
        h: 14,
        w: 14,
    };
    let x = reference::random(s.batch * s.in_len(), 1);
    // A trained layer's scale: the products' sums stay in the range they train in.
    let weight: Vec<f32> = reference::random(s.co * s.ci * 9, 2)
        .iter()
        .map(|w| w * 0.1)
        .collect();
    for lanes in LaneSet::available() {
        let label = lanes.name();
        c.bench_function(&format!("conv2 forward {label}"), |b| {
            b.iter(|| winograd::conv3x3_pool_relu_forward_new(s, lanes, &x, &weight))
        });
        let (pooled, argmax) = winograd::conv3x3_pool_relu_forward_new(s, lanes, &x, &weight);
        let dout = reference::random(pooled.len(), 3);
        let mut dweight = vec![0.0; weight.len()];
        let mut dx = vec![0.0; x.len()];
        c.bench_function(&format!("conv2 backward {label}"), |b| {
            b.iter(|| {
                winograd::conv3x3_pool_relu_backward(
                    s,
                    lanes,
                    (&x, &weight),
                    (&dout, &argmax),
                    &mut dweight,
                    Some(&mut dx),
                )
            })
        });
    }
}

criterion_group!(benches, conv2);
criterion_main!(benches);
