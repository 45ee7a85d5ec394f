//! DescribeConfigs: a topic's or the broker's configs, with Kafka's names and our values.
//!
//! Answered as Kafka answers: an empty or absent key list means every config, and names we
//! do not know are left out; synonyms only when asked (v1+), types (v3+), documentation
//! only when asked (v3+). A topic that does not exist is UNKNOWN_TOPIC_OR_PARTITION, an
//! invalid name INVALID_TOPIC_EXCEPTION; a broker other than ours, or a name that is not a
//! broker id, INVALID_REQUEST; the empty broker name (cluster-wide dynamic defaults) has no
//! configs. Which configs there are: see [`catalog`].

mod catalog;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_configs_request::{
    DescribeConfigsRequest, DescribeConfigsResource,
};
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResponse, DescribeConfigsResult,
    DescribeConfigsSynonym,
};
use kafka_protocol::protocol::StrBytes;

use super::{RequestContext, str_bytes};
use crate::broker::{BrokerError, validate_topic_name};
use crate::server::codec::Response;
use catalog::Entry;

/// Kafka's resource types, as the request numbers them.
const TOPIC: i8 = 2;
const BROKER: i8 = 4;
const BROKER_LOGGER: i8 = 8;

/// A resource's configs, or the error and message it is refused with.
type Described = Result<Vec<Entry>, (ResponseError, String)>;

fn topic_configs(ctx: &RequestContext<'_>, name: &str) -> Described {
    validate_topic_name(name).map_err(|e| (ResponseError::from(&e), e.to_string()))?;
    let broker = ctx.broker.read();
    let topic = broker.topic(name).ok_or_else(|| {
        let e = BrokerError::UnknownTopic(name.to_string());
        (ResponseError::from(&e), e.to_string())
    })?;
    Ok(catalog::topic_entries(topic))
}

/// Kafka's checks of a broker resource's name: ours, or empty for the cluster's defaults.
fn broker_configs(ctx: &RequestContext<'_>, name: &str, logger: bool) -> Described {
    if name.is_empty() {
        return Ok(Vec::new());
    }
    let invalid = |message: String| (ResponseError::InvalidRequest, message);
    let id: i32 = name
        .parse()
        .map_err(|_| invalid(format!("Broker id must be an integer, but it is: {name}")))?;
    // Each broker describes itself: the one the request reached.
    let own = {
        let broker = ctx.broker.read();
        super::nodes::node(&broker, ctx.broker_id).0
    };
    if id != own {
        return Err(invalid(format!(
            "Unexpected broker id, expected {own} or empty string, but received {name}"
        )));
    }
    // There are no log4j loggers here to describe.
    if logger {
        return Ok(Vec::new());
    }
    Ok(catalog::broker_entries(ctx.settings, own))
}

fn wire_entry(e: Entry, req: &DescribeConfigsRequest) -> DescribeConfigsResourceResult {
    let synonyms = if req.include_synonyms {
        e.synonyms
            .into_iter()
            .map(|s| {
                DescribeConfigsSynonym::default()
                    .with_name(StrBytes::from_static_str(s.name))
                    .with_value(Some(StrBytes::from_string(s.value)))
                    .with_source(s.source as i8)
            })
            .collect()
    } else {
        Vec::new()
    };
    let documentation = req
        .include_documentation
        .then(|| StrBytes::from_static_str(e.documentation));
    DescribeConfigsResourceResult::default()
        .with_name(StrBytes::from_static_str(e.name))
        .with_value(Some(StrBytes::from_string(e.value)))
        .with_read_only(e.read_only)
        .with_config_source(e.source as i8)
        .with_is_sensitive(false)
        .with_synonyms(synonyms)
        .with_config_type(e.config_type as i8)
        .with_documentation(documentation)
}

fn describe(
    ctx: &RequestContext<'_>,
    r: &DescribeConfigsResource,
    req: &DescribeConfigsRequest,
) -> DescribeConfigsResult {
    let described = match r.resource_type {
        TOPIC => topic_configs(ctx, &r.resource_name),
        BROKER => broker_configs(ctx, &r.resource_name, false),
        BROKER_LOGGER => broker_configs(ctx, &r.resource_name, true),
        other => Err((
            ResponseError::InvalidRequest,
            format!("resource type {other} is not described here: only topics (2) and brokers (4)"),
        )),
    };
    let out = DescribeConfigsResult::default()
        .with_resource_type(r.resource_type)
        .with_resource_name(r.resource_name.clone());
    match described {
        Ok(entries) => {
            let keys = r.configuration_keys.as_deref().unwrap_or_default();
            let configs = entries
                .into_iter()
                .filter(|e| keys.is_empty() || keys.iter().any(|k| k.as_str() == e.name))
                .map(|e| wire_entry(e, req))
                .collect();
            out.with_configs(configs)
        }
        Err((error, message)) => out
            .with_error_code(error.code())
            .with_error_message(Some(str_bytes(&message))),
    }
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: DescribeConfigsRequest) -> Response {
    let results = req
        .resources
        .iter()
        .map(|r| describe(ctx, r, &req))
        .collect();
    Response::DescribeConfigs(DescribeConfigsResponse::default().with_results(results))
}

/// Every resource carries `error`.
pub(super) fn error_response(req: DescribeConfigsRequest, error: ResponseError) -> Response {
    let results = req
        .resources
        .into_iter()
        .map(|r| {
            DescribeConfigsResult::default()
                .with_resource_type(r.resource_type)
                .with_resource_name(r.resource_name)
                .with_error_code(error.code())
        })
        .collect();
    Response::DescribeConfigs(DescribeConfigsResponse::default().with_results(results))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{RetentionPolicy, SharedBroker, TopicConfig};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;

    fn resource(
        kind: i8,
        name: &'static str,
        keys: Option<&[&'static str]>,
    ) -> DescribeConfigsResource {
        DescribeConfigsResource::default()
            .with_resource_type(kind)
            .with_resource_name(StrBytes::from_static_str(name))
            .with_configuration_keys(
                keys.map(|k| k.iter().map(|k| StrBytes::from_static_str(k)).collect()),
            )
    }

    fn describe_all(req: DescribeConfigsRequest) -> Vec<DescribeConfigsResult> {
        let broker = SharedBroker::default();
        let retention = RetentionPolicy {
            ms: Some(3_600_000),
            ..RetentionPolicy::default()
        };
        broker
            .write()
            .create_topic("t", TopicConfig::new(1).with_retention(retention), 0)
            .unwrap();
        let s = settings();
        let mut c = ctx(&broker, &s, 4);
        match reply(dispatch(&mut c, Request::DescribeConfigs(req))) {
            Response::DescribeConfigs(r) => r.results,
            other => panic!("wrong response type {other:?}"),
        }
    }

    fn names(r: &DescribeConfigsResult) -> Vec<&str> {
        r.configs.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn a_topic_has_kafkas_names_our_values_and_where_they_come_from() {
        let req = DescribeConfigsRequest::default()
            .with_include_synonyms(true)
            .with_resources(vec![
                resource(TOPIC, "t", None),
                resource(TOPIC, "t", Some(&["retention.ms", "segment.bytes", "nope"])),
                resource(TOPIC, "t", Some(&[])),
            ]);
        let results = describe_all(req);
        let all = [
            "cleanup.policy",
            "min.insync.replicas",
            "retention.bytes",
            "retention.ms",
        ];
        assert_eq!(names(&results[0]), all);
        assert_eq!(
            names(&results[1]),
            ["retention.ms"],
            "unknown keys are left out"
        );
        assert_eq!(names(&results[2]), all, "an empty key list means all");

        let by_name = |n: &str| {
            results[0]
                .configs
                .iter()
                .find(|c| c.name.as_str() == n)
                .unwrap()
        };
        let ms = by_name("retention.ms");
        assert_eq!(ms.value.as_deref(), Some("3600000"));
        assert_eq!(
            (ms.config_source, ms.read_only, ms.is_sensitive),
            (1, false, false)
        );
        let synonyms: Vec<(&str, Option<&str>, i8)> = ms
            .synonyms
            .iter()
            .map(|s| (s.name.as_str(), s.value.as_deref(), s.source))
            .collect();
        assert_eq!(synonyms, [("retention.ms", Some("3600000"), 1)]);
        assert_eq!(ms.config_type, 5, "LONG");
        assert_eq!(ms.documentation, None, "documentation only when asked");
        let bytes = by_name("retention.bytes");
        assert_eq!(
            (bytes.value.as_deref(), bytes.config_source),
            (Some("-1"), 5)
        );
        assert_eq!(by_name("cleanup.policy").value.as_deref(), Some("delete"));
    }

    #[test]
    fn synonyms_and_documentation_only_when_asked() {
        let quiet = describe_all(
            DescribeConfigsRequest::default().with_resources(vec![resource(TOPIC, "t", None)]),
        );
        assert!(quiet[0].configs.iter().all(|c| c.synonyms.is_empty()));
        let documented = describe_all(
            DescribeConfigsRequest::default()
                .with_include_documentation(true)
                .with_resources(vec![resource(TOPIC, "t", None)]),
        );
        assert!(
            documented[0]
                .configs
                .iter()
                .all(|c| c.documentation.as_ref().is_some_and(|d| !d.is_empty()))
        );
    }

    #[test]
    fn the_broker_has_its_flags_and_the_topic_defaults() {
        let req = DescribeConfigsRequest::default()
            .with_include_synonyms(true)
            .with_resources(vec![resource(BROKER, "0", None)]);
        let results = describe_all(req);
        assert_eq!(results[0].error_code, 0);
        let by_name = |n: &str| {
            results[0]
                .configs
                .iter()
                .find(|c| c.name.as_str() == n)
                .unwrap_or_else(|| panic!("{n} is described"))
        };
        // The test settings create topics with 3 partitions: a flag, not Kafka's default of 1.
        let partitions = by_name("num.partitions");
        assert_eq!(partitions.value.as_deref(), Some("3"));
        assert_eq!((partitions.config_source, partitions.read_only), (4, true));
        let sources: Vec<i8> = partitions.synonyms.iter().map(|s| s.source).collect();
        assert_eq!(sources, [4, 5]);
        let auto = by_name("auto.create.topics.enable");
        assert_eq!(
            (auto.value.as_deref(), auto.config_source),
            (Some("true"), 5)
        );
        let listener = by_name("advertised.listeners");
        assert_eq!(
            listener.value.as_deref(),
            Some("PLAINTEXT://127.0.0.1:9092")
        );
        assert_eq!(listener.synonyms.len(), 1);
        for n in [
            "log.retention.ms",
            "log.retention.bytes",
            "log.cleanup.policy",
            "node.id",
        ] {
            by_name(n);
        }
    }

    #[test]
    fn refusals_match_kafkas() {
        let req = DescribeConfigsRequest::default().with_resources(vec![
            resource(TOPIC, "nope", None),
            resource(TOPIC, "bad/name", None),
            resource(BROKER, "7", None),
            resource(BROKER, "x", None),
            resource(BROKER, "", None),
            resource(BROKER_LOGGER, "0", None),
            resource(32, "g", None),
        ]);
        let got: Vec<(i16, usize)> = describe_all(req)
            .iter()
            .map(|r| (r.error_code, r.configs.len()))
            .collect();
        assert_eq!(
            got,
            [(3, 0), (17, 0), (42, 0), (42, 0), (0, 0), (0, 0), (42, 0)]
        );
    }
}
