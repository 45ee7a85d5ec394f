//! The sans-IO codec: length prefixes, request headers and bodies in, responses out.
//!
//! Everything here works on byte buffers, so it is tested (and fuzzed) without sockets.
//! Decoding and encoding themselves are kafka-protocol's; this module only frames, chooses
//! the header versions and falls back for a too-new ApiVersions. Which APIs there are, and
//! their message types, comes from the table in [`super::api`].

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable};
use thiserror::Error;

use super::api::api_versions::supported_range;

/// Why a frame could not be read or a response written. Each closes only its connection.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    #[error("request of {len} bytes exceeds the {max}-byte limit")]
    TooLarge { len: i64, max: usize },
    #[error("negative request length {0}")]
    NegativeLength(i32),
    #[error("request too short for a header ({0} bytes)")]
    Truncated(usize),
    #[error("unknown API key {0}")]
    UnknownApiKey(i16),
    #[error("{api:?} v{version} is not supported by this broker")]
    Unsupported { api: ApiKey, version: i16 },
    #[error("malformed {api:?} v{version} request: {reason}")]
    Malformed {
        api: ApiKey,
        version: i16,
        reason: String,
    },
    #[error("cannot encode {api:?} v{version} response: {reason}")]
    Encode {
        api: ApiKey,
        version: i16,
        reason: String,
    },
}

/// Checks a 4-byte length prefix against the limit, before anything is allocated for it.
pub fn frame_len(prefix: [u8; 4], max_request_bytes: usize) -> Result<usize, CodecError> {
    let len = i32::from_be_bytes(prefix);
    if len < 0 {
        return Err(CodecError::NegativeLength(len));
    }
    let len = len as usize;
    if len > max_request_bytes {
        return Err(CodecError::TooLarge {
            len: len as i64,
            max: max_request_bytes,
        });
    }
    Ok(len)
}

// The request and response types are made from the table of APIs in `api`.
pub use super::api::{Request, Response};

/// A decoded request frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub api_key: ApiKey,
    pub version: i16,
    pub correlation_id: i32,
    pub client_id: Option<String>,
    /// Whether we implement this version; if not, [`crate::server::api::answer`] replies
    /// UNSUPPORTED_VERSION.
    pub supported: bool,
    pub body: Request,
}

impl Frame {
    /// The version the response is encoded at: v0 for a too-new ApiVersions, else the request's.
    pub fn response_version(&self) -> i16 {
        match self.body {
            Request::ApiVersionsTooNew => 0,
            Request::ApiVersions(_) if !self.supported => 0,
            _ => self.version,
        }
    }
}

/// Decodes a whole body: bytes left over mean the frame was not what its header said.
pub(super) fn decode_body<T: Decodable>(
    buf: &mut Bytes,
    api: ApiKey,
    version: i16,
) -> Result<T, CodecError> {
    let body = T::decode(buf, version).map_err(|e| CodecError::Malformed {
        api,
        version,
        reason: e.to_string(),
    })?;
    if buf.has_remaining() {
        return Err(CodecError::Malformed {
            api,
            version,
            reason: format!("{} bytes left over after the body", buf.remaining()),
        });
    }
    Ok(body)
}

/// Decodes one frame (without its length prefix).
pub fn decode_request(mut frame: Bytes) -> Result<Frame, CodecError> {
    if frame.len() < 8 {
        return Err(CodecError::Truncated(frame.len()));
    }
    let key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let api = ApiKey::try_from(key).map_err(|_| CodecError::UnknownApiKey(key))?;
    let Some(range) = supported_range(api) else {
        return Err(CodecError::Unsupported { api, version });
    };
    let in_range = (range.0..=range.1).contains(&version);
    let crate_range = api.valid_versions();
    let readable = (crate_range.min..=crate_range.max).contains(&version);
    // Versions we do not implement but can read are answered with UNSUPPORTED_VERSION;
    // versions nobody can read leave no way to answer, so the connection closes.
    if !readable && api != ApiKey::ApiVersions {
        return Err(CodecError::Unsupported { api, version });
    }
    // A too-new ApiVersions header is decoded at the newest header we know: the client id
    // is what we need, and the body may be a layout we cannot read.
    let header_version = if readable {
        api.request_header_version(version)
    } else {
        api.request_header_version(version.clamp(range.0, range.1))
    };
    let header =
        RequestHeader::decode(&mut frame, header_version).map_err(|e| CodecError::Malformed {
            api,
            version,
            reason: format!("header: {e}"),
        })?;
    let client_id = header.client_id.as_ref().map(|s| s.to_string());
    let body = if api == ApiKey::ApiVersions && !in_range && !readable {
        Request::ApiVersionsTooNew
    } else {
        Request::decode(api, version, &mut frame)?
    };
    Ok(Frame {
        api_key: api,
        version,
        correlation_id: header.correlation_id,
        client_id,
        supported: in_range,
        body,
    })
}

/// Encodes a response with its length prefix and header, ready to write to the socket.
pub fn encode_response(
    api: ApiKey,
    version: i16,
    correlation_id: i32,
    response: &Response,
    out: &mut BytesMut,
) -> Result<(), CodecError> {
    let encode_err = |e: anyhow::Error| CodecError::Encode {
        api,
        version,
        reason: e.to_string(),
    };
    let start = out.len();
    out.put_i32(0);
    // The ApiVersions response header is always v0, so a client can read it before it
    // knows which versions we speak.
    let header_version = if api == ApiKey::ApiVersions {
        0
    } else {
        api.response_header_version(version)
    };
    ResponseHeader::default()
        .with_correlation_id(correlation_id)
        .encode(out, header_version)
        .map_err(encode_err)?;
    response.encode(out, version).map_err(encode_err)?;
    let len = out.len() - start - 4;
    let len = i32::try_from(len).map_err(|_| CodecError::Encode {
        api,
        version,
        reason: format!("response of {len} bytes is too large"),
    })?;
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::StrBytes;

    fn request_bytes<T: Encodable>(api: ApiKey, version: i16, body: &T) -> Bytes {
        let mut buf = BytesMut::new();
        RequestHeader::default()
            .with_request_api_key(api as i16)
            .with_request_api_version(version)
            .with_correlation_id(7)
            .with_client_id(Some(StrBytes::from_static_str("tester")))
            .encode(&mut buf, api.request_header_version(version))
            .unwrap();
        body.encode(&mut buf, version).unwrap();
        buf.freeze()
    }

    #[test]
    fn length_prefix_limits() {
        assert_eq!(frame_len(100i32.to_be_bytes(), 100), Ok(100));
        assert_eq!(
            frame_len(101i32.to_be_bytes(), 100),
            Err(CodecError::TooLarge { len: 101, max: 100 })
        );
        assert_eq!(
            frame_len((-1i32).to_be_bytes(), 100),
            Err(CodecError::NegativeLength(-1))
        );
    }

    #[test]
    fn flexible_headers_keep_the_client_id() {
        let body = MetadataRequest::default().with_topics(None);
        let frame = decode_request(request_bytes(ApiKey::Metadata, 12, &body)).unwrap();
        assert_eq!(frame.client_id.as_deref(), Some("tester"));
        assert_eq!(frame.correlation_id, 7);
        assert_eq!(frame.body, Request::Metadata(body));
    }

    #[test]
    fn too_new_api_versions_falls_back_to_v0() {
        let body = ApiVersionsRequest::default();
        let frame = decode_request(request_bytes(ApiKey::ApiVersions, 3, &body)).unwrap();
        assert!(matches!(frame.body, Request::ApiVersions(_)));
        let mut raw = BytesMut::from(&request_bytes(ApiKey::ApiVersions, 3, &body)[..]);
        raw[2..4].copy_from_slice(&99i16.to_be_bytes());
        let frame = decode_request(raw.freeze()).unwrap();
        assert_eq!(frame.body, Request::ApiVersionsTooNew);
        assert_eq!(frame.response_version(), 0);
    }

    #[test]
    fn unsupported_and_unknown_apis_are_errors() {
        let body = ApiVersionsRequest::default();
        let mut raw = BytesMut::from(&request_bytes(ApiKey::ApiVersions, 0, &body)[..]);
        raw[0..2].copy_from_slice(&(ApiKey::SaslHandshake as i16).to_be_bytes());
        assert!(matches!(
            decode_request(raw.clone().freeze()),
            Err(CodecError::Unsupported {
                api: ApiKey::SaslHandshake,
                ..
            })
        ));
        raw[0..2].copy_from_slice(&(-5i16).to_be_bytes());
        assert_eq!(
            decode_request(raw.freeze()),
            Err(CodecError::UnknownApiKey(-5))
        );
        let produce = ProduceRequest::default();
        let readable = decode_request(request_bytes(ApiKey::Produce, 13, &produce)).unwrap();
        assert!(!readable.supported, "v13 is read, to be refused politely");
        let mut raw = BytesMut::from(&request_bytes(ApiKey::Produce, 13, &produce)[..]);
        raw[2..4].copy_from_slice(&14i16.to_be_bytes());
        assert!(matches!(
            decode_request(raw.freeze()),
            Err(CodecError::Unsupported { version: 14, .. })
        ));
    }

    #[test]
    fn trailing_bytes_and_short_frames_are_malformed() {
        let mut raw =
            BytesMut::from(&request_bytes(ApiKey::Heartbeat, 0, &HeartbeatRequest::default())[..]);
        raw.put_u8(0);
        assert!(matches!(
            decode_request(raw.freeze()),
            Err(CodecError::Malformed { .. })
        ));
        assert_eq!(
            decode_request(Bytes::from_static(&[0, 18, 0])),
            Err(CodecError::Truncated(3))
        );
    }

    #[test]
    fn api_versions_response_header_is_v0_even_when_flexible() {
        let mut out = BytesMut::new();
        let resp = Response::ApiVersions(ApiVersionsResponse::default());
        encode_response(ApiKey::ApiVersions, 3, 42, &resp, &mut out).unwrap();
        let len = i32::from_be_bytes(out[0..4].try_into().unwrap()) as usize;
        assert_eq!(len, out.len() - 4);
        assert_eq!(&out[4..8], &42i32.to_be_bytes());
        let mut body = out.freeze().slice(8..);
        let decoded = ApiVersionsResponse::decode(&mut body, 3).unwrap();
        assert_eq!(decoded, ApiVersionsResponse::default());
    }

    #[test]
    fn other_flexible_responses_use_header_v1() {
        let mut out = BytesMut::new();
        let resp = Response::Heartbeat(HeartbeatResponse::default());
        encode_response(ApiKey::Heartbeat, 4, 1, &resp, &mut out).unwrap();
        let mut rest = out.freeze().slice(4..);
        let header = ResponseHeader::decode(&mut rest, 1).unwrap();
        assert_eq!(header.correlation_id, 1);
        assert_eq!(
            HeartbeatResponse::decode(&mut rest, 4).unwrap(),
            HeartbeatResponse::default()
        );
        assert!(rest.is_empty());
    }
}
