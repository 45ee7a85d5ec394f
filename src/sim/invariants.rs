//! The invariants of docs/design.md, checked against a running simulation. Debug builds check them
//! after every step, so every test that steps a simulation is also an invariant test.

use std::collections::BTreeMap;

use crate::broker::{
    Acks, Broker, BrokerId, GroupState, GroupType, PartitionLog, ReplicaSet, TopicPartition,
};

use super::consumer::GroupSim;
use super::metrics::subscribed_partitions;
use super::producer::ProducerInfo;
use super::scenario::RebalanceProtocol;

/// Returns the first broken invariant, described.
pub(crate) fn check(broker: &Broker, groups: &[GroupSim]) -> Result<(), String> {
    for topic in broker.topics() {
        let pairs = topic.partitions().iter().zip(topic.replica_sets());
        for (p, (log, rs)) in pairs.enumerate() {
            let (start, hw) = (log.log_start_offset(), log.high_watermark());
            if !(0 <= start && start <= hw && hw <= log.log_end_offset()) {
                return Err(format!(
                    "{}-{p}: log start {start}, high watermark {hw} and log end {} out of order",
                    topic.name(),
                    log.log_end_offset()
                ));
            }
            check_replicas(log, rs).map_err(|e| format!("{}-{p}: {e}", topic.name()))?;
        }
    }
    for (p, rs) in broker.offsets_partitions().iter().enumerate() {
        check_replicas(&PartitionLog::new(), rs)
            .map_err(|e| format!("offsets partition {p}: {e}"))?;
    }
    // Only the simulation's groups: network clients may commit any offset, as Kafka lets
    // them (the sentinels -1 and -2, or past the end), and the broker stores it.
    let simulated = broker
        .all_groups()
        .into_iter()
        .filter(|g| groups.iter().any(|s| s.name() == g.name()));
    for g in simulated {
        for (tp, c) in g.offsets() {
            let Ok(log) = broker.partition(&tp.topic, tp.partition) else {
                continue;
            };
            let hw = log.high_watermark();
            if c.offset < 0 || c.offset > hw {
                return Err(format!(
                    "{}: committed {} beyond {tp} hw {hw}",
                    g.name(),
                    c.offset
                ));
            }
            if broker.lag(g.name(), tp) != Some(hw - c.offset) {
                return Err(format!("{}: lag on {tp} is not hw - committed", g.name()));
            }
        }
    }
    for sim in groups {
        check_group(broker, sim)?;
    }
    Ok(())
}

/// The leader is in the ISR, the ISR within the replicas, the high watermark at most every
/// in-sync replica's log end, and no replica past the leader's.
fn check_replicas(log: &PartitionLog, rs: &ReplicaSet) -> Result<(), String> {
    let (hw, end) = (log.high_watermark(), log.log_end_offset());
    if rs.isr().is_empty() || rs.isr().iter().any(|b| !rs.replicas().contains(b)) {
        return Err(format!(
            "ISR {:?} not within replicas {:?}",
            rs.isr(),
            rs.replicas()
        ));
    }
    if let Some(l) = rs.leader() {
        if !rs.in_sync(l) {
            return Err(format!("leader {l} not in ISR {:?}", rs.isr()));
        }
        if rs.log_end_offset(l) != Some(end) {
            return Err(format!(
                "leader {l}'s log end {:?} is not the log's {end}",
                rs.log_end_offset(l)
            ));
        }
    }
    for &b in rs.replicas() {
        let leo = rs.log_end_offset(b).unwrap_or(-1);
        if leo > end || leo < log.log_start_offset() {
            return Err(format!(
                "replica {b}'s log end {leo} outside the log {}..={end}",
                log.log_start_offset()
            ));
        }
        if rs.in_sync(b) && hw > leo {
            return Err(format!(
                "high watermark {hw} past in-sync replica {b}'s log end {leo}"
            ));
        }
    }
    Ok(())
}

/// Producers account for every record, and with clean elections only, none lost anything
/// it was told was written with `acks=all`.
pub(crate) fn check_producers(broker: &Broker, producers: &[ProducerInfo]) -> Result<(), String> {
    let clean_only = broker.unclean_elections() == 0;
    for p in producers {
        if p.acks == Acks::All && clean_only && p.acked_lost > 0 {
            return Err(format!(
                "{} lost {} records acknowledged with acks=all without an unclean election",
                p.name, p.acked_lost
            ));
        }
        if p.acked + p.failed + p.backlog > p.sent {
            return Err(format!(
                "{}: acknowledged {} + failed {} + waiting {} exceeds sent {}",
                p.name, p.acked, p.failed, p.backlog, p.sent
            ));
        }
    }
    Ok(())
}

/// What the invariants remember about each partition between checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    high_watermark: i64,
    epoch: i32,
    leader: Option<BrokerId>,
    unclean_elections: u32,
}

/// The invariants that span steps: a high watermark moves back only through an unclean
/// election, which is counted; epochs only grow, and an epoch has one leader.
#[derive(Debug, Clone, Default)]
pub(crate) struct Watch {
    seen: BTreeMap<([u8; 16], u32), Seen>,
}

impl Watch {
    /// Compares the broker with what the last call saw, then remembers it.
    pub(crate) fn observe(&mut self, broker: &Broker) -> Result<(), String> {
        for topic in broker.topics() {
            let pairs = topic.partitions().iter().zip(topic.replica_sets());
            for (p, (log, rs)) in pairs.enumerate() {
                let now = Seen {
                    high_watermark: log.high_watermark(),
                    epoch: rs.leader_epoch(),
                    leader: rs.leader(),
                    unclean_elections: rs.unclean_elections(),
                };
                let before = self.seen.insert((topic.id(), p as u32), now);
                if let Some(before) = before {
                    compare(before, now).map_err(|e| format!("{}-{p}: {e}", topic.name()))?;
                }
            }
        }
        Ok(())
    }
}

fn compare(before: Seen, now: Seen) -> Result<(), String> {
    if now.high_watermark < before.high_watermark
        && now.unclean_elections == before.unclean_elections
    {
        return Err(format!(
            "high watermark went back from {} to {} without an unclean election",
            before.high_watermark, now.high_watermark
        ));
    }
    if now.epoch < before.epoch {
        return Err(format!(
            "epoch went back from {} to {}",
            before.epoch, now.epoch
        ));
    }
    let both = now.leader.is_some() && before.leader.is_some();
    if now.epoch == before.epoch && both && now.leader != before.leader {
        return Err(format!(
            "epoch {} has two leaders, {:?} and {:?}",
            now.epoch, before.leader, now.leader
        ));
    }
    Ok(())
}

fn check_group(broker: &Broker, sim: &GroupSim) -> Result<(), String> {
    let name = sim.name();
    if sim.duplicates() > sim.consumed() {
        return Err(format!("{name}: more duplicates than records consumed"));
    }
    // Two live members never work on one partition at once, even mid-rebalance.
    let mut workers: BTreeMap<&TopicPartition, &str> = BTreeMap::new();
    for (i, m) in sim.members().iter().enumerate() {
        for tp in sim.member_partitions(i) {
            if let Some(other) = workers.insert(tp, m.client_id()) {
                return Err(format!(
                    "{name}: {tp} worked on by {other} and {}",
                    m.client_id()
                ));
            }
        }
    }
    let Some(group) = broker.any_group(name) else {
        return Ok(());
    };
    let stable = group.state() == GroupState::Stable;
    // The consumer protocol hands a partition over only once its holder let go, so there
    // no partition is ever held twice, mid-reconciliation included.
    let always = group.group_type() == GroupType::Consumer;
    if !stable && !always {
        return Ok(());
    }
    let mut owners: BTreeMap<&TopicPartition, usize> = BTreeMap::new();
    for m in group.members() {
        for tp in m.assigned.into_iter().chain(m.revoking) {
            *owners.entry(tp).or_default() += 1;
        }
    }
    if let Some((tp, n)) = owners.iter().find(|(_, n)| **n > 1) {
        return Err(format!("{name}: {tp} assigned to {n} members"));
    }
    if !stable {
        return Ok(());
    }
    // A cooperative group reaches full coverage only after its follow-up rebalance, a
    // consumer-protocol group once its members have taken what they were given.
    let complete = match sim.spec().protocol {
        RebalanceProtocol::Classic(a) => !a.is_cooperative() || sim.settled(),
        RebalanceProtocol::Consumer(_) => sim.settled(),
    };
    if complete {
        for tp in subscribed_partitions(broker, &sim.spec().topics) {
            if !owners.contains_key(&tp) {
                return Err(format!("{name}: Stable but {tp} has no owner"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::broker::{
        JoinGroupRequest, JoinOutcome, MemberAssignment, SyncAssignment, TopicConfig,
    };
    use crate::sim::scenario::GroupSpec;

    /// A Stable group whose leader handed out only partition 0 of two.
    fn half_assigned() -> (Broker, GroupSim) {
        let mut b = Broker::new();
        b.create_topic("t", TopicConfig::new(2), 0).unwrap();
        let topics = vec!["t".to_string()];
        let JoinOutcome::Joined(j) = b
            .join_group(JoinGroupRequest::consumer("g", "c", &topics, "range"), 0)
            .unwrap()
        else {
            panic!("a lone member joins at once")
        };
        let mut plan = BTreeMap::new();
        plan.insert(
            j.member_id.clone(),
            MemberAssignment {
                partitions: vec![TopicPartition::new("t", 0)],
                raw: bytes::Bytes::new(),
            },
        );
        b.sync_group(
            "g",
            &j.member_id,
            j.generation,
            SyncAssignment::Provided(plan),
            0,
        )
        .unwrap();
        let sim = GroupSim::new(GroupSpec::with_defaults("g", topics), 0);
        (b, sim)
    }

    #[test]
    fn an_unowned_partition_in_a_stable_group_is_reported() {
        let (b, sim) = half_assigned();
        let err = check(&b, std::slice::from_ref(&sim)).unwrap_err();
        assert!(err.contains("t-1") || err.contains("partition: 1"), "{err}");
    }

    #[test]
    fn a_healthy_broker_passes() {
        let (b, _) = half_assigned();
        // Not a simulated group: only the broker-wide invariants apply.
        check(&b, &[]).unwrap();
    }
}
