//! The workspace's table of runs: its columns, the order they sort in, and which rows the
//! filter lets through.

use crate::train::runs::{ListState, ListedRun};

/// A column of the table (and a key to sort by).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    Model,
    Data,
    Rate,
    Epochs,
    Best,
    Last,
    Cost,
    Time,
    State,
}

impl Column {
    /// Every column, left to right.
    pub const ALL: [Column; 10] = [
        Column::Name,
        Column::Model,
        Column::Data,
        Column::Rate,
        Column::Epochs,
        Column::Best,
        Column::Last,
        Column::Cost,
        Column::Time,
        Column::State,
    ];
    /// The columns an 80-column terminal has room for.
    pub const NARROW: [Column; 6] = [
        Column::Name,
        Column::Rate,
        Column::Epochs,
        Column::Best,
        Column::Cost,
        Column::State,
    ];

    pub fn title(self) -> String {
        crate::tr!(match self {
            Column::Name => "column-run",
            Column::Model => "column-model",
            Column::Data => "column-data",
            Column::Rate => "column-rate",
            Column::Epochs => "column-epochs",
            Column::Best => "column-best",
            Column::Last => "column-last",
            Column::Cost => "column-cost",
            Column::Time => "column-time",
            Column::State => "column-state",
        })
    }

    /// The next column to sort by (`s`).
    pub fn next(self) -> Column {
        let i = Column::ALL.iter().position(|&c| c == self).unwrap_or(0);
        Column::ALL[(i + 1) % Column::ALL.len()]
    }

    /// Whether the column reads best from high to low when first sorted by.
    pub fn descending_first(self) -> bool {
        matches!(
            self,
            Column::Best | Column::Last | Column::Epochs | Column::Name
        )
    }
}

/// The order rows sort in: by a column, then by name.
pub fn compare(a: &ListedRun, b: &ListedRun, column: Column) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let num = |r: &ListedRun, f: &dyn Fn(&crate::train::runs::RunSummary) -> Option<f64>| {
        r.summary.as_ref().and_then(f).unwrap_or(f64::NEG_INFINITY)
    };
    let by = |f: &dyn Fn(&crate::train::runs::RunSummary) -> Option<f64>| {
        num(a, f).partial_cmp(&num(b, f)).unwrap_or(Ordering::Equal)
    };
    let text = |r: &ListedRun, f: &dyn Fn(&crate::train::runs::RunSummary) -> String| {
        r.summary.as_ref().map(f).unwrap_or_default()
    };
    let order = match column {
        Column::Name => Ordering::Equal,
        Column::Model => text(a, &|s| s.model.to_string()).cmp(&text(b, &|s| s.model.to_string())),
        Column::Data => text(a, &|s| s.data_name.clone()).cmp(&text(b, &|s| s.data_name.clone())),
        Column::Rate => by(&|s| Some(s.learning_rate)),
        Column::Epochs => by(&|s| Some(s.batches_done as f64 / s.batches_per_epoch.max(1) as f64)),
        Column::Best => by(&|s| s.best.map(|b| b.accuracy)),
        Column::Last => by(&|s| s.last_accuracy),
        Column::Cost => by(&|s| s.last_cost),
        Column::Time => by(&|s| Some(s.train_seconds)),
        Column::State => state_rank(a.state).cmp(&state_rank(b.state)),
    };
    order.then_with(|| a.name.cmp(&b.name))
}

fn state_rank(s: ListState) -> u8 {
    match s {
        ListState::Live => 0,
        ListState::Finished => 1,
        ListState::Stopped => 2,
        ListState::Pruned => 3,
        ListState::Diverged => 4,
        ListState::Truncated => 5,
        ListState::Unreadable => 6,
        ListState::NotARun => 7,
    }
}

/// Whether the filter's words are all found in the run's name or settings
/// (case-insensitive): `deep 1e-3` keeps the deep runs at that rate.
pub fn matches(run: &ListedRun, filter: &str) -> bool {
    let mut haystack = format!("{} {}", run.name, run.state.name());
    if let Some(s) = &run.summary {
        haystack.push_str(&format!(
            " {} {} lr{:e} {:e} {} {}",
            s.model,
            s.data_name,
            s.learning_rate,
            s.learning_rate,
            s.schedule.name(),
            s.parent.as_ref().map_or("", |p| p.name.as_str()),
        ));
        if let Some(sweep) = &s.sweep {
            haystack.push_str(&format!(" {} {}", sweep.name, sweep.trial));
        }
    }
    let haystack = haystack.to_lowercase();
    filter
        .split_whitespace()
        .all(|word| haystack.contains(&word.to_lowercase()))
}
