//! The dashboard's clock: the time now, the time spent running (not paused), and the
//! training speed measured over the last few seconds of batches.

use std::time::{Duration, Instant};

/// Seconds of batches a speed is measured over, at least.
const SPEED_WINDOW: f64 = 1.0;
/// Seconds after which the speed's starting point moves up, so the speed follows changes.
const SPEED_RESTART: f64 = 5.0;

/// Time and speed as the dashboard shows them.
#[derive(Debug, Clone)]
pub struct Clock {
    pub now: Instant,
    pub started_at: Instant,
    /// Time spent running (not paused).
    pub running_time: Duration,
    /// The batch count at a recent point, for the speed.
    speed_mark: Option<(Instant, usize)>,
    pub samples_per_second: Option<f64>,
}

impl Clock {
    pub fn new(now: Instant) -> Self {
        Self {
            now,
            started_at: now,
            running_time: Duration::ZERO,
            speed_mark: None,
            samples_per_second: None,
        }
    }

    /// The clock moves to `now`; the time since the last tick counts as running time
    /// when the run was running.
    pub fn tick(&mut self, now: Instant, running: bool) {
        if running {
            self.running_time += now.saturating_duration_since(self.now);
        }
        self.now = now;
    }

    /// `batches_done` batches of `batch_size` images have been trained by now.
    pub fn on_batches(&mut self, batches_done: usize, batch_size: usize) {
        match self.speed_mark {
            None => self.speed_mark = Some((self.now, batches_done)),
            Some((t0, b0)) => {
                let dt = self.now.saturating_duration_since(t0).as_secs_f64();
                if dt >= SPEED_WINDOW {
                    let images = batches_done.saturating_sub(b0) * batch_size;
                    self.samples_per_second = Some(images as f64 / dt);
                    if dt >= SPEED_RESTART {
                        self.speed_mark = Some((self.now, batches_done));
                    }
                }
            }
        }
    }

    /// Another run's batches follow (the branch was kept): measure the speed afresh.
    pub fn restart_speed(&mut self) {
        self.speed_mark = None;
    }
}
