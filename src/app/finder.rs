//! The learning-rate finder overlay's state: the sweep's points as they arrive, its
//! suggestions once it ends, and which suggestion the user has picked.

use crate::train::lr_finder::{Sweep, SweepPoint};

/// Which run a sweep is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepOf {
    Main,
    Branch,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FinderView {
    pub of: SweepOf,
    /// The points so far (all of them once the sweep ended).
    pub points: Vec<SweepPoint>,
    /// The finished sweep, with its suggestions.
    pub done: Option<Box<Sweep>>,
    /// Index into the suggestions the user picked (valley first).
    pub chosen: usize,
}

impl FinderView {
    pub fn new(of: SweepOf) -> Self {
        Self {
            of,
            points: Vec::new(),
            done: None,
            chosen: 0,
        }
    }

    /// The suggestions by name, empty until the sweep ended.
    pub fn suggestions(&self) -> Vec<(&'static str, f64)> {
        self.done
            .as_ref()
            .map_or_else(Vec::new, |s| s.suggestions.named())
    }

    /// The picked suggestion, if the sweep ended with any.
    pub fn chosen(&self) -> Option<(&'static str, f64)> {
        self.suggestions().get(self.chosen).copied()
    }

    /// Moves the pick by `step` (wrapping).
    pub fn choose(&mut self, step: isize) {
        let n = self.suggestions().len() as isize;
        if n > 0 {
            self.chosen = (self.chosen as isize + step).rem_euclid(n) as usize;
        }
    }

    /// Takes a point or the end of a sweep of this view's run.
    pub fn on_point(&mut self, point: SweepPoint) {
        if self.done.is_none() {
            self.points.push(point);
        }
    }

    pub fn on_done(&mut self, sweep: Box<Sweep>) {
        self.points = sweep.points.clone();
        self.done = Some(sweep);
        self.chosen = 0;
    }
}
