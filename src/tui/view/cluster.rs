//! The cluster part of a frame's snapshot: each broker's state and load for the brokers
//! pane, and each partition's leader, replicas and ISR for its strip. A single broker
//! gets none of it, so its screen stays as it was before clusters existed.

use crate::broker::{Broker, PartitionLog, ReplicaSet};

use super::{BrokerView, ReplicaView, ReplicationView, View};

/// Fills the view's brokers and every partition's replication from `broker`, or clears
/// them when the broker is alone. The topics must already be in `view`, in the broker's
/// order. Work is O(partitions × replicas).
pub fn fill_cluster(broker: &Broker, view: &mut View) {
    view.brokers.clear();
    let nodes = broker.cluster().brokers();
    if nodes.len() <= 1 {
        for p in view.topics.iter_mut().flat_map(|t| t.partitions.iter_mut()) {
            p.replication = None;
        }
        return;
    }
    view.brokers.extend(nodes.iter().map(|n| BrokerView {
        rack: n.rack().map(str::to_string),
        slow: n.slow_rate(),
        ..BrokerView::new(n.id(), n.state())
    }));
    for (tv, topic) in view.topics.iter_mut().zip(broker.topics()) {
        let pairs = topic.partitions().iter().zip(topic.replica_sets());
        for (pv, (log, rs)) in tv.partitions.iter_mut().zip(pairs) {
            let r = replication(log, rs);
            count_load(&r, &mut view.brokers);
            pv.replication = Some(r);
        }
    }
}

fn replication(log: &PartitionLog, rs: &ReplicaSet) -> ReplicationView {
    let log_end = log.log_end_offset();
    ReplicationView {
        leader: rs.leader(),
        epoch: rs.leader_epoch(),
        replicas: (rs.replicas().iter())
            .map(|&b| ReplicaView {
                broker: b,
                leo: rs.log_end_offset(b).unwrap_or(0),
                in_sync: rs.in_sync(b),
            })
            .collect(),
        isr: rs.isr().to_vec(),
        log_end,
        truncated: log.truncated_total(),
        cut: rs
            .last_cut()
            .filter(|&(_, to)| to > log_end)
            .map(|(_, to)| (log_end, to)),
    }
}

/// Adds one partition to its brokers' leader and follower counts and to how far their
/// followers are behind.
fn count_load(r: &ReplicationView, brokers: &mut [BrokerView]) {
    for replica in &r.replicas {
        let Some(b) = usize::try_from(replica.broker - 1)
            .ok()
            .and_then(|i| brokers.get_mut(i))
        else {
            continue;
        };
        if r.leader == Some(replica.broker) {
            b.leads += 1;
        } else {
            b.follows += 1;
            b.out_of_sync += u32::from(!replica.in_sync);
            if let Some(behind) = &mut b.behind {
                *behind += r.log_end - replica.leo;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::broker::{BrokerState, ClusterConfig, NewRecord, TopicConfig};
    use crate::tui::view::{BrokerOptions, fill_from_broker};

    fn cluster(unclean: bool) -> Broker {
        let mut config = ClusterConfig::new(3);
        config.replica_lag_time_max_ms = 1_000;
        config.unclean_leader_election = unclean;
        let mut b = Broker::with_cluster(config).unwrap();
        let topic = TopicConfig::new(2).with_replication(3, 1);
        b.create_topic("orders", topic, 0).unwrap();
        b
    }

    fn append(b: &mut Broker, partition: u32, n: i64) {
        for i in 0..n {
            let key = Bytes::from(format!("k{i}"));
            b.append("orders", partition, NewRecord::new(i, Some(key), "v"))
                .unwrap();
        }
    }

    fn view_of(b: &Broker) -> View {
        let mut view = View::default();
        let opts = BrokerOptions {
            tail_cells: 40,
            event_lines: 50,
            group_order: &[],
        };
        fill_from_broker(b, &opts, &mut view);
        view
    }

    fn leader(b: &Broker, p: u32) -> i32 {
        b.partition_leader("orders", p).unwrap().unwrap()
    }

    #[test]
    fn a_single_broker_has_no_cluster_in_its_view() {
        let mut b = Broker::new();
        b.create_topic("orders", TopicConfig::new(1), 0).unwrap();
        let view = view_of(&b);
        assert!(view.brokers.is_empty());
        assert_eq!(view.topics[0].partitions[0].replication, None);
    }

    #[test]
    fn brokers_count_what_they_lead_and_follow_and_how_far_behind() {
        let mut b = cluster(false);
        b.replicate(0);
        let slow_one = leader(&b, 0) % 3 + 1;
        b.slow_broker(slow_one, 0.0, 0).unwrap();
        append(&mut b, 0, 10);
        b.replicate(100);
        let view = view_of(&b);
        assert_eq!(view.brokers.len(), 3);
        let leads: u32 = view.brokers.iter().map(|v| v.leads).sum();
        let follows: u32 = view.brokers.iter().map(|v| v.follows).sum();
        assert_eq!((leads, follows), (2, 4));
        let slow = &view.brokers[slow_one as usize - 1];
        assert_eq!(slow.slow, Some(0.0));
        assert_eq!(slow.state, BrokerState::Up);
        // It stalls on p0 (ten records) and follows p1 too unless it leads it.
        assert_eq!(slow.behind, Some(10));
        let others: i64 = (view.brokers.iter())
            .filter(|v| v.id != slow_one)
            .filter_map(|v| v.behind)
            .sum();
        assert_eq!(others, 0);

        let p0 = view.topics[0].partitions[0].replication.as_ref().unwrap();
        assert_eq!(p0.log_end, 10);
        assert_eq!(view.topics[0].partitions[0].log_end(), 10);
        assert_eq!(
            p0.lagging_followers().collect::<Vec<_>>(),
            vec![(slow_one, 0)]
        );
        // Still in sync: the high watermark waits for it.
        assert!(p0.isr.contains(&slow_one));
        assert_eq!(view.topics[0].partitions[0].high_watermark, 0);
        assert_eq!(view.topics[0].partitions[0].tail.len(), 10);
    }

    #[test]
    fn a_crash_moves_the_leader_and_shrinks_the_isr() {
        let mut b = cluster(false);
        append(&mut b, 0, 5);
        b.replicate(0);
        let old = leader(&b, 0);
        b.crash_broker(old, 10).unwrap();
        let view = view_of(&b);
        let r = view.topics[0].partitions[0].replication.as_ref().unwrap();
        assert_ne!(r.leader, Some(old));
        assert_eq!(r.epoch, 1);
        assert!(!r.isr.contains(&old));
        assert_eq!(r.isr.len(), 2);
        let gone = r.replicas.iter().find(|x| x.broker == old).unwrap();
        assert!(!gone.in_sync);
        assert_eq!(view.brokers[old as usize - 1].state, BrokerState::Down);
        assert_eq!(view.brokers[old as usize - 1].leads, 0);
    }

    #[test]
    fn offline_then_unclean_election_shows_the_cut() {
        let mut b = cluster(true);
        b.replicate(0);
        let first = leader(&b, 0);
        let rest: Vec<i32> = (1..=3).filter(|&x| x != first).collect();
        // One follower stalls and leaves the ISR; the other goes down; then the leader,
        // the last in-sync replica, goes too: offline.
        b.slow_broker(rest[0], 0.0, 0).unwrap();
        b.crash_broker(rest[1], 0).unwrap();
        append(&mut b, 0, 8);
        b.replicate(2_000);
        b.heal_broker(rest[0], 2_000).unwrap();
        b.crash_broker(rest[0], 2_000).unwrap();
        b.crash_broker(first, 2_000).unwrap();
        let view = view_of(&b);
        let r = view.topics[0].partitions[0].replication.as_ref().unwrap();
        assert!(r.is_offline(), "{r:?}");
        // The stalled follower comes back: unclean election, the log is cut to its end.
        b.restart_broker(rest[0], 3_000).unwrap();
        let view = view_of(&b);
        let p = &view.topics[0].partitions[0];
        let r = p.replication.as_ref().unwrap();
        assert_eq!(r.leader, Some(rest[0]));
        assert_eq!((r.log_end, r.truncated), (0, 8));
        assert_eq!(r.cut, Some((0, 8)));
        assert_eq!(p.high_watermark, 0);
    }
}
