//! mnist-tui: train a CNN on MNIST on the CPU and watch and steer it in the terminal.
//!
//! Data flows one way: [`data`] → [`model`] → [`train`] → [`app`] → [`ui`].

pub mod app;
pub mod bench;
pub mod cli;
pub mod config;
pub mod data;
pub mod error;
mod fault;
pub mod headless;
pub mod model;
pub mod predict;
pub mod pretrained;
pub mod train;
pub mod tui;
pub mod ui;
