//! Events made by comparing two successive snapshots: what a poll shows that the previous
//! one did not. Polls are seconds apart, so two changes between them read as one.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use super::snapshot::{ClusterSnapshot, GroupSnapshot, TopicPartition};

/// Something that changed between two polls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ObservedEvent {
    BrokerJoined {
        id: i32,
    },
    BrokerLeft {
        id: i32,
    },
    TopicCreated {
        topic: String,
        partitions: usize,
    },
    TopicDeleted {
        topic: String,
    },
    PartitionsAdded {
        topic: String,
        from: usize,
        to: usize,
    },
    LeaderChanged {
        topic: String,
        partition: u32,
        from: Option<i32>,
        to: Option<i32>,
    },
    IsrChanged {
        topic: String,
        partition: u32,
        from: Vec<i32>,
        to: Vec<i32>,
    },
    GroupAppeared {
        group: String,
    },
    GroupGone {
        group: String,
    },
    StateChanged {
        group: String,
        from: String,
        to: String,
    },
    MemberJoined {
        group: String,
        member: String,
        client_id: String,
    },
    MemberLeft {
        group: String,
        member: String,
    },
    /// The members' assignment changed: the new one, member by member.
    Rebalanced {
        group: String,
        epoch: Option<i32>,
        assignment: Vec<(String, Vec<TopicPartition>)>,
    },
}

impl fmt::Display for ObservedEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ObservedEvent::*;
        match self {
            BrokerJoined { id } => write!(f, "broker {id} joined"),
            BrokerLeft { id } => write!(f, "broker {id} left"),
            TopicCreated { topic, partitions } => {
                write!(f, "topic {topic} created with {partitions} partitions")
            }
            TopicDeleted { topic } => write!(f, "topic {topic} deleted"),
            PartitionsAdded { topic, from, to } => {
                write!(f, "topic {topic} grew from {from} to {to} partitions")
            }
            LeaderChanged {
                topic,
                partition,
                from,
                to,
            } => write!(
                f,
                "{topic}/{partition}: leader {} -> {}",
                node(*from),
                node(*to)
            ),
            IsrChanged {
                topic,
                partition,
                from,
                to,
            } => {
                write!(f, "{topic}/{partition}: ISR {from:?} -> {to:?}")
            }
            GroupAppeared { group } => write!(f, "{group}: group appeared"),
            GroupGone { group } => write!(f, "{group}: group gone"),
            StateChanged { group, from, to } => write!(f, "{group}: {from} -> {to}"),
            MemberJoined {
                group,
                member,
                client_id,
            } => {
                write!(f, "{group}: {member} ({client_id}) joined")
            }
            MemberLeft { group, member } => write!(f, "{group}: {member} left"),
            Rebalanced {
                group,
                epoch,
                assignment,
            } => {
                write!(f, "{group}: rebalanced")?;
                if let Some(e) = epoch {
                    write!(f, " (epoch {e})")?;
                }
                write!(f, ":")?;
                for (member, parts) in assignment {
                    let parts: Vec<String> =
                        parts.iter().map(|(t, p)| format!("{t}/{p}")).collect();
                    write!(f, " {member}=[{}]", parts.join(","))?;
                }
                Ok(())
            }
        }
    }
}

fn node(id: Option<i32>) -> String {
    id.map_or("none".to_string(), |i| i.to_string())
}

/// The events that lead from `prev` to `next`, brokers first, then topics, then groups.
pub fn diff(prev: &ClusterSnapshot, next: &ClusterSnapshot) -> Vec<ObservedEvent> {
    let mut out = Vec::new();
    let ids = |s: &ClusterSnapshot| s.brokers.iter().map(|b| b.id).collect::<BTreeSet<_>>();
    let (before, after) = (ids(prev), ids(next));
    out.extend(
        after
            .difference(&before)
            .map(|&id| ObservedEvent::BrokerJoined { id }),
    );
    out.extend(
        before
            .difference(&after)
            .map(|&id| ObservedEvent::BrokerLeft { id }),
    );
    diff_topics(prev, next, &mut out);
    for (name, g) in &next.groups {
        match prev.groups.get(name) {
            None => out.push(ObservedEvent::GroupAppeared {
                group: name.clone(),
            }),
            Some(p) => diff_group(name, p, g, &mut out),
        }
    }
    for name in prev.groups.keys().filter(|n| !next.groups.contains_key(*n)) {
        out.push(ObservedEvent::GroupGone {
            group: name.clone(),
        });
    }
    out
}

fn diff_topics(prev: &ClusterSnapshot, next: &ClusterSnapshot, out: &mut Vec<ObservedEvent>) {
    for (name, t) in &next.topics {
        let Some(p) = prev.topics.get(name) else {
            out.push(ObservedEvent::TopicCreated {
                topic: name.clone(),
                partitions: t.partitions.len(),
            });
            continue;
        };
        if t.partitions.len() > p.partitions.len() {
            out.push(ObservedEvent::PartitionsAdded {
                topic: name.clone(),
                from: p.partitions.len(),
                to: t.partitions.len(),
            });
        }
        for (a, b) in p.partitions.iter().zip(&t.partitions) {
            if a.leader != b.leader {
                out.push(ObservedEvent::LeaderChanged {
                    topic: name.clone(),
                    partition: b.partition,
                    from: a.leader,
                    to: b.leader,
                });
            }
            if a.isr != b.isr {
                out.push(ObservedEvent::IsrChanged {
                    topic: name.clone(),
                    partition: b.partition,
                    from: a.isr.clone(),
                    to: b.isr.clone(),
                });
            }
        }
    }
    for name in prev.topics.keys().filter(|n| !next.topics.contains_key(*n)) {
        out.push(ObservedEvent::TopicDeleted {
            topic: name.clone(),
        });
    }
}

fn diff_group(
    name: &str,
    prev: &GroupSnapshot,
    next: &GroupSnapshot,
    out: &mut Vec<ObservedEvent>,
) {
    if prev.state != next.state && !next.state.is_empty() {
        out.push(ObservedEvent::StateChanged {
            group: name.to_string(),
            from: prev.state.clone(),
            to: next.state.clone(),
        });
    }
    let members = |g: &GroupSnapshot| {
        g.members
            .iter()
            .map(|m| m.member_id.clone())
            .collect::<BTreeSet<_>>()
    };
    let (before, after) = (members(prev), members(next));
    for m in next
        .members
        .iter()
        .filter(|m| !before.contains(&m.member_id))
    {
        out.push(ObservedEvent::MemberJoined {
            group: name.to_string(),
            member: m.member_id.clone(),
            client_id: m.client_id.clone(),
        });
    }
    for m in before.difference(&after) {
        out.push(ObservedEvent::MemberLeft {
            group: name.to_string(),
            member: m.clone(),
        });
    }
    let assigned = |g: &GroupSnapshot| g.members.iter().any(|m| !m.assignment.is_empty());
    if next.assignment() != prev.assignment() && assigned(next) {
        out.push(ObservedEvent::Rebalanced {
            group: name.to_string(),
            epoch: next.epoch,
            assignment: next
                .members
                .iter()
                .map(|m| (m.member_id.clone(), m.assignment.clone()))
                .collect(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::observe::snapshot::{
        BrokerSnapshot, MemberSnapshot, PartitionSnapshot, TopicSnapshot,
    };

    fn topic(leaders: &[(i32, &[i32])]) -> TopicSnapshot {
        TopicSnapshot {
            internal: false,
            partitions: leaders
                .iter()
                .enumerate()
                .map(|(i, (l, isr))| PartitionSnapshot {
                    partition: i as u32,
                    leader: Some(*l),
                    isr: isr.to_vec(),
                    ..PartitionSnapshot::default()
                })
                .collect(),
        }
    }

    fn member(id: &str, parts: &[u32]) -> MemberSnapshot {
        MemberSnapshot {
            member_id: id.to_string(),
            client_id: format!("{id}-client"),
            assignment: parts.iter().map(|&p| ("orders".to_string(), p)).collect(),
            ..MemberSnapshot::default()
        }
    }

    #[test]
    fn topics_brokers_leaders_and_isr_changes_are_events() {
        let mut a = ClusterSnapshot::default();
        a.brokers.push(BrokerSnapshot {
            id: 1,
            host: "h".into(),
            port: 1,
            rack: None,
        });
        a.topics
            .insert("orders".into(), topic(&[(1, &[1, 2]), (2, &[2, 1])]));
        a.topics.insert("old".into(), topic(&[(1, &[1])]));
        let mut b = ClusterSnapshot::default();
        b.brokers.push(BrokerSnapshot {
            id: 2,
            host: "h".into(),
            port: 2,
            rack: None,
        });
        b.topics.insert(
            "orders".into(),
            topic(&[(2, &[2]), (2, &[2, 1]), (2, &[2])]),
        );
        b.topics.insert("new".into(), topic(&[(2, &[2])]));
        let lines: Vec<String> = diff(&a, &b).iter().map(|e| e.to_string()).collect();
        assert_eq!(
            lines,
            [
                "broker 2 joined",
                "broker 1 left",
                "topic new created with 1 partitions",
                "topic orders grew from 2 to 3 partitions",
                "orders/0: leader 1 -> 2",
                "orders/0: ISR [1, 2] -> [2]",
                "topic old deleted",
            ]
        );
    }

    #[test]
    fn members_and_rebalances_are_events() {
        let mut a = ClusterSnapshot::default();
        let mut g = GroupSnapshot {
            state: "Stable".into(),
            members: vec![member("m1", &[0, 1])],
            ..GroupSnapshot::default()
        };
        a.groups.insert("billing".into(), g.clone());
        let mut b = ClusterSnapshot::default();
        g.members = vec![member("m1", &[0]), member("m2", &[1])];
        b.groups.insert("billing".into(), g.clone());
        b.groups.insert("audit".into(), GroupSnapshot::default());
        let lines: Vec<String> = diff(&a, &b).iter().map(|e| e.to_string()).collect();
        assert_eq!(
            lines,
            [
                "audit: group appeared",
                "billing: m2 (m2-client) joined",
                "billing: rebalanced: m1=[orders/0] m2=[orders/1]",
            ]
        );
        assert!(diff(&b, &b).is_empty(), "nothing changed, nothing to say");
        let lines: Vec<String> = diff(&b, &a).iter().map(|e| e.to_string()).collect();
        assert_eq!(lines[0], "billing: m2 left");
        assert_eq!(lines.last().unwrap(), "audit: group gone");
    }
}
