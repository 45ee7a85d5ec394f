//! FindCoordinator: this broker coordinates every group (and would every transaction).

use kafka_protocol::ResponseError;
use kafka_protocol::messages::BrokerId;
use kafka_protocol::messages::find_coordinator_request::FindCoordinatorRequest;
use kafka_protocol::messages::find_coordinator_response::{Coordinator, FindCoordinatorResponse};

use super::metadata::NODE_ID;
use super::{RequestContext, str_bytes};
use crate::server::codec::Response;

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: FindCoordinatorRequest) -> Response {
    let host = str_bytes(&ctx.settings.host);
    let port = ctx.settings.port;
    // v4 batches keys; earlier versions ask for one key and get the answer at the top level.
    let response = if ctx.version >= 4 {
        FindCoordinatorResponse::default().with_coordinators(
            req.coordinator_keys
                .into_iter()
                .map(|key| {
                    Coordinator::default()
                        .with_key(key)
                        .with_node_id(BrokerId(NODE_ID))
                        .with_host(host.clone())
                        .with_port(port)
                })
                .collect(),
        )
    } else {
        FindCoordinatorResponse::default()
            .with_node_id(BrokerId(NODE_ID))
            .with_host(host)
            .with_port(port)
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
    use kafka_protocol::protocol::StrBytes;

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
