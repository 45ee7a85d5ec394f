//! A raw Kafka wire client for tests that talk to the server over TCP below any client
//! library: frames written by hand, responses read as they come.

#![allow(dead_code)]

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One connection, numbering its requests from 1.
pub struct Client {
    /// The connection, for a test that writes what no frame holds (a cut frame, a lie
    /// about a length).
    pub stream: TcpStream,
    next_id: i32,
    client_id: &'static str,
}

impl Client {
    /// Connects as client id `test`.
    pub async fn connect(addr: SocketAddr) -> Client {
        Client::named(addr, "test").await
    }

    /// Connects as client id `client_id`.
    pub async fn named(addr: SocketAddr, client_id: &'static str) -> Client {
        Client {
            stream: TcpStream::connect(addr).await.expect("connects"),
            next_id: 1,
            client_id,
        }
    }

    /// Sends a request and returns its correlation id.
    pub async fn send<T: Encodable>(&mut self, api: ApiKey, version: i16, body: &T) -> i32 {
        let id = self.next_id;
        self.next_id += 1;
        let mut buf = BytesMut::new();
        RequestHeader::default()
            .with_request_api_key(api as i16)
            .with_request_api_version(version)
            .with_correlation_id(id)
            .with_client_id(Some(StrBytes::from_static_str(self.client_id)))
            .encode(&mut buf, api.request_header_version(version))
            .unwrap();
        body.encode(&mut buf, version).unwrap();
        self.send_raw(&buf).await;
        id
    }

    /// Sends `frame` behind its length prefix, whatever it holds.
    pub async fn send_raw(&mut self, frame: &[u8]) {
        let mut out = (frame.len() as i32).to_be_bytes().to_vec();
        out.extend_from_slice(frame);
        self.stream.write_all(&out).await.expect("writes");
    }

    /// The next response's correlation id and the bytes after it (header v0).
    pub async fn recv(&mut self) -> (i32, Bytes) {
        let mut len = [0u8; 4];
        self.stream.read_exact(&mut len).await.expect("a response");
        let mut frame = vec![0u8; i32::from_be_bytes(len) as usize];
        self.stream
            .read_exact(&mut frame)
            .await
            .expect("a full response");
        let frame = Bytes::from(frame);
        (
            i32::from_be_bytes(frame[0..4].try_into().unwrap()),
            frame.slice(4..),
        )
    }

    /// Sends a request and decodes its answer, checking the correlation id.
    pub async fn call<T: Encodable, R: Decodable>(
        &mut self,
        api: ApiKey,
        version: i16,
        body: &T,
    ) -> R {
        let id = self.send(api, version, body).await;
        let (got, mut rest) = self.recv().await;
        assert_eq!(got, id);
        if api.response_header_version(version) >= 1 && api != ApiKey::ApiVersions {
            // Flexible response header: an empty tagged-field section.
            assert_eq!(rest[0], 0);
            rest = rest.slice(1..);
        }
        R::decode(&mut rest, version).expect("a valid response")
    }

    /// Whether the server closed the connection (EOF) rather than answering.
    pub async fn closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.stream.read(&mut b).await, Ok(0) | Err(_))
    }
}
