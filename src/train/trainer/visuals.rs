//! What only the dashboard shows: the first layer's filters and the sample digit with the
//! live model's prediction, feature maps and saliency.

use crate::data::PIXELS;
use crate::model::{occlusion, saliency, Network};

use super::Trainer;
use crate::train::eval::probabilities;
use crate::train::events::{Event, SamplePrediction};
use crate::train::metrics_line::{MetricsLine, SampleLine};

impl<N: Network> Trainer<N> {
    pub(super) fn send_visuals(&mut self) {
        self.outbox.push(Event::Filters(self.net.first_filters()));
        self.send_sample();
    }

    pub(super) fn send_sample(&mut self) {
        let sample = self.sample_prediction(self.options.visuals_every.is_some());
        self.outbox.push(Event::Sample(Box::new(sample)));
    }

    /// The sample digit and filters as the metrics file keeps them (for `view`); nothing
    /// without a metrics file.
    pub(super) fn write_sample(&mut self) {
        if !self.writes_metrics() {
            return;
        }
        let sample = self.sample_prediction(false);
        let line = MetricsLine::Sample(SampleLine::new(&sample, self.net.first_filters()));
        self.write_metrics(&line);
    }

    fn sample_prediction(&self, with_maps: bool) -> SamplePrediction {
        let i = self.sample_index;
        let pixels = self.data.test.image(i).to_vec();
        let scaled: Vec<f32> = pixels.iter().map(|&p| p as f32 / 255.0).collect();
        let probabilities = probabilities(&self.net, &self.dev, &scaled);
        let walk = if with_maps {
            self.net.walk(&self.dev, &scaled)
        } else {
            Default::default()
        };
        // The Filters view's maps are the walk's conv1 and conv2 layers: computed once.
        let maps = |layer: usize| walk.layers.get(layer).map(|l| l.values.clone());
        let (conv1_maps, conv2_maps) = (maps(1).unwrap_or_default(), maps(3).unwrap_or_default());
        let (saliency, occlusion) = if with_maps {
            (
                saliency(&self.net, &self.dev, &scaled),
                occlusion(&self.net, &scaled),
            )
        } else {
            Default::default()
        };
        debug_assert_eq!(pixels.len(), PIXELS);
        SamplePrediction {
            index: i,
            pixels,
            label: self.data.test.labels[i],
            probabilities,
            conv1_maps,
            conv2_maps,
            saliency,
            occlusion,
            walk,
        }
    }
}
