//! The observer's side of the wire, without I/O: request frames out, response frames in.
//!
//! Only the read APIs can be framed: [`ReadRequest`] is implemented for them and nothing
//! else, so the client cannot send a write by mistake; [`READ_APIS`] lists them for the
//! tests that check what a broker received. Every response is decoded within bounds: a
//! length prefix over the limit is refused before anything is allocated, and a body that
//! does not decode, or leaves bytes over, is an error rather than a guess.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ConsumerGroupDescribeRequest, DescribeClusterRequest,
    DescribeGroupsRequest, FetchRequest, FindCoordinatorRequest, ListGroupsRequest,
    ListOffsetsRequest, MetadataRequest, OffsetFetchRequest, RequestHeader, ResponseHeader,
    SaslAuthenticateRequest, SaslHandshakeRequest,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use thiserror::Error;

/// The largest response accepted: a Metadata answer for 10,000 partitions is about 1 MiB
/// and a batched OffsetFetch for 500 groups of 1,000 partitions about 15 MiB, so this
/// leaves room without letting a broken peer ask for gigabytes.
pub const MAX_RESPONSE_BYTES: usize = 128 * 1024 * 1024;

/// Every API the observer may send: reads, and the SASL exchange that precedes them.
pub const READ_APIS: &[ApiKey] = &[
    ApiKey::ApiVersions,
    ApiKey::Metadata,
    ApiKey::ListOffsets,
    ApiKey::FindCoordinator,
    ApiKey::ListGroups,
    ApiKey::DescribeGroups,
    ApiKey::ConsumerGroupDescribe,
    ApiKey::OffsetFetch,
    ApiKey::Fetch,
    ApiKey::DescribeCluster,
    ApiKey::SaslHandshake,
    ApiKey::SaslAuthenticate,
];

/// A request the observer is allowed to send: implemented for the read APIs only.
pub trait ReadRequest: Request + std::fmt::Debug {
    /// The API this request belongs to.
    const API: ApiKey;
}

macro_rules! read_requests {
    ($($ty:ty => $key:ident,)*) => {
        $(impl ReadRequest for $ty { const API: ApiKey = ApiKey::$key; })*
    };
}

read_requests! {
    ApiVersionsRequest => ApiVersions,
    MetadataRequest => Metadata,
    ListOffsetsRequest => ListOffsets,
    FindCoordinatorRequest => FindCoordinator,
    ListGroupsRequest => ListGroups,
    DescribeGroupsRequest => DescribeGroups,
    ConsumerGroupDescribeRequest => ConsumerGroupDescribe,
    OffsetFetchRequest => OffsetFetch,
    FetchRequest => Fetch,
    DescribeClusterRequest => DescribeCluster,
    SaslHandshakeRequest => SaslHandshake,
    SaslAuthenticateRequest => SaslAuthenticate,
}

/// Why a response could not be read. Each ends its connection, never the process.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    #[error("response of {len} bytes exceeds the {max}-byte limit")]
    TooLarge { len: usize, max: usize },
    #[error("negative response length {0}")]
    NegativeLength(i32),
    #[error("response to correlation id {expected} carried id {got}")]
    Correlation { expected: i32, got: i32 },
    #[error("malformed {api:?} v{version} response: {reason}")]
    Malformed {
        api: ApiKey,
        version: i16,
        reason: String,
    },
    #[error("cannot encode {api:?} v{version} request: {reason}")]
    Encode {
        api: ApiKey,
        version: i16,
        reason: String,
    },
}

/// Checks a 4-byte length prefix against `max`, before anything is allocated for it.
pub fn response_len(prefix: [u8; 4], max: usize) -> Result<usize, WireError> {
    let len = i32::from_be_bytes(prefix);
    let len = usize::try_from(len).map_err(|_| WireError::NegativeLength(len))?;
    if len > max {
        return Err(WireError::TooLarge { len, max });
    }
    Ok(len)
}

/// Appends `req` framed for the wire: length prefix, header, body.
pub fn encode_request<R: ReadRequest>(
    req: &R,
    version: i16,
    correlation_id: i32,
    client_id: &str,
    out: &mut BytesMut,
) -> Result<(), WireError> {
    let encode_err = |e: anyhow::Error| WireError::Encode {
        api: R::API,
        version,
        reason: e.to_string(),
    };
    let start = out.len();
    out.put_i32(0);
    RequestHeader::default()
        .with_request_api_key(R::KEY)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_string(client_id.to_string())))
        .encode(out, R::header_version(version))
        .map_err(encode_err)?;
    req.encode(out, version).map_err(encode_err)?;
    let len = i32::try_from(out.len() - start - 4).map_err(|_| WireError::Encode {
        api: R::API,
        version,
        reason: "request too large".to_string(),
    })?;
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// Decodes one response frame (without its length prefix) to a request of type `R` sent at
/// `version` with `correlation_id`.
pub fn decode_response<R: ReadRequest>(
    mut frame: Bytes,
    version: i16,
    correlation_id: i32,
) -> Result<R::Response, WireError> {
    let malformed = |reason: String| WireError::Malformed {
        api: R::API,
        version,
        reason,
    };
    // ApiVersions answers with header v0 whatever the version, so an old client can read it.
    let header_version = if R::API == ApiKey::ApiVersions {
        0
    } else {
        <R::Response as HeaderVersion>::header_version(version)
    };
    let header = ResponseHeader::decode(&mut frame, header_version)
        .map_err(|e| malformed(format!("header: {e}")))?;
    if header.correlation_id != correlation_id {
        return Err(WireError::Correlation {
            expected: correlation_id,
            got: header.correlation_id,
        });
    }
    let body = R::Response::decode(&mut frame, version).map_err(|e| malformed(e.to_string()))?;
    if frame.has_remaining() {
        return Err(malformed(format!(
            "{} bytes left over after the body",
            frame.remaining()
        )));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::{ApiVersionsResponse, MetadataResponse};

    fn response_frame<T: Encodable>(header_version: i16, version: i16, body: &T) -> Bytes {
        let mut buf = BytesMut::new();
        ResponseHeader::default()
            .with_correlation_id(9)
            .encode(&mut buf, header_version)
            .unwrap();
        body.encode(&mut buf, version).unwrap();
        buf.freeze()
    }

    #[test]
    fn requests_are_framed_with_their_header() {
        let mut out = BytesMut::new();
        encode_request(&MetadataRequest::default(), 12, 5, "observer", &mut out).unwrap();
        let len = i32::from_be_bytes(out[0..4].try_into().unwrap()) as usize;
        assert_eq!(len, out.len() - 4);
        let mut rest = out.freeze().slice(4..);
        let header = RequestHeader::decode(&mut rest, 2).unwrap();
        assert_eq!(header.request_api_key, ApiKey::Metadata as i16);
        assert_eq!(header.request_api_version, 12);
        assert_eq!(header.correlation_id, 5);
        assert_eq!(header.client_id.as_deref(), Some("observer"));
    }

    #[test]
    fn responses_decode_with_the_right_header_and_no_leftovers() {
        let body = MetadataResponse::default().with_controller_id(3.into());
        let frame = response_frame(1, 12, &body);
        let got = decode_response::<MetadataRequest>(frame.clone(), 12, 9).unwrap();
        assert_eq!(got, body);
        assert!(matches!(
            decode_response::<MetadataRequest>(frame.clone(), 12, 8),
            Err(WireError::Correlation {
                expected: 8,
                got: 9
            })
        ));
        let mut longer = BytesMut::from(&frame[..]);
        longer.put_u8(0);
        assert!(matches!(
            decode_response::<MetadataRequest>(longer.freeze(), 12, 9),
            Err(WireError::Malformed { .. })
        ));
        assert!(decode_response::<MetadataRequest>(frame.slice(..6), 12, 9).is_err());
        // ApiVersions v3 is flexible, but its response header stays v0.
        let av = ApiVersionsResponse::default();
        let frame = response_frame(0, 3, &av);
        assert_eq!(
            decode_response::<ApiVersionsRequest>(frame, 3, 9).unwrap(),
            av
        );
    }

    #[test]
    fn lengths_are_checked_before_reading() {
        assert_eq!(response_len(10i32.to_be_bytes(), 10), Ok(10));
        assert_eq!(
            response_len(11i32.to_be_bytes(), 10),
            Err(WireError::TooLarge { len: 11, max: 10 })
        );
        assert_eq!(
            response_len((-2i32).to_be_bytes(), 10),
            Err(WireError::NegativeLength(-2))
        );
    }
}
