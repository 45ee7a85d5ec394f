//! The JSON report of `observe --json`: the headless report's shape (docs/design.md, "The
//! headless report": topics, partitions, groups, members, offsets, lag) with the lag
//! measures and verdict per group, and what only a real cluster has (brokers, replicas,
//! events). Fields may be added, never renamed.

use serde::Serialize;

use super::snapshot::{BrokerSnapshot, GroupProtocol};
use super::tracker::{Observation, Reachability};
use crate::sim::lag::Status;
// A partition and a group's offset on it read the same whether simulated or observed.
pub use crate::sim::{OffsetReport, TopicPartitionReport};

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObserveReport {
    pub cluster_id: Option<String>,
    pub controller: Option<i32>,
    /// Wall-clock milliseconds of the newest poll.
    pub at_ms: Option<i64>,
    pub polls: u64,
    /// Polls that failed, the cluster not answering.
    pub failed_polls: u64,
    /// Whether the last poll succeeded; `error` says why not.
    pub reachable: bool,
    pub error: Option<String>,
    pub brokers: Vec<BrokerReport>,
    pub topics: Vec<TopicReport>,
    pub groups: Vec<GroupReport>,
    pub events: Vec<EventReport>,
    /// Parts of the newest poll that could not be read.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrokerReport {
    #[serde(flatten)]
    pub broker: BrokerSnapshot,
    /// Partitions (of watched topics) it leads.
    pub leaders: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicReport {
    pub name: String,
    pub partitions: Vec<PartitionReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionReport {
    pub partition: u32,
    pub log_start_offset: Option<i64>,
    pub high_watermark: Option<i64>,
    pub leader: Option<i32>,
    pub leader_epoch: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    pub name: String,
    pub state: String,
    pub protocol: GroupProtocol,
    /// The epoch of a KIP-848 group; `null` for classic groups, whose generation the read
    /// APIs do not publish.
    pub generation: Option<i32>,
    pub assignor: Option<String>,
    pub coordinator: Option<i32>,
    pub members: Vec<MemberReport>,
    pub offsets: Vec<OffsetReport>,
    pub total_lag: i64,
    pub time_lag_ms: Option<i64>,
    /// `null` when the lag is not draining.
    pub eta_ms: Option<i64>,
    pub status: Status,
    pub status_reason: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberReport {
    pub id: String,
    pub client_id: String,
    pub host: String,
    pub instance_id: Option<String>,
    pub assignment: Vec<TopicPartitionReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventReport {
    pub at_ms: i64,
    pub text: String,
}

impl ObserveReport {
    /// The report of an observation as it stands.
    pub fn build(o: &Observation) -> ObserveReport {
        let (reachable, error) = match o.reachability() {
            Reachability::Reachable => (true, None),
            Reachability::Connecting => (false, Some("no poll has finished".to_string())),
            Reachability::Retrying { error, .. } => (false, Some(error.clone())),
        };
        let events = o
            .events()
            .map(|e| EventReport {
                at_ms: e.at_ms,
                text: e.event.to_string(),
            })
            .collect();
        let Some(snap) = o.latest() else {
            return ObserveReport {
                cluster_id: None,
                controller: None,
                at_ms: None,
                polls: 0,
                failed_polls: o.failed_polls(),
                reachable,
                error,
                brokers: Vec::new(),
                topics: Vec::new(),
                groups: Vec::new(),
                events,
                warnings: Vec::new(),
            };
        };
        let brokers = snap
            .brokers
            .iter()
            .map(|b| BrokerReport {
                broker: b.clone(),
                leaders: snap
                    .topics
                    .values()
                    .flat_map(|t| &t.partitions)
                    .filter(|p| p.leader == Some(b.id))
                    .count(),
            })
            .collect();
        ObserveReport {
            cluster_id: snap.cluster_id.clone(),
            controller: snap.controller,
            at_ms: Some(snap.at_ms),
            polls: o.polls(),
            failed_polls: o.failed_polls(),
            reachable,
            error,
            brokers,
            topics: topics(o),
            groups: snap.groups.keys().map(|name| group(o, name)).collect(),
            events,
            warnings: snap.warnings.clone(),
        }
    }
}

fn topics(o: &Observation) -> Vec<TopicReport> {
    let Some(snap) = o.latest() else {
        return Vec::new();
    };
    snap.topics
        .iter()
        .map(|(name, t)| TopicReport {
            name: name.clone(),
            partitions: t
                .partitions
                .iter()
                .map(|p| PartitionReport {
                    partition: p.partition,
                    log_start_offset: p.log_start,
                    high_watermark: p.high_watermark,
                    leader: p.leader,
                    leader_epoch: p.leader_epoch,
                    replicas: p.replicas.clone(),
                    isr: p.isr.clone(),
                })
                .collect(),
        })
        .collect()
}

fn group(o: &Observation, name: &str) -> GroupReport {
    let g = &o.latest().expect("called with a snapshot").groups[name];
    let lag = o.group_lag(name);
    let offsets: Vec<OffsetReport> = o
        .offsets(name)
        .into_iter()
        .map(|r| OffsetReport {
            topic: r.topic,
            partition: r.partition,
            committed: r.committed,
            lag: r.lag,
            time_lag_ms: r.time_lag_ms,
        })
        .collect();
    let (status, status_reason) = match (&g.error, &lag) {
        (Some(e), _) => (
            Status::Err,
            format!("ERR: the group could not be read: {e}"),
        ),
        (None, Some(l)) => (l.verdict.status, l.verdict.reason.clone()),
        (None, None) => (Status::Ok, "OK: nothing to evaluate".to_string()),
    };
    GroupReport {
        name: name.to_string(),
        state: g.state.clone(),
        protocol: g.protocol,
        generation: g.epoch,
        assignor: g.assignor.clone(),
        coordinator: g.coordinator,
        members: g
            .members
            .iter()
            .map(|m| MemberReport {
                id: m.member_id.clone(),
                client_id: m.client_id.clone(),
                host: m.host.clone(),
                instance_id: m.instance_id.clone(),
                assignment: m
                    .assignment
                    .iter()
                    .map(|(t, p)| TopicPartitionReport {
                        topic: t.clone(),
                        partition: *p,
                    })
                    .collect(),
            })
            .collect(),
        total_lag: offsets.iter().map(|r| r.lag).sum(),
        offsets,
        time_lag_ms: lag.as_ref().and_then(|l| l.time_lag_ms),
        eta_ms: lag.as_ref().and_then(|l| l.eta_ms),
        status,
        status_reason,
        error: g.error.clone(),
    }
}
