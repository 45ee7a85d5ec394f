//! Change signals that wake waiting requests: one for appends, one for group changes.
//!
//! A `watch` channel of a counter rather than a `Notify`: a waiter marks the current value
//! seen *before* checking its condition, so a bump between the check and the wait is never
//! lost, and any number of waiters wake on one bump.

use std::sync::Arc;

use tokio::sync::watch;

/// A counter that waiters can watch; every bump wakes all of them.
#[derive(Debug, Clone)]
pub struct Signal(Arc<watch::Sender<u64>>);

impl Default for Signal {
    fn default() -> Self {
        Self::new()
    }
}

impl Signal {
    /// A signal nobody has bumped yet.
    pub fn new() -> Self {
        Signal(Arc::new(watch::Sender::new(0)))
    }

    /// Wakes every current waiter.
    pub fn bump(&self) {
        self.0.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// A receiver that has seen the current value, so its next `changed()` waits for a bump.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}

/// Wakes the requests waiting on one kind of change. An embedding application pokes it
/// after changing the broker itself (a simulation appending records or ticking its groups),
/// so that waiting fetches, joins and syncs look again at once.
#[derive(Debug, Clone)]
pub struct WakeHandle(Signal);

impl WakeHandle {
    pub(crate) fn new(signal: Signal) -> Self {
        WakeHandle(signal)
    }

    /// Wakes every request waiting on this kind of change.
    pub fn notify(&self) {
        self.0.bump();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_bump_wakes_a_waiter_that_subscribed_before_it() {
        let s = Signal::new();
        let mut rx = s.subscribe();
        WakeHandle::new(s.clone()).notify();
        // Already bumped: `changed` resolves without another bump.
        rx.changed().await.expect("sender alive");
        assert_eq!(*rx.borrow_and_update(), 1);
        assert!(!rx.has_changed().expect("sender alive"));
    }
}
