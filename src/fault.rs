//! Fault injection for the reliability tests: `MNIST_TUI_INJECT_FAULT=panic-worker` or
//! `panic-ui` makes that thread panic shortly after training starts, so the tests can check
//! what a user would see. Unset (always, in normal use), nothing happens.

use std::sync::OnceLock;

/// Whether the named fault was asked for.
pub fn injected(name: &str) -> bool {
    static FAULT: OnceLock<Option<String>> = OnceLock::new();
    FAULT
        .get_or_init(|| std::env::var("MNIST_TUI_INJECT_FAULT").ok())
        .as_deref()
        == Some(name)
}
