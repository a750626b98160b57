//! `mnist-tui bench`: training and inference speed, per-layer kernel times and achieved
//! GFLOP/s (seed model), and peak memory, as a table and as one JSON line. The training
//! epoch is timed in `epoch.rs`; `bench --compare` (rounds of such epochs, one per thread
//! count or instruction set) is `compare.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dfdx::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};

use crate::data::Dataset;
use crate::model::{DeepNet, Dev, ModelKind, Network, SeedNet};
use crate::train::eval::accuracy_in_batches;
use crate::train::Settings;
use conv3x3::{pool_out, winograd, ConvShape, LaneSet};

mod compare;
mod epoch;
pub use compare::{compare, median, variants, Compared, Comparison, Round, Variant};
pub use epoch::{time_epoch, EpochTiming};

/// One layer's median forward and backward time at batch 100.
#[derive(Debug, Clone)]
pub struct LayerTime {
    pub name: &'static str,
    pub forward_ms: f64,
    pub backward_ms: f64,
    /// Multiply-adds ×2 of forward + backward, per second.
    pub gflops: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub model: ModelKind,
    pub threads: usize,
    pub train_images: usize,
    pub samples_per_second: f64,
    pub seconds_per_epoch: f64,
    pub epoch_cost: f64,
    pub inference_images_per_second: f64,
    pub layers: Vec<LayerTime>,
    pub step_gflops: f64,
    pub peak_rss_mb: f64,
    /// Seconds from launch to the end of the first training step: the data's loading
    /// (decoding the embedded set) plus the worker's start and first batch.
    pub launch_to_first_batch_s: f64,
    /// CPU time over wall time from the first batch to the epoch's end (2.0: two cores
    /// busy the whole time).
    pub cpu_use: f64,
    /// The instruction set the Winograd transforms use.
    pub lanes: &'static str,
}

/// Median of `reps` timings of `f`, in milliseconds.
fn median_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

fn random(n: usize, rng: &mut StdRng) -> Vec<f32> {
    (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect()
}

/// Floating-point operations of one training step of the seed network at `batch`:
/// forward and the two backward products of both convolutions and the dense layer,
/// counted as a direct convolution does them. The Winograd layers multiply 2.25× less,
/// so GFLOP/s from this count are an effective rate, comparable with other programs.
pub fn seed_step_flops(batch: usize) -> f64 {
    let conv = |ci: usize, co: usize, hw: usize| 2.0 * (batch * co * hw * ci * 9) as f64;
    let dense = 2.0 * (batch * 3136 * 10) as f64;
    // conv1's input needs no gradient: two products, not three.
    2.0 * conv(1, 32, 784) + 3.0 * (conv(32, 64, 196) + dense)
}

/// The fused conv + pool + ReLU layer's kernels, as the network runs them.
fn conv_times(
    name: &'static str,
    (s, lanes): (ConvShape, LaneSet),
    input_grad: bool,
    rng: &mut StdRng,
) -> LayerTime {
    let hw = s.h * s.w;
    let pooled = s.batch * s.co * pool_out(s.h) * pool_out(s.w);
    let x = random(s.batch * s.ci * hw, rng);
    let w = random(s.co * s.ci * 9, rng);
    let dout = random(pooled, rng);
    let mut argmax = vec![0u32; pooled];
    let mut dw = vec![0.0; w.len()];
    let mut dx = vec![0.0; x.len()];
    let forward_ms = median_ms(20, || {
        argmax = winograd::conv3x3_pool_relu_forward_new(s, lanes, &x, &w).1
    });
    let backward_ms = median_ms(20, || {
        let dx = input_grad.then_some(&mut dx[..]);
        winograd::conv3x3_pool_relu_backward(s, lanes, (&x, &w), (&dout, &argmax), &mut dw, dx)
    });
    let products = if input_grad { 3.0 } else { 2.0 };
    let flops = products * 2.0 * (s.batch * s.co * hw * s.ci * 9) as f64;
    LayerTime {
        name,
        forward_ms,
        backward_ms,
        gflops: Some(flops / ((forward_ms + backward_ms) * 1e-3) / 1e9),
    }
}

fn dense_times(rng: &mut StdRng) -> LayerTime {
    let dev = Dev::default();
    let net = SeedNet::build_seeded(&dev, 777);
    let dense = &net.2 .1;
    let x: Tensor<(usize, Const<3136>), f32, Dev> =
        dev.tensor_from_vec(random(100 * 3136, rng), (100, Const));
    let forward_ms = median_ms(20, || {
        let _ = dense.forward(x.clone());
    });
    let total = median_ms(20, || {
        let _ = dense.forward(x.clone().leaky_trace()).sum().backward();
    });
    LayerTime {
        name: "dense 3136→10",
        forward_ms,
        backward_ms: (total - forward_ms).max(0.0),
        gflops: None,
    }
}

/// Images per inference batch: the peer scripts' `predict` batch.
const INFERENCE_BATCH: usize = 1000;

/// Passes over the test set whose median inference time is reported, after one warm-up
/// pass; the same as the TensorFlow and PyTorch peer scripts do.
const INFERENCE_PASSES: usize = 3;

/// Images per second of inference over the test set, in batches of 1 000: the median of
/// [`INFERENCE_PASSES`] timed passes after a warm-up pass.
fn inference_speed<N: Network>((seed, lanes): (u64, LaneSet), data: &Dataset) -> f64 {
    let dev = Dev::seed_from_u64(seed);
    let mut net = N::build_seeded(&dev, seed);
    net.set_kernels(lanes);
    let pass = || accuracy_in_batches(&net, &data.test, usize::MAX, INFERENCE_BATCH);
    pass();
    let seconds: Vec<f64> = (0..INFERENCE_PASSES)
        .map(|_| {
            let started = Instant::now();
            pass();
            started.elapsed().max(Duration::from_nanos(1)).as_secs_f64()
        })
        .collect();
    data.test.len() as f64 / median(&seconds)
}

/// Hands the memory the allocator holds freed (here: the inference pass's, whose pool
/// threads have ended, and the data decoders') back to the system before the epoch.
/// Why: mimalloc keeps freed pages for reuse, and those of ended threads stayed resident
/// under the trainer's own; a full `deep` epoch peaked about 7 MB lower with this (185
/// and 187 MB against 193 and 193, alternated).
fn release_free_memory() {
    // SAFETY: `mi_collect` takes no pointers; it only frees what mimalloc holds unused,
    // and with another global allocator it has nothing of ours to free.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

/// Peak resident memory of this process, from /proc (0 where unavailable).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Runs the benchmark: a real headless training epoch over `data.train`, inference over
/// `data.test`, and (seed model) the per-layer kernels. `loaded_in` is how long the data
/// took to load, the first part of the launch-to-first-batch time.
pub fn run(settings: &Settings, data: Arc<Dataset>, loaded_in: Duration) -> Report {
    let threads = settings.threads;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("cannot start kernel threads");
    let mut rng = StdRng::seed_from_u64(1);
    let b = settings.batch_size;
    let lanes = settings.kernels;
    // Per-layer times are of the seed network's layers.
    let layers = if settings.model != ModelKind::Seed {
        Vec::new()
    } else {
        pool.install(|| {
            let conv1 = ConvShape {
                batch: b,
                ci: 1,
                co: 32,
                h: 28,
                w: 28,
            };
            let conv2 = ConvShape {
                batch: b,
                ci: 32,
                co: 64,
                h: 14,
                w: 14,
            };
            vec![
                conv_times("conv1+pool+ReLU 1→32", (conv1, lanes), false, &mut rng),
                conv_times("conv2+pool+ReLU 32→64", (conv2, lanes), true, &mut rng),
                dense_times(&mut rng),
            ]
        })
    };

    // Inference before the epoch: a finished trainer's memory goes back to the system
    // only some time after its thread ends (the allocator purges a dead thread's pages
    // lazily), and inference started in that window had made the process's peak the sum
    // of both (deep: 199 MB for 0.7 s, against 174 MB at the trainer's own evaluation).
    let inference = match settings.model {
        ModelKind::Seed => {
            pool.install(|| inference_speed::<SeedNet>((settings.seed, lanes), &data))
        }
        ModelKind::Deep => {
            pool.install(|| inference_speed::<DeepNet>((settings.seed, lanes), &data))
        }
    };

    release_free_memory();
    let EpochTiming {
        samples_per_second,
        epoch_cost,
        cpu_use,
        to_first_batch,
    } = time_epoch(settings, data.clone());
    let flops_per_step = match settings.model {
        ModelKind::Seed => seed_step_flops(b),
        ModelKind::Deep => f64::NAN,
    };

    Report {
        model: settings.model,
        threads,
        train_images: data.train.len(),
        samples_per_second,
        seconds_per_epoch: 60_000.0 / samples_per_second.max(1e-9),
        epoch_cost,
        inference_images_per_second: inference,
        layers,
        step_gflops: flops_per_step * samples_per_second / b as f64 / 1e9,
        peak_rss_mb: peak_rss_mb(),
        launch_to_first_batch_s: loaded_in.as_secs_f64() + to_first_batch,
        cpu_use,
        lanes: lanes.label(),
    }
}

impl Report {
    /// The human-readable table.
    pub fn table(&self) -> String {
        let mut s = format!(
            "mnist-tui bench: {} model, {} threads, batch 100\n\
             training   {:>9.0} samples/s   {:.2} s per 60 000-image epoch ({} images timed, cost {:.6})\n\
             inference  {:>9.0} images/s (batch 1000, test set)\n\
             step       {:>9} GFLOP/s effective over the whole training step (direct-convolution count)\n\
             peak RSS   {:>9.1} MB\n\
             launch     {:>9.3} s to the first batch (data loaded, worker started, one step)\n\
             CPU use    {:>9.0} % of one core while training ({} threads: {:.0} % at most)\n\
             kernels    conv+pool+ReLU: Winograd F(2x2,3x3) forward, routed backward, {} lanes\n\n\
             {:<24} {:>10} {:>11} {:>9}\n",
            self.model,
            self.threads,
            self.samples_per_second,
            self.seconds_per_epoch,
            self.train_images,
            self.epoch_cost,
            self.inference_images_per_second,
            if self.step_gflops.is_finite() { format!("{:.1}", self.step_gflops) } else { "–".into() },
            self.peak_rss_mb,
            self.launch_to_first_batch_s,
            self.cpu_use * 100.0,
            self.threads,
            self.threads as f64 * 100.0,
            self.lanes,
            "layer (batch 100)",
            "forward ms",
            "backward ms",
            "GFLOP/s"
        );
        for l in &self.layers {
            s += &format!(
                "{:<24} {:>10.2} {:>11.2} {:>9}\n",
                l.name,
                l.forward_ms,
                l.backward_ms,
                l.gflops.map_or("–".into(), |g| format!("{g:.1}"))
            );
        }
        s
    }

    /// One JSON line for scripts.
    pub fn json(&self) -> String {
        let layers: Vec<String> = self
            .layers
            .iter()
            .map(|l| {
                format!(
                    "{{\"name\":\"{}\",\"forward_ms\":{:.3},\"backward_ms\":{:.3},\"gflops\":{}}}",
                    l.name,
                    l.forward_ms,
                    l.backward_ms,
                    l.gflops.map_or("null".into(), |g| format!("{g:.2}"))
                )
            })
            .collect();
        format!(
            "{{\"model\":\"{}\",\"threads\":{},\"train_images\":{},\"samples_per_s\":{:.1},\"sec_per_epoch\":{:.3},\"epoch_cost\":{:.9},\"infer_images_per_s\":{:.1},\"step_gflops\":{},\"peak_rss_mb\":{:.1},\"launch_to_first_batch_s\":{:.3},\"cpu_use\":{:.3},\"lanes\":\"{}\",\"layers\":[{}]}}",
            self.model,
            self.threads,
            self.train_images,
            self.samples_per_second,
            self.seconds_per_epoch,
            self.epoch_cost,
            self.inference_images_per_second,
            if self.step_gflops.is_finite() { format!("{:.2}", self.step_gflops) } else { "null".into() },
            self.peak_rss_mb,
            self.launch_to_first_batch_s,
            self.cpu_use,
            self.lanes,
            layers.join(",")
        )
    }
}
