//! Scripted beats and the captions of those that fired.

use std::collections::VecDeque;

use super::scenario::Beat;

/// How many fired beats are remembered for the captions pane.
pub const CAPTION_CAPACITY: usize = 64;

/// A beat that has fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredBeat {
    /// Simulated time it fired at.
    pub at_ms: i64,
    /// The timeline action, as `crash_consumer`.
    pub action: &'static str,
    /// What the action did, or why it could not.
    pub outcome: String,
    /// Whether the action succeeded.
    pub ok: bool,
    /// The beat's caption.
    pub caption: String,
}

/// The beats still to come and the captions already shown.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timeline {
    beats: Vec<Beat>,
    next: usize,
    fired: VecDeque<FiredBeat>,
    pub hold: bool,
    pub held: bool,
}

impl Timeline {
    pub(crate) fn new(beats: Vec<Beat>) -> Self {
        Timeline {
            beats,
            ..Default::default()
        }
    }

    pub(crate) fn next_beat(&self) -> Option<&Beat> {
        self.beats.get(self.next)
    }

    /// The next beat if it is due at `now`, advancing past it.
    pub(crate) fn take_due(&mut self, now: i64) -> Option<Beat> {
        let b = self
            .beats
            .get(self.next)
            .filter(|b| b.at_ms <= now)?
            .clone();
        self.next += 1;
        Some(b)
    }

    pub(crate) fn is_due(&self, now: i64) -> bool {
        self.next_beat().is_some_and(|b| b.at_ms <= now)
    }

    pub(crate) fn record(&mut self, fired: FiredBeat) {
        if self.fired.len() == CAPTION_CAPACITY {
            self.fired.pop_front();
        }
        self.fired.push_back(fired);
    }

    pub(crate) fn fired(&self) -> impl DoubleEndedIterator<Item = &FiredBeat> {
        self.fired.iter()
    }
}
