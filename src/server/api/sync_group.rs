//! SyncGroup: the leader hands in the assignment; followers wait for it.
//!
//! Assignment bytes are relayed untouched; the consumer assignment inside them is decoded
//! only to fill the broker's per-member partitions for display.

use std::collections::BTreeMap;

use bytes::{Buf, Bytes};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::ConsumerProtocolAssignment;
use kafka_protocol::messages::sync_group_request::SyncGroupRequest;
use kafka_protocol::messages::sync_group_response::SyncGroupResponse;
use kafka_protocol::protocol::{Decodable, StrBytes};

use super::{Outcome, RequestContext, WaitKind, Waiter, check_instance};
use crate::broker::{MemberAssignment, SyncAssignment, SyncOutcome, TopicPartition};
use crate::server::codec::Response;

/// How long a follower waits for its leader before being told to rejoin. The broker also
/// ends the wait earlier if the leader's session lapses.
const SYNC_WAIT_MS: i64 = 60_000;

/// The partitions of a consumer assignment, or none if the bytes are not one.
pub(crate) fn assigned_partitions(raw: &Bytes) -> Vec<TopicPartition> {
    let mut buf = raw.clone();
    if buf.remaining() < 2 {
        return Vec::new();
    }
    let version = buf.get_i16().clamp(0, 3);
    let Ok(a) = ConsumerProtocolAssignment::decode(&mut buf, version) else {
        return Vec::new();
    };
    a.assigned_partitions
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .filter_map(|&p| u32::try_from(p).ok())
                .map(|p| TopicPartition::new(t.topic.to_string(), p))
        })
        .collect()
}

/// A follower's sync parked until the leader's assignment arrives.
#[derive(Debug)]
pub(super) struct SyncWait {
    group: String,
    member_id: String,
    generation: i32,
}

impl SyncWait {
    pub(super) fn poll(&mut self, ctx: &mut RequestContext<'_>) -> Option<Response> {
        let broker = ctx.broker.read();
        let outcome = broker.poll_sync(&self.group, &self.member_id, self.generation)?;
        Some(match outcome {
            Ok(a) => assigned(ctx, &broker, &self.group, a),
            Err(e) => failed(ResponseError::from(&e)),
        })
    }

    pub(super) fn timed_out(&self) -> Response {
        failed(ResponseError::RebalanceInProgress)
    }
}

fn failed(error: ResponseError) -> Response {
    Response::SyncGroup(SyncGroupResponse::default().with_error_code(error.code()))
}

fn assigned(
    ctx: &RequestContext<'_>,
    broker: &crate::broker::Broker,
    group: &str,
    a: MemberAssignment,
) -> Response {
    let mut r = SyncGroupResponse::default().with_assignment(a.raw);
    if ctx.version >= 5
        && let Some(g) = broker.group(group)
    {
        r = r
            .with_protocol_type(
                g.protocol_type()
                    .map(|s| StrBytes::from_string(s.to_string())),
            )
            .with_protocol_name(
                g.protocol_name()
                    .map(|s| StrBytes::from_string(s.to_string())),
            );
    }
    Response::SyncGroup(r)
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: SyncGroupRequest) -> Outcome {
    let group = req.group_id.to_string();
    let member_id = req.member_id.to_string();
    let assignment = if req.assignments.is_empty() {
        SyncAssignment::Follower
    } else {
        let map: BTreeMap<String, MemberAssignment> = req
            .assignments
            .into_iter()
            .map(|a| {
                let partitions = assigned_partitions(&a.assignment);
                (
                    a.member_id.to_string(),
                    MemberAssignment {
                        partitions,
                        raw: a.assignment,
                    },
                )
            })
            .collect();
        SyncAssignment::Provided(map)
    };
    let mut broker = ctx.broker.write();
    let instance = req.group_instance_id.as_ref();
    if let Err(e) = check_instance(&broker, &group, &member_id, instance) {
        return Outcome::Reply(failed(ResponseError::from(&e)));
    }
    let outcome = broker.sync_group(
        &group,
        &member_id,
        req.generation_id,
        assignment,
        ctx.now_ms,
    );
    ctx.effects.groups_changed = true;
    match outcome {
        Ok(SyncOutcome::Assigned(a)) => Outcome::Reply(assigned(ctx, &broker, &group, a)),
        Ok(SyncOutcome::Pending) => Outcome::Wait(Waiter {
            kind: WaitKind::Sync(SyncWait {
                group,
                member_id,
                generation: req.generation_id,
            }),
            deadline_ms: ctx.now_ms + SYNC_WAIT_MS,
        }),
        Err(e) => Outcome::Reply(failed(ResponseError::from(&e))),
    }
}

pub(super) fn error_response(_req: SyncGroupRequest, error: ResponseError) -> Response {
    failed(error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::SharedBroker;
    use crate::server::api::join_group::tests::join_req;
    use crate::server::api::testing::*;
    use crate::server::api::{Wake, dispatch};
    use crate::server::codec::Request;
    use bytes::BytesMut;
    use kafka_protocol::messages::GroupId;
    use kafka_protocol::messages::TopicName;
    use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as WireTp;
    use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
    use kafka_protocol::protocol::Encodable;

    fn assignment(topic: &str, partitions: &[i32]) -> Bytes {
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&0i16.to_be_bytes());
        ConsumerProtocolAssignment::default()
            .with_assigned_partitions(vec![
                WireTp::default()
                    .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
                    .with_partitions(partitions.to_vec()),
            ])
            .encode(&mut buf, 0)
            .unwrap();
        buf.freeze()
    }

    fn sync_req(
        member: &str,
        generation: i32,
        assignments: Vec<(String, Bytes)>,
    ) -> SyncGroupRequest {
        SyncGroupRequest::default()
            .with_group_id(GroupId(StrBytes::from_static_str("g")))
            .with_member_id(StrBytes::from_string(member.to_string()))
            .with_generation_id(generation)
            .with_assignments(
                assignments
                    .into_iter()
                    .map(|(m, a)| {
                        SyncGroupRequestAssignment::default()
                            .with_member_id(StrBytes::from_string(m))
                            .with_assignment(a)
                    })
                    .collect(),
            )
    }

    #[test]
    fn the_follower_waits_for_the_leaders_assignment() {
        let broker = SharedBroker::default();
        broker
            .write()
            .create_topic("t", crate::broker::TopicConfig::new(2), 0)
            .unwrap();
        let s = settings();
        let mut j = ctx(&broker, &s, 3);
        let mut c = ctx(&broker, &s, 5);
        let Response::JoinGroup(a) =
            reply(dispatch(&mut j, Request::JoinGroup(join_req("", &["t"]))))
        else {
            panic!()
        };
        let Outcome::Wait(mut bw) = dispatch(&mut j, Request::JoinGroup(join_req("", &["t"])))
        else {
            panic!()
        };
        let Response::JoinGroup(leader) = reply(dispatch(
            &mut j,
            Request::JoinGroup(join_req(&a.member_id, &["t"])),
        )) else {
            panic!()
        };
        let Some(Response::JoinGroup(follower)) = bw.poll(&mut j) else {
            panic!()
        };
        let gen_ = leader.generation_id;

        let Outcome::Wait(mut fw) = dispatch(
            &mut c,
            Request::SyncGroup(sync_req(&follower.member_id, gen_, vec![])),
        ) else {
            panic!("the follower must wait for the leader");
        };
        assert_eq!(fw.wakes_on(), Wake::Groups);
        assert!(fw.poll(&mut c).is_none());
        let raw_leader = assignment("t", &[0]);
        let raw_follower = assignment("t", &[1]);
        let Response::SyncGroup(l) = reply(dispatch(
            &mut c,
            Request::SyncGroup(sync_req(
                &leader.member_id,
                gen_,
                vec![
                    (leader.member_id.to_string(), raw_leader.clone()),
                    (follower.member_id.to_string(), raw_follower.clone()),
                ],
            )),
        )) else {
            panic!()
        };
        assert_eq!(l.assignment, raw_leader);
        assert_eq!(l.protocol_name.as_deref(), Some("range"));
        let Some(Response::SyncGroup(f)) = fw.poll(&mut c) else {
            panic!("the leader's sync completes the follower's");
        };
        assert_eq!(
            (f.error_code, &f.assignment),
            (0, &raw_follower),
            "bytes relayed untouched"
        );
        let b = broker.read();
        let m = b.group("g").unwrap().member(&follower.member_id).unwrap();
        assert_eq!(m.assignment(), [TopicPartition::new("t", 1)]);
        assert_eq!(m.assignment_bytes(), &raw_follower);
    }

    #[test]
    fn assignments_that_are_not_consumer_ones_decode_to_nothing() {
        assert!(assigned_partitions(&Bytes::from_static(b"\x00\x00\xff")).is_empty());
        assert_eq!(
            assigned_partitions(&assignment("x", &[3, -1])),
            [TopicPartition::new("x", 3)]
        );
    }

    #[test]
    fn a_stale_generation_is_refused() {
        let broker = SharedBroker::default();
        let s = settings();
        let mut c = ctx(&broker, &s, 3);
        let Response::JoinGroup(a) =
            reply(dispatch(&mut c, Request::JoinGroup(join_req("", &["t"]))))
        else {
            panic!()
        };
        let Response::SyncGroup(r) = reply(dispatch(
            &mut c,
            Request::SyncGroup(sync_req(&a.member_id, 42, vec![])),
        )) else {
            panic!()
        };
        assert_eq!(r.error_code, 22);
    }
}
