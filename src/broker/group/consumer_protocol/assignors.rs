//! The assignors a consumer-protocol group runs on the broker (Kafka's `uniform` and
//! `range`). Under KIP-848 the coordinator, not a client, computes the target assignment,
//! from each member's subscription and the previous target.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use super::super::super::assignor::{AssignorKind, MemberSubscription, TopicPartition, assign};

/// A server-side assignor, chosen per group by what its members ask for
/// (`group.remote.assignor`), `uniform` when none asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum ServerAssignor {
    /// Balanced and sticky: members keep what they had up to their fair share, and only
    /// the surplus moves.
    #[default]
    Uniform,
    /// Contiguous ranges per topic, the same partition numbers of every topic to one member
    /// (co-partitioning); static members first, by instance id, so restarts keep ranges.
    Range,
}

impl ServerAssignor {
    /// The name clients ask for it by.
    pub fn name(self) -> &'static str {
        match self {
            ServerAssignor::Uniform => "uniform",
            ServerAssignor::Range => "range",
        }
    }
}

impl fmt::Display for ServerAssignor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ServerAssignor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "uniform" => Ok(ServerAssignor::Uniform),
            "range" => Ok(ServerAssignor::Range),
            other => Err(format!(
                "unknown server-side assignor '{other}' (expected uniform or range)"
            )),
        }
    }
}

/// One member as a server-side assignor sees it.
#[derive(Debug, Clone, Copy)]
pub(super) struct AssignMember<'a> {
    pub id: &'a str,
    pub instance_id: Option<&'a str>,
    /// Sorted.
    pub topics: &'a [String],
    /// Its share of the previous target assignment.
    pub previous: &'a BTreeSet<TopicPartition>,
}

/// Member id to target partitions; every member appears.
pub(super) type TargetAssignment = BTreeMap<String, BTreeSet<TopicPartition>>;

/// Runs `assignor` over `members` (sorted by id), given the partition count of every
/// subscribed topic that exists.
pub(super) fn assign_target(
    assignor: ServerAssignor,
    members: &[AssignMember<'_>],
    partitions: &BTreeMap<String, u32>,
) -> TargetAssignment {
    let mut out: TargetAssignment = members
        .iter()
        .map(|m| (m.id.to_string(), BTreeSet::new()))
        .collect();
    if members.is_empty() {
        return out;
    }
    let homogeneous = members.iter().all(|m| m.topics == members[0].topics);
    match (assignor, homogeneous) {
        (ServerAssignor::Uniform, true) => uniform_homogeneous(members, partitions, &mut out),
        (ServerAssignor::Uniform, false) => uniform_heterogeneous(members, partitions, &mut out),
        (ServerAssignor::Range, _) => range(members, partitions, &mut out),
    }
    out
}

/// Kafka's homogeneous uniform assignment: each member keeps its previous partitions up to
/// its quota, and the rest are dealt to members below theirs. The members that get one
/// partition over the minimum are those already holding more, so less moves.
fn uniform_homogeneous(
    members: &[AssignMember<'_>],
    partitions: &BTreeMap<String, u32>,
    out: &mut TargetAssignment,
) {
    let topics: BTreeSet<&str> = members[0]
        .topics
        .iter()
        .map(String::as_str)
        .filter(|t| partitions.contains_key(*t))
        .collect();
    let total: u64 = topics.iter().map(|t| u64::from(partitions[*t])).sum();
    let n = members.len() as u64;
    let (min, mut extra) = (total / n, total % n);
    let previous_count = |m: &AssignMember<'_>| {
        m.previous
            .iter()
            .filter(|tp| topics.contains(tp.topic.as_str()) && tp.partition < partitions[&tp.topic])
            .count() as u64
    };
    let mut quotas: Vec<u64> = vec![min; members.len()];
    for pass_holds_more in [true, false] {
        for (i, m) in members.iter().enumerate() {
            if extra > 0 && quotas[i] == min && (!pass_holds_more || previous_count(m) > min) {
                quotas[i] += 1;
                extra -= 1;
            }
        }
    }
    let mut taken: BTreeSet<&TopicPartition> = BTreeSet::new();
    let mut room = Vec::with_capacity(members.len());
    for (m, quota) in members.iter().zip(&quotas) {
        let kept = out.get_mut(m.id).expect("every member has an entry");
        for tp in m.previous {
            let valid = topics.contains(tp.topic.as_str()) && tp.partition < partitions[&tp.topic];
            if valid && (kept.len() as u64) < *quota && taken.insert(tp) {
                kept.insert(tp.clone());
            }
        }
        room.push(quota - kept.len() as u64);
    }
    let mut free = topics.iter().flat_map(|t| {
        (0..partitions[*t])
            .map(|p| TopicPartition::new(*t, p))
            .filter(|tp| !taken.contains(tp))
    });
    for (m, room) in members.iter().zip(room) {
        let mine = out.get_mut(m.id).expect("every member has an entry");
        mine.extend(free.by_ref().take(room as usize));
    }
}

/// Members subscribe to different topics: the sticky assignor's balance-then-stickiness
/// over each topic's subscribers, with the previous target as what members own.
fn uniform_heterogeneous(
    members: &[AssignMember<'_>],
    partitions: &BTreeMap<String, u32>,
    out: &mut TargetAssignment,
) {
    let previous: Vec<Vec<TopicPartition>> = members
        .iter()
        .map(|m| m.previous.iter().cloned().collect())
        .collect();
    let subs: Vec<MemberSubscription<'_>> = members
        .iter()
        .zip(&previous)
        .map(|(m, owned)| MemberSubscription {
            member_id: m.id,
            topics: m.topics,
            owned,
        })
        .collect();
    for (member, parts) in assign(AssignorKind::Sticky, &subs, partitions) {
        out.insert(member, parts.into_iter().collect());
    }
}

/// Kafka's server-side range assignor: per topic, contiguous ranges to the topic's
/// subscribers in order, the first ones getting one extra; static members come first, by
/// instance id, so a restarted member keeps its range.
fn range(
    members: &[AssignMember<'_>],
    partitions: &BTreeMap<String, u32>,
    out: &mut TargetAssignment,
) {
    let mut order: Vec<&AssignMember<'_>> = members.iter().collect();
    order.sort_by(|a, b| match (a.instance_id, b.instance_id) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.id.cmp(b.id),
    });
    for (topic, &count) in partitions {
        let subs: Vec<&&AssignMember<'_>> = order
            .iter()
            .filter(|m| m.topics.iter().any(|t| t == topic))
            .collect();
        if subs.is_empty() {
            continue;
        }
        let n = subs.len() as u32;
        let (min, extra) = (count / n, count % n);
        let mut next = 0;
        for (i, m) in subs.iter().enumerate() {
            let quota = min + u32::from((i as u32) < extra);
            let mine = out.get_mut(m.id).expect("every member has an entry");
            mine.extend((next..next + quota).map(|p| TopicPartition::new(topic.as_str(), p)));
            next += quota;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tps(ps: &[u32]) -> BTreeSet<TopicPartition> {
        ps.iter().map(|&p| TopicPartition::new("t", p)).collect()
    }

    fn run(
        assignor: ServerAssignor,
        members: &[(&str, Option<&str>, &[u32])],
        n: u32,
    ) -> BTreeMap<String, Vec<u32>> {
        let topics = vec!["t".to_string()];
        let previous: Vec<BTreeSet<TopicPartition>> =
            members.iter().map(|(_, _, p)| tps(p)).collect();
        let ms: Vec<AssignMember<'_>> = members
            .iter()
            .zip(&previous)
            .map(|((id, inst, _), prev)| AssignMember {
                id,
                instance_id: *inst,
                topics: &topics,
                previous: prev,
            })
            .collect();
        let parts = BTreeMap::from([("t".to_string(), n)]);
        assign_target(assignor, &ms, &parts)
            .into_iter()
            .map(|(m, s)| (m, s.into_iter().map(|tp| tp.partition).collect()))
            .collect()
    }

    #[test]
    fn uniform_moves_only_the_surplus_to_a_newcomer() {
        let got = run(
            ServerAssignor::Uniform,
            &[
                ("a", None, &[0, 1, 2]),
                ("b", None, &[3, 4, 5]),
                ("c", None, &[]),
            ],
            6,
        );
        assert_eq!(got["a"], [0, 1]);
        assert_eq!(got["b"], [3, 4]);
        assert_eq!(got["c"], [2, 5]);
    }

    #[test]
    fn uniform_gives_the_extra_partition_to_a_member_that_already_holds_it() {
        let got = run(
            ServerAssignor::Uniform,
            &[("a", None, &[0]), ("b", None, &[1, 2])],
            3,
        );
        assert_eq!(got["a"], [0]);
        assert_eq!(got["b"], [1, 2], "nothing moves");
    }

    #[test]
    fn range_puts_static_members_first_by_instance_id() {
        let got = run(
            ServerAssignor::Range,
            &[
                ("m1", None, &[]),
                ("m2", Some("z"), &[]),
                ("m3", Some("a"), &[]),
            ],
            5,
        );
        assert_eq!(got["m3"], [0, 1]);
        assert_eq!(got["m2"], [2, 3]);
        assert_eq!(got["m1"], [4]);
    }

    #[test]
    fn names_parse_and_print() {
        for a in [ServerAssignor::Uniform, ServerAssignor::Range] {
            assert_eq!(a.name().parse::<ServerAssignor>(), Ok(a));
        }
        assert!("sticky".parse::<ServerAssignor>().is_err());
    }
}
