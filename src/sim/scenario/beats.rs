//! Checking a scenario's `[[timeline]]` into [`Beat`]s: each beat's time and values
//! against their bounds, and the topics and groups it names against what exists at its
//! time (a group added by an earlier beat counts). Whether a beat's command fits the
//! running simulation's totals is decided when it fires, as for a key press.

use std::collections::BTreeSet;

use crate::broker::{BrokerId, ResetSpec};
use crate::sim::command::Command;
use crate::sim::error::SimError;
use crate::sim::limits::{self, Bound};

use super::Beat;
use super::location::join_path;
use super::raw::{RawAction, RawBeat, action_label, parse_reset};
use super::validate::{SourceText, Topics};

/// The beats sorted by time; beats at the same time keep their file order.
pub(super) fn timeline(
    doc: &SourceText<'_>,
    raw: &[RawBeat],
    topics: &Topics,
    brokers: u32,
    groups: &mut BTreeSet<String>,
) -> Result<Vec<Beat>, SimError> {
    let mut timed = Vec::with_capacity(raw.len());
    for (i, b) in raw.iter().enumerate() {
        let field = join_path(&format!("timeline[{i}]"), "at");
        timed.push((doc.duration_ms(&b.at, field, &limits::BEAT_TIME_MS)?, i, b));
    }
    timed.sort_by_key(|(at, i, _)| (*at, *i));
    timed
        .into_iter()
        .map(|(at_ms, index, beat)| {
            let fields = BeatFields {
                doc,
                index,
                beat,
                topics,
                brokers,
            };
            Ok(Beat {
                at_ms,
                command: command(&fields, groups)?,
                caption: beat.caption.clone(),
            })
        })
        .collect()
}

/// One beat's command; `groups` holds the groups that exist at its time.
fn command(f: &BeatFields<'_>, groups: &mut BTreeSet<String>) -> Result<Command, SimError> {
    Ok(match *f.beat.action.get_ref() {
        RawAction::AddProducer => Command::AddProducer { topic: f.topic()? },
        RawAction::RemoveProducer => Command::RemoveProducer { topic: f.topic()? },
        RawAction::SetProducerRate => Command::SetProducerRate {
            topic: f.topic()?,
            rate: f.rate(&limits::PRODUCER_RATE)?,
        },
        RawAction::ScaleProducerRate => Command::ScaleProducerRate {
            topic: f.topic()?,
            factor: f.factor()?,
        },
        RawAction::AddConsumer => Command::AddConsumer {
            group: f.group(groups)?,
        },
        RawAction::RemoveConsumer => Command::RemoveConsumer {
            group: f.group(groups)?,
        },
        RawAction::CrashConsumer => Command::CrashConsumer {
            group: f.group(groups)?,
        },
        RawAction::RestartConsumer => Command::RestartConsumer {
            group: f.group(groups)?,
            downtime_ms: f.downtime()?,
        },
        RawAction::SetProcessRate => Command::SetProcessRate {
            group: f.group(groups)?,
            rate: f.rate(&limits::PROCESS_RATE)?,
        },
        RawAction::ScaleProcessRate => Command::ScaleProcessRate {
            group: f.group(groups)?,
            factor: f.factor()?,
        },
        RawAction::PauseGroup => Command::PauseGroup {
            group: f.group(groups)?,
        },
        RawAction::ResumeGroup => Command::ResumeGroup {
            group: f.group(groups)?,
        },
        RawAction::ResetOffsets => Command::ResetOffsets {
            group: f.group(groups)?,
            to: f.reset_target()?,
        },
        RawAction::AddGroup => f.new_group(groups)?,
        RawAction::CrashBroker => Command::CrashBroker {
            broker: f.broker()?,
        },
        RawAction::RestartBroker => Command::RestartBroker {
            broker: f.broker()?,
        },
        RawAction::StopBroker => Command::StopBroker {
            broker: f.broker()?,
        },
        RawAction::SlowBroker => Command::SlowBroker {
            broker: f.broker()?,
            rate: f.slow_rate()?,
        },
        RawAction::HealBroker => Command::HealBroker {
            broker: f.broker()?,
        },
    })
}

/// A beat's optional fields, each checked when its action needs it.
struct BeatFields<'a> {
    doc: &'a SourceText<'a>,
    index: usize,
    beat: &'a RawBeat,
    topics: &'a Topics,
    /// The cluster's brokers (1 without `[cluster]`).
    brokers: u32,
}

impl BeatFields<'_> {
    fn path(&self, key: &str) -> String {
        join_path(&format!("timeline[{}]", self.index), key)
    }

    /// The error for a field the action needs and the beat lacks, at its `action`.
    fn needs(&self, field: &str) -> SimError {
        let action = action_label(*self.beat.action.get_ref());
        self.doc.err(
            self.beat.action.span(),
            self.path(field),
            format!("action `{action}` needs `{field}`"),
        )
    }

    fn topic(&self) -> Result<String, SimError> {
        let v = self
            .beat
            .topic
            .as_ref()
            .ok_or_else(|| self.needs("topic"))?;
        self.topics.check(self.doc, v, self.path("topic"))
    }

    fn group(&self, groups: &BTreeSet<String>) -> Result<String, SimError> {
        let g = self
            .beat
            .group
            .as_ref()
            .ok_or_else(|| self.needs("group"))?;
        if groups.contains(g.get_ref()) {
            return Ok(g.get_ref().clone());
        }
        Err(self.doc.err(
            g.span(),
            self.path("group"),
            format!(
                "no group named `{}` exists at this point of the scenario",
                g.get_ref()
            ),
        ))
    }

    /// `broker`: one of the cluster's.
    fn broker(&self) -> Result<BrokerId, SimError> {
        let v = self
            .beat
            .broker
            .as_ref()
            .ok_or_else(|| self.needs("broker"))?;
        let id = self
            .doc
            .bounded(v, self.path("broker"), &limits::BROKER_ID)?;
        if id > self.brokers {
            let message = format!(
                "no broker {id}: the cluster has brokers 1 to {}",
                self.brokers
            );
            return Err(self.doc.err(v.span(), self.path("broker"), message));
        }
        Ok(id as BrokerId)
    }

    /// A slow broker's `rate`, 0 (stalled) when left out.
    fn slow_rate(&self) -> Result<f64, SimError> {
        match &self.beat.rate {
            Some(v) => self.doc.bounded(v, self.path("rate"), &limits::SLOW_RATE),
            None => Ok(0.0),
        }
    }

    fn rate(&self, bound: &Bound<f64>) -> Result<f64, SimError> {
        let v = self.beat.rate.as_ref().ok_or_else(|| self.needs("rate"))?;
        self.doc.bounded(v, self.path("rate"), bound)
    }

    fn factor(&self) -> Result<f64, SimError> {
        let v = self
            .beat
            .factor
            .as_ref()
            .ok_or_else(|| self.needs("factor"))?;
        self.doc
            .bounded(v, self.path("factor"), &limits::RATE_FACTOR)
    }

    /// How long a restarted member stays down.
    fn downtime(&self) -> Result<i64, SimError> {
        let v = self
            .beat
            .downtime
            .as_ref()
            .ok_or_else(|| self.needs("downtime"))?;
        self.doc
            .duration_ms(v, self.path("downtime"), &limits::RESTART_DOWNTIME_MS)
    }

    /// `to`, earliest when left out.
    fn reset_target(&self) -> Result<ResetSpec, SimError> {
        let Some(v) = &self.beat.to else {
            return Ok(ResetSpec::Earliest);
        };
        parse_reset(v.get_ref()).ok_or_else(|| {
            self.doc.err(
                v.span(),
                self.path("to"),
                format!(
                    "`{}` is not a reset target; use earliest, latest, offset:N or shift:N",
                    v.get_ref()
                ),
            )
        })
    }

    /// An `add_group` beat; a name it gives exists for the beats after it.
    fn new_group(&self, groups: &mut BTreeSet<String>) -> Result<Command, SimError> {
        let topics = self
            .beat
            .topics
            .as_ref()
            .ok_or_else(|| self.needs("topics"))?;
        self.topics
            .check_all(self.doc, topics, self.path("topics"))?;
        let name = match &self.beat.name {
            Some(n) if n.get_ref().is_empty() || groups.contains(n.get_ref()) => {
                return Err(self.doc.err(
                    n.span(),
                    self.path("name"),
                    format!("group name `{}` is empty or already taken", n.get_ref()),
                ));
            }
            Some(n) => {
                groups.insert(n.get_ref().clone());
                Some(n.get_ref().clone())
            }
            None => None,
        };
        Ok(Command::AddGroup {
            name,
            topics: topics.get_ref().clone(),
        })
    }
}
