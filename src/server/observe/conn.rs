//! One connection to one broker: TCP, then TLS and SASL when configured, then ApiVersions
//! to agree on versions. Requests go out one batch at a time; a batch is pipelined (written
//! together, answered in order, as Kafka answers a connection's requests), which keeps one
//! request per group affordable against brokers without batched OffsetFetch.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, SaslAuthenticateRequest, SaslHandshakeRequest,
};
use kafka_protocol::protocol::StrBytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::config::{ClientConfig, SaslConfig, SaslMechanism};
use super::sasl::{Scram, plain_message};
use super::versions::Versions;
use super::wire::{self, MAX_RESPONSE_BYTES, ReadRequest};
use super::{ObserveError, tls};

/// How many requests of one batch are in flight at once.
const PIPELINE_DEPTH: usize = 64;

/// A byte stream to a broker: plain TCP or TLS over it.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// What every connection of one observer shares.
#[derive(Clone)]
pub struct ConnectSettings {
    /// How to reach the cluster.
    pub config: ClientConfig,
    tls: Option<tokio_rustls::TlsConnector>,
    /// For connecting, and for each request (Kafka's `request.timeout.ms`).
    pub timeout: Duration,
    /// A response larger than this closes the connection.
    pub max_response_bytes: usize,
}

impl std::fmt::Debug for ConnectSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectSettings")
            .field("config", &self.config)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl ConnectSettings {
    /// Settings for `config`; reads its TLS files now, so a bad file fails before any poll.
    pub fn new(config: ClientConfig, timeout: Duration) -> Result<ConnectSettings, ObserveError> {
        let tls = match &config.tls {
            Some(t) => Some(tls::connector(t).map_err(ObserveError::TlsSetup)?),
            None => None,
        };
        Ok(ConnectSettings {
            config,
            tls,
            timeout,
            max_response_bytes: MAX_RESPONSE_BYTES,
        })
    }
}

/// An open, authenticated connection with its agreed versions.
pub struct Connection {
    stream: Box<dyn Stream>,
    addr: String,
    client_id: String,
    versions: Versions,
    next_correlation: i32,
    timeout: Duration,
    max_response_bytes: usize,
    out: BytesMut,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("addr", &self.addr)
            .field("versions", &self.versions)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects to `addr` (`HOST:PORT`), secures and authenticates the connection, and
    /// agrees on versions.
    pub async fn open(addr: &str, s: &ConnectSettings) -> Result<Connection, ObserveError> {
        let io_err = |e: std::io::Error| ObserveError::Connect {
            addr: addr.to_string(),
            reason: e.to_string(),
        };
        let tcp = tokio::time::timeout(s.timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| ObserveError::Connect {
                addr: addr.to_string(),
                reason: format!("no answer within {:?}", s.timeout),
            })?
            .map_err(io_err)?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Stream> = match &s.tls {
            None => Box::new(tcp),
            Some(connector) => Box::new(handshake(connector, tcp, addr, s.timeout).await?),
        };
        let mut conn = Connection {
            stream,
            addr: addr.to_string(),
            client_id: s.config.client_id.clone(),
            versions: Versions::bootstrap(),
            next_correlation: 1,
            timeout: s.timeout,
            max_response_bytes: s.max_response_bytes,
            out: BytesMut::new(),
        };
        conn.agree_versions().await?;
        if let Some(sasl) = &s.config.sasl {
            conn.authenticate(sasl).await?;
        }
        Ok(conn)
    }

    /// `HOST:PORT` of the broker.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The versions agreed with this broker.
    pub fn versions(&self) -> &Versions {
        &self.versions
    }

    /// Sends one request and waits for its answer.
    pub async fn send<R: ReadRequest>(&mut self, req: &R) -> Result<R::Response, ObserveError> {
        let mut answers = self.send_all(std::slice::from_ref(req)).await?;
        answers.pop().ok_or_else(|| self.closed())
    }

    /// Sends requests pipelined and returns their answers in order. Any failure ends the
    /// connection: the caller drops it.
    pub async fn send_all<R: ReadRequest>(
        &mut self,
        reqs: &[R],
    ) -> Result<Vec<R::Response>, ObserveError> {
        let version = self
            .versions
            .get(R::API)
            .ok_or_else(|| ObserveError::Unsupported {
                addr: self.addr.clone(),
                api: R::API,
            })?;
        let mut answers = Vec::with_capacity(reqs.len());
        for chunk in reqs.chunks(PIPELINE_DEPTH) {
            let first = self.next_correlation;
            self.out.clear();
            for req in chunk {
                let id = self.next_correlation;
                self.next_correlation = self.next_correlation.wrapping_add(1);
                wire::encode_request(req, version, id, &self.client_id, &mut self.out)
                    .map_err(|e| self.wire_error(e))?;
            }
            let deadline = self.timeout;
            let exchange = async {
                self.stream.write_all(&self.out).await?;
                self.stream.flush().await?;
                let mut frames = Vec::with_capacity(chunk.len());
                for _ in chunk {
                    frames.push(read_frame(&mut self.stream, self.max_response_bytes).await?);
                }
                Ok::<_, FrameError>(frames)
            };
            let frames = tokio::time::timeout(deadline, exchange)
                .await
                .map_err(|_| self.timed_out(R::API))?
                .map_err(|e| self.frame_error(e))?;
            for (i, frame) in frames.into_iter().enumerate() {
                let id = first.wrapping_add(i as i32);
                let answer = wire::decode_response::<R>(frame, version, id)
                    .map_err(|e| self.wire_error(e))?;
                answers.push(answer);
            }
        }
        Ok(answers)
    }

    /// ApiVersions at v3 (what librdkafka sends first); a broker too old for it answers
    /// with a v0 body listing its ranges, which is read instead.
    async fn agree_versions(&mut self) -> Result<(), ObserveError> {
        let req = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("minikafka-tui"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let id = self.next_correlation;
        self.next_correlation += 1;
        self.out.clear();
        wire::encode_request(&req, 3, id, &self.client_id, &mut self.out)
            .map_err(|e| self.wire_error(e))?;
        let exchange = async {
            self.stream.write_all(&self.out).await?;
            self.stream.flush().await?;
            read_frame(&mut self.stream, self.max_response_bytes).await
        };
        let frame = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| self.timed_out(ApiKey::ApiVersions))?
            .map_err(|e| self.frame_error(e))?;
        let answer = wire::decode_response::<ApiVersionsRequest>(frame.clone(), 3, id)
            .or_else(|_| wire::decode_response::<ApiVersionsRequest>(frame, 0, id))
            .map_err(|e| self.wire_error(e))?;
        self.check_api_versions(&answer)?;
        self.versions = Versions::negotiate(&answer);
        Ok(())
    }

    fn check_api_versions(&self, answer: &ApiVersionsResponse) -> Result<(), ObserveError> {
        // UNSUPPORTED_VERSION still lists the ranges, which is all we need.
        match ResponseError::try_from_code(answer.error_code) {
            None | Some(ResponseError::UnsupportedVersion) if !answer.api_keys.is_empty() => Ok(()),
            other => Err(ObserveError::Kafka {
                addr: self.addr.clone(),
                api: ApiKey::ApiVersions,
                error: other.map_or("no API listed".to_string(), |e| e.to_string()),
            }),
        }
    }

    /// SaslHandshake v1, then SaslAuthenticate carrying the mechanism's messages.
    async fn authenticate(&mut self, sasl: &SaslConfig) -> Result<(), ObserveError> {
        let mechanism = sasl.mechanism.name();
        let handshake = self
            .send(
                &SaslHandshakeRequest::default()
                    .with_mechanism(StrBytes::from_static_str(mechanism)),
            )
            .await?;
        if let Some(e) = ResponseError::try_from_code(handshake.error_code) {
            let offered: Vec<&str> = handshake.mechanisms.iter().map(|m| m.as_str()).collect();
            return Err(self.auth_failed(
                sasl,
                format!("{e}; the broker offers {}", offered.join(", ")),
            ));
        }
        if self.versions.get(ApiKey::SaslAuthenticate).is_none() {
            return Err(self.auth_failed(sasl, "the broker has no SaslAuthenticate".to_string()));
        }
        match sasl.mechanism {
            SaslMechanism::Plain => {
                self.sasl_step(sasl, plain_message(&sasl.username, &sasl.password.0))
                    .await?;
            }
            SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => {
                let mut scram = Scram::start(sasl);
                let server_first = self.sasl_step(sasl, scram.client_first()).await?;
                let client_final = scram
                    .client_final(&server_first)
                    .map_err(|e| self.auth_failed(sasl, e.to_string()))?;
                let server_final = self.sasl_step(sasl, client_final).await?;
                scram
                    .verify_server_final(&server_final)
                    .map_err(|e| self.auth_failed(sasl, e.to_string()))?;
            }
        }
        Ok(())
    }

    async fn sasl_step(
        &mut self,
        sasl: &SaslConfig,
        bytes: Vec<u8>,
    ) -> Result<Bytes, ObserveError> {
        let req = SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(bytes));
        let answer = match self.send(&req).await {
            Ok(a) => a,
            // Kafka closes the connection right after a failed authentication.
            Err(ObserveError::Closed { .. }) => {
                return Err(self.auth_failed(sasl, "the broker closed the connection".to_string()));
            }
            Err(e) => return Err(e),
        };
        if let Some(e) = ResponseError::try_from_code(answer.error_code) {
            let message = answer.error_message.map(|m| m.to_string());
            return Err(self.auth_failed(sasl, message.unwrap_or_else(|| e.to_string())));
        }
        Ok(answer.auth_bytes)
    }

    fn auth_failed(&self, sasl: &SaslConfig, reason: String) -> ObserveError {
        ObserveError::Auth {
            addr: self.addr.clone(),
            user: sasl.username.clone(),
            mechanism: sasl.mechanism.name(),
            reason,
        }
    }

    fn closed(&self) -> ObserveError {
        ObserveError::Closed {
            addr: self.addr.clone(),
        }
    }

    fn timed_out(&self, api: ApiKey) -> ObserveError {
        ObserveError::Timeout {
            addr: self.addr.clone(),
            api,
            after: self.timeout,
        }
    }

    fn wire_error(&self, source: wire::WireError) -> ObserveError {
        ObserveError::Wire {
            addr: self.addr.clone(),
            source,
        }
    }

    fn frame_error(&self, e: FrameError) -> ObserveError {
        match e {
            FrameError::Wire(w) => self.wire_error(w),
            FrameError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => self.closed(),
            FrameError::Io(e) => ObserveError::Io {
                addr: self.addr.clone(),
                reason: e.to_string(),
            },
        }
    }
}

/// Why a frame could not be read off the stream.
#[derive(Debug)]
enum FrameError {
    Io(std::io::Error),
    Wire(wire::WireError),
}

impl From<std::io::Error> for FrameError {
    fn from(e: std::io::Error) -> Self {
        FrameError::Io(e)
    }
}

/// Reads one length-prefixed frame. The buffer grows as bytes arrive, so a peer that only
/// claims a large frame gets no large allocation.
async fn read_frame<S: AsyncRead + Unpin + ?Sized>(
    stream: &mut S,
    max: usize,
) -> Result<Bytes, FrameError> {
    let mut prefix = [0u8; 4];
    stream.read_exact(&mut prefix).await?;
    let len = wire::response_len(prefix, max).map_err(FrameError::Wire)?;
    let mut body = Vec::with_capacity(len.min(64 * 1024));
    let read = (&mut *stream)
        .take(len as u64)
        .read_to_end(&mut body)
        .await?;
    if read < len {
        return Err(FrameError::Io(std::io::ErrorKind::UnexpectedEof.into()));
    }
    Ok(Bytes::from(body))
}

async fn handshake(
    connector: &tokio_rustls::TlsConnector,
    tcp: TcpStream,
    addr: &str,
    timeout: Duration,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ObserveError> {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = tls::server_name(host).map_err(ObserveError::TlsSetup)?;
    match tokio::time::timeout(timeout, connector.connect(name, tcp)).await {
        Err(_) => Err(ObserveError::Connect {
            addr: addr.to_string(),
            reason: format!("the TLS handshake did not finish within {timeout:?}"),
        }),
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(match tls::certificate_problem(&e) {
            Some(reason) => ObserveError::Certificate {
                addr: addr.to_string(),
                reason,
            },
            None => ObserveError::Connect {
                addr: addr.to_string(),
                reason: format!("TLS handshake: {e}"),
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_are_read_whole_and_bounded() {
        let (mut a, mut b) = tokio::io::duplex(64);
        tokio::spawn(async move {
            a.write_all(&[0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 200])
                .await
                .unwrap();
            a.write_all(&[0, 0, 1, 0]).await.unwrap();
            a.write_all(&[0, 0, 0, 9, 1]).await.unwrap();
        });
        assert_eq!(
            read_frame(&mut b, 100).await.unwrap(),
            Bytes::from_static(&[1, 2, 3])
        );
        assert!(matches!(
            read_frame(&mut b, 100).await,
            Err(FrameError::Wire(wire::WireError::TooLarge { len: 200, .. }))
        ));
        // The rest is a frame cut short when the peer goes away.
        let mut rest = BytesMut::new();
        let _ = (&mut b).take(4).read_buf(&mut rest).await;
        assert!(matches!(
            read_frame(&mut b, 100).await,
            Err(FrameError::Io(_))
        ));
    }
}
