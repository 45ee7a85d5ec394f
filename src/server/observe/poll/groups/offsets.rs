//! Committed offsets: OffsetFetch at each coordinator, all its groups in one request from
//! v8 (KIP-709), one request per group before, pipelined on the same connection.

use std::collections::BTreeMap;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic,
};
use kafka_protocol::messages::{ApiKey, OffsetFetchRequest, OffsetFetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::super::super::cluster::Cluster;
use super::super::super::snapshot::{ClusterSnapshot, GroupSnapshot};
use super::super::Warnings;
use super::{GROUPS_PER_REQUEST, group_id};

/// Reads every group's committed offsets (for all topics) into the snapshot, keeping those
/// of watched topics.
pub async fn read_offsets(cluster: &mut Cluster, snap: &mut ClusterSnapshot, warn: &mut Warnings) {
    let mut per_coordinator: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for (name, g) in &snap.groups {
        if let Some(c) = g.coordinator {
            per_coordinator.entry(c).or_default().push(name.clone());
        }
    }
    let mut requests = BTreeMap::new();
    let mut order = BTreeMap::new();
    for (id, names) in per_coordinator {
        let Some(version) = cluster.version(id, ApiKey::OffsetFetch).await else {
            warn.push(format!("broker {id} cannot be asked for committed offsets"));
            continue;
        };
        requests.insert(id, offset_requests(snap, &names, version));
        order.insert(id, (names, version >= 8));
    }
    for (id, answer) in cluster.fan_out(requests).await {
        let Some((names, batched)) = order.remove(&id) else {
            continue;
        };
        match answer {
            Ok(answers) if batched => apply_batched(snap, &answers),
            Ok(answers) => names
                .iter()
                .zip(&answers)
                .for_each(|(name, a)| apply_single(snap, name, a)),
            Err(e) => warn.push(format!("committed offsets at broker {id}: {e}")),
        }
    }
}

fn offset_requests(
    snap: &ClusterSnapshot,
    names: &[String],
    version: i16,
) -> Vec<OffsetFetchRequest> {
    if version >= 8 {
        return names
            .chunks(GROUPS_PER_REQUEST)
            .map(|chunk| {
                OffsetFetchRequest::default().with_groups(
                    chunk
                        .iter()
                        .map(|n| {
                            OffsetFetchRequestGroup::default()
                                .with_group_id(group_id(n))
                                .with_member_epoch(-1)
                                .with_topics(None)
                        })
                        .collect(),
                )
            })
            .collect();
    }
    // v1 cannot ask for "all topics": name every watched partition instead.
    let topics = (version < 2).then(|| {
        snap.topics
            .iter()
            .map(|(name, t)| {
                OffsetFetchRequestTopic::default()
                    .with_name(TopicName(StrBytes::from_string(name.clone())))
                    .with_partition_indexes(
                        t.partitions.iter().map(|p| p.partition as i32).collect(),
                    )
            })
            .collect()
    });
    names
        .iter()
        .map(|n| {
            OffsetFetchRequest::default()
                .with_group_id(group_id(n))
                .with_topics(topics.clone())
        })
        .collect()
}

fn apply_batched(snap: &mut ClusterSnapshot, answers: &[OffsetFetchResponse]) {
    for group in answers.iter().flat_map(|a| &a.groups) {
        let Some(g) = snap.groups.get_mut(group.group_id.0.as_str()) else {
            continue;
        };
        if let Some(e) = ResponseError::try_from_code(group.error_code) {
            g.error = Some(format!("committed offsets: {e}"));
            continue;
        }
        for t in &group.topics {
            let parts = t
                .partitions
                .iter()
                .map(|p| (p.partition_index, p.committed_offset, p.error_code));
            commit(g, &snap.topics, t.name.0.as_str(), parts);
        }
    }
}

fn apply_single(snap: &mut ClusterSnapshot, name: &str, a: &OffsetFetchResponse) {
    let Some(g) = snap.groups.get_mut(name) else {
        return;
    };
    if let Some(e) = ResponseError::try_from_code(a.error_code) {
        g.error = Some(format!("committed offsets: {e}"));
        return;
    }
    for t in &a.topics {
        let parts = t
            .partitions
            .iter()
            .map(|p| (p.partition_index, p.committed_offset, p.error_code));
        commit(g, &snap.topics, t.name.0.as_str(), parts);
    }
}

/// Records a topic's committed offsets, given as (partition, offset, error): -1 means none,
/// and topics not watched are left out. The answer lists partitions in order, which
/// `BTreeMap` builds from in bulk.
fn commit<T>(
    g: &mut GroupSnapshot,
    topics: &BTreeMap<String, T>,
    topic: &str,
    parts: impl Iterator<Item = (i32, i64, i16)>,
) {
    if !topics.contains_key(topic) {
        return;
    }
    let mut offsets: Vec<(u32, i64)> = parts
        .filter(|&(_, offset, error)| offset >= 0 && error == 0)
        .filter_map(|(p, offset, _)| Some((u32::try_from(p).ok()?, offset)))
        .collect();
    if offsets.is_empty() {
        return;
    }
    offsets.sort_unstable_by_key(|&(p, _)| p);
    match g.committed.get_mut(topic) {
        Some(known) => known.extend(offsets),
        None => {
            g.committed
                .insert(topic.to_string(), offsets.into_iter().collect());
        }
    }
}
