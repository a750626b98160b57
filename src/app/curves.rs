//! The cost and accuracy charts' own state: how their y axes are drawn.

/// What the cost and accuracy panels show besides the runs' curves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CurvesView {
    /// The cost on a log axis, and the accuracy as the error rate on a log axis.
    pub log_y: bool,
}
