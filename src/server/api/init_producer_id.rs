//! InitProducerId: hands an idempotent producer its id, as kafka-python 3 and Java clients
//! ask for by default.
//!
//! Sequence numbers are accepted but not checked, so a retried batch may be stored twice;
//! transactions are refused.

use std::sync::atomic::{AtomicI64, Ordering};

use kafka_protocol::ResponseError;
use kafka_protocol::messages::ProducerId;
use kafka_protocol::messages::init_producer_id_request::InitProducerIdRequest;
use kafka_protocol::messages::init_producer_id_response::InitProducerIdResponse;

use super::RequestContext;
use crate::server::codec::Response;

/// Transactions are refused with the closest error a client reports clearly.
const TRANSACTIONS_REFUSED: ResponseError = ResponseError::TransactionalIdAuthorizationFailed;

/// Ids are unique within the process, which is the broker's lifetime.
static NEXT_PRODUCER_ID: AtomicI64 = AtomicI64::new(1000);

pub(super) fn handle(_ctx: &mut RequestContext<'_>, req: InitProducerIdRequest) -> Response {
    if req.transactional_id.as_ref().is_some_and(|t| !t.is_empty()) {
        return Response::InitProducerId(
            InitProducerIdResponse::default()
                .with_error_code(TRANSACTIONS_REFUSED.code())
                .with_producer_id(ProducerId(-1))
                .with_producer_epoch(-1),
        );
    }
    let id = NEXT_PRODUCER_ID.fetch_add(1, Ordering::Relaxed);
    Response::InitProducerId(
        InitProducerIdResponse::default()
            .with_producer_id(ProducerId(id))
            .with_producer_epoch(0),
    )
}

pub(super) fn error_response(_req: InitProducerIdRequest, error: ResponseError) -> Response {
    Response::InitProducerId(InitProducerIdResponse::default().with_error_code(error.code()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::SharedBroker;
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::TransactionalId;
    use kafka_protocol::protocol::StrBytes;

    fn init(req: InitProducerIdRequest) -> InitProducerIdResponse {
        let broker = SharedBroker::default();
        let s = settings();
        let mut c = ctx(&broker, &s, 4);
        match reply(dispatch(&mut c, Request::InitProducerId(req))) {
            Response::InitProducerId(r) => r,
            other => panic!("wrong response type {other:?}"),
        }
    }

    #[test]
    fn idempotent_producers_get_distinct_ids_and_transactions_are_refused() {
        let plain = InitProducerIdRequest::default().with_transactional_id(None);
        let a = init(plain.clone());
        let b = init(plain);
        assert_eq!((a.error_code, a.producer_epoch), (0, 0));
        assert_ne!(a.producer_id, b.producer_id);
        let t = init(
            InitProducerIdRequest::default()
                .with_transactional_id(Some(TransactionalId(StrBytes::from_static_str("tx")))),
        );
        assert_eq!(t.error_code, TRANSACTIONS_REFUSED.code());
    }
}
