//! How the brokers of the cluster appear on the wire: their node ids, where each listens,
//! and who leads a partition.
//!
//! A lone broker (no `--brokers`, no scenario `[cluster]`) is node 0 with no leader epochs,
//! byte for byte what it always answered; in a cluster, broker `id` is node `id`.

use kafka_protocol::messages::BrokerId as NodeId;

use super::Settings;
use crate::broker::{Broker, BrokerId, ReplicaSet};

/// The node id of a lone broker, which leads every partition and coordinates every group.
pub(super) const LONE_NODE: i32 = 0;

/// Whether the broker speaks as a lone broker rather than as one of a cluster.
pub(super) fn is_lone(broker: &Broker) -> bool {
    broker.cluster().is_lone()
}

/// Broker `id`'s node id on the wire.
pub(super) fn node(broker: &Broker, id: BrokerId) -> NodeId {
    NodeId(if is_lone(broker) { LONE_NODE } else { id })
}

/// The port broker `id` listens on; the connection's own when unknown.
pub(super) fn port(settings: &Settings, id: BrokerId) -> i32 {
    (settings.ports.iter())
        .find(|(b, _)| *b == id)
        .map_or(settings.port, |&(_, p)| p)
}

/// The brokers that serve now, with their racks: the ones clients may be sent to.
pub(super) fn live(broker: &Broker) -> impl Iterator<Item = (BrokerId, Option<&str>)> {
    (broker.cluster().brokers().iter())
        .filter(|n| n.is_up())
        .map(|n| (n.id(), n.rack()))
}

/// The node named as the controller: the lowest live broker (every broker agrees on it).
pub(super) fn controller(broker: &Broker) -> NodeId {
    live(broker)
        .next()
        .map_or(NodeId(-1), |(id, _)| node(broker, id))
}

/// A partition's leader epoch as clients are told it: -1 for a lone broker, so clients
/// skip epoch validation there as they always did.
pub(super) fn leader_epoch(broker: &Broker, rs: &ReplicaSet) -> i32 {
    if is_lone(broker) {
        -1
    } else {
        rs.leader_epoch()
    }
}
