//! What only the dashboard shows: the first layer's filters and the sample digit with the
//! live model's prediction, feature maps and saliency.

use crate::data::PIXELS;
use crate::model::{occlusion, saliency, Network};

use super::Trainer;
use crate::train::eval::{images_tensor, probabilities};
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
        let (conv1_maps, conv2_maps, (saliency, occlusion)) = if with_maps {
            let (c1, c2) = self
                .net
                .feature_maps(images_tensor(&self.dev, &self.data.test, &[i]));
            let why = (
                saliency(&self.net, &self.dev, &scaled),
                occlusion(&self.net, &scaled),
            );
            (c1, c2, why)
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
