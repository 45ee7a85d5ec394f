//! The scenario file as written: what serde reads, before any value is checked.
//! [`super::validate`] turns it into a [`super::Scenario`].

use serde::Deserialize;
use toml::Spanned;

use crate::broker::{Acks, AssignorKind, KeyHasher, ResetSpec, ServerAssignor};

use super::{AutoOffsetReset, KeyDistribution};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub(super) name: String,
    #[serde(default)]
    pub(super) description: String,
    pub(super) seed: Option<u64>,
    pub(super) cluster: Option<Spanned<RawCluster>>,
    #[serde(default)]
    pub(super) topics: Vec<RawTopic>,
    #[serde(default)]
    pub(super) producers: Vec<RawProducer>,
    #[serde(default)]
    pub(super) groups: Vec<RawGroup>,
    #[serde(default)]
    pub(super) timeline: Vec<RawBeat>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCluster {
    pub(super) brokers: Spanned<u32>,
    pub(super) racks: Option<Spanned<Vec<String>>>,
    pub(super) replica_lag_time_max_ms: Option<Spanned<i64>>,
    pub(super) unclean_leader_election: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTopic {
    pub(super) name: Spanned<String>,
    pub(super) partitions: Spanned<u32>,
    pub(super) retention_ms: Option<Spanned<i64>>,
    pub(super) retention_records: Option<Spanned<u64>>,
    pub(super) retention_bytes: Option<Spanned<u64>>,
    pub(super) replication_factor: Option<Spanned<u32>>,
    pub(super) min_insync_replicas: Option<Spanned<u32>>,
}

/// `acks` as a producer config writes it: a string, `"-1"` standing for `"all"`.
#[derive(Debug, Clone, Copy, Deserialize)]
pub(super) enum RawAcks {
    #[serde(rename = "0")]
    Zero,
    #[serde(rename = "1")]
    One,
    #[serde(rename = "all", alias = "-1")]
    All,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawKeys {
    None,
    Uniform,
    Zipf,
    Sequential,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawPartitioner {
    Murmur2,
    Crc32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProducer {
    pub(super) topic: Spanned<String>,
    pub(super) rate: Option<Spanned<f64>>,
    pub(super) keys: Option<RawKeys>,
    pub(super) key_count: Option<Spanned<u32>>,
    pub(super) zipf_s: Option<Spanned<f64>>,
    pub(super) value_bytes: Option<Spanned<usize>>,
    pub(super) partitioner: Option<RawPartitioner>,
    pub(super) count: Option<Spanned<u32>>,
    pub(super) name: Option<String>,
    pub(super) acks: Option<RawAcks>,
    pub(super) retry_backoff_ms: Option<Spanned<i64>>,
    pub(super) delivery_timeout_ms: Option<Spanned<i64>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawCommit {
    Auto,
    EveryPoll,
    EveryN,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawProtocol {
    Classic,
    Consumer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(super) enum RawAssignor {
    #[serde(rename = "range")]
    Range,
    #[serde(rename = "roundrobin")]
    RoundRobin,
    #[serde(rename = "sticky")]
    Sticky,
    #[serde(rename = "cooperative-sticky")]
    CooperativeSticky,
    #[serde(rename = "uniform")]
    Uniform,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawReset {
    Earliest,
    Latest,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGroup {
    pub(super) name: Spanned<String>,
    pub(super) topics: Spanned<Vec<String>>,
    pub(super) consumers: Option<Spanned<u32>>,
    pub(super) process_rate: Option<Spanned<f64>>,
    pub(super) max_poll_records: Option<Spanned<u32>>,
    pub(super) commit: Option<RawCommit>,
    pub(super) commit_interval_ms: Option<Spanned<i64>>,
    pub(super) commit_every: Option<Spanned<u64>>,
    pub(super) protocol: Option<RawProtocol>,
    pub(super) assignor: Option<Spanned<RawAssignor>>,
    pub(super) auto_offset_reset: Option<RawReset>,
    pub(super) session_timeout_ms: Option<Spanned<i64>>,
    #[serde(rename = "static")]
    pub(super) static_members: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawAction {
    AddConsumer,
    RemoveConsumer,
    CrashConsumer,
    AddProducer,
    RemoveProducer,
    SetProducerRate,
    ScaleProducerRate,
    SetProcessRate,
    ScaleProcessRate,
    ResetOffsets,
    AddGroup,
    PauseGroup,
    ResumeGroup,
    RestartConsumer,
    CrashBroker,
    RestartBroker,
    StopBroker,
    SlowBroker,
    HealBroker,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBeat {
    pub(super) at: Spanned<String>,
    pub(super) action: Spanned<RawAction>,
    pub(super) topic: Option<Spanned<String>>,
    pub(super) group: Option<Spanned<String>>,
    pub(super) rate: Option<Spanned<f64>>,
    pub(super) factor: Option<Spanned<f64>>,
    pub(super) to: Option<Spanned<String>>,
    pub(super) name: Option<Spanned<String>>,
    pub(super) topics: Option<Spanned<Vec<String>>>,
    pub(super) downtime: Option<Spanned<String>>,
    pub(super) broker: Option<Spanned<u32>>,
    #[serde(default)]
    pub(super) caption: String,
}

impl From<RawKeys> for KeyDistribution {
    fn from(k: RawKeys) -> Self {
        match k {
            RawKeys::None => KeyDistribution::None,
            RawKeys::Uniform => KeyDistribution::Uniform,
            RawKeys::Zipf => KeyDistribution::Zipf,
            RawKeys::Sequential => KeyDistribution::Sequential,
        }
    }
}

impl From<RawPartitioner> for KeyHasher {
    fn from(h: RawPartitioner) -> Self {
        match h {
            RawPartitioner::Murmur2 => KeyHasher::Murmur2,
            RawPartitioner::Crc32 => KeyHasher::Crc32,
        }
    }
}

impl From<RawAcks> for Acks {
    fn from(a: RawAcks) -> Self {
        match a {
            RawAcks::Zero => Acks::None,
            RawAcks::One => Acks::Leader,
            RawAcks::All => Acks::All,
        }
    }
}

impl RawAssignor {
    /// The name as written in the file.
    pub(super) fn label(self) -> &'static str {
        match self {
            RawAssignor::Range => "range",
            RawAssignor::RoundRobin => "roundrobin",
            RawAssignor::Sticky => "sticky",
            RawAssignor::CooperativeSticky => "cooperative-sticky",
            RawAssignor::Uniform => "uniform",
        }
    }

    /// The classic protocol's assignor of this name, if it is one.
    pub(super) fn classic(self) -> Option<AssignorKind> {
        Some(match self {
            RawAssignor::Range => AssignorKind::Range,
            RawAssignor::RoundRobin => AssignorKind::RoundRobin,
            RawAssignor::Sticky => AssignorKind::Sticky,
            RawAssignor::CooperativeSticky => AssignorKind::CooperativeSticky,
            RawAssignor::Uniform => return None,
        })
    }

    /// The consumer protocol's server-side assignor of this name, if it is one.
    pub(super) fn server_side(self) -> Option<ServerAssignor> {
        match self {
            RawAssignor::Range => Some(ServerAssignor::Range),
            RawAssignor::Uniform => Some(ServerAssignor::Uniform),
            _ => None,
        }
    }
}

impl From<RawReset> for AutoOffsetReset {
    fn from(r: RawReset) -> Self {
        match r {
            RawReset::Earliest => AutoOffsetReset::Earliest,
            RawReset::Latest => AutoOffsetReset::Latest,
        }
    }
}

/// The action's name as written in the file.
pub(super) fn action_label(a: RawAction) -> &'static str {
    match a {
        RawAction::AddConsumer => "add_consumer",
        RawAction::RemoveConsumer => "remove_consumer",
        RawAction::CrashConsumer => "crash_consumer",
        RawAction::AddProducer => "add_producer",
        RawAction::RemoveProducer => "remove_producer",
        RawAction::SetProducerRate => "set_producer_rate",
        RawAction::ScaleProducerRate => "scale_producer_rate",
        RawAction::SetProcessRate => "set_process_rate",
        RawAction::ScaleProcessRate => "scale_process_rate",
        RawAction::ResetOffsets => "reset_offsets",
        RawAction::AddGroup => "add_group",
        RawAction::PauseGroup => "pause_group",
        RawAction::ResumeGroup => "resume_group",
        RawAction::RestartConsumer => "restart_consumer",
        RawAction::CrashBroker => "crash_broker",
        RawAction::RestartBroker => "restart_broker",
        RawAction::StopBroker => "stop_broker",
        RawAction::SlowBroker => "slow_broker",
        RawAction::HealBroker => "heal_broker",
    }
}

/// `earliest`, `latest`, `offset:N` or `shift:N` (negative rewinds).
pub(crate) fn parse_reset(s: &str) -> Option<ResetSpec> {
    let s = s.trim();
    match s {
        "earliest" => Some(ResetSpec::Earliest),
        "latest" => Some(ResetSpec::Latest),
        _ => {
            let (kind, n) = s.split_once(':')?;
            let n: i64 = n.trim().parse().ok()?;
            match kind.trim() {
                "offset" => Some(ResetSpec::ToOffset(n)),
                "shift" => Some(ResetSpec::ShiftBy(n)),
                _ => None,
            }
        }
    }
}
