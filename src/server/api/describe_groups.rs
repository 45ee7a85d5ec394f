//! DescribeGroups: state, protocol and members (with their relayed metadata and assignment).
//!
//! Filled as Kafka fills it: each member's client host (`/127.0.0.1`), the operations a
//! client may perform when it asks (v3+; with no authorizer, all of a group's), and for an
//! unknown group a Dead group, with GROUP_ID_NOT_FOUND and a message from v6.
//!
//! A network client's metadata and assignment are relayed as it sent them. A member that
//! never sent any, because the broker was told its subscription directly and computed its
//! assignment itself (a simulated consumer), is described in the consumer protocol's own
//! format, so every admin tool reads its topics and partitions as it would a real client's.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as AssignedTopic;
use kafka_protocol::messages::describe_groups_request::DescribeGroupsRequest;
use kafka_protocol::messages::describe_groups_response::{
    DescribeGroupsResponse, DescribedGroup, DescribedGroupMember,
};
use kafka_protocol::messages::{
    ConsumerProtocolAssignment, ConsumerProtocolSubscription, TopicName,
};
use kafka_protocol::protocol::{Encodable, StrBytes};

use super::{RequestContext, str_bytes};
use crate::broker::{Group, GroupState, Member, TopicPartition};
use crate::server::codec::Response;

/// The consumer protocol's version these messages are written in: the first, which every
/// client and tool reads.
const CONSUMER_PROTOCOL_VERSION: i16 = 0;

/// What Kafka without an authorizer allows on a group, as a bit set of ACL operations:
/// READ (3), DELETE (6), DESCRIBE (8), DESCRIBE_CONFIGS (10) and ALTER_CONFIGS (11).
const GROUP_OPERATIONS: i32 = 1 << 3 | 1 << 6 | 1 << 8 | 1 << 10 | 1 << 11;

fn describe(g: &Group) -> DescribedGroup {
    let consumer = g.protocol_type() == Some("consumer");
    let members = g
        .members()
        .map(|m| {
            let relayed = m
                .protocols()
                .iter()
                .find(|p| Some(p.name.as_str()) == g.protocol_name())
                .map(|p| p.metadata.clone())
                .unwrap_or_default();
            let (metadata, assignment) = if consumer && relayed.is_empty() {
                (subscription(m), computed_assignment(g, m))
            } else {
                (relayed, m.assignment_bytes().clone())
            };
            DescribedGroupMember::default()
                .with_member_id(str_bytes(m.id()))
                .with_client_id(str_bytes(m.client_id()))
                .with_client_host(str_bytes(m.client_host()))
                .with_member_metadata(metadata)
                .with_member_assignment(assignment)
        })
        .collect();
    DescribedGroup::default()
        .with_group_state(StrBytes::from_static_str(g.state().name()))
        .with_protocol_type(str_bytes(g.protocol_type().unwrap_or("")))
        .with_protocol_data(str_bytes(g.protocol_name().unwrap_or("")))
        .with_members(members)
}

/// The subscription a member that sent no metadata bytes has: the topics the broker was
/// given, as a consumer protocol message.
fn subscription(m: &Member) -> Bytes {
    let topics = m.topics().iter().map(|t| str_bytes(t)).collect();
    versioned(&ConsumerProtocolSubscription::default().with_topics(topics))
}

/// The assignment the broker computed for a member, as a consumer protocol message; empty
/// bytes while the member has none yet (mid-rebalance), as Kafka describes it then. Bytes
/// a leader sent are relayed instead.
fn computed_assignment(g: &Group, m: &Member) -> Bytes {
    if !m.assignment_bytes().is_empty() {
        return m.assignment_bytes().clone();
    }
    if m.assignment().is_empty() && g.state() != GroupState::Stable {
        return Bytes::new();
    }
    versioned(
        &ConsumerProtocolAssignment::default().with_assigned_partitions(by_topic(m.assignment())),
    )
}

/// Partitions grouped by topic, in order: the assignment is sorted by topic.
fn by_topic(partitions: &[TopicPartition]) -> Vec<AssignedTopic> {
    let mut out: Vec<AssignedTopic> = Vec::new();
    for tp in partitions {
        let index = i32::try_from(tp.partition).unwrap_or(i32::MAX);
        match out.last_mut() {
            Some(last) if last.topic.0.as_str() == tp.topic => last.partitions.push(index),
            _ => out.push(
                AssignedTopic::default()
                    .with_topic(TopicName(str_bytes(&tp.topic)))
                    .with_partitions(vec![index]),
            ),
        }
    }
    out
}

/// A consumer protocol message: its version, then its body in that version.
fn versioned(message: &impl Encodable) -> Bytes {
    let mut buf = BytesMut::new();
    buf.put_i16(CONSUMER_PROTOCOL_VERSION);
    // Only a name beyond the format's string length fails, which the broker's topic
    // names never are; no bytes then, as before the broker described them at all.
    match message.encode(&mut buf, CONSUMER_PROTOCOL_VERSION) {
        Ok(()) => buf.freeze(),
        Err(_) => Bytes::new(),
    }
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: DescribeGroupsRequest) -> Response {
    let broker = ctx.broker.read();
    let operations = if req.include_authorized_operations {
        GROUP_OPERATIONS
    } else {
        DescribedGroup::default().authorized_operations
    };
    let groups = req
        .groups
        .into_iter()
        .map(|id| {
            let described = match broker.group(&id) {
                Some(g) => describe(g).with_authorized_operations(operations),
                None => unknown(&id, ctx.version),
            };
            described.with_group_id(id)
        })
        .collect();
    Response::DescribeGroups(DescribeGroupsResponse::default().with_groups(groups))
}

/// An unknown group is described as Dead with no members, as Kafka does; from v6 with
/// GROUP_ID_NOT_FOUND too.
fn unknown(id: &str, version: i16) -> DescribedGroup {
    let dead = DescribedGroup::default().with_group_state(StrBytes::from_static_str("Dead"));
    if version < 6 {
        return dead;
    }
    dead.with_error_code(ResponseError::GroupIdNotFound.code())
        .with_error_message(Some(StrBytes::from_string(format!(
            "Group {id} not found."
        ))))
}

/// Every group carries `error`.
pub(super) fn error_response(req: DescribeGroupsRequest, error: ResponseError) -> Response {
    let groups = req
        .groups
        .into_iter()
        .map(|g| {
            DescribedGroup::default()
                .with_group_id(g)
                .with_error_code(error.code())
        })
        .collect();
    Response::DescribeGroups(DescribeGroupsResponse::default().with_groups(groups))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{JoinGroupRequest, SharedBroker};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::GroupId;

    #[test]
    fn describes_members_and_unknown_groups() {
        let broker = SharedBroker::default();
        let mut join = JoinGroupRequest::consumer("g", "app", &[], "range");
        join.client_host = "/10.1.2.3".to_string();
        broker.write().join_group(join, 0).unwrap();
        let s = settings();
        let mut c = ctx(&broker, &s, 5);
        let req = DescribeGroupsRequest::default().with_groups(vec![
            GroupId(StrBytes::from_static_str("g")),
            GroupId(StrBytes::from_static_str("nope")),
        ]);
        let Response::DescribeGroups(r) = reply(dispatch(&mut c, Request::DescribeGroups(req)))
        else {
            panic!()
        };
        let g = &r.groups[0];
        assert_eq!(g.group_state.as_str(), "CompletingRebalance");
        assert_eq!(g.protocol_type.as_str(), "consumer");
        assert_eq!(g.protocol_data.as_str(), "range");
        assert_eq!(g.members.len(), 1);
        assert_eq!(g.members[0].client_id.as_str(), "app");
        assert_eq!(g.members[0].client_host.as_str(), "/10.1.2.3");
        assert_eq!(g.authorized_operations, i32::MIN, "not asked for");
        assert_eq!(r.groups[1].group_state.as_str(), "Dead");
        assert_eq!(r.groups[1].group_id.as_str(), "nope");
        assert_eq!(
            r.groups[1].error_code, 0,
            "before v6 an unknown group is only Dead"
        );
    }

    #[test]
    fn v6_names_unknown_groups_and_operations_come_when_asked() {
        let broker = SharedBroker::default();
        broker
            .write()
            .join_group(JoinGroupRequest::consumer("g", "app", &[], "range"), 0)
            .unwrap();
        let s = settings();
        let mut c = ctx(&broker, &s, 6);
        let req = DescribeGroupsRequest::default()
            .with_include_authorized_operations(true)
            .with_groups(vec![
                GroupId(StrBytes::from_static_str("g")),
                GroupId(StrBytes::from_static_str("nope")),
            ]);
        let Response::DescribeGroups(r) = reply(dispatch(&mut c, Request::DescribeGroups(req)))
        else {
            panic!()
        };
        // Kafka 4.1 without an authorizer answers [3, 6, 8, 10, 11] for a group.
        assert_eq!(r.groups[0].authorized_operations, 3400);
        assert_eq!(r.groups[1].error_code, 69);
        assert_eq!(r.groups[1].group_state.as_str(), "Dead");
        assert_eq!(
            r.groups[1].error_message.as_deref(),
            Some("Group nope not found.")
        );
    }

    /// DescribeGroups v5 of group `g` on `broker`.
    fn describe_g(broker: &SharedBroker) -> DescribeGroupsResponse {
        let s = settings();
        let mut c = ctx(broker, &s, 5);
        let req = DescribeGroupsRequest::default()
            .with_groups(vec![GroupId(StrBytes::from_static_str("g"))]);
        let Response::DescribeGroups(r) = reply(dispatch(&mut c, Request::DescribeGroups(req)))
        else {
            panic!()
        };
        r
    }

    fn decoded<T: kafka_protocol::protocol::Decodable>(bytes: &Bytes) -> T {
        use bytes::Buf;
        let mut buf = bytes.clone();
        let version = buf.get_i16();
        T::decode(&mut buf, version).unwrap()
    }

    #[test]
    fn members_the_broker_assigns_are_described_in_the_consumer_protocol() {
        use crate::broker::{AssignorKind, JoinOutcome, SyncAssignment, TopicConfig};
        let broker = SharedBroker::default();
        let topics = vec!["orders".to_string(), "refunds".to_string()];
        let member = {
            let mut b = broker.write();
            b.create_topic("orders", TopicConfig::new(2), 0).unwrap();
            b.create_topic("refunds", TopicConfig::new(1), 0).unwrap();
            let JoinOutcome::Joined(j) = b
                .join_group(JoinGroupRequest::consumer("g", "sim", &topics, "range"), 0)
                .unwrap()
            else {
                panic!("a lone member joins at once")
            };
            let compute = SyncAssignment::Compute(AssignorKind::Range);
            b.sync_group("g", &j.member_id, j.generation, compute, 0)
                .unwrap();
            j.member_id
        };
        let r = describe_g(&broker);
        let m = &r.groups[0].members[0];
        assert_eq!(m.member_id.as_str(), member);
        let sub: ConsumerProtocolSubscription = decoded(&m.member_metadata);
        let names: Vec<&str> = sub.topics.iter().map(|t| t.as_str()).collect();
        assert_eq!(names, ["orders", "refunds"]);
        let a: ConsumerProtocolAssignment = decoded(&m.member_assignment);
        let parts: Vec<(&str, &[i32])> = a
            .assigned_partitions
            .iter()
            .map(|t| (t.topic.0.as_str(), t.partitions.as_slice()))
            .collect();
        assert_eq!(parts, [("orders", &[0, 1][..]), ("refunds", &[0][..])]);
    }

    #[test]
    fn simulated_cooperative_members_are_described_as_consumer_subscriptions() {
        // They tell the broker what they own when they rejoin, and a client describing
        // their group must still read each member's metadata as a subscription.
        use crate::sim::{Scenario, Simulation};
        let mut sim =
            Simulation::new(Scenario::load("rebalance-protocols").unwrap(), Some(1)).unwrap();
        sim.step(60_000);
        let s = settings();
        let mut c = ctx(sim.broker(), &s, 5);
        let req = DescribeGroupsRequest::default()
            .with_groups(vec![GroupId(StrBytes::from_static_str("cooperative"))]);
        let Response::DescribeGroups(r) = reply(dispatch(&mut c, Request::DescribeGroups(req)))
        else {
            panic!()
        };
        let g = &r.groups[0];
        assert_eq!(g.protocol_data.as_str(), "cooperative-sticky");
        assert!(g.members.len() > 1, "{g:?}");
        let owners = sim.broker().read();
        let group = owners.group("cooperative").unwrap();
        assert!(
            group
                .members()
                .any(|m| m.owned().is_some_and(|o| !o.is_empty())),
            "some member has said what it owns"
        );
        for m in &g.members {
            let sub: ConsumerProtocolSubscription = decoded(&m.member_metadata);
            let names: Vec<&str> = sub.topics.iter().map(|t| t.as_str()).collect();
            assert_eq!(names, ["events"], "{m:?}");
        }
    }

    #[test]
    fn a_member_not_yet_assigned_has_no_assignment_bytes() {
        let broker = SharedBroker::default();
        let topics = vec!["orders".to_string()];
        broker
            .write()
            .join_group(JoinGroupRequest::consumer("g", "sim", &topics, "range"), 0)
            .unwrap();
        let r = describe_g(&broker);
        let m = &r.groups[0].members[0];
        assert_eq!(r.groups[0].group_state.as_str(), "CompletingRebalance");
        assert!(m.member_assignment.is_empty(), "as Kafka, mid-rebalance");
        let sub: ConsumerProtocolSubscription = decoded(&m.member_metadata);
        assert_eq!(sub.topics.len(), 1);
    }

    #[test]
    fn bytes_a_client_sent_are_relayed_untouched() {
        use crate::server::api::join_group::tests::subscription;
        let broker = SharedBroker::default();
        let sent = subscription(&["clicks"]);
        let mut join = JoinGroupRequest::consumer("g", "app", &[], "range");
        join.protocols[0].metadata = sent.clone();
        broker.write().join_group(join, 0).unwrap();
        let r = describe_g(&broker);
        assert_eq!(r.groups[0].members[0].member_metadata, sent);
    }

    #[test]
    fn a_consumer_protocol_group_is_dead_to_describe_groups() {
        // As Kafka answers below v6: DescribeGroups knows only classic groups.
        let broker = SharedBroker::default();
        broker
            .write()
            .consumer_group_heartbeat(
                crate::broker::ConsumerHeartbeat::join("kip848", "m", &[]),
                0,
            )
            .unwrap();
        let s = settings();
        let mut c = ctx(&broker, &s, 5);
        let req = DescribeGroupsRequest::default()
            .with_groups(vec![GroupId(StrBytes::from_static_str("kip848"))]);
        let Response::DescribeGroups(r) = reply(dispatch(&mut c, Request::DescribeGroups(req)))
        else {
            panic!()
        };
        assert_eq!(r.groups[0].group_state.as_str(), "Dead");
        assert_eq!(r.groups[0].error_code, 0);
        assert!(r.groups[0].members.is_empty());
    }
}
