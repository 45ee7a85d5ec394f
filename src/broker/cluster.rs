//! The brokers of a cluster: their ids and racks, whether each is up, crashed, stopped or
//! slow, and the settings replication runs by (docs/design.md, "Replication").
//!
//! A cluster of one is what [`super::Broker::new`] builds: broker 1, replication factor 1,
//! and nothing here changes how it behaves.

mod placement;

use super::error::{BrokerError, Result};
use super::limits;

pub(crate) use placement::place;

/// A broker's id, as Kafka's node ids: `1..=N` in a cluster of N.
pub type BrokerId = i32;

/// Kafka's default `replica.lag.time.max.ms`.
pub const DEFAULT_REPLICA_LAG_TIME_MAX_MS: i64 = 30_000;

/// What a cluster is built with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// How many brokers; their ids are `1..=brokers`.
    pub brokers: u32,
    /// One rack per broker, in id order; replicas of a partition spread over racks.
    pub racks: Option<Vec<String>>,
    /// A follower that has not caught up with its leader for this long leaves the ISR.
    pub replica_lag_time_max_ms: i64,
    /// Whether a partition whose in-sync replicas are all down may be led by an
    /// out-of-sync one, which cuts the log to that replica's end.
    pub unclean_leader_election: bool,
    /// Where replica placement starts, so that runs are deterministic; a simulation sets
    /// it from its seed.
    pub placement_seed: u64,
}

impl ClusterConfig {
    /// `brokers` brokers without racks, with Kafka's defaults.
    pub fn new(brokers: u32) -> Self {
        ClusterConfig {
            brokers,
            racks: None,
            replica_lag_time_max_ms: DEFAULT_REPLICA_LAG_TIME_MAX_MS,
            unclean_leader_election: false,
            placement_seed: 0,
        }
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self::new(1)
    }
}

/// Whether a broker serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BrokerState {
    /// Serving: it leads and follows partitions.
    Up,
    /// Crashed: gone without warning. Its partitions failed over when it went.
    Down,
    /// Shut down in a controlled way: it handed its leaderships over first.
    Stopped,
}

impl BrokerState {
    /// A lowercase word for the state, for display.
    pub fn label(self) -> &'static str {
        match self {
            BrokerState::Up => "up",
            BrokerState::Down => "down",
            BrokerState::Stopped => "stopped",
        }
    }
}

/// One broker of the cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerNode {
    id: BrokerId,
    rack: Option<String>,
    state: BrokerState,
    /// Records per second its followers copy while slow; `None` when healthy.
    slow: Option<f64>,
}

impl BrokerNode {
    /// Its id, `1..=N`.
    pub fn id(&self) -> BrokerId {
        self.id
    }
    /// The rack it stands in, when racks were given.
    pub fn rack(&self) -> Option<&str> {
        self.rack.as_deref()
    }
    /// Up, crashed or stopped.
    pub fn state(&self) -> BrokerState {
        self.state
    }
    /// Whether it serves now.
    pub fn is_up(&self) -> bool {
        self.state == BrokerState::Up
    }
    /// While slow, how many records per second its followers copy (0 stalls them).
    pub fn slow_rate(&self) -> Option<f64> {
        self.slow
    }
}

/// The brokers and the replication settings.
#[derive(Debug, Clone)]
pub struct Cluster {
    nodes: Vec<BrokerNode>,
    replica_lag_time_max_ms: i64,
    unclean_leader_election: bool,
    placement_seed: u64,
    /// When replication last ran, for the progress of slow followers.
    pub(crate) last_replicate_ms: Option<i64>,
}

impl Cluster {
    /// Checks `config` against the limits and builds the cluster, every broker up.
    pub(crate) fn new(config: ClusterConfig) -> Result<Self> {
        limits::check_cluster(&config)?;
        let racks = config.racks.clone();
        let nodes = (1..=config.brokers)
            .map(|i| BrokerNode {
                id: i as BrokerId,
                rack: racks.as_ref().map(|r| r[i as usize - 1].clone()),
                state: BrokerState::Up,
                slow: None,
            })
            .collect();
        Ok(Cluster {
            nodes,
            replica_lag_time_max_ms: config.replica_lag_time_max_ms,
            unclean_leader_election: config.unclean_leader_election,
            placement_seed: config.placement_seed,
            last_replicate_ms: None,
        })
    }

    /// Every broker, in id order.
    pub fn brokers(&self) -> &[BrokerNode] {
        &self.nodes
    }
    /// A single broker, which answers as a lone Kafka broker did before clusters: node 0,
    /// and no leader epochs, neither told to clients nor written into batches.
    pub fn is_lone(&self) -> bool {
        self.nodes.len() == 1
    }
    /// A broker by id.
    pub fn node(&self, id: BrokerId) -> Option<&BrokerNode> {
        usize::try_from(id - 1).ok().and_then(|i| self.nodes.get(i))
    }
    /// Whether broker `id` exists and serves.
    pub fn is_up(&self, id: BrokerId) -> bool {
        self.node(id).is_some_and(BrokerNode::is_up)
    }
    /// Brokers serving now.
    pub fn live_count(&self) -> u32 {
        self.nodes.iter().filter(|n| n.is_up()).count() as u32
    }
    /// How long a follower may stay behind its leader before it leaves the ISR.
    pub fn replica_lag_time_max_ms(&self) -> i64 {
        self.replica_lag_time_max_ms
    }
    /// Whether an out-of-sync replica may lead when no in-sync one is alive.
    pub fn unclean_leader_election(&self) -> bool {
        self.unclean_leader_election
    }
    /// Whether the racks of brokers were given.
    pub fn has_racks(&self) -> bool {
        self.nodes.iter().any(|n| n.rack.is_some())
    }
    pub(crate) fn placement_seed(&self) -> u64 {
        self.placement_seed
    }
    /// The live brokers with their racks, in id order: where new replicas may go.
    pub(crate) fn live_brokers(&self) -> Vec<(BrokerId, Option<&str>)> {
        (self.nodes.iter())
            .filter(|n| n.is_up())
            .map(|n| (n.id, n.rack.as_deref()))
            .collect()
    }

    pub(crate) fn node_mut(&mut self, id: BrokerId) -> Result<&mut BrokerNode> {
        let count = self.nodes.len();
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.nodes.get_mut(i))
            .ok_or(BrokerError::UnknownBroker {
                broker: id,
                brokers: count as u32,
            })
    }

    pub(crate) fn set_state(&mut self, id: BrokerId, state: BrokerState) -> Result<()> {
        self.node_mut(id)?.state = state;
        Ok(())
    }

    pub(crate) fn set_slow(&mut self, id: BrokerId, rate: Option<f64>) -> Result<()> {
        self.node_mut(id)?.slow = rate;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brokers_are_numbered_from_one_with_their_racks() {
        let mut config = ClusterConfig::new(3);
        config.racks = Some(vec!["a".into(), "b".into(), "a".into()]);
        let c = Cluster::new(config).unwrap();
        let ids: Vec<_> = c.brokers().iter().map(|n| (n.id(), n.rack())).collect();
        assert_eq!(ids, [(1, Some("a")), (2, Some("b")), (3, Some("a"))]);
        assert!(c.node(0).is_none() && c.node(4).is_none());
        assert_eq!(c.live_count(), 3);
    }

    #[test]
    fn a_config_past_the_limits_is_refused() {
        assert!(Cluster::new(ClusterConfig::new(0)).is_err());
        let mut config = ClusterConfig::new(2);
        config.racks = Some(vec!["a".into()]);
        assert!(Cluster::new(config).is_err(), "one rack per broker");
    }
}
