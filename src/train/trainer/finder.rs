//! The learning-rate range test on a copy of the run ([`crate::train::lr_finder`]): the
//! weights and Adam's state are cloned, the sweep trains the clones on batches of its own
//! order, and the run goes on from exactly where it was (same weights, same shuffle, same
//! sample; only the `deep` model's dropout draws from the device's random stream).

use rand::{rngs::StdRng, SeedableRng};

use crate::model::Network;

use super::{shuffled, Trainer};
use crate::train::adam::Update;
use crate::train::events::Event;
use crate::train::lr_finder::{rate_at, Recorder, STEPS};

/// Added to the run's seed for the sweep's batch order, so the sweep's batches are the
/// same for one seed and never disturb the run's own shuffle.
const SWEEP_SEED: u64 = 0x5eed_f1d0;

impl<N: Network> Trainer<N> {
    /// Runs the sweep, sending each point as it is measured and the whole sweep with its
    /// suggestions at the end; the run itself is untouched. Commands that arrive
    /// meanwhile wait for the sweep to end.
    pub(super) fn find_learning_rate(&mut self) {
        let (net, opt) = (self.net.clone(), self.opt.clone());
        self.sweeping = true;
        let bs = self.options.settings.batch_size;
        let n = self.data.train.len();
        let mut rng = StdRng::seed_from_u64(self.options.settings.seed.wrapping_add(SWEEP_SEED));
        let (mut order, mut next) = (shuffled(n, &mut rng), 0);
        let mut recorder = Recorder::default();
        for i in 0..STEPS {
            if next + bs > n {
                (order, next) = (shuffled(n, &mut rng), 0);
            }
            let learning_rate = rate_at(i);
            self.opt.cfg.lr = learning_rate;
            let (loss, _, update) = self.train_step(&order[next..next + bs]);
            next += bs;
            let go_on = recorder.record(learning_rate, loss);
            if let Some(&point) = recorder
                .points
                .last()
                .filter(|p| p.learning_rate == learning_rate)
            {
                self.outbox.push(Event::SweepPoint(point));
            }
            if !go_on || update == Update::NonFiniteWeights {
                break;
            }
        }
        (self.net, self.opt) = (net, opt);
        self.sweeping = false;
        self.outbox
            .push(Event::SweepDone(Box::new(recorder.finish())));
    }
}
