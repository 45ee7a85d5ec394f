//! ApiVersions: the first request of every client, telling it which versions we speak.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::messages::api_versions_request::ApiVersionsRequest;
use kafka_protocol::messages::api_versions_response::{ApiVersion, ApiVersionsResponse};

use super::RequestContext;
use crate::server::codec::Response;

pub use super::SUPPORTED;

/// The versions we answer for `api`, or `None` if we do not implement it.
pub fn supported_range(api: ApiKey) -> Option<(i16, i16)> {
    SUPPORTED
        .iter()
        .find(|(k, _, _)| *k == api)
        .map(|&(_, min, max)| (min, max))
}

fn listing(error: Option<ResponseError>) -> ApiVersionsResponse {
    ApiVersionsResponse::default()
        .with_error_code(error.map_or(0, |e| e.code()))
        .with_api_keys(
            SUPPORTED
                .iter()
                .map(|&(k, min, max)| {
                    ApiVersion::default()
                        .with_api_key(k as i16)
                        .with_min_version(min)
                        .with_max_version(max)
                })
                .collect(),
        )
}

pub(super) fn handle(_ctx: &mut RequestContext<'_>, _req: ApiVersionsRequest) -> Response {
    Response::ApiVersions(listing(None))
}

/// A refusal still lists our ranges, so the client can retry with a version we list.
pub(super) fn error_response(_req: ApiVersionsRequest, error: ResponseError) -> Response {
    Response::ApiVersions(listing(Some(error)))
}

/// The answer to an ApiVersions newer than ours: encoded at v0, UNSUPPORTED_VERSION, and
/// still our ranges, so the client retries with a version we list.
pub(super) fn too_new() -> Response {
    error_response(
        ApiVersionsRequest::default(),
        ResponseError::UnsupportedVersion,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::SharedBroker;
    use crate::server::api::testing::*;
    use crate::server::api::{Outcome, dispatch};
    use crate::server::codec::Request;

    #[test]
    fn lists_only_what_the_codec_decodes() {
        for &(api, min, max) in SUPPORTED {
            let v = api.valid_versions();
            assert!(
                v.min <= min && max <= v.max,
                "{api:?} {min}..={max} outside the crate's range"
            );
        }
        let metadata = supported_range(ApiKey::Metadata).unwrap();
        assert!(metadata.1 >= 4, "kafka-python needs Metadata v4 or later");
        assert_eq!(supported_range(ApiKey::SaslHandshake), None);
    }

    #[test]
    fn too_new_answers_unsupported_version_with_our_ranges() {
        let broker = SharedBroker::default();
        let s = settings();
        let mut c = ctx(&broker, &s, 0);
        let Response::ApiVersions(r) = reply(dispatch(&mut c, Request::ApiVersionsTooNew)) else {
            panic!("wrong response type");
        };
        assert_eq!(r.error_code, 35);
        assert_eq!(r.api_keys.len(), SUPPORTED.len());
        let Outcome::Reply(Response::ApiVersions(ok)) =
            dispatch(&mut c, Request::ApiVersions(ApiVersionsRequest::default()))
        else {
            panic!("wrong response type");
        };
        assert_eq!(ok.error_code, 0);
        let produce = ok
            .api_keys
            .iter()
            .find(|k| k.api_key == ApiKey::Produce as i16)
            .unwrap();
        assert_eq!((produce.min_version, produce.max_version), (3, 9));
    }
}
