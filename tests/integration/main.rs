//! The integration tests, as one binary: each file is a module here, so the suite links
//! dfdx, gemm and ratatui once rather than once per file.
//!
//! Tests that drive the built `mnist-tui` binary find it through
//! `CARGO_BIN_EXE_mnist-tui`; the UI snapshots live in `snapshots/` beside this file.

mod common;

mod app;
mod app_compare;
mod app_steering;
mod blowup;
mod checkpoint;
mod cli;
mod config;
mod data;
mod draw_pad;
mod e2e_tmux;
mod faults;
mod gradients;
mod inference;
mod inside;
mod korean;
mod other_data;
mod plot;
mod predict_cli;
mod preprocess;
mod runs;
mod sweep;
mod training;
mod ui_snapshots;
mod view;
mod workspace;
