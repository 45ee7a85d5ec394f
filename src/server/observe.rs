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

pub(crate) mod cluster;
pub(crate) mod config;
mod conn;
pub(crate) mod events;
pub(crate) mod filter;
mod poll;
pub(crate) mod record_ts;
pub(crate) mod report;
mod sasl;
pub(crate) mod snapshot;
mod tls;
pub(crate) mod tracker;
pub(crate) mod versions;
pub(crate) mod wire;

use std::time::Duration;

use kafka_protocol::messages::ApiKey;
use thiserror::Error;

pub use cluster::Cluster;
pub use config::{ClientConfig, ConfigError};
pub use conn::{ConnectSettings, Connection};
pub use filter::Filter;
pub use poll::{Poller, READS_PER_POLL};
pub use record_ts::timestamp_at;
pub use snapshot::ClusterSnapshot;
pub use tracker::{Observation, Reachability};
pub use wire::{MAX_RESPONSE_BYTES, READ_APIS, ReadRequest, decode_response, response_len};

/// Why observing failed, or a part of a poll did.
#[derive(Debug, Error)]
pub enum ObserveError {
    #[error(transparent)]
    /// The client properties file is wrong.
    Config(#[from] ConfigError),
    #[error("{0}")]
    /// A command-line value that cannot be used.
    BadArgument(String),
    #[error("TLS: {0}")]
    /// TLS could not be set up.
    TlsSetup(String),
    #[error("the certificate of {addr} is not trusted: {reason}")]
    /// The broker's certificate is not trusted.
    Certificate {
        /// The broker's address.
        addr: String,
        /// Why, in words.
        reason: String,
    },
    #[error("authentication to {addr} as `{user}` with {mechanism} failed: {reason}")]
    /// The broker refused the credentials.
    Auth {
        /// The broker's address.
        addr: String,
        /// The SASL user name.
        user: String,
        /// The SASL mechanism.
        mechanism: &'static str,
        /// Why, in words.
        reason: String,
    },
    #[error("cannot connect to {addr}: {reason}")]
    /// The broker could not be reached.
    Connect {
        /// The broker's address.
        addr: String,
        /// Why, in words.
        reason: String,
    },
    #[error("{addr}: waiting before reconnecting ({last})")]
    /// Reconnecting waits after a failure.
    BackingOff {
        /// The broker's address.
        addr: String,
        /// Why the last attempt failed.
        last: String,
    },
    #[error("{addr} closed the connection")]
    /// The broker closed the connection.
    Closed {
        /// The broker's address.
        addr: String,
    },
    #[error("{addr}: {reason}")]
    /// Reading or writing failed.
    Io {
        /// The broker's address.
        addr: String,
        /// Why, in words.
        reason: String,
    },
    #[error("{addr} did not answer {api:?} within {after:?}")]
    /// The broker did not answer in time.
    Timeout {
        /// The broker's address.
        addr: String,
        /// The API asked.
        api: ApiKey,
        /// How long it waited.
        after: Duration,
    },
    #[error("{addr}: {source}")]
    /// The answer could not be decoded.
    Wire {
        /// The broker's address.
        addr: String,
        /// The underlying error.
        source: wire::WireError,
    },
    #[error("{addr} does not offer {api:?} in a version this client speaks")]
    /// The broker lacks an API the observer needs.
    Unsupported {
        /// The broker's address.
        addr: String,
        /// The API asked.
        api: ApiKey,
    },
    #[error("{addr} answered {api:?} with {error}")]
    /// The broker answered with an error code.
    Kafka {
        /// The broker's address.
        addr: String,
        /// The API asked.
        api: ApiKey,
        /// Kafka's error, by name.
        error: String,
    },
    #[error("broker {0} is not in the cluster's metadata")]
    /// A broker id the metadata does not list.
    UnknownBroker(i32),
    #[error("no broker answered: {0}")]
    /// No bootstrap broker answered.
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
