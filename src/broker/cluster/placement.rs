//! Where a topic's replicas go: Kafka's assignment, rack-unaware and rack-aware
//! (`AdminUtils.assignReplicasToBrokers`), started from a seeded point so a run is
//! deterministic.
//!
//! Replica 0 of partition `p` is broker `(start + p) % n`; the others follow at a shift that
//! grows by one every `n` partitions, so the followers of a broker's partitions spread over
//! every other broker. With racks, the brokers are first listed alternating racks, and a
//! replica skips a broker whose rack already holds one while unused racks remain.

use std::collections::BTreeMap;

use super::BrokerId;
use crate::broker::partitioner::murmur2;

/// Replica lists for partitions `first..first + count` of `topic` over `brokers` (id and
/// rack, in id order), `replication_factor` each, the preferred leader first. The caller
/// has checked `1 <= replication_factor <= brokers.len()`.
pub(crate) fn place(
    topic: &str,
    seed: u64,
    brokers: &[(BrokerId, Option<&str>)],
    replication_factor: u32,
    first: u32,
    count: u32,
) -> Vec<Vec<BrokerId>> {
    let n = brokers.len();
    let rf = replication_factor as usize;
    debug_assert!(
        rf >= 1 && rf <= n,
        "replication factor {rf} over {n} brokers"
    );
    let h = mix(seed ^ u64::from(murmur2(topic.as_bytes())));
    let (start, shift) = ((h % n as u64) as usize, ((h >> 32) % n as u64) as usize);
    let racked = brokers.iter().all(|(_, r)| r.is_some());
    let arranged = if racked {
        rack_alternated(brokers)
    } else {
        brokers.to_vec()
    };
    let racks = if racked { rack_count(brokers) } else { n };
    (first..first + count)
        .map(|p| {
            let p = p as usize;
            let first_index = (p + start) % n;
            let shift = shift + p / n;
            if racked {
                rack_aware(&arranged, racks, first_index, shift * racks, rf)
            } else {
                (0..rf)
                    .map(|j| match j {
                        0 => arranged[first_index].0,
                        _ => arranged[replica_index(first_index, shift, j - 1, n)].0,
                    })
                    .collect()
            }
        })
        .collect()
}

/// Kafka's `replicaIndex`: never `first` itself while `n > 1`.
fn replica_index(first: usize, shift: usize, j: usize, n: usize) -> usize {
    if n == 1 {
        return first;
    }
    (first + 1 + (shift + j) % (n - 1)) % n
}

fn rack_aware(
    arranged: &[(BrokerId, Option<&str>)],
    racks: usize,
    first_index: usize,
    shift: usize,
    rf: usize,
) -> Vec<BrokerId> {
    let n = arranged.len();
    let (leader, rack) = arranged[first_index];
    let mut replicas = vec![leader];
    let mut used_racks = vec![rack];
    let mut k = 0;
    while replicas.len() < rf {
        let (broker, rack) = arranged[replica_index(first_index, shift, k, n)];
        let rack_ok = !used_racks.contains(&rack) || used_racks.len() >= racks;
        let broker_ok = !replicas.contains(&broker);
        if rack_ok && broker_ok {
            replicas.push(broker);
            if !used_racks.contains(&rack) {
                used_racks.push(rack);
            }
        }
        k += 1;
    }
    replicas
}

fn rack_count(brokers: &[(BrokerId, Option<&str>)]) -> usize {
    let mut racks: Vec<_> = brokers.iter().map(|(_, r)| *r).collect();
    racks.sort_unstable();
    racks.dedup();
    racks.len()
}

/// The brokers ordered rack by rack in turn (racks sorted by name), as Kafka's
/// `getRackAlternatedBrokerList`: neighbours in the list sit on different racks.
fn rack_alternated<'a>(
    brokers: &[(BrokerId, Option<&'a str>)],
) -> Vec<(BrokerId, Option<&'a str>)> {
    let mut by_rack: BTreeMap<Option<&str>, std::collections::VecDeque<BrokerId>> = BTreeMap::new();
    for (id, rack) in brokers {
        by_rack.entry(*rack).or_default().push_back(*id);
    }
    let mut out = Vec::with_capacity(brokers.len());
    while out.len() < brokers.len() {
        for (rack, ids) in by_rack.iter_mut() {
            if let Some(id) = ids.pop_front() {
                out.push((id, *rack));
            }
        }
    }
    out
}

/// SplitMix64's finaliser: spreads a seed over all bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brokers(n: i32) -> Vec<(BrokerId, Option<&'static str>)> {
        (1..=n).map(|i| (i, None)).collect()
    }

    #[test]
    fn replicas_are_distinct_and_leaders_rotate() {
        let b = brokers(3);
        let placed = place("orders", 7, &b, 3, 0, 6);
        for r in &placed {
            let mut sorted = r.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, [1, 2, 3], "{placed:?}");
        }
        let mut leaders: Vec<_> = placed.iter().map(|r| r[0]).collect();
        leaders.sort_unstable();
        assert_eq!(leaders, [1, 1, 2, 2, 3, 3], "each broker leads its share");
    }

    #[test]
    fn followers_of_one_broker_spread_over_the_others() {
        let b = brokers(4);
        let placed = place("t", 1, &b, 2, 0, 16);
        let second: Vec<_> = placed.iter().filter(|r| r[0] == 1).map(|r| r[1]).collect();
        let mut distinct = second.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() >= 3, "{second:?}");
    }

    #[test]
    fn the_same_seed_and_name_place_alike_and_others_differ() {
        let b = brokers(5);
        assert_eq!(place("t", 1, &b, 3, 0, 10), place("t", 1, &b, 3, 0, 10));
        let differ = (0..20u64).any(|s| place("t", s, &b, 3, 0, 10) != place("t", 1, &b, 3, 0, 10));
        assert!(differ);
        // Growing a topic continues the same pattern.
        assert_eq!(
            place("t", 1, &b, 3, 4, 6),
            place("t", 1, &b, 3, 0, 10)[4..].to_vec()
        );
    }

    #[test]
    fn racks_never_share_a_partition_while_racks_remain() {
        let b = vec![
            (1, Some("a")),
            (2, Some("a")),
            (3, Some("b")),
            (4, Some("b")),
            (5, Some("c")),
            (6, Some("c")),
        ];
        let rack = |id: BrokerId| b[(id - 1) as usize].1;
        for p in place("t", 3, &b, 3, 0, 12) {
            let mut racks: Vec<_> = p.iter().map(|&id| rack(id)).collect();
            racks.sort_unstable();
            racks.dedup();
            assert_eq!(racks.len(), 3, "{p:?}");
        }
        // Fewer racks than replicas: racks repeat, brokers do not.
        let two = vec![(1, Some("a")), (2, Some("a")), (3, Some("b"))];
        for p in place("t", 3, &two, 3, 0, 6) {
            let mut ids = p.clone();
            ids.sort_unstable();
            assert_eq!(ids, [1, 2, 3]);
        }
    }

    #[test]
    fn one_broker_holds_everything() {
        assert_eq!(place("t", 0, &brokers(1), 1, 0, 3), vec![vec![1]; 3]);
    }
}
