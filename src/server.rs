//! The Kafka wire protocol over TCP, so real clients (kcat, kafka-python, librdkafka) can
//! produce to and consume from the shared broker.
//!
//! The protocol core is sans-IO: [`codec`] turns byte frames into requests and responses
//! into bytes, and [`api`] answers a request against a [`SharedBroker`] without touching a
//! socket. Requests that wait (a Fetch long-poll, JoinGroup, SyncGroup) come back as a
//! [`api::Waiter`] that the transport re-polls when a [`Signal`] fires, never in a loop.
//!
//! ```no_run
//! # async fn demo() -> Result<(), minikafka::server::ServerError> {
//! use minikafka::broker::SharedBroker;
//! use minikafka::server::{Server, ServerConfig};
//!
//! let broker = SharedBroker::default();
//! let server = Server::bind(ServerConfig::default(), broker.clone()).await?;
//! println!("listening on {}", server.local_addr());
//! // Whoever else appends to `broker` (a simulation) pokes this so waiting fetches wake.
//! let appended = server.append_waker();
//! appended.notify();
//! server.run(async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```
//!
//! Time: with real clients connected, session timeouts and fetch waits follow wall time.
//! The server passes wall-clock milliseconds since the Unix epoch to the broker, and a
//! timer task calls [`crate::broker::Broker::tick`] with it.

pub mod api;
pub mod codec;
mod error_code;
pub mod observe;
mod signal;
mod stats;
mod transport;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::broker::SharedBroker;

pub use signal::{Signal, WakeHandle};
pub use stats::{ClientStats, LogLine, ServerStats, StatsSnapshot};

/// The default maximum request size: 100 MiB, as Kafka's `socket.request.max.bytes`.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 100 * 1024 * 1024;

/// The default for [`ServerConfig::max_decoded_bytes`]: as much as one request may be.
pub const DEFAULT_MAX_DECODED_BYTES: usize = DEFAULT_MAX_REQUEST_BYTES;

/// The default for [`ServerConfig::max_inflight_request_bytes`]: 256 MiB, room for two
/// requests of the largest size at once.
pub const DEFAULT_MAX_INFLIGHT_REQUEST_BYTES: usize = 256 * 1024 * 1024;

/// How the server listens and what it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Partitions of a topic created on first use (Metadata or Produce naming it).
    pub default_partitions: u32,
    pub auto_create_topics: bool,
    /// A length prefix above this closes the connection before anything is allocated.
    pub max_request_bytes: usize,
    /// Connections beyond this are closed as soon as they are accepted.
    pub max_connections: usize,
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// From a request's first byte, the whole request must arrive within this, and each
    /// response must be taken by the client within this; otherwise the connection closes.
    pub request_timeout: Duration,
    /// The bytes that requests still arriving may hold, across all connections. A request
    /// larger than 64 KiB takes its size from this budget before it is read, waits while
    /// the budget is spent, and closes its connection if that outlasts the request timeout.
    pub max_inflight_request_bytes: usize,
    /// What one request may decompress to look inside stored batches (a ListOffsets by
    /// timestamp landing in a compressed batch). Produce and Fetch never decompress.
    pub max_decoded_bytes: usize,
    /// The longest a Fetch waits for data, whatever `max_wait_ms` it asks for.
    pub max_fetch_wait: Duration,
    /// The longest a JoinGroup or SyncGroup waits, whatever rebalance timeout it asks for;
    /// past it the member is told REBALANCE_IN_PROGRESS and joins again.
    pub max_group_wait: Duration,
    /// Also print connection logs to stderr (`serve`); a TUI reads them from the stats instead.
    pub log_to_stderr: bool,
    /// Let the server's timer call [`crate::broker::Broker::tick`]. An embedding app that
    /// ticks the broker itself (on the same clock, see [`Server::with_time_source`]) turns it off.
    pub tick_groups: bool,
    /// How long a consumer group that was empty waits for more members before its first
    /// rebalance completes (Kafka's `group.initial.rebalance.delay.ms`).
    pub initial_rebalance_delay: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 9092)),
            default_partitions: 1,
            auto_create_topics: true,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_connections: 1024,
            // Kafka's connections.max.idle.ms.
            idle_timeout: Duration::from_secs(600),
            // Kafka's request.timeout.ms.
            request_timeout: Duration::from_secs(30),
            max_inflight_request_bytes: DEFAULT_MAX_INFLIGHT_REQUEST_BYTES,
            max_decoded_bytes: DEFAULT_MAX_DECODED_BYTES,
            // Clients ask for 100-500 ms; Kafka itself caps nothing.
            max_fetch_wait: Duration::from_secs(30),
            // Kafka's group.max.session.timeout.ms is 30 minutes; consumers' rebalance
            // timeout (max.poll.interval.ms) is 5 minutes by default.
            max_group_wait: Duration::from_secs(600),
            log_to_stderr: false,
            tick_groups: true,
            // Kafka's default: consumers started together share one first rebalance.
            initial_rebalance_delay: Duration::from_secs(3),
        }
    }
}

/// Why the server could not start or keep listening.
#[derive(Debug, Error)]
pub enum ServerError {
    // The cause is the error's source, which anyhow's chain prints once.
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("accepting connections failed: {0}")]
    Accept(std::io::Error),
    #[error("invalid server configuration: {0}")]
    Config(String),
}

/// Where the server reads the time it gives the broker, in milliseconds. Defaults to
/// [`wall_clock_ms`].
pub type TimeSource = Arc<dyn Fn() -> i64 + Send + Sync>;

/// What every connection shares.
pub(crate) struct Shared {
    pub broker: SharedBroker,
    pub config: ServerConfig,
    pub appended: Signal,
    pub groups: Signal,
    pub stats: ServerStats,
    pub clock: TimeSource,
    /// The in-flight request budget, in bytes (see [`ServerConfig::max_inflight_request_bytes`]).
    pub inflight: Semaphore,
}

/// A bound Kafka-protocol server. See the module docs for an example.
pub struct Server {
    listener: TcpListener,
    shared: Shared,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listen", &self.local_addr())
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds the listening socket. Nothing is served until [`Server::run`].
    pub async fn bind(config: ServerConfig, broker: SharedBroker) -> Result<Server, ServerError> {
        if config.default_partitions == 0 {
            return Err(ServerError::Config(
                "default partitions must be at least 1".to_string(),
            ));
        }
        if config.max_connections == 0 {
            return Err(ServerError::Config(
                "max connections must be at least 1".to_string(),
            ));
        }
        if config.max_inflight_request_bytes < config.max_request_bytes {
            return Err(ServerError::Config(format!(
                "the in-flight request budget ({} bytes) must hold one request of the largest \
                 size ({} bytes)",
                config.max_inflight_request_bytes, config.max_request_bytes
            )));
        }
        if config.request_timeout.is_zero() {
            return Err(ServerError::Config(
                "the request timeout must be above zero".to_string(),
            ));
        }
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let local = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
        let stats = ServerStats::new(local, config.log_to_stderr);
        let inflight = Semaphore::new(
            config
                .max_inflight_request_bytes
                .min(Semaphore::MAX_PERMITS),
        );
        Ok(Server {
            listener,
            shared: Shared {
                broker,
                config,
                appended: Signal::new(),
                groups: Signal::new(),
                stats,
                clock: Arc::new(wall_clock_ms),
                inflight,
            },
        })
    }

    /// Replaces the wall clock. Network clients' session timeouts and fetch waits are
    /// measured on this clock, so it should advance with real time while they are connected.
    pub fn with_time_source(mut self, clock: TimeSource) -> Self {
        self.shared.clock = clock;
        self
    }

    /// The bound address (with the real port when the config asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.stats.listen_addr()
    }

    /// A read-only view of connections and per-client rates, for a UI.
    pub fn stats(&self) -> ServerStats {
        self.shared.stats.clone()
    }

    /// A handle that wakes waiting fetches; call it after appending to the broker elsewhere.
    pub fn append_waker(&self) -> WakeHandle {
        WakeHandle::new(self.shared.appended.clone())
    }

    /// A handle that wakes waiting joins and syncs; call it after changing groups elsewhere.
    pub fn group_waker(&self) -> WakeHandle {
        WakeHandle::new(self.shared.groups.clone())
    }

    /// Serves until `shutdown` completes, then closes every connection.
    pub async fn run<F>(self, shutdown: F) -> Result<(), ServerError>
    where
        F: std::future::Future<Output = ()>,
    {
        transport::run(self.listener, Arc::new(self.shared), shutdown).await
    }
}

/// Wall-clock milliseconds since the Unix epoch: the broker's default time while real clients
/// talk to it.
pub fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
