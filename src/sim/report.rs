//! The end-of-run report: the JSON shape of docs/design.md, "The headless report". Fields may be added, never renamed.
//! New fields go after the old ones, so a report recorded before them reads the same.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::broker::{Broker, BrokerId, BrokerState, GroupState, PartitionLog, ReplicaSet};

use super::Simulation;
use super::scenario::GroupSpec;

use super::consumer::GroupSim;
use super::group_lag::measure;
use super::lag::Status;
use super::metrics::Metrics;
use super::moment::Moment;
use super::producer::ProducerInfo;
use super::scenario::AutoOffsetReset;

/// What happened in a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The scenario's short name.
    pub scenario: String,
    /// The seed the run used.
    pub seed: u64,
    /// Simulated time at the end.
    pub sim_time_ms: i64,
    /// Records appended by the simulated producers.
    pub produced: u64,
    /// Records processed by the simulated groups, repeats included.
    pub consumed: u64,
    /// Every topic.
    pub topics: Vec<TopicReport>,
    /// Every group, simulated or not.
    pub groups: Vec<GroupReport>,
    /// Brokers, losses and producers, for a scenario with a `[cluster]` (absent otherwise,
    /// so reports of single-broker scenarios stay as they were).
    #[serde(flatten)]
    pub cluster: Option<ClusterReport>,
}

/// The report's fields for a replicated cluster (docs/design.md, "Replication").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterReport {
    /// Every broker, in id order.
    pub brokers: Vec<BrokerReport>,
    /// Acknowledged records later lost to an election, over all producers.
    pub acked_lost: u64,
    /// Partitions with fewer replicas in sync than they have, at the end of the run.
    pub under_replicated: u64,
    /// Partitions no broker leads, at the end of the run.
    pub offline: u64,
    /// Elections that took an out-of-sync leader, cutting the log.
    pub unclean_elections: u64,
    /// Every simulated producer, in creation order.
    pub producers: Vec<ProducerReport>,
}

/// One broker at the end of the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrokerReport {
    /// Its id.
    pub id: BrokerId,
    /// Whether it serves at the end of the run.
    pub up: bool,
    /// `up`, `down` (crashed) or `stopped` (controlled shutdown).
    pub state: &'static str,
    /// Partitions it leads.
    pub leaders: u32,
}

/// What one simulated producer sent and was told.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProducerReport {
    /// As `web-1`.
    pub name: String,
    /// The topic it writes to.
    pub topic: String,
    /// `0`, `1` or `all`.
    pub acks: &'static str,
    /// Records the application handed it.
    pub sent: u64,
    /// Records acknowledged.
    pub acked: u64,
    /// Given up after the delivery timeout.
    pub failed: u64,
    /// `failed` by Kafka's name of the last error each record met.
    pub failed_by: BTreeMap<&'static str, u64>,
    /// Acknowledged, then cut from the log by an election.
    pub acked_lost: u64,
    /// Still waiting to be sent at the end of the run.
    pub backlog: u64,
}

/// A partition's replicas, for a scenario with a `[cluster]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionReplicationReport {
    /// `null` while offline.
    pub leader: Option<BrokerId>,
    /// Elections so far.
    pub leader_epoch: i32,
    /// The brokers holding it, the preferred leader first.
    pub replicas: Vec<BrokerId>,
    /// The in-sync replicas.
    pub isr: Vec<BrokerId>,
    /// The leader's log end: past the high watermark while followers catch up.
    pub log_end_offset: i64,
    /// Records elections cut from this partition's log.
    pub truncated: u64,
}

/// A topic and its partitions' bounds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicReport {
    /// The topic name.
    pub name: String,
    /// Every partition, by index.
    pub partitions: Vec<PartitionReport>,
}

/// One partition's log bounds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionReport {
    /// The partition index.
    pub partition: u32,
    /// The first offset still held.
    pub log_start_offset: i64,
    /// The end of what readers may see.
    pub high_watermark: i64,
    /// Leader, epoch, replicas and ISR, for a scenario with a `[cluster]`.
    #[serde(flatten)]
    pub replication: Option<PartitionReplicationReport>,
}

/// A consumer group: membership, offsets and the at-least-once counters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    /// The group id.
    pub name: String,
    /// The broker's group state, as Kafka names it (`Stable`, `PreparingRebalance`, …).
    pub state: String,
    /// The generation (or a consumer-protocol group's epoch).
    pub generation: i32,
    /// Members by id.
    pub members: Vec<MemberReport>,
    /// One entry for every partition of every subscribed topic.
    pub offsets: Vec<OffsetReport>,
    /// Lag summed over the partitions.
    pub total_lag: i64,
    /// Records processed again after a rebalance or crash (at-least-once).
    pub duplicates: u64,
    /// Records skipped and never processed.
    pub lost: u64,
    /// Records processed, repeats included.
    pub consumed: u64,
    /// The age of the oldest record the group has not processed, over its partitions.
    pub time_lag_ms: Option<i64>,
    /// When the lag will be gone at the rates of the last few seconds; `null` when it is
    /// not draining.
    pub eta_ms: Option<i64>,
    /// Burrow's status for the group: its worst partition's.
    pub status: Status,
    /// One sentence naming the rule that decided `status`, with its numbers.
    pub status_reason: String,
    /// `classic` or `consumer`: how the group rebalances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Rebalances completed: classic generations whose assignment reached the members, or
    /// consumer-protocol target epochs every member reconciled to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebalances: Option<u64>,
    /// The sum over partitions of the time each had no member working on it: what
    /// rebalancing cost the group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unowned_partition_ms: Option<u64>,
}

/// A member and the partitions the broker assigned it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberReport {
    /// The member id.
    pub id: String,
    /// Its partitions.
    pub assignment: Vec<TopicPartitionReport>,
}

/// A topic and partition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicPartitionReport {
    /// The topic.
    pub topic: String,
    /// The partition index.
    pub partition: u32,
}

/// A group's committed offset and lag on one partition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffsetReport {
    /// The topic.
    pub topic: String,
    /// The partition index.
    pub partition: u32,
    /// `null` until the group has committed here.
    pub committed: Option<i64>,
    /// From the committed offset, or from where the group would start (an observed
    /// group, from the log start).
    pub lag: i64,
    /// The age of the oldest record the group has not processed here, from its timestamp.
    pub time_lag_ms: Option<i64>,
}

impl Report {
    /// The report of a run; `producers` is given for a scenario with a `[cluster]`, and
    /// brings the cluster's fields with it.
    pub(crate) fn build(sim: &Simulation, broker: &Broker) -> Report {
        let (metrics, scenario, seed) = (&sim.metrics, sim.scenario.name.as_str(), sim.seed);
        let (moment, produced, groups) = (sim.moment(), sim.produced(), &sim.groups[..]);
        let producers = (sim.scenario.cluster.is_some()).then_some(&sim.producers[..]);
        let replicated = producers.is_some();
        let at = Measured {
            broker,
            metrics,
            moment,
        };
        let topics = broker
            .topics()
            .map(|t| TopicReport {
                name: t.name().to_string(),
                partitions: (t.partitions().iter().zip(t.replica_sets()))
                    .enumerate()
                    .map(|(p, (log, rs))| PartitionReport {
                        partition: p as u32,
                        log_start_offset: log.log_start_offset(),
                        high_watermark: log.high_watermark(),
                        replication: replicated.then(|| replication(log, rs)),
                    })
                    .collect(),
            })
            .collect();
        let mut out = Vec::new();
        for g in groups {
            let mut report = group_report(
                &at,
                g.name(),
                &g.spec().topics,
                g.spec().auto_offset_reset,
                (g.duplicates(), g.lost(), g.consumed()),
            );
            if g.spec().protocol_named {
                add_protocol_fields(&mut report, broker, g.spec(), g.unowned_partition_ms());
            }
            out.push(report);
        }
        // Groups the simulation does not drive (real clients through the server) too.
        for g in broker.all_groups() {
            if groups.iter().any(|s| s.name() == g.name()) {
                continue;
            }
            let topics: Vec<String> = g.topics().into_iter().map(str::to_string).collect();
            out.push(group_report(
                &at,
                g.name(),
                &topics,
                AutoOffsetReset::Earliest,
                (0, 0, 0),
            ));
        }
        Report {
            scenario: scenario.to_string(),
            seed,
            sim_time_ms: moment.now_ms,
            produced,
            consumed: groups.iter().map(GroupSim::consumed).sum(),
            topics,
            groups: out,
            cluster: producers.map(|p| cluster_report(broker, p)),
        }
    }
}

fn replication(log: &PartitionLog, rs: &ReplicaSet) -> PartitionReplicationReport {
    PartitionReplicationReport {
        leader: rs.leader(),
        leader_epoch: rs.leader_epoch(),
        replicas: rs.replicas().to_vec(),
        isr: rs.isr().to_vec(),
        log_end_offset: log.log_end_offset(),
        truncated: log.truncated_total(),
    }
}

fn cluster_report(broker: &Broker, producers: &[ProducerInfo]) -> ClusterReport {
    ClusterReport {
        brokers: (broker.broker_loads().into_iter())
            .map(|l| BrokerReport {
                id: l.id,
                up: l.state == BrokerState::Up,
                state: l.state.label(),
                leaders: l.leaders,
            })
            .collect(),
        acked_lost: broker.acked_lost(),
        under_replicated: broker.under_replicated_partitions(),
        offline: broker.offline_partitions(),
        unclean_elections: broker.unclean_elections(),
        producers: (producers.iter())
            .map(|p| ProducerReport {
                name: p.name.clone(),
                topic: p.topic.clone(),
                acks: p.acks.label(),
                sent: p.sent,
                acked: p.acked,
                failed: p.failed,
                failed_by: p.failed_by.clone(),
                acked_lost: p.acked_lost,
                backlog: p.backlog,
            })
            .collect(),
    }
}

/// What a group's report is read from.
struct Measured<'a> {
    broker: &'a Broker,
    metrics: &'a Metrics,
    moment: Moment,
}

fn group_report(
    at: &Measured<'_>,
    name: &str,
    topics: &[String],
    reset: AutoOffsetReset,
    (duplicates, lost, consumed): (u64, u64, u64),
) -> GroupReport {
    let broker = at.broker;
    let group = broker.any_group(name);
    let members = group.map_or_else(Vec::new, |g| {
        g.members()
            .into_iter()
            .map(|m| MemberReport {
                id: m.id.to_string(),
                assignment: m
                    .assigned
                    .iter()
                    .map(|tp| TopicPartitionReport {
                        topic: tp.topic.clone(),
                        partition: tp.partition,
                    })
                    .collect(),
            })
            .collect()
    });
    let measured = measure(broker, at.metrics, name, topics, reset, at.moment);
    let offsets: Vec<OffsetReport> = measured
        .partitions
        .into_iter()
        .map(|p| OffsetReport {
            topic: p.tp.topic,
            partition: p.tp.partition,
            committed: p.committed,
            lag: p.lag,
            time_lag_ms: p.time_lag_ms,
        })
        .collect();
    let lag = measured.group;
    GroupReport {
        name: name.to_string(),
        state: group
            .map_or(GroupState::Empty, |g| g.state())
            .name()
            .to_string(),
        generation: group.map_or(0, |g| g.generation()),
        members,
        total_lag: offsets.iter().map(|o| o.lag).sum(),
        offsets,
        duplicates,
        lost,
        consumed,
        time_lag_ms: lag.time_lag_ms,
        eta_ms: lag.eta_ms,
        status: lag.verdict.status,
        status_reason: lag.verdict.reason,
        protocol: None,
        rebalances: None,
        unowned_partition_ms: None,
    }
}

/// The protocol fields of a simulated group that chose its protocol in the scenario.
fn add_protocol_fields(report: &mut GroupReport, broker: &Broker, spec: &GroupSpec, unowned: u64) {
    let rebalances = broker.any_group(&spec.name).map_or(0, |g| g.rebalances());
    report.protocol = Some(spec.protocol.group_type().name().to_string());
    report.rebalances = Some(rebalances);
    report.unowned_partition_ms = Some(unowned);
}
