//! The timestamps of the records at groups' committed offsets: a Fetch of a few kilobytes
//! per partition at the committed offset, batched per leader. A timestamp read once is kept
//! while a group's commit stays there, and each poll reads at most [`READS_PER_POLL`] new
//! ones; the rest are interpolated from the history until their turn comes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{BrokerId, FetchRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::super::cluster::Cluster;
use super::super::record_ts::timestamp_at;
use super::super::snapshot::ClusterSnapshot;
use super::Warnings;

/// New record timestamps read per poll, at most.
pub const READS_PER_POLL: usize = 2_000;
/// Bytes asked per partition: enough for a batch header and the records of a small batch.
const PARTITION_MAX_BYTES: i32 = 16 * 1024;
/// Bytes asked per Fetch request in all.
const REQUEST_MAX_BYTES: i32 = 8 * 1024 * 1024;

type Key = (String, u32, i64);

/// Timestamps already read, by topic, partition and offset.
#[derive(Debug, Clone, Default)]
pub struct TimestampCache {
    known: HashMap<Key, i64>,
}

/// Gives every group the timestamps of the records at its committed offsets, where the
/// records are still there and the group is behind.
pub async fn read_timestamps(
    cluster: &mut Cluster,
    snap: &mut ClusterSnapshot,
    cache: &mut TimestampCache,
    warn: &mut Warnings,
) {
    let needed = needed(snap);
    let missing: Vec<&Key> = needed
        .iter()
        .filter(|k| !cache.known.contains_key(*k))
        .take(READS_PER_POLL)
        .collect();
    let mut per_leader: BTreeMap<i32, Vec<&Key>> = BTreeMap::new();
    for key in missing {
        let leader = snap
            .topics
            .get(&key.0)
            .and_then(|t| t.partitions.get(key.1 as usize))
            .filter(|p| p.partition == key.1)
            .and_then(|p| p.leader);
        if let Some(leader) = leader {
            per_leader.entry(leader).or_default().push(key);
        }
    }
    let requests = per_leader
        .into_iter()
        .map(|(id, keys)| (id, layers(&keys)))
        .collect::<BTreeMap<_, _>>();
    let asked: BTreeMap<i32, Vec<FetchRequest>> = requests
        .iter()
        .map(|(&id, layers)| (id, layers.iter().map(|l| fetch(l)).collect()))
        .collect();
    for (id, answer) in cluster.fan_out(asked).await {
        let answers = match answer {
            Ok(a) => a,
            Err(e) => {
                warn.push(format!("record timestamps from broker {id}: {e}"));
                continue;
            }
        };
        for (layer, answer) in requests[&id].iter().zip(&answers) {
            for t in &answer.responses {
                for p in &t.partitions {
                    let Ok(partition) = u32::try_from(p.partition_index) else {
                        continue;
                    };
                    let topic = t.topic.0.as_str();
                    let Some(key) = layer.iter().find(|k| k.0 == topic && k.1 == partition) else {
                        continue;
                    };
                    let records = p.records.as_deref().unwrap_or_default();
                    if let Some(ts) = timestamp_at(records, key.2) {
                        cache.known.insert((*key).clone(), ts);
                    }
                }
            }
        }
    }
    // Commits move on; what no group stands at any more is not worth keeping.
    cache.known.retain(|k, _| needed.contains(k));
    for g in snap.groups.values_mut() {
        for ((topic, partition), &offset) in &g.committed {
            let key = (topic.clone(), *partition, offset);
            if let Some(&ts) = cache.known.get(&key) {
                g.committed_timestamps
                    .insert((topic.clone(), *partition), ts);
            }
        }
    }
}

/// Committed offsets with records after them that are still in the log.
fn needed(snap: &ClusterSnapshot) -> BTreeSet<Key> {
    let mut out = BTreeSet::new();
    for g in snap.groups.values() {
        for ((topic, partition), &offset) in &g.committed {
            let Some(p) = snap
                .topics
                .get(topic)
                .and_then(|t| t.partitions.get(*partition as usize))
                .filter(|p| p.partition == *partition)
            else {
                continue;
            };
            let (Some(start), Some(hw)) = (p.log_start, p.high_watermark) else {
                continue;
            };
            if offset >= start && offset < hw {
                out.insert((topic.clone(), *partition, offset));
            }
        }
    }
    out
}

/// Splits keys into requests that name each partition once (a Fetch cannot ask one
/// partition at two offsets).
fn layers<'a>(keys: &[&'a Key]) -> Vec<Vec<&'a Key>> {
    let mut out: Vec<Vec<&Key>> = Vec::new();
    let mut depth: HashMap<(&str, u32), usize> = HashMap::new();
    for key in keys {
        let d = depth.entry((key.0.as_str(), key.1)).or_default();
        if out.len() <= *d {
            out.push(Vec::new());
        }
        out[*d].push(key);
        *d += 1;
    }
    out
}

fn fetch(keys: &[&Key]) -> FetchRequest {
    let mut topics: BTreeMap<&str, Vec<FetchPartition>> = BTreeMap::new();
    for (topic, partition, offset) in keys.iter().map(|k| (&k.0, k.1, k.2)) {
        topics.entry(topic).or_default().push(
            FetchPartition::default()
                .with_partition(partition as i32)
                .with_current_leader_epoch(-1)
                .with_fetch_offset(offset)
                .with_last_fetched_epoch(-1)
                .with_log_start_offset(-1)
                .with_partition_max_bytes(PARTITION_MAX_BYTES),
        );
    }
    let total =
        (keys.len() as i64 * i64::from(PARTITION_MAX_BYTES)).min(i64::from(REQUEST_MAX_BYTES));
    FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(0)
        .with_min_bytes(0)
        .with_max_bytes(total as i32)
        .with_isolation_level(0)
        .with_session_id(0)
        .with_session_epoch(-1)
        .with_topics(
            topics
                .into_iter()
                .map(|(name, partitions)| {
                    FetchTopic::default()
                        .with_topic(TopicName(StrBytes::from_string(name.to_string())))
                        .with_partitions(partitions)
                })
                .collect(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_name_each_partition_once() {
        let keys: Vec<Key> = vec![
            ("a".into(), 0, 5),
            ("a".into(), 0, 9),
            ("a".into(), 1, 5),
            ("a".into(), 0, 12),
        ];
        let refs: Vec<&Key> = keys.iter().collect();
        let l = layers(&refs);
        assert_eq!(l.len(), 3);
        assert_eq!(l[0].len(), 2);
        assert_eq!(l[1], [&keys[1]]);
        assert_eq!(l[2], [&keys[3]]);
        let req = fetch(&l[0]);
        assert_eq!(req.topics.len(), 1);
        assert_eq!(req.topics[0].partitions.len(), 2);
        assert_eq!(req.max_bytes, 2 * PARTITION_MAX_BYTES);
    }
}
