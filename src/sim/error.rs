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
    /// What is wrong with it.
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
    /// The scenario is malformed.
    Scenario(#[from] ScenarioError),
    #[error("unknown scenario `{name}`; bundled scenarios: {available}")]
    /// No bundled scenario has that name and no file has that path.
    UnknownScenario {
        /// The name given.
        name: String,
        /// The names that exist.
        available: String,
    },
    // The cause is part of the message rather than a `source`, so that printing the
    // error chain does not repeat it.
    #[error("cannot read scenario file {path}: {reason}")]
    /// The scenario file could not be read.
    Io {
        /// The path read.
        path: String,
        /// Why, in words.
        reason: std::io::Error,
    },
    #[error("no topic named `{0}`")]
    /// The scenario names no such topic.
    UnknownTopic(String),
    #[error("no simulated group named `{0}`")]
    /// The scenario names no such group.
    UnknownGroup(String),
    #[error("a group named `{0}` already exists")]
    /// A group of that name exists.
    GroupExists(String),
    #[error("topic `{0}` has no active producer")]
    /// The topic has no producer to change.
    NoProducer(String),
    #[error("group `{0}` has no live consumer")]
    /// The group has no member to change.
    NoConsumer(String),
    #[error("invalid {what}: {value} ({reason})")]
    /// A value out of its range.
    InvalidValue {
        /// What the value is for.
        what: &'static str,
        /// The value given.
        value: String,
        /// Why it cannot be used.
        reason: &'static str,
    },
    #[error(transparent)]
    /// A limit would be passed.
    Limit(#[from] LimitError),
    #[error(transparent)]
    /// The broker refused.
    Broker(#[from] BrokerError),
}

impl SimError {
    /// Whether the error comes from what the user gave (a scenario, a name, a value) rather
    /// than from a failure inside the simulation.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, SimError::Broker(_))
    }
}
