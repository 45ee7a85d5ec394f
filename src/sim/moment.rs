//! A moment of a simulation on its two clocks. Virtual time drives everything simulated;
//! the records' clock is virtual time plus an origin, and is what record timestamps,
//! retention by time and a record's age are read on. The origin is 0 unless the records
//! must make sense to someone reading them with a wall clock (a real client, an observer):
//! then it is the wall-clock time the simulation started at.

/// See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Moment {
    /// Virtual time, in milliseconds since the simulation started.
    pub(crate) now_ms: i64,
    /// What the records' clock read when virtual time was 0.
    pub(crate) origin_ms: i64,
}

impl Moment {
    /// The records' clock at this moment.
    pub(crate) fn record_ms(self) -> i64 {
        self.now_ms.saturating_add(self.origin_ms)
    }
}
