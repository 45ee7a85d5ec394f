//! Partition assignors: how a group's partitions are shared out among its members.
//!
//! In Kafka the group leader (a client) runs the assignor; the broker only relays
//! the result. Simulated groups ask the broker to run it on their behalf, and the
//! network server relays whatever real clients computed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

/// A topic name and partition index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    /// The topic name.
    pub topic: String,
    /// The partition index.
    pub partition: u32,
}

impl TopicPartition {
    /// `topic`, partition `partition`.
    pub fn new(topic: impl Into<String>, partition: u32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// The assignment strategies Kafka's Java client ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AssignorKind {
    /// Per topic, contiguous ranges of partitions to members sorted by id.
    #[default]
    Range,
    /// All partitions, sorted, dealt out to members in turn.
    RoundRobin,
    /// Balanced, and keeps as many partitions as possible where they were.
    Sticky,
    /// The sticky target, reached in two rebalances: partitions that change owner are
    /// first revoked (left unassigned), then handed out by a follow-up rebalance, so members
    /// keep working on every partition that does not move.
    CooperativeSticky,
}

impl AssignorKind {
    /// The protocol name Kafka clients use for this strategy.
    pub fn protocol_name(self) -> &'static str {
        match self {
            AssignorKind::Range => "range",
            AssignorKind::RoundRobin => "roundrobin",
            AssignorKind::Sticky => "sticky",
            AssignorKind::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// Whether members keep their partitions during a rebalance (the incremental protocol).
    pub fn is_cooperative(self) -> bool {
        self == AssignorKind::CooperativeSticky
    }
}

impl fmt::Display for AssignorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.protocol_name())
    }
}

impl FromStr for AssignorKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "range" => AssignorKind::Range,
            "roundrobin" => AssignorKind::RoundRobin,
            "sticky" => AssignorKind::Sticky,
            "cooperative-sticky" => AssignorKind::CooperativeSticky,
            other => {
                return Err(format!(
                    "unknown assignor '{other}' (expected range, roundrobin, sticky or cooperative-sticky)"
                ));
            }
        })
    }
}

/// One member as an assignor sees it.
#[derive(Debug, Clone, Copy)]
pub struct MemberSubscription<'a> {
    /// The member id.
    pub member_id: &'a str,
    /// The topics it subscribes to.
    pub topics: &'a [String],
    /// What the member owns now; only the sticky assignors look at it.
    pub owned: &'a [TopicPartition],
}

/// Member id to the partitions it owns, each list sorted. Every member appears, possibly empty.
pub type Assignment = BTreeMap<String, Vec<TopicPartition>>;

/// Runs `kind` over `members`, given each topic's partition count. Topics missing from
/// `partitions_per_topic` are ignored, as Kafka ignores subscriptions to unknown topics.
pub fn assign(
    kind: AssignorKind,
    members: &[MemberSubscription<'_>],
    partitions_per_topic: &BTreeMap<String, u32>,
) -> Assignment {
    let mut sorted: Vec<MemberSubscription<'_>> = members.to_vec();
    sorted.sort_by(|a, b| a.member_id.cmp(b.member_id));
    sorted.dedup_by(|a, b| a.member_id == b.member_id);
    let mut out: Assignment = sorted
        .iter()
        .map(|m| (m.member_id.to_string(), Vec::new()))
        .collect();
    match kind {
        AssignorKind::Range => range(&sorted, partitions_per_topic, &mut out),
        AssignorKind::RoundRobin => round_robin(&sorted, partitions_per_topic, &mut out),
        AssignorKind::Sticky => sticky(&sorted, partitions_per_topic, &mut out),
        AssignorKind::CooperativeSticky => {
            sticky(&sorted, partitions_per_topic, &mut out);
            withhold_moved_partitions(&sorted, &mut out);
        }
    }
    for parts in out.values_mut() {
        parts.sort();
    }
    out
}

fn subscribers<'m>(
    members: &'m [MemberSubscription<'m>],
    topic: &str,
) -> impl Iterator<Item = &'m MemberSubscription<'m>> {
    members
        .iter()
        .filter(move |m| m.topics.iter().any(|t| t == topic))
}

fn range(
    members: &[MemberSubscription<'_>],
    partitions_per_topic: &BTreeMap<String, u32>,
    out: &mut Assignment,
) {
    for (topic, &n) in partitions_per_topic {
        let subs: Vec<_> = subscribers(members, topic).collect();
        if subs.is_empty() {
            continue;
        }
        let per = n / subs.len() as u32;
        let extra = n % subs.len() as u32;
        for (i, m) in subs.iter().enumerate() {
            let i = i as u32;
            let start = per * i + i.min(extra);
            let len = per + u32::from(i < extra);
            let parts = out.get_mut(m.member_id).expect("member listed");
            parts.extend((start..start + len).map(|p| TopicPartition::new(topic.clone(), p)));
        }
    }
}

fn round_robin(
    members: &[MemberSubscription<'_>],
    partitions_per_topic: &BTreeMap<String, u32>,
    out: &mut Assignment,
) {
    if members.is_empty() {
        return;
    }
    let mut cursor = 0usize;
    for (topic, &n) in partitions_per_topic {
        if subscribers(members, topic).next().is_none() {
            continue;
        }
        for p in 0..n {
            // Deal to the next member in the circle that subscribes to this topic.
            while !members[cursor % members.len()]
                .topics
                .iter()
                .any(|t| t == topic)
            {
                cursor += 1;
            }
            let m = &members[cursor % members.len()];
            out.get_mut(m.member_id)
                .expect("member listed")
                .push(TopicPartition::new(topic.clone(), p));
            cursor += 1;
        }
    }
}

fn sticky(
    members: &[MemberSubscription<'_>],
    partitions_per_topic: &BTreeMap<String, u32>,
    out: &mut Assignment,
) {
    let subscribed = |member: &str, topic: &str| {
        members
            .iter()
            .find(|m| m.member_id == member)
            .is_some_and(|m| m.topics.iter().any(|t| t == topic))
    };
    let exists = |tp: &TopicPartition| {
        partitions_per_topic
            .get(&tp.topic)
            .is_some_and(|&n| tp.partition < n)
    };
    // Keep what each member owns, when it is still valid and nobody claimed it first.
    let mut claimed: BTreeSet<TopicPartition> = BTreeSet::new();
    for m in members {
        let parts = out.get_mut(m.member_id).expect("member listed");
        for tp in m.owned {
            if exists(tp) && subscribed(m.member_id, &tp.topic) && claimed.insert(tp.clone()) {
                parts.push(tp.clone());
            }
        }
    }
    // Hand every unowned partition to the least-loaded member that can take it.
    for (topic, &n) in partitions_per_topic {
        for p in 0..n {
            let tp = TopicPartition::new(topic.clone(), p);
            if claimed.contains(&tp) {
                continue;
            }
            let target = members
                .iter()
                .filter(|m| m.topics.iter().any(|t| t == topic))
                .min_by_key(|m| (out[m.member_id].len(), m.member_id));
            if let Some(m) = target {
                out.get_mut(m.member_id)
                    .expect("member listed")
                    .push(tp.clone());
                claimed.insert(tp);
            }
        }
    }
    // Move single partitions from the most to the least loaded member until no move
    // narrows the gap; each move lowers the sum of squared loads, so this terminates.
    loop {
        let mut best: Option<(String, String, usize)> = None;
        let mut by_load: Vec<(&str, usize)> =
            out.iter().map(|(id, v)| (id.as_str(), v.len())).collect();
        by_load.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        'search: for &(donor, dl) in &by_load {
            for &(taker, tl) in by_load.iter().rev() {
                if tl + 1 >= dl {
                    break;
                }
                if let Some(idx) = out[donor]
                    .iter()
                    .rposition(|tp| subscribed(taker, &tp.topic))
                {
                    best = Some((donor.to_string(), taker.to_string(), idx));
                    break 'search;
                }
            }
        }
        let Some((donor, taker, idx)) = best else {
            break;
        };
        let tp = out.get_mut(&donor).expect("donor").remove(idx);
        out.get_mut(&taker).expect("taker").push(tp);
    }
}

fn withhold_moved_partitions(members: &[MemberSubscription<'_>], out: &mut Assignment) {
    // A partition two members may hold (`None`) goes to neither until the follow-up
    // rebalance: whichever truly holds it gives it up first.
    let mut previous_owner: BTreeMap<&TopicPartition, Option<&str>> = BTreeMap::new();
    for m in members {
        for tp in m.owned {
            previous_owner
                .entry(tp)
                .and_modify(|owner| *owner = None)
                .or_insert(Some(m.member_id));
        }
    }
    for (member, parts) in out.iter_mut() {
        parts.retain(|tp| match previous_owner.get(tp) {
            Some(&owner) => owner == Some(member.as_str()),
            None => true,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(list: &[(&str, u32)]) -> BTreeMap<String, u32> {
        list.iter().map(|(t, n)| (t.to_string(), *n)).collect()
    }

    fn tps(list: &[(&str, u32)]) -> Vec<TopicPartition> {
        list.iter()
            .map(|(t, p)| TopicPartition::new(*t, *p))
            .collect()
    }

    fn both() -> Vec<String> {
        vec!["t0".to_string(), "t1".to_string()]
    }

    /// Kafka's RangeAssignor javadoc: C0 gets t0p0, t0p1, t1p0, t1p1 and C1 gets t0p2, t1p2.
    #[test]
    fn range_matches_kafka_doc_example() {
        let subs = both();
        let members = [
            MemberSubscription {
                member_id: "C1",
                topics: &subs,
                owned: &[],
            },
            MemberSubscription {
                member_id: "C0",
                topics: &subs,
                owned: &[],
            },
        ];
        let a = assign(
            AssignorKind::Range,
            &members,
            &topics(&[("t0", 3), ("t1", 3)]),
        );
        assert_eq!(a["C0"], tps(&[("t0", 0), ("t0", 1), ("t1", 0), ("t1", 1)]));
        assert_eq!(a["C1"], tps(&[("t0", 2), ("t1", 2)]));
    }

    /// Kafka's RoundRobinAssignor javadoc: C0 gets t0p0, t0p2, t1p1 and C1 gets t0p1, t1p0, t1p2.
    #[test]
    fn roundrobin_matches_kafka_doc_example() {
        let subs = both();
        let members = [
            MemberSubscription {
                member_id: "C1",
                topics: &subs,
                owned: &[],
            },
            MemberSubscription {
                member_id: "C0",
                topics: &subs,
                owned: &[],
            },
        ];
        let a = assign(
            AssignorKind::RoundRobin,
            &members,
            &topics(&[("t0", 3), ("t1", 3)]),
        );
        assert_eq!(a["C0"], tps(&[("t0", 0), ("t0", 2), ("t1", 1)]));
        assert_eq!(a["C1"], tps(&[("t0", 1), ("t1", 0), ("t1", 2)]));
    }

    /// The javadoc's unequal-subscription example: C0 [t0], C1 [t0, t1], C2 [t0, t1, t2];
    /// t0 has 1 partition, t1 has 2 and t2 has 3.
    #[test]
    fn roundrobin_skips_members_not_subscribed() {
        let s0 = vec!["t0".to_string()];
        let s1 = vec!["t0".to_string(), "t1".to_string()];
        let s2 = vec!["t0".to_string(), "t1".to_string(), "t2".to_string()];
        let members = [
            MemberSubscription {
                member_id: "C0",
                topics: &s0,
                owned: &[],
            },
            MemberSubscription {
                member_id: "C1",
                topics: &s1,
                owned: &[],
            },
            MemberSubscription {
                member_id: "C2",
                topics: &s2,
                owned: &[],
            },
        ];
        let a = assign(
            AssignorKind::RoundRobin,
            &members,
            &topics(&[("t0", 1), ("t1", 2), ("t2", 3)]),
        );
        assert_eq!(a["C0"], tps(&[("t0", 0)]));
        assert_eq!(a["C1"], tps(&[("t1", 0)]));
        assert_eq!(a["C2"], tps(&[("t1", 1), ("t2", 0), ("t2", 1), ("t2", 2)]));
    }

    #[test]
    fn range_with_more_members_than_partitions_leaves_some_idle() {
        let subs = vec!["t".to_string()];
        let ids = ["a", "b", "c", "d"];
        let members: Vec<_> = ids
            .iter()
            .map(|id| MemberSubscription {
                member_id: id,
                topics: &subs,
                owned: &[],
            })
            .collect();
        let a = assign(AssignorKind::Range, &members, &topics(&[("t", 2)]));
        assert_eq!(a["a"].len(), 1);
        assert_eq!(a["b"].len(), 1);
        assert!(a["c"].is_empty() && a["d"].is_empty());
    }

    fn member<'a>(
        member_id: &'a str,
        topics: &'a [String],
        owned: &'a [TopicPartition],
    ) -> MemberSubscription<'a> {
        MemberSubscription {
            member_id,
            topics,
            owned,
        }
    }

    /// How many of `now`'s partitions `before` already had.
    fn kept(before: &[TopicPartition], now: &[TopicPartition]) -> usize {
        now.iter().filter(|tp| before.contains(tp)).count()
    }

    #[test]
    fn sticky_moves_as_few_partitions_as_possible() {
        let subs = vec!["t".to_string()];
        let parts = topics(&[("t", 6)]);
        let first = assign(
            AssignorKind::Sticky,
            &[member("a", &subs, &[]), member("b", &subs, &[])],
            &parts,
        );
        assert_eq!(first["a"].len(), 3);
        // A third member joins: exactly two partitions move, one from each.
        let second = assign(
            AssignorKind::Sticky,
            &[
                member("a", &subs, &first["a"]),
                member("b", &subs, &first["b"]),
                member("c", &subs, &[]),
            ],
            &parts,
        );
        assert_eq!(second["c"].len(), 2);
        let kept_a = kept(&first["a"], &second["a"]);
        let kept_b = kept(&first["b"], &second["b"]);
        assert_eq!((kept_a, kept_b), (2, 2));
        // Compare with range, which would move more.
        let ranged = assign(
            AssignorKind::Range,
            &[
                member("a", &subs, &[]),
                member("b", &subs, &[]),
                member("c", &subs, &[]),
            ],
            &parts,
        );
        let range_kept = kept(&first["a"], &ranged["a"]) + kept(&first["b"], &ranged["b"]);
        assert!(range_kept < 4);
    }

    #[test]
    fn sticky_member_leaving_moves_only_its_partitions() {
        let subs = vec!["t".to_string()];
        let parts = topics(&[("t", 6)]);
        let owned_a = tps(&[("t", 0), ("t", 1)]);
        let owned_b = tps(&[("t", 2), ("t", 3)]);
        let a = assign(
            AssignorKind::Sticky,
            &[
                MemberSubscription {
                    member_id: "a",
                    topics: &subs,
                    owned: &owned_a,
                },
                MemberSubscription {
                    member_id: "b",
                    topics: &subs,
                    owned: &owned_b,
                },
            ],
            &parts,
        );
        assert!(owned_a.iter().all(|tp| a["a"].contains(tp)));
        assert!(owned_b.iter().all(|tp| a["b"].contains(tp)));
        assert_eq!(a["a"].len() + a["b"].len(), 6);
    }

    #[test]
    fn cooperative_withholds_moving_partitions_until_follow_up() {
        let subs = vec!["t".to_string()];
        let parts = topics(&[("t", 4)]);
        let owned_a = tps(&[("t", 0), ("t", 1), ("t", 2), ("t", 3)]);
        let first = assign(
            AssignorKind::CooperativeSticky,
            &[
                MemberSubscription {
                    member_id: "a",
                    topics: &subs,
                    owned: &owned_a,
                },
                MemberSubscription {
                    member_id: "b",
                    topics: &subs,
                    owned: &[],
                },
            ],
            &parts,
        );
        assert_eq!(first["a"].len(), 2, "a keeps two and revokes two");
        assert!(first["b"].is_empty(), "b waits for the follow-up rebalance");
        let second = assign(
            AssignorKind::CooperativeSticky,
            &[
                MemberSubscription {
                    member_id: "a",
                    topics: &subs,
                    owned: &first["a"],
                },
                MemberSubscription {
                    member_id: "b",
                    topics: &subs,
                    owned: &first["b"],
                },
            ],
            &parts,
        );
        assert_eq!(second["a"], first["a"]);
        assert_eq!(second["b"].len(), 2);
    }

    #[test]
    fn parse_names() {
        for k in [
            AssignorKind::Range,
            AssignorKind::RoundRobin,
            AssignorKind::Sticky,
            AssignorKind::CooperativeSticky,
        ] {
            assert_eq!(k.protocol_name().parse::<AssignorKind>(), Ok(k));
        }
        assert!("fair".parse::<AssignorKind>().is_err());
    }
}
