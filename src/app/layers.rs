//! The Layers view's state: every layer-health report of the run.

use crate::train::events::HealthReport;

/// What the Layers view draws.
#[derive(Debug, Clone, Default)]
pub struct LayersView {
    /// Every layer-health report of the run, oldest first.
    pub health: Vec<HealthReport>,
}
