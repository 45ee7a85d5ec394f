//! The real-time clock that network clients' groups, sessions and fetch waits run on.

use std::sync::Arc;
use std::time::Instant;

use crate::server::TimeSource;

/// Milliseconds of real time, read from the monotonic clock. The driver is given the
/// `Instant` of each tick and the server reads its own; both convert through the same
/// origin, so they agree to the millisecond and a session deadline set by a request is
/// judged on the clock that set it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RealTime {
    origin: Instant,
    origin_ms: i64,
}

impl RealTime {
    /// A clock that reads `origin_ms` at `origin`: 0 for time since start, or the wall
    /// clock's epoch milliseconds when record timestamps from clients are compared with it
    /// (retention by time).
    pub(crate) fn starting_at(origin: Instant, origin_ms: i64) -> Self {
        RealTime { origin, origin_ms }
    }

    /// The clock's reading at `at`; never earlier than its origin.
    pub(crate) fn ms_at(&self, at: Instant) -> i64 {
        let since = at.saturating_duration_since(self.origin).as_millis();
        self.origin_ms
            .saturating_add(i64::try_from(since).unwrap_or(i64::MAX))
    }

    /// The clock as the server takes it.
    pub(crate) fn reader(self) -> TimeSource {
        Arc::new(move || self.ms_at(Instant::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn readings_follow_the_instant_from_the_origin() {
        let origin = Instant::now();
        let clock = RealTime::starting_at(origin, 1_000);
        assert_eq!(clock.ms_at(origin), 1_000);
        assert_eq!(clock.ms_at(origin + Duration::from_millis(2_500)), 3_500);
        let before = origin.checked_sub(Duration::from_secs(1)).unwrap_or(origin);
        assert_eq!(clock.ms_at(before), 1_000, "never before its origin");
        let read = clock.reader()();
        assert!(read >= 1_000, "{read}");
    }
}
