//! The simulation's error vocabulary.

use std::fmt;

use crate::broker::BrokerError;

use super::limits::LimitError;

/// A problem in a scenario file, located precisely enough to fix by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file path, or `bundled:NAME` for an embedded scenario.
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The offending key, as a path such as `groups[1].process_rate`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: field `{}`: {}",
            self.origin, self.line, self.column, self.field, self.message
        )
    }
}

impl std::error::Error for ScenarioError {}

/// Everything that can go wrong building or driving a simulation.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("unknown scenario `{name}`; bundled scenarios: {available}")]
    UnknownScenario { name: String, available: String },
    // The cause is part of the message rather than a `source`, so that printing the
    // error chain does not repeat it.
    #[error("cannot read scenario file {path}: {reason}")]
    Io {
        path: String,
        reason: std::io::Error,
    },
    #[error("no topic named `{0}`")]
    UnknownTopic(String),
    #[error("no simulated group named `{0}`")]
    UnknownGroup(String),
    #[error("a group named `{0}` already exists")]
    GroupExists(String),
    #[error("topic `{0}` has no active producer")]
    NoProducer(String),
    #[error("group `{0}` has no live consumer")]
    NoConsumer(String),
    #[error("invalid {what}: {value} ({reason})")]
    InvalidValue {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error(transparent)]
    Limit(#[from] LimitError),
    #[error(transparent)]
    Broker(#[from] BrokerError),
}

impl SimError {
    /// Whether the error comes from what the user gave (a scenario, a name, a value) rather
    /// than from a failure inside the simulation.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, SimError::Broker(_))
    }
}
