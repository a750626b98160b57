//! The last full test evaluation, which the Confusion and Mistakes views draw, and the
//! mistake the Mistakes view shows.

use crate::train::TestReport;

/// The Confusion and Mistakes views' state.
#[derive(Debug, Clone, Default)]
pub struct ReportView {
    /// The last full test evaluation's confusion matrix and mistakes.
    pub report: Option<Box<TestReport>>,
    /// The mistake shown in the Mistakes view.
    pub mistake: usize,
}

impl ReportView {
    /// A new evaluation arrived: the cursor stays where it was, within the new mistakes.
    pub fn on_report(&mut self, report: Box<TestReport>) {
        self.mistake = self.mistake.min(report.mistakes.len().saturating_sub(1));
        self.report = Some(report);
    }

    /// Moves the cursor by `step` mistakes, within the list.
    pub fn browse(&mut self, step: isize) {
        let last = self.mistakes().saturating_sub(1);
        self.mistake = self.mistake.saturating_add_signed(step).min(last);
    }

    /// Puts the cursor on the first mistake, or on the last.
    pub fn to_end(&mut self, last: bool) {
        self.mistake = if last {
            self.mistakes().saturating_sub(1)
        } else {
            0
        };
    }

    fn mistakes(&self) -> usize {
        self.report.as_ref().map_or(0, |r| r.mistakes.len())
    }
}
