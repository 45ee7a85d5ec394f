//! Observing a real Kafka cluster: a read-only client that polls the brokers and turns
//! their answers into a [`ClusterSnapshot`] per poll, and an [`Observation`] that keeps the
//! lag histories and the events between polls. A view is filled from an `Observation` the
//! way it is filled from the simulation.
//!
//! It only reads: the requests it can build are those of [`wire::READ_APIS`] (see
//! docs/design.md, "Observing a real cluster").
//!
//! ```text
//! ClientConfig ─► ConnectSettings ─► Cluster (connections per broker, backoff)
//!                                       │
//!                    Poller::poll ──────┘──► ClusterSnapshot ─► Observation::apply
//!                                                                 (histories, events)
//! ```

pub mod cluster;
pub mod config;
mod conn;
pub mod events;
pub mod filter;
mod poll;
pub mod record_ts;
pub mod report;
mod sasl;
pub mod snapshot;
mod tls;
pub mod tracker;
pub mod versions;
pub mod wire;

use std::time::Duration;

use kafka_protocol::messages::ApiKey;
use thiserror::Error;

pub use cluster::Cluster;
pub use config::{ClientConfig, ConfigError};
pub use conn::{ConnectSettings, Connection};
pub use filter::Filter;
pub use poll::{Poller, READS_PER_POLL};
pub use snapshot::ClusterSnapshot;
pub use tracker::{Observation, Reachability};

/// Why observing failed, or a part of a poll did.
#[derive(Debug, Error)]
pub enum ObserveError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    BadArgument(String),
    #[error("TLS: {0}")]
    TlsSetup(String),
    #[error("the certificate of {addr} is not trusted: {reason}")]
    Certificate { addr: String, reason: String },
    #[error("authentication to {addr} as `{user}` with {mechanism} failed: {reason}")]
    Auth {
        addr: String,
        user: String,
        mechanism: &'static str,
        reason: String,
    },
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("{addr}: waiting before reconnecting ({last})")]
    BackingOff { addr: String, last: String },
    #[error("{addr} closed the connection")]
    Closed { addr: String },
    #[error("{addr}: {reason}")]
    Io { addr: String, reason: String },
    #[error("{addr} did not answer {api:?} within {after:?}")]
    Timeout {
        addr: String,
        api: ApiKey,
        after: Duration,
    },
    #[error("{addr}: {source}")]
    Wire {
        addr: String,
        source: wire::WireError,
    },
    #[error("{addr} does not offer {api:?} in a version this client speaks")]
    Unsupported { addr: String, api: ApiKey },
    #[error("{addr} answered {api:?} with {error}")]
    Kafka {
        addr: String,
        api: ApiKey,
        error: String,
    },
    #[error("broker {0} is not in the cluster's metadata")]
    UnknownBroker(i32),
    #[error("no broker answered: {0}")]
    Unreachable(String),
}

impl ObserveError {
    /// Errors that retrying will not heal: a bad configuration, an untrusted certificate,
    /// refused credentials. The command line exits on them with a bad-input code.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            ObserveError::Config(_)
                | ObserveError::BadArgument(_)
                | ObserveError::TlsSetup(_)
                | ObserveError::Certificate { .. }
                | ObserveError::Auth { .. }
        )
    }
}
