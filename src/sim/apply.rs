//! Carrying out [`Command`]s against a running simulation.

use super::command::Command;
use super::error::SimError;
use super::scenario::{GroupSpec, ProducerSpec};
use super::{GroupSim, Simulation};

fn check_rate(what: &'static str, v: f64, zero_ok: bool) -> Result<f64, SimError> {
    if v.is_finite() && (v > 0.0 || (zero_ok && v == 0.0)) {
        Ok(v)
    } else {
        Err(SimError::InvalidValue {
            what,
            value: v.to_string(),
            reason: if zero_ok {
                "must be a finite number, 0 or more"
            } else {
                "must be a finite number above 0"
            },
        })
    }
}

impl Simulation {
    /// Carries out a runtime command. `Ok` holds a one-line description for the events
    /// pane; an error changes nothing.
    pub fn apply(&mut self, cmd: Command) -> Result<String, SimError> {
        match cmd {
            Command::AddProducer { topic } => {
                self.require_topic(&topic)?;
                let spec = self
                    .producer_actors
                    .iter()
                    .rev()
                    .find(|(s, _)| s.topic == topic)
                    .map_or_else(|| ProducerSpec::with_defaults(&topic), |(s, _)| s.clone());
                let name = self.start_producer(spec);
                Ok(format!("producer {name} started on {topic}"))
            }
            Command::RemoveProducer { topic } => {
                let p = self
                    .producers
                    .iter_mut()
                    .rev()
                    .find(|p| p.active && p.topic == topic)
                    .ok_or_else(|| SimError::NoProducer(topic.clone()))?;
                p.active = false;
                Ok(format!("producer {} stopped on {topic}", p.name))
            }
            Command::SetProducerRate { topic, rate } => {
                let rate = check_rate("producer rate", rate, true)?;
                self.change_producer_rate(&topic, |_| rate)?;
                Ok(format!("producers on {topic} now at {rate}/s each"))
            }
            Command::ScaleProducerRate { topic, factor } => {
                let factor = check_rate("rate factor", factor, false)?;
                let total = self.change_producer_rate(&topic, |r| r * factor)?;
                Ok(format!(
                    "producers on {topic} ×{factor}: {total:.1}/s in total"
                ))
            }
            Command::AddConsumer { group } => {
                let now = self.now;
                let g = self.group_index(&group)?;
                let mut b = self.broker.write();
                let client = self.groups[g].add_member(&mut b, now);
                Ok(format!("{client} joins {group}"))
            }
            Command::RemoveConsumer { group } => {
                let now = self.now;
                let g = self.group_index(&group)?;
                let mut b = self.broker.write();
                let client = self.groups[g].remove_member(&mut b, now)?;
                Ok(format!("{client} leaves {group} gracefully"))
            }
            Command::CrashConsumer { group } => {
                let g = self.group_index(&group)?;
                let client = self.groups[g].crash_member()?;
                Ok(format!(
                    "{client} crashed: no heartbeats, expelled after {} ms",
                    self.groups[g].spec().session_timeout_ms
                ))
            }
            Command::AddGroup { name, topics } => self.add_group(name, topics),
            Command::ResetOffsets { group, to } => {
                let now = self.now;
                let g = self.group_index(&group)?;
                let mut b = self.broker.write();
                self.groups[g].reset_offsets(&mut b, to, now)
            }
            Command::SetProcessRate { group, rate } => {
                let rate = check_rate("process rate", rate, true)?;
                let g = self.group_index(&group)?;
                self.groups[g].set_process_rate(rate);
                Ok(format!("{group} members now process {rate}/s each"))
            }
            Command::ScaleProcessRate { group, factor } => {
                let factor = check_rate("rate factor", factor, false)?;
                let g = self.group_index(&group)?;
                let rate = self.groups[g].process_rate() * factor;
                self.groups[g].set_process_rate(rate);
                Ok(format!("{group} members now process {rate:.1}/s each"))
            }
            Command::PauseGroup { group } => {
                let g = self.group_index(&group)?;
                self.groups[g].set_paused(true);
                Ok(format!("{group} paused: members heartbeat but do not poll"))
            }
            Command::ResumeGroup { group } => {
                let g = self.group_index(&group)?;
                self.groups[g].set_paused(false);
                Ok(format!("{group} resumed"))
            }
        }
    }

    fn require_topic(&self, topic: &str) -> Result<(), SimError> {
        if self.broker.read().topic(topic).is_some() {
            Ok(())
        } else {
            Err(SimError::UnknownTopic(topic.to_string()))
        }
    }

    fn group_index(&self, name: &str) -> Result<usize, SimError> {
        self.groups
            .iter()
            .position(|g| g.name() == name)
            .ok_or_else(|| SimError::UnknownGroup(name.to_string()))
    }

    /// Applies `f` to the rate of every active producer on `topic`; returns the new total.
    fn change_producer_rate(
        &mut self,
        topic: &str,
        f: impl Fn(f64) -> f64,
    ) -> Result<f64, SimError> {
        let mut total = 0.0;
        let mut any = false;
        for (info, (_, actor)) in self.producers.iter_mut().zip(&mut self.producer_actors) {
            if info.active && info.topic == topic {
                let rate = f(info.rate);
                check_rate("producer rate", rate, true)?;
                actor.rebase(info.rate);
                info.rate = rate;
                total += rate;
                any = true;
            }
        }
        if any {
            Ok(total)
        } else {
            Err(SimError::NoProducer(topic.to_string()))
        }
    }

    fn add_group(&mut self, name: Option<String>, topics: Vec<String>) -> Result<String, SimError> {
        if topics.is_empty() {
            return Err(SimError::InvalidValue {
                what: "group topics",
                value: "[]".to_string(),
                reason: "a group must subscribe to at least one topic",
            });
        }
        for t in &topics {
            self.require_topic(t)?;
        }
        let taken = |n: &str| {
            self.groups.iter().any(|g| g.name() == n) || self.broker.read().group(n).is_some()
        };
        let name = match name {
            Some(n) if n.is_empty() || taken(&n) => return Err(SimError::GroupExists(n)),
            Some(n) => n,
            None => (self.groups.len() + 1..)
                .map(|i| format!("group-{i}"))
                .find(|n| !taken(n))
                .expect("some name is free"),
        };
        let spec = GroupSpec::with_defaults(&name, topics.clone());
        let mut g = GroupSim::new(spec, self.groups.len());
        let mut b = self.broker.write();
        let client = g.add_member(&mut b, self.now);
        drop(b);
        self.groups.push(g);
        Ok(format!(
            "group {name} created on {} with {client}",
            topics.join(", ")
        ))
    }
}
