//! DescribeCluster: the cluster id, the controller and the brokers that serve now.
//!
//! As a Kafka broker does, it answers only for brokers: a client asking for the controllers'
//! endpoints (v1+, endpoint type 2) gets MISMATCHED_ENDPOINT_TYPE.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_cluster_request::DescribeClusterRequest;
use kafka_protocol::messages::describe_cluster_response::{
    DescribeClusterBroker, DescribeClusterResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::metadata::CLUSTER_ID;
use super::{RequestContext, nodes, str_bytes};
use crate::server::codec::Response;

/// The endpoint type of a broker listener, as opposed to a controller's (2).
const BROKERS: i8 = 1;

/// What Kafka without an authorizer allows on the cluster, as a bit set of ACL operations:
/// CREATE (5), ALTER (7), DESCRIBE (8), CLUSTER_ACTION (9), DESCRIBE_CONFIGS (10),
/// ALTER_CONFIGS (11) and IDEMPOTENT_WRITE (12).
const CLUSTER_OPERATIONS: i32 = 1 << 5 | 1 << 7 | 1 << 8 | 1 << 9 | 1 << 10 | 1 << 11 | 1 << 12;

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: DescribeClusterRequest) -> Response {
    if ctx.version >= 1 && req.endpoint_type != BROKERS {
        return Response::DescribeCluster(
            DescribeClusterResponse::default()
                .with_error_code(ResponseError::MismatchedEndpointType.code())
                .with_error_message(Some(StrBytes::from_static_str(
                    "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER",
                )))
                .with_cluster_id(StrBytes::default()),
        );
    }
    let broker = ctx.broker.read();
    let lone = nodes::is_lone(&broker);
    let brokers = nodes::live(&broker)
        .map(|(id, rack)| {
            DescribeClusterBroker::default()
                .with_broker_id(nodes::node(&broker, id))
                .with_host(str_bytes(&ctx.settings.host))
                .with_port(if lone {
                    ctx.settings.port
                } else {
                    nodes::port(ctx.settings, id)
                })
                .with_rack(rack.filter(|_| !lone).map(str_bytes))
        })
        .collect();
    let mut response = DescribeClusterResponse::default()
        .with_cluster_id(StrBytes::from_static_str(CLUSTER_ID))
        .with_controller_id(nodes::controller(&broker))
        .with_brokers(brokers);
    if req.include_cluster_authorized_operations {
        response = response.with_cluster_authorized_operations(CLUSTER_OPERATIONS);
    }
    Response::DescribeCluster(response)
}

pub(super) fn error_response(_req: DescribeClusterRequest, error: ResponseError) -> Response {
    Response::DescribeCluster(DescribeClusterResponse::default().with_error_code(error.code()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::SharedBroker;
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::BrokerId;

    fn describe(version: i16, req: DescribeClusterRequest) -> DescribeClusterResponse {
        let broker = SharedBroker::default();
        let s = settings();
        let mut c = ctx(&broker, &s, version);
        match reply(dispatch(&mut c, Request::DescribeCluster(req))) {
            Response::DescribeCluster(r) => r,
            other => panic!("wrong response type {other:?}"),
        }
    }

    #[test]
    fn names_the_one_broker_as_controller() {
        let r = describe(2, DescribeClusterRequest::default());
        assert_eq!(r.error_code, 0);
        assert_eq!(r.cluster_id.as_str(), CLUSTER_ID);
        assert_eq!(r.controller_id, BrokerId(nodes::LONE_NODE));
        let b = &r.brokers[0];
        assert_eq!(
            (b.broker_id, b.host.as_str(), b.port),
            (BrokerId(0), "127.0.0.1", 9092)
        );
        assert!(!b.is_fenced);
        assert_eq!(r.cluster_authorized_operations, i32::MIN, "not asked for");
    }

    #[test]
    fn operations_when_asked_and_no_controller_endpoints() {
        let asked =
            DescribeClusterRequest::default().with_include_cluster_authorized_operations(true);
        // Kafka 4.1 without an authorizer answers [5, 7, 8, 9, 10, 11, 12].
        assert_eq!(
            describe(2, asked).cluster_authorized_operations,
            0b1_1111_1010_0000
        );
        let controllers = DescribeClusterRequest::default().with_endpoint_type(2);
        let r = describe(1, controllers.clone());
        assert_eq!(r.error_code, 114);
        assert!(r.brokers.is_empty());
        // v0 has no endpoint type: it always describes brokers.
        assert_eq!(describe(0, controllers).error_code, 0);
    }
}
