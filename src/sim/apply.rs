//! Carrying out [`Command`]s against a running simulation. Every value and total is
//! checked through [`super::limits`], the same rules a scenario file meets, and a refused
//! command changes nothing.

use crate::broker::{Broker, BrokerError, BrokerId, Truncation};

use super::command::Command;
use super::error::SimError;
use super::limits::{self, Load};
use super::producer::ProducerActor;
use super::scenario::{GroupSpec, ProducerSpec};
use super::{GroupSim, Simulation};

/// Partitions over the named topics that exist.
fn partitions_of(broker: &Broker, topics: &[String]) -> u64 {
    (topics.iter())
        .filter_map(|t| broker.topic(t))
        .map(|t| u64::from(t.partition_count()))
        .sum()
}

impl Simulation {
    /// Carries out a runtime command. `Ok` holds a one-line description for the events
    /// pane; an error changes nothing.
    pub fn apply(&mut self, cmd: Command) -> Result<String, SimError> {
        match cmd {
            Command::AddProducer { topic } => self.add_producer(&topic),
            Command::RemoveProducer { topic } => self.remove_producer(&topic),
            Command::SetProducerRate { topic, rate } => {
                let rate = limits::PRODUCER_RATE.check(rate)?;
                self.change_producer_rate(&topic, |_| rate)?;
                Ok(format!("producers on {topic} now at {rate}/s each"))
            }
            Command::ScaleProducerRate { topic, factor } => {
                let factor = limits::RATE_FACTOR.check(factor)?;
                let total = self.change_producer_rate(&topic, |r| r * factor)?;
                Ok(format!(
                    "producers on {topic} ×{factor}: {total:.1}/s in total"
                ))
            }
            Command::AddConsumer { group } => self.add_consumer(&group),
            Command::RemoveConsumer { group } => {
                let now = self.now;
                let g = self.group_index(&group)?;
                let mut b = self.broker.write();
                let client = self.groups[g].remove_member(&mut b, now)?;
                Ok(format!("{client} leaves {group} gracefully"))
            }
            Command::RestartConsumer { group, downtime_ms } => {
                let downtime_ms = limits::RESTART_DOWNTIME_MS.check(downtime_ms)?;
                let now = self.now;
                let g = self.group_index(&group)?;
                let mut b = self.broker.write();
                let client = self.groups[g].restart_member(&mut b, now, downtime_ms)?;
                let keeps = if self.groups[g].spec().static_members {
                    ", keeping its instance id"
                } else {
                    ""
                };
                Ok(format!(
                    "{client} restarts: down for {downtime_ms} ms{keeps}"
                ))
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
                let rate = limits::PROCESS_RATE.check(rate)?;
                self.change_process_rate(&group, |_| rate)?;
                Ok(format!("{group} members now process {rate}/s each"))
            }
            Command::ScaleProcessRate { group, factor } => {
                let factor = limits::RATE_FACTOR.check(factor)?;
                let rate = self.change_process_rate(&group, |r| r * factor)?;
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
            other => self.apply_to_broker(other),
        }
    }

    /// The commands that act on one broker of the cluster.
    fn apply_to_broker(&mut self, cmd: Command) -> Result<String, SimError> {
        let now = self.now;
        match cmd {
            Command::CrashBroker { broker } => {
                self.fail_over(broker, |b| b.crash_broker(broker, now))?;
                Ok(format!("broker {broker} crashed; {}", self.cluster_state()))
            }
            Command::StopBroker { broker } => {
                self.fail_over(broker, |b| b.stop_broker(broker, now))?;
                Ok(format!(
                    "broker {broker} handed its leaderships over and stopped; {}",
                    self.cluster_state()
                ))
            }
            Command::RestartBroker { broker } => {
                self.fail_over(broker, |b| b.restart_broker(broker, now))?;
                Ok(format!(
                    "broker {broker} restarted; its replicas catch up; {}",
                    self.cluster_state()
                ))
            }
            Command::SlowBroker { broker, rate } => {
                let rate = limits::SLOW_RATE.check(rate)?;
                self.fail_over(broker, |b| {
                    b.slow_broker(broker, rate, now).map(|_| Vec::new())
                })?;
                Ok(format!(
                    "broker {broker} slow: its followers copy {rate} records/s"
                ))
            }
            Command::HealBroker { broker } => {
                self.fail_over(broker, |b| b.heal_broker(broker, now).map(|_| Vec::new()))?;
                Ok(format!("broker {broker} healed: its followers catch up"))
            }
            _ => unreachable!("apply handles every other command"),
        }
    }

    /// Runs `act` on the broker after checking the id's bound; consumers whose records an
    /// election cut move back with the log.
    fn fail_over(
        &mut self,
        broker: BrokerId,
        act: impl FnOnce(&mut Broker) -> Result<Vec<Truncation>, BrokerError>,
    ) -> Result<(), SimError> {
        limits::BROKER_ID.check(u32::try_from(broker).unwrap_or(0))?;
        let mut b = self.broker.write();
        let cuts = act(&mut b)?;
        for info in &mut self.producers {
            ProducerActor::hear_back(info, &b);
        }
        drop(b);
        self.after_cuts(&cuts);
        Ok(())
    }

    /// The cluster's health in a few words, for the line a broker action leaves.
    fn cluster_state(&self) -> String {
        let b = self.broker.read();
        format!(
            "{} partition(s) under-replicated, {} offline, {} acknowledged record(s) lost so far",
            b.under_replicated_partitions(),
            b.offline_partitions(),
            b.acked_lost()
        )
    }

    /// What the simulation holds now: the totals a command is checked against.
    fn load(&self) -> Load {
        let running = || {
            (self.producers.iter())
                .zip(&self.producer_actors)
                .filter(|(p, _)| p.active)
        };
        let broker = self.broker.read();
        Load {
            producers: running().count(),
            producers_started: self.producers.len(),
            produce_rate: running().map(|(p, _)| p.rate).sum(),
            keys: running().map(|(_, (spec, _))| spec.keys_held()).sum(),
            groups: self.groups.len(),
            members: self.groups.iter().map(|g| g.members().len()).sum(),
            partitions: broker.partition_total(),
            subscribed_partitions: (self.groups.iter())
                .map(|g| partitions_of(&broker, &g.spec().topics))
                .sum(),
            replicas: (broker.topics())
                .map(|t| u64::from(t.partition_count()) * u64::from(t.config().replication_factor))
                .sum(),
        }
    }

    fn add_producer(&mut self, topic: &str) -> Result<String, SimError> {
        self.require_topic(topic)?;
        let spec = (self.producer_actors.iter().rev())
            .find(|(s, _)| s.topic == topic)
            .map_or_else(|| ProducerSpec::with_defaults(topic), |(s, _)| s.clone());
        let name = self.start_producer(spec)?;
        Ok(format!("producer {name} started on {topic}"))
    }

    fn remove_producer(&mut self, topic: &str) -> Result<String, SimError> {
        let i = (self.producers.iter())
            .rposition(|p| p.active && p.topic == topic)
            .ok_or_else(|| SimError::NoProducer(topic.to_string()))?;
        self.producers[i].active = false;
        self.producer_actors[i].1.retire();
        Ok(format!(
            "producer {} stopped on {topic}",
            self.producers[i].name
        ))
    }

    fn add_consumer(&mut self, group: &str) -> Result<String, SimError> {
        let now = self.now;
        let g = self.group_index(group)?;
        self.load().add_members(self.groups[g].members().len(), 1)?;
        let mut b = self.broker.write();
        let client = self.groups[g].add_member(&mut b, now);
        Ok(format!("{client} joins {group}"))
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
    /// Every new rate and the new total are checked before any changes.
    fn change_producer_rate(
        &mut self,
        topic: &str,
        f: impl Fn(f64) -> f64,
    ) -> Result<f64, SimError> {
        let on_topic: Vec<usize> = (0..self.producers.len())
            .filter(|&i| self.producers[i].active && self.producers[i].topic == topic)
            .collect();
        if on_topic.is_empty() {
            return Err(SimError::NoProducer(topic.to_string()));
        }
        let mut rates = Vec::with_capacity(on_topic.len());
        for &i in &on_topic {
            rates.push(limits::PRODUCER_RATE.check(f(self.producers[i].rate))?);
        }
        let old: f64 = on_topic.iter().map(|&i| self.producers[i].rate).sum();
        let new: f64 = rates.iter().sum();
        self.load().add_produce_rate(new - old)?;
        for (&i, rate) in on_topic.iter().zip(rates) {
            self.producer_actors[i].1.rebase(self.producers[i].rate);
            self.producers[i].rate = rate;
        }
        Ok(new)
    }

    /// Applies `f` to the group's per-member processing rate; returns the new rate.
    fn change_process_rate(
        &mut self,
        group: &str,
        f: impl Fn(f64) -> f64,
    ) -> Result<f64, SimError> {
        let g = self.group_index(group)?;
        let rate = limits::PROCESS_RATE.check(f(self.groups[g].process_rate()))?;
        self.groups[g].set_process_rate(rate);
        Ok(rate)
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
        let g = self.start_group(GroupSpec::with_defaults(&name, topics.clone()))?;
        let client = self.groups[g].members()[0].client_id();
        Ok(format!(
            "group {name} created on {} with {client}",
            topics.join(", ")
        ))
    }

    /// Starts a producer, within the limits; returns its name.
    pub(super) fn start_producer(&mut self, spec: ProducerSpec) -> Result<String, SimError> {
        limits::PRODUCER_RATE.check(spec.rate)?;
        limits::KEY_COUNT.check(spec.key_count)?;
        limits::VALUE_BYTES.check(spec.value_bytes)?;
        let mut load = self.load();
        load.add_producers(1)?;
        load.add_produce_rate(spec.rate)?;
        load.add_keys(spec.keys_held())?;
        Ok(self.spawn_producer(spec))
    }

    /// Starts a group with its `consumers` members, within the limits; returns its index.
    pub(super) fn start_group(&mut self, spec: GroupSpec) -> Result<usize, SimError> {
        let consumers = limits::CONSUMERS_PER_GROUP.check(spec.consumers)? as usize;
        let mut load = self.load();
        load.add_group()?;
        load.add_subscribed_partitions(partitions_of(&self.broker.read(), &spec.topics))?;
        load.add_members(0, consumers)?;
        let index = self.groups.len();
        let mut g = GroupSim::new(spec, index);
        let mut b = self.broker.write();
        for _ in 0..consumers {
            g.add_member(&mut b, self.now);
        }
        drop(b);
        self.groups.push(g);
        Ok(index)
    }
}
