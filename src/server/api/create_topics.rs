//! CreateTopics: TOPIC_ALREADY_EXISTS for a duplicate; `retention.ms` and `retention.bytes`
//! become the topic's retention policy, other configs are accepted and ignored. A lone
//! broker takes one replica only; in a cluster the replication factor (-1: one, Kafka's
//! default) and `min.insync.replicas` are the topic's, checked by the broker against the
//! live brokers.
//!
//! Values are checked as Kafka checks them: a whole number (surrounding spaces allowed),
//! `retention.ms` at least -1, and -1 (or, for bytes, any negative number) meaning no
//! limit. Anything else, or a null value, is INVALID_CONFIG and creates nothing.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::create_topics_request::{
    CreatableTopic, CreatableTopicConfig, CreateTopicsRequest,
};
use kafka_protocol::messages::create_topics_response::{
    CreatableTopicResult, CreateTopicsResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::{RequestContext, nodes};
use crate::broker::{RetentionPolicy, TopicConfig, validate_topic_name};
use crate::server::codec::Response;

/// A refusal: a Kafka error code and a message for the client.
type Refusal = (i16, String);

fn config_for(ctx: &RequestContext<'_>, t: &CreatableTopic) -> Result<TopicConfig, Refusal> {
    validate_topic_name(&t.name).map_err(|e| (e.kafka_code(), e.to_string()))?;
    let lone = nodes::is_lone(&ctx.broker.read());
    if lone && t.replication_factor > 1 {
        return Err((
            ResponseError::InvalidReplicationFactor.code(),
            format!(
                "replication factor {} is larger than the one available broker",
                t.replication_factor
            ),
        ));
    }
    let partitions = match (t.num_partitions, t.assignments.len()) {
        (-1, 0) => ctx.settings.default_partitions,
        (-1, n) => n as u32,
        (n, _) if n > 0 => n as u32,
        (n, _) => {
            return Err((
                ResponseError::InvalidPartitions.code(),
                format!("a topic needs at least one partition, not {n}"),
            ));
        }
    };
    let replication = match t.replication_factor {
        _ if lone => 1,
        -1 => 1,
        n if n >= 1 => n as u32,
        n => {
            return Err((
                ResponseError::InvalidReplicationFactor.code(),
                format!("replication factor must be at least 1, or -1 for the default, not {n}"),
            ));
        }
    };
    let mut min_insync = 1;
    let mut retention = RetentionPolicy::default();
    for c in &t.configs {
        match c.name.as_str() {
            "min.insync.replicas" if !lone => {
                min_insync = u32::try_from(whole_number(c, 1)?).unwrap_or(u32::MAX);
            }
            "retention.ms" => {
                let ms = whole_number(c, -1)?;
                retention.ms = (ms >= 0).then_some(ms);
            }
            "retention.bytes" => {
                retention.bytes = u64::try_from(whole_number(c, i64::MIN)?).ok();
            }
            _ => {}
        }
    }
    Ok(TopicConfig::new(partitions)
        .with_retention(retention)
        .with_replication(replication, min_insync))
}

/// A config's value as a number of at least `min`, or the refusal Kafka gives.
fn whole_number(c: &CreatableTopicConfig, min: i64) -> Result<i64, Refusal> {
    let name = c.name.as_str();
    let Some(value) = c.value.as_deref() else {
        return Err((
            ResponseError::InvalidConfig.code(),
            format!("{name} needs a value, not null"),
        ));
    };
    match value.trim().parse::<i64>() {
        Ok(n) if n >= min => Ok(n),
        Ok(n) => Err((
            ResponseError::InvalidConfig.code(),
            format!("invalid value {n} for {name}: it must be at least {min}"),
        )),
        Err(_) => Err((
            ResponseError::InvalidConfig.code(),
            format!("invalid value '{value}' for {name}: not a whole number"),
        )),
    }
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: CreateTopicsRequest) -> Response {
    let topics = req
        .topics
        .into_iter()
        .map(|t| {
            let out = CreatableTopicResult::default()
                .with_name(t.name.clone())
                .with_num_partitions(-1)
                .with_replication_factor(-1);
            let created = config_for(ctx, &t).and_then(|config| {
                let mut broker = ctx.broker.write();
                if req.validate_only {
                    return match broker.topic(&t.name) {
                        Some(_) => Err((
                            ResponseError::TopicAlreadyExists.code(),
                            format!("topic '{}' already exists", t.name.as_str()),
                        )),
                        None => Ok((config, [0; 16])),
                    };
                }
                broker
                    .create_topic(&t.name, config, ctx.now_ms)
                    .map_err(|e| (e.kafka_code(), e.to_string()))?;
                let id = broker.topic(&t.name).map_or([0; 16], |t| t.id());
                Ok((config, id))
            });
            match created {
                Ok((config, id)) => out
                    .with_topic_id(uuid::Uuid::from_bytes(id))
                    .with_num_partitions(config.partitions as i32)
                    .with_replication_factor(config.replication_factor as i16)
                    .with_configs(Some(Vec::new())),
                Err((code, message)) => out
                    .with_error_code(code)
                    .with_error_message(Some(StrBytes::from_string(message))),
            }
        })
        .collect();
    Response::CreateTopics(CreateTopicsResponse::default().with_topics(topics))
}

/// Every topic carries `error`.
pub(super) fn error_response(req: CreateTopicsRequest, error: ResponseError) -> Response {
    let topics = req
        .topics
        .into_iter()
        .map(|t| {
            CreatableTopicResult::default()
                .with_name(t.name)
                .with_error_code(error.code())
        })
        .collect();
    Response::CreateTopics(CreateTopicsResponse::default().with_topics(topics))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::SharedBroker;
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::TopicName;

    fn topic(name: &str, partitions: i32, rf: i16) -> CreatableTopic {
        CreatableTopic::default()
            .with_name(TopicName(StrBytes::from_string(name.to_string())))
            .with_num_partitions(partitions)
            .with_replication_factor(rf)
    }

    fn create(
        broker: &SharedBroker,
        topics: Vec<CreatableTopic>,
        validate_only: bool,
    ) -> Vec<(i16, i32)> {
        let s = settings();
        let mut c = ctx(broker, &s, 7);
        let req = CreateTopicsRequest::default()
            .with_topics(topics)
            .with_validate_only(validate_only);
        let Response::CreateTopics(r) = reply(dispatch(&mut c, Request::CreateTopics(req))) else {
            panic!()
        };
        r.topics
            .iter()
            .map(|t| (t.error_code, t.num_partitions))
            .collect()
    }

    #[test]
    fn creates_refuses_duplicates_and_bad_input() {
        let broker = SharedBroker::default();
        let got = create(
            &broker,
            vec![
                topic("a", 3, 1),
                topic("a", 3, 1),
                topic("b", -1, -1),
                topic("c", 0, 1),
                topic("d", 1, 3),
                topic("bad name", 1, 1),
            ],
            false,
        );
        assert_eq!(
            got,
            [(0, 3), (36, -1), (0, 3), (37, -1), (38, -1), (17, -1)]
        );
        assert_eq!(broker.read().topics().len(), 2);
    }

    #[test]
    fn validate_only_creates_nothing() {
        let broker = SharedBroker::default();
        assert_eq!(create(&broker, vec![topic("a", 2, 1)], true), [(0, 2)]);
        assert!(broker.read().topic("a").is_none());
    }

    #[test]
    fn retention_configs_apply_and_bad_values_are_refused() {
        let broker = SharedBroker::default();
        let cfg = |k: &str, v: &str| {
            CreatableTopicConfig::default()
                .with_name(StrBytes::from_string(k.to_string()))
                .with_value(Some(StrBytes::from_string(v.to_string())))
        };
        let good = topic("r", 1, 1).with_configs(vec![
            cfg("retention.ms", "60000"),
            cfg("cleanup.policy", "delete"),
        ]);
        let bad = topic("s", 1, 1).with_configs(vec![cfg("retention.bytes", "lots")]);
        assert_eq!(create(&broker, vec![good, bad], false), [(0, 1), (40, -1)]);
        let b = broker.read();
        assert_eq!(b.topic("r").unwrap().config().retention.ms, Some(60_000));
        assert!(b.topic("s").is_none());
    }
}
