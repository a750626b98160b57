//! A second run forked from the main one at another learning rate, trained side by side
//! so both curves can be compared live until the user keeps one.

use super::RunProgress;

#[derive(Debug, Clone)]
pub struct Branch {
    /// The branch's own progress, applied from its worker's events exactly as the main
    /// run's is from the main worker's.
    pub run: RunProgress,
    /// Where the branch left the main run, in epochs.
    pub forked_at: f64,
}

impl Branch {
    pub fn new(learning_rate: f64, forked_at: f64) -> Self {
        Self {
            run: RunProgress::new(learning_rate),
            forked_at,
        }
    }
}
