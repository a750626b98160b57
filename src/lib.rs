//! mnist-tui: train a CNN on MNIST on the CPU and watch and steer it in the terminal.
//!
//! Data flows one way: [`data`] → [`model`] → [`train`] → [`app`] → [`ui`].
//!
//! The library is what a program of its own would use: the data sets, the typed networks
//! and their layers, the training worker with its events and commands, settings,
//! checkpoints and `predict`, and the dashboard's state and views. The terminal loop, the
//! command line and the headless printer are the `mnist-tui` binary's (`src/bin/mnist-tui/`);
//! the convolution arithmetic is the workspace's `conv3x3` crate, which [`model`] records
//! on dfdx's tape.

pub mod app;
pub mod bench;
pub mod config;
pub mod data;
pub mod error;
/// Off unless built with the `fault-injection` feature, which only the tests turn on.
#[doc(hidden)]
pub mod fault;
pub mod i18n;
pub mod model;
/// Pictures of runs' curves (SVG, PNG) for reports: beside [`ui`], drawing what [`train`] recorded.
pub mod plot;
pub mod predict;
pub mod pretrained;
pub mod train;
pub mod ui;
