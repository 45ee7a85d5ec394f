//! The Kafka wire protocol over TCP, so real clients (kcat, kafka-python, librdkafka) can
//! produce to and consume from the shared broker.
//!
//! The protocol core is sans-IO: [`decode_request`] turns byte frames into requests and
//! [`encode_response`] responses into bytes, and [`answer`] answers a request against a
//! [`SharedBroker`] without touching a socket. Requests that wait (a Fetch long-poll,
//! JoinGroup, SyncGroup) come back as [`Outcome::Wait`], which the transport re-polls when a
//! [`Signal`] fires, never in a loop.
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
//! A broker with a cluster of N brokers gets N listeners, one per broker: each connection
//! is served as the broker whose port it reached, and a broker that is down has its port
//! closed (docs/design.md, "On the wire").
//!
//! Time: with real clients connected, session timeouts and fetch waits follow wall time.
//! The server passes wall-clock milliseconds since the Unix epoch to the broker, and a
//! timer task calls [`crate::broker::Broker::tick`] with it.

pub(crate) mod api;
pub(crate) mod codec;
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

use crate::broker::{BrokerId, SharedBroker};

pub use api::api_versions::SUPPORTED as SUPPORTED_APIS;
pub use api::{Effects, Outcome, RequestContext, Settings, answer, dispatch};
pub use codec::{decode_request, encode_response};
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
    /// The first broker's address. A cluster of N brokers listens on N consecutive ports
    /// from this one, broker `id` on `port + id - 1`; with port 0 each broker gets a free
    /// port of its own.
    pub listen: SocketAddr,
    /// Partitions of a topic created on first use (Metadata or Produce naming it).
    pub default_partitions: u32,
    /// Create a topic when a client first names it, as Kafka does by default.
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
    /// The address could not be bound.
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why not.
        source: std::io::Error,
    },
    #[error("accepting connections failed: {0}")]
    /// Accepting a connection failed.
    Accept(std::io::Error),
    #[error("invalid server configuration: {0}")]
    /// A setting that cannot work.
    Config(String),
}

/// One broker's listening socket.
pub(crate) struct Listener {
    pub id: BrokerId,
    /// The bound address, where the listener is opened again after a restart.
    pub addr: SocketAddr,
    pub socket: TcpListener,
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
    /// Every broker's bound address, by id: what Metadata and FindCoordinator advertise.
    pub brokers: Vec<(BrokerId, SocketAddr)>,
}

/// A bound Kafka-protocol server. See the module docs for an example.
pub struct Server {
    listeners: Vec<Listener>,
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
        let ids: Vec<BrokerId> = (broker.read().cluster().brokers().iter())
            .map(|n| n.id())
            .collect();
        let listeners = bind_all(config.listen, &ids).await?;
        let local = listeners[0].addr;
        let stats = ServerStats::new(local, config.log_to_stderr);
        let inflight = Semaphore::new(
            config
                .max_inflight_request_bytes
                .min(Semaphore::MAX_PERMITS),
        );
        let brokers = listeners.iter().map(|l| (l.id, l.addr)).collect();
        Ok(Server {
            listeners,
            shared: Shared {
                broker,
                config,
                appended: Signal::new(),
                groups: Signal::new(),
                stats,
                clock: Arc::new(wall_clock_ms),
                inflight,
                brokers,
            },
        })
    }

    /// Replaces the wall clock. Network clients' session timeouts and fetch waits are
    /// measured on this clock, so it should advance with real time while they are connected.
    pub fn with_time_source(mut self, clock: TimeSource) -> Self {
        self.shared.clock = clock;
        self
    }

    /// The bound address (with the real port when the config asked for port 0); in a
    /// cluster, the first broker's.
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.stats.listen_addr()
    }

    /// Every broker's bound address, by broker id, in id order.
    pub fn broker_addrs(&self) -> &[(BrokerId, SocketAddr)] {
        &self.shared.brokers
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
        transport::run(self.listeners, Arc::new(self.shared), shutdown).await
    }
}

/// Binds one listener per broker: `listen` for the first, the next ports for the others,
/// or a free port each when `listen`'s port is 0.
async fn bind_all(listen: SocketAddr, ids: &[BrokerId]) -> Result<Vec<Listener>, ServerError> {
    let last_port = u32::from(listen.port()) + ids.len().saturating_sub(1) as u32;
    if listen.port() != 0 && last_port > u32::from(u16::MAX) {
        return Err(ServerError::Config(format!(
            "{} brokers from port {} need ports up to {last_port}, past 65535",
            ids.len(),
            listen.port()
        )));
    }
    let mut listeners = Vec::with_capacity(ids.len());
    for (i, &id) in ids.iter().enumerate() {
        let mut addr = listen;
        if listen.port() != 0 {
            addr.set_port(listen.port() + i as u16);
        }
        let socket = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind { addr, source })?;
        let addr = socket
            .local_addr()
            .map_err(|source| ServerError::Bind { addr, source })?;
        listeners.push(Listener { id, addr, socket });
    }
    Ok(listeners)
}

/// Wall-clock milliseconds since the Unix epoch: the broker's default time while real clients
/// talk to it.
pub fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
