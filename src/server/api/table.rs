//! Turns the table of APIs in [`super`] into code, so that adding an API takes one table line
//! and one handler file.
//!
//! From each line `Name: NameRequest => NameResponse, handler, min..=max;` come:
//! - a [`Request`](super::Request) and a [`Response`](super::Response) variant, the codec's
//!   types, with decoding by API key and encoding;
//! - a [`SUPPORTED`](super::SUPPORTED) entry: what ApiVersions advertises and what the codec
//!   accepts as implemented;
//! - the dispatch to `handler::handle(ctx, request)`;
//! - the error answer `handler::error_response(request, error)`, which is what a version we
//!   can read but do not implement gets.
//!
//! `Name` is also the API's `ApiKey` variant. Either handler function returns a
//! [`Response`](super::Response) or, when it may answer with nothing or wait, an
//! [`Outcome`](super::Outcome).

/// See the module docs. Lines are listed in the order ApiVersions lists them.
macro_rules! apis {
    ($(
        $name:ident: $request:ty => $response:ty, $handler:ident, $min:literal..=$max:literal;
    )*) => {
        /// A request body of one of the APIs this broker implements.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Request {
            $($name($request),)*
            /// ApiVersions at a version newer than ours: answered at v0 with UNSUPPORTED_VERSION.
            ApiVersionsTooNew,
        }

        /// A response body, matching one [`Request`] variant.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Response {
            $($name($response),)*
        }

        /// Every API we implement and the versions we answer, as ApiVersions lists them.
        pub const SUPPORTED: &[(::kafka_protocol::messages::ApiKey, i16, i16)] =
            &[$((::kafka_protocol::messages::ApiKey::$name, $min, $max),)*];

        impl Request {
            /// Decodes the body of an `api` request at `version`, all of it.
            pub(crate) fn decode(
                api: ::kafka_protocol::messages::ApiKey,
                version: i16,
                buf: &mut ::bytes::Bytes,
            ) -> Result<Request, $crate::server::codec::CodecError> {
                use $crate::server::codec::decode_body;
                match api {
                    $(::kafka_protocol::messages::ApiKey::$name => {
                        decode_body(buf, api, version).map(Request::$name)
                    })*
                    _ => Err($crate::server::codec::CodecError::Unsupported { api, version }),
                }
            }
        }

        impl Response {
            /// Encodes the body (without header) at `version`.
            pub(crate) fn encode(
                &self,
                buf: &mut ::bytes::BytesMut,
                version: i16,
            ) -> ::anyhow::Result<()> {
                use ::kafka_protocol::protocol::Encodable;
                match self {
                    $(Response::$name(body) => body.encode(buf, version),)*
                }
            }
        }

        /// Answers one decoded request of a version we implement.
        pub fn dispatch(ctx: &mut RequestContext<'_>, request: Request) -> Outcome {
            match request {
                $(Request::$name(body) => Outcome::from($handler::handle(ctx, body)),)*
                Request::ApiVersionsTooNew => Outcome::Reply(api_versions::too_new()),
            }
        }

        /// The answer to `request` with `error` in every error field its response has.
        pub fn error_answer(request: Request, error: ::kafka_protocol::ResponseError) -> Outcome {
            match request {
                $(Request::$name(body) => Outcome::from($handler::error_response(body, error)),)*
                // The body was unreadable; the answer does not depend on it.
                Request::ApiVersionsTooNew => {
                    Outcome::from(api_versions::error_response(Default::default(), error))
                }
            }
        }
    };
}

pub(super) use apis;
