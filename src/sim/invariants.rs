//! The invariants of docs/design.md, checked against a running simulation. Debug builds check them
//! after every step, so every test that steps a simulation is also an invariant test.

use std::collections::BTreeMap;

use crate::broker::{Broker, GroupState, GroupType, TopicPartition};

use super::consumer::GroupSim;
use super::metrics::subscribed_partitions;
use super::scenario::RebalanceProtocol;

/// Returns the first broken invariant, described.
pub(crate) fn check(broker: &Broker, groups: &[GroupSim]) -> Result<(), String> {
    for topic in broker.topics() {
        for (p, log) in topic.partitions().iter().enumerate() {
            let (start, hw) = (log.log_start_offset(), log.high_watermark());
            if !(0 <= start && start <= hw) {
                return Err(format!(
                    "{}-{p}: log start {start} and high watermark {hw} out of order",
                    topic.name()
                ));
            }
        }
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
