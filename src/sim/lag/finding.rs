//! Which rule decided a partition's verdict, with the numbers it found, and the one
//! sentence that says so. Kept apart from the rules so that judging a group's partitions
//! writes only the worst one's sentence.

use std::fmt;

use super::{Status, Verdict};

/// A rule that fired (or the reason none could), with its numbers. Times are in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Finding {
    Unobserved,
    NoCommit,
    BelowLogStart {
        committed: i64,
        log_start: i64,
    },
    CaughtUp,
    Stopped {
        since_ms: i64,
        span_ms: i64,
        commits: usize,
        lag: i64,
    },
    Rewound {
        from: i64,
        to: i64,
        now: i64,
        lag: i64,
    },
    Stalled {
        still_ms: i64,
        polls: usize,
        widest_gap_ms: Option<i64>,
        lag: i64,
    },
    /// What the lag at the commits says, when no rule above fired.
    Trend(Trend),
}

/// The lag at the commits in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Trend {
    TooFewCommits {
        commits: usize,
        lag: i64,
    },
    CommittedAtZero {
        lag: i64,
    },
    /// It fell from the oldest commit to the newest.
    Fell {
        commits: usize,
        from: i64,
        to: i64,
    },
    /// It fell at the newest commit.
    FellAtNewest {
        from: i64,
        to: i64,
    },
    /// It grew over the window and did not fall at the newest commit.
    Grew {
        commits: usize,
        from: i64,
        to: i64,
    },
}

impl Finding {
    pub(super) fn status(self) -> Status {
        match self {
            Finding::BelowLogStart { .. } => Status::Err,
            Finding::Stopped { .. } => Status::Stop,
            Finding::Rewound { .. } => Status::Rewind,
            Finding::Stalled { .. } => Status::Stall,
            Finding::Trend(Trend::Grew { .. }) => Status::Warn,
            Finding::Unobserved | Finding::NoCommit | Finding::CaughtUp | Finding::Trend(_) => {
                Status::Ok
            }
        }
    }

    /// The verdict, naming the partition as `p`.
    pub(super) fn verdict(self, p: &str) -> Verdict {
        Verdict::new(self.status(), Sentence(self, p))
    }
}

/// A finding's sentence, after its status word.
struct Sentence<'p>(Finding, &'p str);

impl fmt::Display for Sentence<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.1;
        match self.0 {
            Finding::Unobserved => write!(f, "{p} has not been observed yet"),
            Finding::NoCommit => write!(f, "{p} has no committed offset yet"),
            Finding::BelowLogStart {
                committed,
                log_start,
            } => write!(
                f,
                "the committed offset of {p} ({}) is below the log start ({}): {} records were \
                 deleted before the group read them",
                Num(committed),
                Num(log_start),
                Num(log_start - committed)
            ),
            Finding::CaughtUp => write!(f, "{p} is caught up (lag 0)"),
            Finding::Stopped {
                since_ms,
                span_ms,
                commits,
                lag,
            } => write!(
                f,
                "no commit on {p} for {}, longer than the {} its last {commits} commits span, \
                 while lag is {}",
                Secs(since_ms),
                Secs(span_ms),
                Num(lag)
            ),
            Finding::Rewound { from, to, now, lag } => write!(
                f,
                "the committed offset of {p} went back from {} to {} and has not caught up (now \
                 {}) while lag is {}",
                Num(from),
                Num(to),
                Num(now),
                Num(lag)
            ),
            Finding::Stalled {
                still_ms,
                polls,
                widest_gap_ms,
                lag,
            } => {
                let (still, lag) = (Secs(still_ms), Num(lag));
                write!(
                    f,
                    "the committed offset of {p} has not moved for {still} ({polls} polls)"
                )?;
                if let Some(gap) = widest_gap_ms {
                    write!(f, ", while its commits were at most {} apart", Secs(gap))?;
                }
                write!(f, "; lag is {lag}")
            }
            Finding::Trend(trend) => TrendSentence(trend, p).fmt(f),
        }
    }
}

/// The sentence about the lag at the commits.
struct TrendSentence<'p>(Trend, &'p str);

impl fmt::Display for TrendSentence<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.1;
        match self.0 {
            Trend::TooFewCommits { commits, lag } => write!(
                f,
                "lag on {p} is {}; too few commits yet ({commits}) to judge a trend",
                Num(lag)
            ),
            Trend::CommittedAtZero { lag } => write!(
                f,
                "{p} committed at zero lag within the window; lag is {}",
                Num(lag)
            ),
            Trend::Fell { commits, from, to } => write!(
                f,
                "lag on {p} fell over its last {commits} commits, from {} to {}",
                Num(from),
                Num(to)
            ),
            Trend::FellAtNewest { from, to } => write!(
                f,
                "lag on {p} fell at its newest commit, from {} to {}",
                Num(from),
                Num(to)
            ),
            Trend::Grew { commits, from, to } => write!(
                f,
                "lag on {p} grew over its last {commits} commits, from {} to {}, and did not \
                 fall at the newest",
                Num(from),
                Num(to)
            ),
        }
    }
}

/// A count with thousands separators: 1,240.
#[derive(Debug, Clone, Copy)]
pub(super) struct Num(pub(super) i64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.unsigned_abs().to_string();
        if self.0 < 0 {
            f.write_str("-")?;
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                f.write_str(",")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// A span of milliseconds in whole seconds, or minutes and seconds: `9 s`, `2 min 05 s`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Secs(pub(super) i64);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = (self.0.max(0) + 500) / 1000;
        if s < 60 {
            write!(f, "{s} s")
        } else if s < 3600 {
            write!(f, "{} min {:02} s", s / 60, s % 60)
        } else {
            write!(f, "{} h {:02} min", s / 3600, s / 60 % 60)
        }
    }
}
