//! What can lie over the current view: the help, the learning-rate prompt, and the
//! learning-rate finder. Each takes keys before the view does while it is open.

use super::finder::FinderView;

/// The `l` prompt's text while the user types a learning rate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prompt {
    pub text: String,
}

/// The overlays, each open or not.
#[derive(Debug, Clone, Default)]
pub struct Overlays {
    pub help: bool,
    pub prompt: Option<Prompt>,
    /// The learning-rate finder, while it is open.
    pub finder: Option<FinderView>,
}
