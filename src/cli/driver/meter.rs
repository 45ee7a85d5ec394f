//! The simulation speed actually reached, for the header to admit it when the machine
//! cannot keep up with the speed asked.

use std::collections::VecDeque;

/// How much real time the reached speed is measured over.
const WINDOW_MS: f64 = 1_000.0;

/// How much running time is needed before the speed reached is judged at all.
const MIN_SPAN_MS: f64 = 250.0;

/// Below this fraction of the simulated time asked for, the speed reached is shown: a
/// tick's jitter never gets there, a simulation that cannot keep up does.
const CLEARLY_BELOW: f64 = 0.8;

/// One tick: real time, and the simulated time asked for and done in it.
#[derive(Debug, Clone, Copy)]
struct Sample {
    real_ms: f64,
    asked_ms: u64,
    done_ms: u64,
}

/// Simulated time asked for and done over the last [`WINDOW_MS`] of running time, at
/// one speed. Time paused is not counted, and a change of speed starts over, so the figure
/// always describes the speed the header shows beside it.
#[derive(Debug, Default)]
pub(crate) struct SpeedMeter {
    speed: f64,
    samples: VecDeque<Sample>,
    real_ms: f64,
    asked_ms: u64,
    done_ms: u64,
}

impl SpeedMeter {
    /// Adds one running tick at `speed`.
    pub(crate) fn record(&mut self, speed: f64, real_ms: f64, asked_ms: u64, done_ms: u64) {
        if speed != self.speed {
            self.reset();
            self.speed = speed;
        }
        self.samples.push_back(Sample {
            real_ms,
            asked_ms,
            done_ms,
        });
        self.real_ms += real_ms;
        self.asked_ms += asked_ms;
        self.done_ms += done_ms;
        // Drop the oldest ticks while the rest still cover the window.
        while let Some(&oldest) = self.samples.front() {
            if self.real_ms - oldest.real_ms < WINDOW_MS {
                break;
            }
            self.samples.pop_front();
            self.real_ms -= oldest.real_ms;
            self.asked_ms -= oldest.asked_ms;
            self.done_ms -= oldest.done_ms;
        }
    }

    /// Forgets everything: time stopped (a pause, a presenter beat).
    pub(crate) fn reset(&mut self) {
        self.samples.clear();
        self.real_ms = 0.0;
        self.asked_ms = 0;
        self.done_ms = 0;
    }

    /// The speed reached, as a multiple of real time, when it is clearly below the speed
    /// asked for; `None` while it keeps up or before there is enough to judge.
    pub(crate) fn reached(&self) -> Option<f64> {
        if self.real_ms < MIN_SPAN_MS || self.asked_ms == 0 {
            return None;
        }
        let (asked, done) = (self.asked_ms as f64, self.done_ms as f64);
        (done < asked * CLEARLY_BELOW).then(|| done / self.real_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeping_up_shows_nothing() {
        let mut m = SpeedMeter::default();
        for _ in 0..200 {
            m.record(64.0, 10.0, 640, 640);
        }
        assert_eq!(m.reached(), None);
    }

    #[test]
    fn falling_behind_shows_the_speed_reached_over_the_last_second() {
        let mut m = SpeedMeter::default();
        for _ in 0..10 {
            m.record(64.0, 10.0, 640, 90);
        }
        assert_eq!(m.reached(), None, "too little to judge yet");
        for _ in 0..90 {
            m.record(64.0, 10.0, 640, 90);
        }
        assert_eq!(m.reached(), Some(9.0));
        // A second of keeping up pushes the slow ticks out of the window.
        for _ in 0..100 {
            m.record(64.0, 10.0, 640, 640);
        }
        assert_eq!(m.reached(), None);
    }

    #[test]
    fn a_new_speed_or_a_reset_starts_over() {
        let mut m = SpeedMeter::default();
        for _ in 0..100 {
            m.record(64.0, 10.0, 640, 10);
        }
        assert!(m.reached().is_some());
        m.record(32.0, 10.0, 320, 10);
        assert_eq!(m.reached(), None, "one tick at the new speed is not enough");
        for _ in 0..100 {
            m.record(32.0, 10.0, 320, 10);
        }
        assert_eq!(m.reached(), Some(1.0));
        m.reset();
        assert_eq!(m.reached(), None);
    }

    #[test]
    fn slightly_slow_ticks_are_not_reported() {
        let mut m = SpeedMeter::default();
        for _ in 0..100 {
            m.record(4.0, 10.0, 40, 36);
        }
        assert_eq!(m.reached(), None);
    }
}
