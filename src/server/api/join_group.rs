//! JoinGroup: join or rejoin a consumer group, waiting until every member has (re)joined.
//!
//! v4+ first answers a new member with MEMBER_ID_REQUIRED and the id to use. The consumer
//! subscription in each protocol's metadata is decoded so the broker (and the UI) know the
//! topics, while the metadata bytes themselves are relayed to the leader untouched.

use bytes::{Buf, Bytes};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::ConsumerProtocolSubscription;
use kafka_protocol::messages::join_group_request::JoinGroupRequest as WireJoin;
use kafka_protocol::messages::join_group_response::{JoinGroupResponse, JoinGroupResponseMember};
use kafka_protocol::protocol::{Decodable, StrBytes};

use super::{Outcome, RequestContext, WaitKind, Waiter, str_bytes};
use crate::broker::{
    BrokerError, GroupProtocol, JoinGroupRequest, JoinOutcome, JoinResult, TopicPartition,
};
use crate::server::codec::Response;

/// Extra time a parked join waits beyond the rebalance timeout before giving up on its own;
/// normally the broker's rebalance deadline (driven by the timer's `tick`) completes it first.
const JOIN_GRACE_MS: i64 = 5_000;

/// What a consumer subscription says: its topics, and from v1 the partitions the member
/// owns. No topics and `None` if the bytes are not a subscription.
pub(crate) fn subscription_of(metadata: &Bytes) -> (Vec<String>, Option<Vec<TopicPartition>>) {
    let mut buf = metadata.clone();
    if buf.remaining() < 2 {
        return (Vec::new(), None);
    }
    let version = buf.get_i16().clamp(0, 3);
    let Ok(sub) = ConsumerProtocolSubscription::decode(&mut buf, version) else {
        return (Vec::new(), None);
    };
    let topics = sub.topics.iter().map(|t| t.to_string()).collect();
    let owned = (version >= 1).then(|| {
        sub.owned_partitions
            .iter()
            .flat_map(|o| {
                o.partitions
                    .iter()
                    .filter_map(|&p| u32::try_from(p).ok())
                    .map(|p| TopicPartition::new(o.topic.as_str(), p))
            })
            .collect()
    });
    (topics, owned)
}

/// A join parked until the rebalance completes.
#[derive(Debug)]
pub(super) struct JoinWait {
    group: String,
    member_id: String,
    protocol_type: String,
}

impl JoinWait {
    pub(super) fn poll(&mut self, ctx: &mut RequestContext<'_>) -> Option<Response> {
        let mut broker = ctx.broker.write();
        if let Some(result) = broker.poll_join(&self.group, &self.member_id) {
            return Some(joined(ctx.version, &self.protocol_type, result));
        }
        let gone = broker
            .group(&self.group)
            .is_none_or(|g| g.member(&self.member_id).is_none());
        gone.then(|| self.error(ResponseError::UnknownMemberId))
    }

    pub(super) fn timed_out(&self, _ctx: &mut RequestContext<'_>) -> Response {
        self.error(ResponseError::RebalanceInProgress)
    }

    fn error(&self, error: ResponseError) -> Response {
        failed(error, &self.member_id)
    }
}

fn failed(error: ResponseError, member_id: &str) -> Response {
    Response::JoinGroup(
        JoinGroupResponse::default()
            .with_error_code(error.code())
            .with_generation_id(-1)
            .with_member_id(str_bytes(member_id)),
    )
}

fn joined(version: i16, protocol_type: &str, r: JoinResult) -> Response {
    let members = r
        .members
        .into_iter()
        .map(|m| {
            JoinGroupResponseMember::default()
                .with_member_id(StrBytes::from_string(m.member_id))
                .with_metadata(m.metadata)
        })
        .collect();
    let protocol_type = (version >= 7).then(|| str_bytes(protocol_type));
    Response::JoinGroup(
        JoinGroupResponse::default()
            .with_generation_id(r.generation)
            .with_protocol_type(protocol_type)
            .with_protocol_name(Some(StrBytes::from_string(r.protocol_name)))
            .with_leader(StrBytes::from_string(r.leader))
            .with_member_id(StrBytes::from_string(r.member_id))
            .with_members(members),
    )
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: WireJoin) -> Outcome {
    let is_consumer = req.protocol_type.as_str() == "consumer";
    let (topics, owned) = match req.protocols.first() {
        Some(p) if is_consumer => subscription_of(&p.metadata),
        _ => (Vec::new(), None),
    };
    let rebalance_timeout_ms = if ctx.version >= 1 {
        req.rebalance_timeout_ms
    } else {
        req.session_timeout_ms
    };
    let join = JoinGroupRequest {
        group: req.group_id.to_string(),
        member_id: Some(req.member_id.to_string()).filter(|m| !m.is_empty()),
        client_id: ctx.client_id.to_string(),
        client_host: ctx.client_host.to_string(),
        session_timeout_ms: i64::from(req.session_timeout_ms),
        rebalance_timeout_ms: i64::from(rebalance_timeout_ms),
        protocol_type: req.protocol_type.to_string(),
        protocols: req
            .protocols
            .into_iter()
            .map(|p| GroupProtocol {
                name: p.name.to_string(),
                metadata: p.metadata,
            })
            .collect(),
        topics,
        owned,
        require_known_member_id: ctx.version >= 4,
        initial_rebalance_delay_ms: ctx.settings.initial_rebalance_delay_ms,
        // Static membership came with v5.
        group_instance_id: req
            .group_instance_id
            .as_ref()
            .filter(|_| ctx.version >= 5)
            .map(|i| i.to_string()),
    };
    let deadline_ms = ctx.now_ms
        + join
            .rebalance_timeout_ms
            .max(join.session_timeout_ms)
            .max(0)
        + JOIN_GRACE_MS;
    let group = join.group.clone();
    let protocol_type = join.protocol_type.clone();
    let outcome = ctx.broker.write().join_group(join, ctx.now_ms);
    ctx.effects.groups_changed = true;
    match outcome {
        Ok(JoinOutcome::Joined(r)) => Outcome::Reply(joined(ctx.version, &protocol_type, r)),
        Ok(JoinOutcome::Pending { member_id }) => Outcome::Wait(Waiter {
            kind: WaitKind::Join(JoinWait {
                group,
                member_id,
                protocol_type,
            }),
            deadline_ms,
        }),
        Err(BrokerError::MemberIdRequired { member, .. }) => {
            Outcome::Reply(failed(ResponseError::MemberIdRequired, &member))
        }
        Err(e) => Outcome::Reply(failed(ResponseError::from(&e), &req.member_id)),
    }
}

pub(super) fn error_response(_req: WireJoin, error: ResponseError) -> Response {
    Response::JoinGroup(JoinGroupResponse::default().with_error_code(error.code()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::broker::SharedBroker;
    use crate::server::api::testing::*;
    use crate::server::api::{Wake, dispatch};
    use crate::server::codec::Request;
    use bytes::BytesMut;
    use kafka_protocol::messages::GroupId;
    use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
    use kafka_protocol::protocol::Encodable;

    pub(crate) fn subscription(topics: &[&str]) -> Bytes {
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&1i16.to_be_bytes());
        ConsumerProtocolSubscription::default()
            .with_topics(
                topics
                    .iter()
                    .map(|t| StrBytes::from_string(t.to_string()))
                    .collect(),
            )
            .encode(&mut buf, 1)
            .unwrap();
        buf.freeze()
    }

    pub(crate) fn join_req(member: &str, topics: &[&str]) -> WireJoin {
        WireJoin::default()
            .with_group_id(GroupId(StrBytes::from_static_str("g")))
            .with_session_timeout_ms(10_000)
            .with_rebalance_timeout_ms(30_000)
            .with_member_id(StrBytes::from_string(member.to_string()))
            .with_protocol_type(StrBytes::from_static_str("consumer"))
            .with_protocols(vec![
                JoinGroupRequestProtocol::default()
                    .with_name(StrBytes::from_static_str("range"))
                    .with_metadata(subscription(topics)),
            ])
    }

    fn join_resp(r: Response) -> JoinGroupResponse {
        match r {
            Response::JoinGroup(j) => j,
            other => panic!("wrong response type {other:?}"),
        }
    }

    #[test]
    fn subscriptions_decode_and_garbage_gives_no_topics() {
        let (topics, owned) = subscription_of(&subscription(&["a", "b"]));
        assert_eq!(topics, ["a", "b"]);
        assert_eq!(owned, Some(vec![]), "v1 says it owns nothing");
        assert_eq!(
            subscription_of(&Bytes::from_static(&[0, 1, 0xff])),
            (vec![], None)
        );
        assert_eq!(subscription_of(&Bytes::new()), (vec![], None));
    }

    #[test]
    fn owned_partitions_decode_from_v1_and_v0_says_nothing() {
        use kafka_protocol::messages::TopicName;
        use kafka_protocol::messages::consumer_protocol_subscription::TopicPartition as Owned;
        let encoded = |version: i16| {
            let mut buf = BytesMut::new();
            buf.extend_from_slice(&version.to_be_bytes());
            let mut sub = ConsumerProtocolSubscription::default()
                .with_topics(vec![StrBytes::from_static_str("a")]);
            if version >= 1 {
                sub.owned_partitions = vec![
                    Owned::default()
                        .with_topic(TopicName(StrBytes::from_static_str("a")))
                        .with_partitions(vec![2, 0, -1]),
                ];
            }
            sub.encode(&mut buf, version).unwrap();
            buf.freeze()
        };
        let (topics, owned) = subscription_of(&encoded(1));
        assert_eq!(topics, ["a"]);
        assert_eq!(
            owned,
            Some(vec![
                TopicPartition::new("a", 2),
                TopicPartition::new("a", 0)
            ]),
            "a negative partition is no partition"
        );
        assert_eq!(subscription_of(&encoded(0)), (vec!["a".to_string()], None));
    }

    #[test]
    fn member_id_required_then_join_with_relayed_metadata() {
        let broker = SharedBroker::default();
        let s = settings();
        let mut c = ctx(&broker, &s, 7);
        let first = join_resp(reply(dispatch(
            &mut c,
            Request::JoinGroup(join_req("", &["t"])),
        )));
        assert_eq!(first.error_code, 79);
        assert!(!first.member_id.is_empty());
        let second = join_resp(reply(dispatch(
            &mut c,
            Request::JoinGroup(join_req(&first.member_id, &["t"])),
        )));
        assert_eq!(second.error_code, 0);
        assert_eq!(second.leader, second.member_id);
        assert_eq!(second.protocol_name.as_deref(), Some("range"));
        assert_eq!(second.protocol_type.as_deref(), Some("consumer"));
        assert_eq!(
            second.members[0].metadata,
            subscription(&["t"]),
            "relayed untouched"
        );
        let b = broker.read();
        let m = b.group("g").unwrap().member(&first.member_id).unwrap();
        assert_eq!(m.topics(), ["t"]);
        assert_eq!(m.client_id(), "test-client");
    }

    #[test]
    fn a_second_member_waits_until_the_first_rejoins() {
        let broker = SharedBroker::default();
        let s = settings();
        let mut c = ctx(&broker, &s, 3);
        let a = join_resp(reply(dispatch(
            &mut c,
            Request::JoinGroup(join_req("", &["t"])),
        )));
        assert_eq!(a.error_code, 0, "v3 needs no member id round trip");
        let Outcome::Wait(mut w) = dispatch(&mut c, Request::JoinGroup(join_req("", &["t"])))
        else {
            panic!("the newcomer must wait for the existing member to rejoin");
        };
        assert_eq!(w.wakes_on(), Wake::Groups);
        assert!(w.poll(&mut c).is_none());
        let a2 = join_resp(reply(dispatch(
            &mut c,
            Request::JoinGroup(join_req(&a.member_id, &["t"])),
        )));
        assert_eq!(a2.error_code, 0);
        assert_eq!(a2.members.len(), 2, "the leader sees both members");
        let Some(Response::JoinGroup(b)) = w.poll(&mut c) else {
            panic!("the rejoin completes the waiting join");
        };
        assert_eq!((b.error_code, b.generation_id), (0, a2.generation_id));
        assert!(b.members.is_empty(), "followers get no member list");
    }

    #[test]
    fn a_waiting_member_that_was_removed_is_told() {
        let broker = SharedBroker::default();
        let s = settings();
        let mut c = ctx(&broker, &s, 3);
        let a = join_resp(reply(dispatch(
            &mut c,
            Request::JoinGroup(join_req("", &["t"])),
        )));
        let Outcome::Wait(mut w) = dispatch(&mut c, Request::JoinGroup(join_req("", &["t"])))
        else {
            panic!("must wait");
        };
        let waiting = broker
            .read()
            .group("g")
            .unwrap()
            .members()
            .map(|m| m.id().to_string())
            .find(|id| id.as_str() != a.member_id.as_str())
            .unwrap();
        broker.write().leave_group("g", &waiting, 0).unwrap();
        let Some(Response::JoinGroup(r)) = w.poll(&mut c) else {
            panic!("a removed member's join must not hang");
        };
        assert_eq!(r.error_code, 25);
    }
}
