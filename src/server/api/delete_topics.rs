//! DeleteTopics: removes topics by name, with every group's offsets for them.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::delete_topics_request::DeleteTopicsRequest;
use kafka_protocol::messages::delete_topics_response::{
    DeletableTopicResult, DeleteTopicsResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;
use crate::server::codec::Response;

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: DeleteTopicsRequest) -> Response {
    let mut broker = ctx.broker.write();
    let responses = req
        .topic_names
        .into_iter()
        .map(|name| {
            let out = DeletableTopicResult::default().with_name(Some(name.clone()));
            match broker.delete_topic(&name, ctx.now_ms) {
                Ok(()) => out,
                Err(e) => out
                    .with_error_code(e.kafka_code())
                    .with_error_message(Some(StrBytes::from_string(e.to_string()))),
            }
        })
        .collect();
    Response::DeleteTopics(DeleteTopicsResponse::default().with_responses(responses))
}

/// Every topic carries `error`, whether named (up to v5) or given with its id (v6+).
pub(super) fn error_response(req: DeleteTopicsRequest, error: ResponseError) -> Response {
    let responses = req
        .topic_names
        .into_iter()
        .map(Some)
        .chain(req.topics.into_iter().map(|t| t.name))
        .map(|name| {
            DeletableTopicResult::default()
                .with_name(name)
                .with_error_code(error.code())
        })
        .collect();
    Response::DeleteTopics(DeleteTopicsResponse::default().with_responses(responses))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{SharedBroker, TopicConfig};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::TopicName;

    #[test]
    fn deletes_known_topics_and_reports_unknown_ones() {
        let broker = SharedBroker::default();
        broker
            .write()
            .create_topic("a", TopicConfig::new(1), 0)
            .unwrap();
        let s = settings();
        let mut c = ctx(&broker, &s, 5);
        let req = DeleteTopicsRequest::default().with_topic_names(vec![
            TopicName(StrBytes::from_static_str("a")),
            TopicName(StrBytes::from_static_str("zz")),
        ]);
        let Response::DeleteTopics(r) = reply(dispatch(&mut c, Request::DeleteTopics(req))) else {
            panic!()
        };
        let codes: Vec<i16> = r.responses.iter().map(|t| t.error_code).collect();
        assert_eq!(codes, [0, 3]);
        assert!(broker.read().topic("a").is_none());
    }
}
