//! Fault injection for the reliability tests: `MNIST_TUI_INJECT_FAULT=panic-worker` or
//! `panic-ui` makes that thread panic shortly after training starts, so the tests can check
//! what a user would see. Compiled in only with the `fault-injection` cargo feature, which
//! only the tests turn on: in every other build `injected` is a constant `false`.

/// Whether the named fault was asked for.
#[cfg(feature = "fault-injection")]
pub fn injected(name: &str) -> bool {
    use std::sync::OnceLock;

    static FAULT: OnceLock<Option<String>> = OnceLock::new();
    FAULT
        .get_or_init(|| std::env::var("MNIST_TUI_INJECT_FAULT").ok())
        .as_deref()
        == Some(name)
}

/// Whether the named fault was asked for: never, without the `fault-injection` feature.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn injected(_name: &str) -> bool {
    false
}
