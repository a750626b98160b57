//! Sweeps: a grid of run options trained as recorded runs (trials), side by side when
//! that is faster, with successive halving to stop the worse half early. The grid and its
//! syntax ([`grid`]), the halving's rungs and cuts ([`halving`]), and the controller that
//! runs the trials' workers and reports on them ([`controller`]); a sweep's manifest
//! ([`manifest`]) and its trials' records ([`resume`]) let a stopped sweep finish.

pub mod controller;
pub mod grid;
pub mod halving;
pub mod manifest;
pub mod resume;

pub use controller::{run, SweepEvent, SweepOptions, TrialOutcome};
pub use grid::{Grid, Trial};
pub use manifest::Manifest;
pub use resume::{recorded, Recorded};
