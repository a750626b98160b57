//! The worker's side of the event channel: never blocks, never loses an event that matters.
//!
//! Events wait here in order until the bounded channel has room. Batch results are
//! appended to a waiting `Batches` event, and a waiting UI-only event (filters, sample,
//! test report, prediction, projection) is
//! replaced by a newer one, so a slow consumer costs the worker nothing but a little memory
//! bounded by the run's own length.

use std::collections::VecDeque;

use crossbeam_channel::{Sender, TrySendError};

use super::events::{BatchLoss, Event};

pub struct Outbox {
    tx: Sender<Event>,
    waiting: VecDeque<Event>,
    disconnected: bool,
}

impl Outbox {
    pub fn new(tx: Sender<Event>) -> Self {
        Self {
            tx,
            waiting: VecDeque::new(),
            disconnected: false,
        }
    }

    /// True once the consumer has gone away.
    pub fn disconnected(&self) -> bool {
        self.disconnected
    }

    /// Number of events not yet handed to the channel.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    pub fn push(&mut self, event: Event) {
        if self.disconnected {
            return;
        }
        match event {
            Event::Filters(_)
            | Event::Sample(_)
            | Event::TestReport(_)
            | Event::Predicted(_)
            | Event::Projected(_)
            | Event::Embedded(_)
            | Event::Fooled(_) => {
                let same = std::mem::discriminant(&event);
                self.waiting.retain(|e| std::mem::discriminant(e) != same);
                self.waiting.push_back(event);
            }
            other => self.waiting.push_back(other),
        }
        self.flush();
    }

    pub fn push_batch(&mut self, batch: BatchLoss) {
        if self.disconnected {
            return;
        }
        match self.waiting.back_mut() {
            Some(Event::Batches(list)) => list.push(batch),
            _ => self.waiting.push_back(Event::Batches(vec![batch])),
        }
        self.flush();
    }

    /// Hands waiting events to the channel until it is full.
    pub fn flush(&mut self) {
        while let Some(event) = self.waiting.pop_front() {
            match self.tx.try_send(event) {
                Ok(()) => {}
                Err(TrySendError::Full(event)) => {
                    self.waiting.push_front(event);
                    return;
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.disconnected = true;
                    self.waiting.clear();
                    return;
                }
            }
        }
    }

    /// Blocks until every waiting event is handed over (only at the end of a run, when
    /// nothing is left to train).
    pub fn drain_blocking(&mut self) {
        while let Some(event) = self.waiting.pop_front() {
            if self.tx.send(event).is_err() {
                self.disconnected = true;
                self.waiting.clear();
            }
        }
    }
}
