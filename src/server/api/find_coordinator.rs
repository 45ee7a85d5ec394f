//! FindCoordinator: the broker that coordinates a group, the leader of the group's
//! `__consumer_offsets` partition (COORDINATOR_NOT_AVAILABLE while that is offline). A lone
//! broker coordinates every group (and would every transaction).

use kafka_protocol::ResponseError;
use kafka_protocol::messages::BrokerId;
use kafka_protocol::messages::find_coordinator_request::FindCoordinatorRequest;
use kafka_protocol::messages::find_coordinator_response::{Coordinator, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;

use super::{RequestContext, nodes, str_bytes};
use crate::broker::BrokerError;
use crate::server::codec::Response;

/// Where `key`'s coordinator is: its node id and port, or why there is none.
fn locate(ctx: &RequestContext<'_>, key: &str) -> Result<(BrokerId, i32), BrokerError> {
    let broker = ctx.broker.read();
    if nodes::is_lone(&broker) {
        return Ok((BrokerId(nodes::LONE_NODE), ctx.settings.port));
    }
    let id = broker.coordinator(key)?;
    Ok((nodes::node(&broker, id), nodes::port(ctx.settings, id)))
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: FindCoordinatorRequest) -> Response {
    let host = str_bytes(&ctx.settings.host);
    // v4 batches keys; earlier versions ask for one key and get the answer at the top level.
    let response = if ctx.version >= 4 {
        let coordinators = (req.coordinator_keys.into_iter())
            .map(|key| match locate(ctx, &key) {
                Ok((node, port)) => Coordinator::default()
                    .with_key(key)
                    .with_node_id(node)
                    .with_host(host.clone())
                    .with_port(port),
                Err(e) => Coordinator::default()
                    .with_key(key)
                    .with_node_id(BrokerId(-1))
                    .with_port(-1)
                    .with_error_code(e.kafka_code())
                    .with_error_message(Some(StrBytes::from_string(e.to_string()))),
            })
            .collect();
        FindCoordinatorResponse::default().with_coordinators(coordinators)
    } else {
        match locate(ctx, &req.key) {
            Ok((node, port)) => FindCoordinatorResponse::default()
                .with_node_id(node)
                .with_host(host)
                .with_port(port),
            Err(e) => FindCoordinatorResponse::default()
                .with_error_code(e.kafka_code())
                .with_error_message(Some(StrBytes::from_string(e.to_string())))
                .with_node_id(BrokerId(-1))
                .with_port(-1),
        }
    };
    Response::FindCoordinator(response)
}

/// The top-level error and every key's (v4+ batches keys).
pub(super) fn error_response(req: FindCoordinatorRequest, error: ResponseError) -> Response {
    let coordinators = req
        .coordinator_keys
        .into_iter()
        .map(|key| {
            Coordinator::default()
                .with_key(key)
                .with_error_code(error.code())
        })
        .collect();
    Response::FindCoordinator(
        FindCoordinatorResponse::default()
            .with_error_code(error.code())
            .with_coordinators(coordinators),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::SharedBroker;
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;

    #[test]
    fn answers_single_and_batched_lookups() {
        let broker = SharedBroker::default();
        let s = settings();
        let mut c = ctx(&broker, &s, 2);
        let req = FindCoordinatorRequest::default().with_key(StrBytes::from_static_str("g"));
        let Response::FindCoordinator(r) = reply(dispatch(&mut c, Request::FindCoordinator(req)))
        else {
            panic!("wrong response type");
        };
        assert_eq!(
            (r.error_code, r.port, r.host.as_str()),
            (0, 9092, "127.0.0.1")
        );

        let mut c = ctx(&broker, &s, 4);
        let req = FindCoordinatorRequest::default().with_coordinator_keys(vec![
            StrBytes::from_static_str("a"),
            StrBytes::from_static_str("b"),
        ]);
        let Response::FindCoordinator(r) = reply(dispatch(&mut c, Request::FindCoordinator(req)))
        else {
            panic!("wrong response type");
        };
        let keys: Vec<&str> = r.coordinators.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["a", "b"]);
        assert!(
            r.coordinators
                .iter()
                .all(|c| c.port == 9092 && c.error_code == 0)
        );
    }
}
