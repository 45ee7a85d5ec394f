//! CreatePartitions: grows topics, checked as Kafka checks it.
//!
//! The count must grow (INVALID_PARTITIONS); a manual assignment must name one replica list
//! per new partition, each non-empty, without repeats and only of registered brokers
//! (INVALID_REPLICA_ASSIGNMENT); a topic named twice is INVALID_REQUEST. With
//! `validate_only` the same checks run and nothing changes.

use std::collections::BTreeMap;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::create_partitions_request::{
    CreatePartitionsAssignment, CreatePartitionsRequest, CreatePartitionsTopic,
};
use kafka_protocol::messages::create_partitions_response::{
    CreatePartitionsResponse, CreatePartitionsTopicResult,
};
use kafka_protocol::protocol::StrBytes;

use super::{RequestContext, nodes};
use crate::broker::{Broker, BrokerError};
use crate::server::codec::Response;

/// A refusal: the error and a message for the client.
type Refusal = (ResponseError, String);

/// Kafka's checks of a manual assignment for the partitions beyond `current`.
fn check_assignment(
    broker: &Broker,
    assignments: &[CreatePartitionsAssignment],
    current: u32,
    total: u32,
) -> Result<(), Refusal> {
    let invalid = |message: String| (ResponseError::InvalidReplicaAssignment, message);
    let added = total - current;
    if assignments.len() != added as usize {
        return Err(invalid(format!(
            "Attempted to add {added} additional partition(s), but only {} assignment(s) were specified.",
            assignments.len()
        )));
    }
    for a in assignments {
        if a.broker_ids.is_empty() {
            return Err(invalid(
                "The manual partition assignment includes an empty replica list.".to_string(),
            ));
        }
        for (i, id) in a.broker_ids.iter().enumerate() {
            if a.broker_ids[..i].contains(id) {
                return Err(invalid(format!(
                    "The manual partition assignment includes the broker {} more than once.",
                    id.0
                )));
            }
            let registered =
                (broker.cluster().brokers().iter()).any(|n| nodes::node(broker, n.id()) == *id);
            if !registered {
                return Err(invalid(format!(
                    "The manual partition assignment includes broker {}, but no such broker is registered.",
                    id.0
                )));
            }
        }
    }
    Ok(())
}

/// Grows one topic, or only checks that it could when `validate_only`.
fn grow(
    broker: &mut Broker,
    t: &CreatePartitionsTopic,
    validate_only: bool,
    now: i64,
) -> Result<(), Refusal> {
    let refused = |e: BrokerError| (ResponseError::from(&e), e.to_string());
    // A count below one can never be an increase; 0 makes the broker say so.
    let total = u32::try_from(t.count).unwrap_or(0);
    broker.can_add_partitions(&t.name, total).map_err(refused)?;
    if let Some(assignments) = &t.assignments {
        let current = broker.topic(&t.name).map_or(0, |t| t.partition_count());
        check_assignment(broker, assignments, current, total)?;
    }
    if validate_only {
        return Ok(());
    }
    broker.add_partitions(&t.name, total, now).map_err(refused)
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: CreatePartitionsRequest) -> Response {
    let mut named: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &req.topics {
        *named.entry(t.name.as_str()).or_default() += 1;
    }
    let mut broker = ctx.broker.write();
    // Groups reading a topic that grows rebalance: waiting joins and syncs look again.
    ctx.effects.groups_changed = !req.validate_only;
    let mut answered = Vec::new();
    let mut results = Vec::new();
    for t in &req.topics {
        let name = t.name.as_str();
        // A topic named twice is answered once, as Kafka does.
        if answered.contains(&name) {
            continue;
        }
        answered.push(name);
        let outcome = if named[name] > 1 {
            Err((
                ResponseError::InvalidRequest,
                "Duplicate topic name.".to_string(),
            ))
        } else {
            grow(&mut broker, t, req.validate_only, ctx.now_ms)
        };
        let result = CreatePartitionsTopicResult::default().with_name(t.name.clone());
        results.push(match outcome {
            Ok(()) => result,
            Err((error, message)) => result
                .with_error_code(error.code())
                .with_error_message(Some(StrBytes::from_string(message))),
        });
    }
    Response::CreatePartitions(CreatePartitionsResponse::default().with_results(results))
}

/// Every topic carries `error`.
pub(super) fn error_response(req: CreatePartitionsRequest, error: ResponseError) -> Response {
    let results = req
        .topics
        .into_iter()
        .map(|t| {
            CreatePartitionsTopicResult::default()
                .with_name(t.name)
                .with_error_code(error.code())
        })
        .collect();
    Response::CreatePartitions(CreatePartitionsResponse::default().with_results(results))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{SharedBroker, TopicConfig};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::{BrokerId, TopicName};

    fn topic(
        name: &'static str,
        count: i32,
        assignments: Option<Vec<Vec<i32>>>,
    ) -> CreatePartitionsTopic {
        CreatePartitionsTopic::default()
            .with_name(TopicName(StrBytes::from_static_str(name)))
            .with_count(count)
            .with_assignments(assignments.map(|lists| {
                lists
                    .into_iter()
                    .map(|ids| {
                        CreatePartitionsAssignment::default()
                            .with_broker_ids(ids.into_iter().map(BrokerId).collect())
                    })
                    .collect()
            }))
    }

    fn run(
        broker: &SharedBroker,
        topics: Vec<CreatePartitionsTopic>,
        validate_only: bool,
    ) -> Vec<(String, i16)> {
        let s = settings();
        let mut c = ctx(broker, &s, 3);
        let req = CreatePartitionsRequest::default()
            .with_topics(topics)
            .with_validate_only(validate_only);
        let Response::CreatePartitions(r) = reply(dispatch(&mut c, Request::CreatePartitions(req)))
        else {
            panic!()
        };
        r.results
            .iter()
            .map(|t| (t.name.to_string(), t.error_code))
            .collect()
    }

    fn partitions(broker: &SharedBroker, name: &str) -> u32 {
        broker.read().topic(name).unwrap().partition_count()
    }

    #[test]
    fn grows_topics_and_refuses_what_kafka_refuses() {
        let broker = SharedBroker::default();
        broker
            .write()
            .create_topic("t", TopicConfig::new(1), 0)
            .unwrap();
        let got = run(
            &broker,
            vec![
                topic("t", 1, None),
                topic("nope", 3, None),
                topic("t", -1, None),
            ],
            false,
        );
        assert_eq!(got, [("t".to_string(), 42), ("nope".to_string(), 3)]);
        assert_eq!(
            run(&broker, vec![topic("t", 1, None)], false),
            [("t".to_string(), 37)]
        );
        assert_eq!(
            run(&broker, vec![topic("t", -1, None)], false),
            [("t".to_string(), 37)]
        );

        for bad in [
            vec![vec![0]],
            vec![vec![0], vec![7]],
            vec![vec![0, 0], vec![0]],
            vec![vec![], vec![0]],
        ] {
            assert_eq!(
                run(&broker, vec![topic("t", 3, Some(bad.clone()))], true),
                [("t".to_string(), 39)],
                "{bad:?}"
            );
        }
        assert_eq!(
            run(
                &broker,
                vec![topic("t", 3, Some(vec![vec![0], vec![0]]))],
                true
            ),
            [("t".to_string(), 0)]
        );
        assert_eq!(partitions(&broker, "t"), 1, "validate_only changes nothing");

        assert_eq!(
            run(&broker, vec![topic("t", 3, None)], false),
            [("t".to_string(), 0)]
        );
        assert_eq!(partitions(&broker, "t"), 3);
    }
}
