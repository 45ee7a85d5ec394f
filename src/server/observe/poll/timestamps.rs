//! The timestamps of the records at groups' committed offsets: a Fetch of a few kilobytes
//! per partition at the committed offset, batched per leader. A timestamp read once is kept
//! while a group's commit stays there, and each poll reads at most [`READS_PER_POLL`] new
//! ones; the rest are interpolated from the history until their turn comes.

use std::collections::{BTreeMap, HashMap, HashSet};

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{BrokerId, FetchRequest, FetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::super::cluster::Cluster;
use super::super::record_ts::timestamp_at;
use super::super::snapshot::{ClusterSnapshot, PartitionSnapshot};
use super::Warnings;

/// New record timestamps read per poll, at most.
pub const READS_PER_POLL: usize = 2_000;
/// Bytes asked per partition: enough for a batch header and the records of a small batch.
const PARTITION_MAX_BYTES: i32 = 16 * 1024;
/// Bytes asked per Fetch request in all.
const REQUEST_MAX_BYTES: i32 = 8 * 1024 * 1024;

/// A partition and offset of one topic.
type Key<'a> = (&'a str, u32, i64);

/// Timestamps already read, by topic, then (partition, offset).
#[derive(Debug, Clone, Default)]
pub struct TimestampCache {
    known: HashMap<String, HashMap<(u32, i64), i64>>,
}

impl TimestampCache {
    fn get(&self, topic: &str, partition: u32, offset: i64) -> Option<i64> {
        self.known.get(topic)?.get(&(partition, offset)).copied()
    }

    fn insert(&mut self, topic: &str, partition: u32, offset: i64, ts: i64) {
        match self.known.get_mut(topic) {
            Some(m) => {
                m.insert((partition, offset), ts);
            }
            None => {
                let m = HashMap::from([((partition, offset), ts)]);
                self.known.insert(topic.to_string(), m);
            }
        }
    }

    /// Keeps only what some group stands at now: commits move on.
    fn keep(&mut self, needed: &HashMap<&str, HashSet<(u32, i64)>>) {
        self.known
            .retain(|topic, m| match needed.get(topic.as_str()) {
                Some(n) => {
                    m.retain(|k, _| n.contains(k));
                    !m.is_empty()
                }
                None => false,
            });
    }
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
    let mut per_leader: BTreeMap<i32, Vec<Key<'_>>> = BTreeMap::new();
    let missing = needed
        .iter()
        .flat_map(|(&t, set)| set.iter().map(move |&(p, o)| (t, p, o)))
        .filter(|&(t, p, o)| cache.get(t, p, o).is_none())
        .take(READS_PER_POLL);
    for key in missing {
        if let Some(leader) = partition(snap, key.0, key.1).and_then(|p| p.leader) {
            per_leader.entry(leader).or_default().push(key);
        }
    }
    let requests: BTreeMap<i32, Vec<Vec<Key<'_>>>> = per_leader
        .into_iter()
        .map(|(id, keys)| (id, layers(&keys)))
        .collect();
    let asked = requests
        .iter()
        .map(|(&id, layers)| (id, layers.iter().map(|l| fetch(l)).collect()))
        .collect();
    for (id, answer) in cluster.fan_out(asked).await {
        match answer {
            Ok(answers) => {
                for (layer, answer) in requests[&id].iter().zip(&answers) {
                    remember(cache, layer, answer);
                }
            }
            Err(e) => warn.push(format!("record timestamps from broker {id}: {e}")),
        }
    }
    cache.keep(&needed);
    drop(needed);
    for g in snap.groups.values_mut() {
        for (topic, parts) in &g.committed {
            let Some(known) = cache.known.get(topic) else {
                continue;
            };
            for (&p, &offset) in parts {
                if let Some(&ts) = known.get(&(p, offset)) {
                    let at = g.committed_timestamps.entry(topic.clone()).or_default();
                    at.insert(p, ts);
                }
            }
        }
    }
}

/// Reads the timestamps out of one Fetch answer to the keys of `layer`.
fn remember(cache: &mut TimestampCache, layer: &[Key<'_>], answer: &FetchResponse) {
    let asked: HashMap<(&str, u32), i64> = layer.iter().map(|&(t, p, o)| ((t, p), o)).collect();
    for t in &answer.responses {
        for p in &t.partitions {
            let Ok(partition) = u32::try_from(p.partition_index) else {
                continue;
            };
            let topic = t.topic.0.as_str();
            let Some(&offset) = asked.get(&(topic, partition)) else {
                continue;
            };
            let records = p.records.as_deref().unwrap_or_default();
            if let Some(ts) = timestamp_at(records, offset) {
                cache.insert(topic, partition, offset, ts);
            }
        }
    }
}

fn partition<'a>(snap: &'a ClusterSnapshot, topic: &str, p: u32) -> Option<&'a PartitionSnapshot> {
    snap.topics
        .get(topic)?
        .partitions
        .get(p as usize)
        .filter(|x| x.partition == p)
}

/// Committed offsets with records after them that are still in the log, by topic.
fn needed(snap: &ClusterSnapshot) -> HashMap<&str, HashSet<(u32, i64)>> {
    let mut out: HashMap<&str, HashSet<(u32, i64)>> = HashMap::new();
    for g in snap.groups.values() {
        for (topic, parts) in &g.committed {
            let Some(t) = snap.topics.get(topic) else {
                continue;
            };
            let set = out.entry(topic.as_str()).or_default();
            for (&p, &offset) in parts {
                let Some(part) = t.partitions.get(p as usize).filter(|x| x.partition == p) else {
                    continue;
                };
                let (Some(start), Some(hw)) = (part.log_start, part.high_watermark) else {
                    continue;
                };
                if offset >= start && offset < hw {
                    set.insert((p, offset));
                }
            }
        }
    }
    out
}

/// Splits keys into requests that name each partition once (a Fetch cannot ask one
/// partition at two offsets).
fn layers<'a>(keys: &[Key<'a>]) -> Vec<Vec<Key<'a>>> {
    let mut out: Vec<Vec<Key<'a>>> = Vec::new();
    let mut depth: HashMap<(&str, u32), usize> = HashMap::new();
    for &key in keys {
        let d = depth.entry((key.0, key.1)).or_default();
        if out.len() <= *d {
            out.push(Vec::new());
        }
        out[*d].push(key);
        *d += 1;
    }
    out
}

fn fetch(keys: &[Key<'_>]) -> FetchRequest {
    let mut topics: BTreeMap<&str, Vec<FetchPartition>> = BTreeMap::new();
    for &(topic, partition, offset) in keys {
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
        let keys: Vec<Key> = vec![("a", 0, 5), ("a", 0, 9), ("a", 1, 5), ("a", 0, 12)];
        let l = layers(&keys);
        assert_eq!(l.len(), 3);
        assert_eq!(l[0].len(), 2);
        assert_eq!(l[1], [keys[1]]);
        assert_eq!(l[2], [keys[3]]);
        let req = fetch(&l[0]);
        assert_eq!(req.topics.len(), 1);
        assert_eq!(req.topics[0].partitions.len(), 2);
        assert_eq!(req.max_bytes, 2 * PARTITION_MAX_BYTES);
    }
}
