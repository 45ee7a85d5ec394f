//! Consumer groups: ListGroups on every broker, FindCoordinator for all of them at once,
//! then per coordinator one DescribeGroups (classic groups), one ConsumerGroupDescribe
//! (KIP-848 groups) and OffsetFetch (one request for all its groups from v8, else one per
//! group, pipelined).
//!
//! Like Kafka's admin client, a group listed as type `consumer` is described with
//! ConsumerGroupDescribe when its coordinator offers it, and with DescribeGroups when it
//! does not, or when the coordinator says the group is not a consumer group after all.

use std::collections::BTreeMap;

use bytes::{Buf, Bytes};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::consumer_group_describe_response::DescribedGroup as NewGroup;
use kafka_protocol::messages::describe_groups_response::DescribedGroup as ClassicGroup;
use kafka_protocol::messages::{
    ApiKey, ConsumerGroupDescribeRequest, ConsumerProtocolAssignment, ConsumerProtocolSubscription,
    DescribeGroupsRequest, FindCoordinatorRequest, GroupId, ListGroupsRequest,
};
use kafka_protocol::protocol::{Decodable, StrBytes};

use super::super::cluster::Cluster;
use super::super::filter::Filter;
use super::super::snapshot::{ClusterSnapshot, GroupProtocol, GroupSnapshot, MemberSnapshot};
use super::Warnings;

mod offsets;

pub use offsets::read_offsets;

/// Groups per FindCoordinator, DescribeGroups or ConsumerGroupDescribe request.
const GROUPS_PER_REQUEST: usize = 500;

fn group_id(name: &str) -> GroupId {
    GroupId(StrBytes::from_string(name.to_string()))
}

/// Lists the groups every broker coordinates and adds those that pass the filter, with
/// their coordinator, to the snapshot.
pub async fn read_groups(
    cluster: &mut Cluster,
    filter: &Filter,
    snap: &mut ClusterSnapshot,
    warn: &mut Warnings,
) {
    let everyone = cluster
        .broker_ids()
        .map(|id| (id, vec![ListGroupsRequest::default()]))
        .collect();
    for (id, answer) in cluster.fan_out(everyone).await {
        let answers = match answer {
            Ok(a) => a,
            Err(e) => {
                warn.push(format!("groups on broker {id}: {e}"));
                continue;
            }
        };
        for listed in answers.iter().flat_map(|a| &a.groups) {
            let name = listed.group_id.0.as_str();
            // Kafka's consumer groups: protocol type `consumer`, or empty for groups that
            // only commit offsets. Connect workers, share and streams groups are others.
            let consumer = matches!(listed.protocol_type.as_str(), "consumer" | "");
            let typed = matches!(listed.group_type.as_str(), "" | "classic" | "consumer");
            if !consumer || !typed || !filter.group(name) {
                continue;
            }
            snap.groups.insert(
                name.to_string(),
                GroupSnapshot {
                    state: listed.group_state.to_string(),
                    protocol: if listed.group_type.as_str() == "consumer" {
                        GroupProtocol::Consumer
                    } else {
                        GroupProtocol::Classic
                    },
                    ..GroupSnapshot::default()
                },
            );
        }
    }
    find_coordinators(cluster, snap, warn).await;
}

async fn find_coordinators(cluster: &mut Cluster, snap: &mut ClusterSnapshot, warn: &mut Warnings) {
    if snap.groups.is_empty() {
        return;
    }
    let Some(id) = cluster.any_broker().await else {
        warn.push("no broker to find group coordinators".to_string());
        return;
    };
    let batched = cluster
        .version(id, ApiKey::FindCoordinator)
        .await
        .is_some_and(|v| v >= 4);
    let names: Vec<String> = snap.groups.keys().cloned().collect();
    let requests: Vec<FindCoordinatorRequest> = if batched {
        names
            .chunks(GROUPS_PER_REQUEST)
            .map(|chunk| {
                FindCoordinatorRequest::default().with_coordinator_keys(
                    chunk
                        .iter()
                        .map(|n| StrBytes::from_string(n.clone()))
                        .collect(),
                )
            })
            .collect()
    } else {
        names
            .iter()
            .map(|n| FindCoordinatorRequest::default().with_key(StrBytes::from_string(n.clone())))
            .collect()
    };
    let answers = match cluster
        .fan_out(BTreeMap::from([(id, requests)]))
        .await
        .remove(&id)
    {
        Some(Ok(a)) => a,
        Some(Err(e)) => {
            warn.push(format!("group coordinators: {e}"));
            return;
        }
        None => return,
    };
    let found: Vec<(String, i32, i16)> = if batched {
        answers
            .iter()
            .flat_map(|a| &a.coordinators)
            .map(|c| (c.key.to_string(), c.node_id.0, c.error_code))
            .collect()
    } else {
        names
            .iter()
            .zip(&answers)
            .map(|(n, a)| (n.clone(), a.node_id.0, a.error_code))
            .collect()
    };
    for (name, node, error) in found {
        let Some(g) = snap.groups.get_mut(&name) else {
            continue;
        };
        match ResponseError::try_from_code(error) {
            None => g.coordinator = Some(node),
            Some(e) => g.error = Some(format!("no coordinator: {e}")),
        }
    }
}

/// The groups of each coordinator, by protocol.
fn by_coordinator(snap: &ClusterSnapshot, protocol: GroupProtocol) -> BTreeMap<i32, Vec<String>> {
    let mut out: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for (name, g) in &snap.groups {
        if let Some(c) = g.coordinator
            && g.protocol == protocol
        {
            out.entry(c).or_default().push(name.clone());
        }
    }
    out
}

/// Describes every group at its coordinator: members, assignments, subscriptions.
pub async fn describe(cluster: &mut Cluster, snap: &mut ClusterSnapshot, warn: &mut Warnings) {
    let mut classic = by_coordinator(snap, GroupProtocol::Classic);
    let mut new_requests = BTreeMap::new();
    for (id, names) in by_coordinator(snap, GroupProtocol::Consumer) {
        if cluster
            .version(id, ApiKey::ConsumerGroupDescribe)
            .await
            .is_some()
        {
            let reqs = names
                .chunks(GROUPS_PER_REQUEST)
                .map(|c| {
                    ConsumerGroupDescribeRequest::default()
                        .with_group_ids(c.iter().map(|n| group_id(n)).collect())
                })
                .collect();
            new_requests.insert(id, reqs);
        } else {
            classic.entry(id).or_default().extend(names);
        }
    }
    for (id, answer) in cluster.fan_out(new_requests).await {
        match answer {
            Ok(answers) => {
                for d in answers.into_iter().flat_map(|a| a.groups) {
                    if let Some(name) = apply_new(snap, d) {
                        // Not a KIP-848 group after all: ask again the classic way.
                        classic.entry(id).or_default().push(name);
                    }
                }
            }
            Err(e) => warn.push(format!("describing groups at broker {id}: {e}")),
        }
    }
    let requests = classic
        .into_iter()
        .map(|(id, names)| {
            let reqs = names
                .chunks(GROUPS_PER_REQUEST)
                .map(|c| {
                    DescribeGroupsRequest::default()
                        .with_groups(c.iter().map(|n| group_id(n)).collect())
                })
                .collect();
            (id, reqs)
        })
        .collect();
    for (id, answer) in cluster.fan_out(requests).await {
        match answer {
            Ok(answers) => answers
                .into_iter()
                .flat_map(|a| a.groups)
                .for_each(|d| apply_classic(snap, d)),
            Err(e) => warn.push(format!("describing groups at broker {id}: {e}")),
        }
    }
}

/// Fills a group from ConsumerGroupDescribe; gives its name back when the coordinator
/// does not know it as a consumer group (to be described the classic way).
fn apply_new(snap: &mut ClusterSnapshot, d: NewGroup) -> Option<String> {
    let name = d.group_id.0.to_string();
    let g = snap.groups.get_mut(&name)?;
    match ResponseError::try_from_code(d.error_code) {
        None => {}
        Some(ResponseError::GroupIdNotFound) => {
            g.protocol = GroupProtocol::Classic;
            return Some(name);
        }
        Some(e) => {
            g.error = Some(format!("describe: {e}"));
            return None;
        }
    }
    g.state = state_name(&d.group_state);
    g.epoch = Some(d.group_epoch);
    g.assignor = Some(d.assignor_name.to_string()).filter(|a| !a.is_empty());
    g.members = d
        .members
        .into_iter()
        .map(|m| {
            g.subscribed
                .extend(m.subscribed_topic_names.iter().map(|t| t.0.to_string()));
            let mut assignment: Vec<(String, u32)> = m
                .assignment
                .topic_partitions
                .iter()
                .flat_map(|tp| {
                    let topic = tp.topic_name.0.to_string();
                    tp.partitions
                        .iter()
                        .filter_map(move |&p| Some((topic.clone(), u32::try_from(p).ok()?)))
                })
                .collect();
            assignment.sort();
            MemberSnapshot {
                member_id: m.member_id.to_string(),
                instance_id: m.instance_id.map(|s| s.to_string()),
                client_id: m.client_id.to_string(),
                host: m.client_host.to_string(),
                assignment,
            }
        })
        .collect();
    g.members.sort_by(|a, b| a.member_id.cmp(&b.member_id));
    None
}

/// Fills a group from DescribeGroups, reading the consumer protocol's subscription and
/// assignment bytes where the group speaks it.
fn apply_classic(snap: &mut ClusterSnapshot, d: ClassicGroup) {
    let Some(g) = snap.groups.get_mut(d.group_id.0.as_str()) else {
        return;
    };
    if let Some(e) = ResponseError::try_from_code(d.error_code) {
        g.error = Some(format!("describe: {e}"));
        return;
    }
    g.state = d.group_state.to_string();
    g.assignor = Some(d.protocol_data.to_string()).filter(|a| !a.is_empty());
    let consumer = d.protocol_type.as_str() == "consumer";
    g.members = d
        .members
        .into_iter()
        .map(|m| {
            if consumer
                && let Some(s) = versioned::<ConsumerProtocolSubscription>(&m.member_metadata)
            {
                g.subscribed.extend(s.topics.iter().map(|t| t.to_string()));
            }
            let mut assignment: Vec<(String, u32)> = if consumer {
                versioned::<ConsumerProtocolAssignment>(&m.member_assignment)
                    .map(|a| {
                        a.assigned_partitions
                            .iter()
                            .flat_map(|tp| {
                                let topic = tp.topic.0.to_string();
                                tp.partitions.iter().filter_map(move |&p| {
                                    Some((topic.clone(), u32::try_from(p).ok()?))
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            assignment.sort();
            MemberSnapshot {
                member_id: m.member_id.to_string(),
                instance_id: m.group_instance_id.map(|s| s.to_string()),
                client_id: m.client_id.to_string(),
                host: m.client_host.to_string(),
                assignment,
            }
        })
        .collect();
    g.members.sort_by(|a, b| a.member_id.cmp(&b.member_id));
}

/// A consumer-protocol message: a version, then the body at that version (a newer one is
/// read as the newest we know, as Kafka's clients do). `None` when the bytes are not one.
fn versioned<T: Decodable>(bytes: &Bytes) -> Option<T> {
    let mut buf = bytes.clone();
    if buf.remaining() < 2 {
        return None;
    }
    let version = buf.get_i16();
    if version < 0 {
        return None;
    }
    T::decode(&mut buf, version.min(3)).ok()
}

/// KIP-848 states are lower-case on the wire (`stable`, `not_ready`); Kafka's tools print
/// them as the classic ones are named (`Stable`, `NotReady`).
fn state_name(wire: &str) -> String {
    wire.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::messages::TopicName;
    use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition;
    use kafka_protocol::protocol::Encodable;

    #[test]
    fn states_read_like_kafkas_tools_print_them() {
        assert_eq!(state_name("stable"), "Stable");
        assert_eq!(state_name("not_ready"), "NotReady");
        assert_eq!(state_name("Stable"), "Stable");
    }

    #[test]
    fn consumer_protocol_bytes_decode_or_are_ignored() {
        let a = ConsumerProtocolAssignment::default().with_assigned_partitions(vec![
            TopicPartition::default()
                .with_topic(TopicName(StrBytes::from_static_str("orders")))
                .with_partitions(vec![2, 0]),
        ]);
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&1i16.to_be_bytes());
        a.encode(&mut buf, 1).unwrap();
        let got = versioned::<ConsumerProtocolAssignment>(&buf.freeze()).unwrap();
        assert_eq!(got.assigned_partitions[0].partitions, [2, 0]);
        assert!(versioned::<ConsumerProtocolAssignment>(&Bytes::from_static(b"o")).is_none());
        assert!(
            versioned::<ConsumerProtocolSubscription>(&Bytes::from_static(b"orders-0,orders-1"))
                .is_none()
        );
    }
}
