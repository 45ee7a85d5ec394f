//! Topics from Metadata, and their log bounds from ListOffsets: two requests per leader
//! (earliest and latest), whatever the number of partitions.

use std::collections::BTreeMap;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{BrokerId, ListOffsetsRequest, MetadataResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::super::cluster::Cluster;
use super::super::filter::{Filter, is_internal};
use super::super::snapshot::{BrokerSnapshot, ClusterSnapshot, PartitionSnapshot, TopicSnapshot};
use super::Warnings;

/// ListOffsets' special timestamps.
const EARLIEST: i64 = -2;
const LATEST: i64 = -1;

/// The snapshot's brokers and topics (without offsets yet) from a Metadata answer.
pub fn from_metadata(md: &MetadataResponse, filter: &Filter, at_ms: i64) -> ClusterSnapshot {
    let mut snap = ClusterSnapshot {
        at_ms,
        cluster_id: md.cluster_id.as_ref().map(|s| s.to_string()),
        controller: (md.controller_id.0 >= 0).then_some(md.controller_id.0),
        ..ClusterSnapshot::default()
    };
    snap.brokers = md
        .brokers
        .iter()
        .map(|b| BrokerSnapshot {
            id: b.node_id.0,
            host: b.host.to_string(),
            port: b.port,
            rack: b.rack.as_ref().map(|r| r.to_string()),
        })
        .collect();
    snap.brokers.sort_by_key(|b| b.id);
    for t in &md.topics {
        let Some(name) = t.name.as_ref().map(|n| n.0.to_string()) else {
            continue;
        };
        let internal = t.is_internal || is_internal(&name);
        if t.error_code != 0 || !filter.topic(&name, internal) {
            continue;
        }
        let mut partitions: Vec<PartitionSnapshot> = t
            .partitions
            .iter()
            .filter_map(|p| {
                Some(PartitionSnapshot {
                    partition: u32::try_from(p.partition_index).ok()?,
                    leader: (p.leader_id.0 >= 0).then_some(p.leader_id.0),
                    leader_epoch: p.leader_epoch,
                    replicas: p.replica_nodes.iter().map(|b| b.0).collect(),
                    isr: p.isr_nodes.iter().map(|b| b.0).collect(),
                    log_start: None,
                    high_watermark: None,
                })
            })
            .collect();
        partitions.sort_by_key(|p| p.partition);
        snap.topics.insert(
            name,
            TopicSnapshot {
                internal,
                partitions,
            },
        );
    }
    snap
}

/// Fills every partition's log start and high watermark, asking each leader once for each.
pub async fn read_offsets(cluster: &mut Cluster, snap: &mut ClusterSnapshot, warn: &mut Warnings) {
    let mut by_leader: BTreeMap<i32, BTreeMap<&str, Vec<i32>>> = BTreeMap::new();
    for (name, t) in &snap.topics {
        for p in &t.partitions {
            if let Some(leader) = p.leader {
                let topics = by_leader.entry(leader).or_default();
                topics.entry(name).or_default().push(p.partition as i32);
            }
        }
    }
    let requests = by_leader
        .iter()
        .map(|(&id, topics)| (id, vec![request(topics, EARLIEST), request(topics, LATEST)]))
        .collect();
    let answers = cluster.fan_out(requests).await;
    for (leader, answer) in answers {
        let answers = match answer {
            Ok(a) => a,
            Err(e) => {
                warn.push(format!("log offsets from broker {leader}: {e}"));
                continue;
            }
        };
        for (i, answer) in answers.iter().enumerate() {
            for t in &answer.topics {
                let Some(topic) = snap.topics.get_mut(t.name.0.as_str()) else {
                    continue;
                };
                for p in &t.partitions {
                    let Some(part) = partition_mut(&mut topic.partitions, p.partition_index) else {
                        continue;
                    };
                    if let Some(e) = ResponseError::try_from_code(p.error_code) {
                        warn.push(format!(
                            "offsets of {}/{}: {e}",
                            t.name.0.as_str(),
                            p.partition_index
                        ));
                        continue;
                    }
                    if i == 0 {
                        part.log_start = Some(p.offset);
                    } else {
                        part.high_watermark = Some(p.offset);
                    }
                }
            }
        }
    }
}

/// Partition `index` of a topic's partitions, which are kept sorted by index.
pub fn partition_mut(
    parts: &mut [PartitionSnapshot],
    index: i32,
) -> Option<&mut PartitionSnapshot> {
    let index = u32::try_from(index).ok()?;
    let at = parts.binary_search_by_key(&index, |p| p.partition).ok()?;
    parts.get_mut(at)
}

fn request(topics: &BTreeMap<&str, Vec<i32>>, timestamp: i64) -> ListOffsetsRequest {
    ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_isolation_level(0)
        .with_topics(
            topics
                .iter()
                .map(|(name, parts)| {
                    ListOffsetsTopic::default()
                        .with_name(TopicName(StrBytes::from_string(name.to_string())))
                        .with_partitions(
                            parts
                                .iter()
                                .map(|&p| {
                                    ListOffsetsPartition::default()
                                        .with_partition_index(p)
                                        .with_current_leader_epoch(-1)
                                        .with_timestamp(timestamp)
                                })
                                .collect(),
                        )
                })
                .collect(),
        )
}
