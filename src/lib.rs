//! `minikafka`: a small Kafka-like broker, a deterministic simulation of producers and
//! consumer groups around it, and the pieces of a terminal UI that shows them.

#![warn(missing_docs)]

pub mod broker;
pub mod cli;
pub mod printable;
pub mod server;
pub mod sim;
pub mod tui;
