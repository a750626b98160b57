//! The cost and accuracy charts' own state: how their axes are drawn.

/// What the cost and accuracy panels show besides the runs' curves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CurvesView {
    /// The cost on a log axis, and the accuracy as the error rate on a log axis.
    pub log_y: bool,
    /// The x axis spans the whole planned run, instead of the run so far up to the next
    /// epoch boundary.
    pub whole_run: bool,
}
