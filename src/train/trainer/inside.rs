//! The look inside the network at the quick-evaluation cadence: one pass over the fixed
//! test subset gives the quick accuracy, each ReLU layer's dead units and the penultimate
//! features; with the step measured just before it, the layers' health; and, for the
//! dashboard, the features projected onto their first two principal components — or, on
//! request, laid out by t-SNE on a thread of its own while the run goes on.

use crate::data::PIXELS;
use crate::model::Network;

use super::{Trainer, EARLY_QUICK_EVALS, METRICS_SAMPLE_EVERY, QUICK_EVAL_IMAGES};
use crate::train::embedding::tsne;
use crate::train::eval::images_tensor;
use crate::train::events::{argmax, Event, FeatureProjection};
use crate::train::health::{layer_health, HealthReport};
use crate::train::measure::EvalKind;
use crate::train::metrics_line::MetricsLine;
use crate::train::projection::principal_components;

impl<N: Network> Trainer<N> {
    /// Whether the network is looked inside after `done` batches of an epoch of
    /// `n_batches`: at the dashboard's quick evaluations (log-spaced early in the first
    /// epoch, the climb being the most telling part of a run), and for a headless run's
    /// metrics file at its sample cadence; and at each epoch's end, so the views show the
    /// model the epoch ended with.
    pub(super) fn inside_due(&self, done: usize, n_batches: usize) -> bool {
        let early = self.at.epoch == 0 && EARLY_QUICK_EVALS.contains(&done);
        let every = |n: usize| done.is_multiple_of(n) || done == n_batches;
        let quick = (self.options.quick_eval_every).is_some_and(|n| every(n) || early);
        let file = self.writes_metrics() && every(METRICS_SAMPLE_EVERY);
        (quick || file) && done > 0
    }

    /// Looks inside the network after a batch; `quick`: and records the quick
    /// evaluation's accuracy (not at an epoch's end, where the whole test set is).
    pub(super) fn look_inside(&mut self, at_epoch: f64, quick: bool) {
        let n = QUICK_EVAL_IMAGES.min(self.data.test.len());
        if n == 0 {
            return;
        }
        let indices: Vec<usize> = (0..n).collect();
        let inside = self
            .net
            .inspect(&images_tensor(&self.dev, &self.data.test, &indices));
        let predicted: Vec<u8> = inside.logits.chunks(10).map(|r| argmax(r) as u8).collect();
        let data = self.data.clone();
        let labels = &data.test.labels[..n];
        if quick && self.options.quick_eval_every.is_some() {
            let correct = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
            self.push_evaluation(at_epoch, EvalKind::Quick, correct as f64 / n as f64);
        }
        if let Some(sizes) = self.step_sizes.take() {
            let layers = layer_health(N::LAYERS, &self.tensor_names, &sizes, &inside.activity);
            let step = self.opt.t.max(0) as usize;
            let report = HealthReport {
                at_epoch,
                step,
                layers,
            };
            self.write_metrics(&MetricsLine::Health(report.clone()));
            self.outbox.push(Event::Health(Box::new(report)));
        }
        if self.options.visuals_every.is_none() {
            return;
        }
        let width = inside.feature_width;
        let components =
            principal_components(&inside.features, n, width, self.projection_axes.as_ref());
        let pixels = self.subset_pixels(n);
        debug_assert_eq!(pixels.len(), n * PIXELS);
        let projection = FeatureProjection {
            at_epoch,
            points: components.points,
            explained: components.explained,
            labels: labels.to_vec(),
            predicted,
            pixels,
            features: crate::tr!(
                "clusters-features",
                layer = N::LAYERS[N::LAYERS.len() - 2],
                width = width
            ),
        };
        self.projection_axes = Some(components.axes);
        self.outbox.push(Event::Projected(Box::new(projection)));
    }
}

impl<N: Network> Trainer<N> {
    /// Starts a t-SNE layout of the subset's features as the model has them now (unless
    /// one is computing already); [`Self::poll_embedding`] sends it when it is done.
    pub(super) fn start_embedding(&mut self) {
        let n = QUICK_EVAL_IMAGES.min(self.data.test.len());
        if n < 4 || self.embedding.is_some() {
            return;
        }
        let inside = self.net.inspect(&images_tensor(
            &self.dev,
            &self.data.test,
            &(0..n).collect::<Vec<_>>(),
        ));
        let predicted: Vec<u8> = inside.logits.chunks(10).map(|r| argmax(r) as u8).collect();
        let pixels = self.subset_pixels(n);
        let test = &self.data.test;
        let width = inside.feature_width;
        let mut projection = FeatureProjection {
            at_epoch: self.at.epoch as f64 + self.at.batch as f64 / self.batches_per_epoch() as f64,
            points: Vec::new(),
            explained: [0.0; 2],
            labels: test.labels[..n].to_vec(),
            predicted,
            pixels,
            features: crate::tr!(
                "clusters-features",
                layer = N::LAYERS[N::LAYERS.len() - 2],
                width = width
            ),
        };
        let features = inside.features;
        let (done, answer) = crossbeam_channel::bounded(1);
        let started = std::thread::Builder::new()
            .name("t-SNE".into())
            .spawn(move || {
                projection.points = tsne(&features, n, width);
                let _ = done.send(projection);
            });
        // Without a thread there is no layout; the view keeps waiting for none.
        if started.is_ok() {
            self.embedding = Some(answer);
        }
    }

    /// The first `n` test images' pixels, made once and shared by every projection.
    fn subset_pixels(&mut self, n: usize) -> std::sync::Arc<[u8]> {
        let test = &self.data.test;
        self.subset_pixels
            .get_or_insert_with(|| (0..n).flat_map(|i| test.image(i).to_vec()).collect())
            .clone()
    }

    /// Sends the t-SNE layout once its thread is done.
    pub(super) fn poll_embedding(&mut self) {
        let Some(answer) = &self.embedding else {
            return;
        };
        match answer.try_recv() {
            Ok(layout) => {
                self.embedding = None;
                self.outbox.push(Event::Embedded(Box::new(layout)));
            }
            Err(crossbeam_channel::TryRecvError::Disconnected) => self.embedding = None,
            Err(crossbeam_channel::TryRecvError::Empty) => {}
        }
    }
}
