//! Command-line parsing and wiring: the only layer that owns the runtime and the terminal.
//!
//! This file holds only what the `serve` subcommand needs; the subcommand itself lives in
//! `cli/serve.rs`.

mod serve;

use clap::{Parser, Subcommand};

pub use serve::ServeArgs;

/// A small Kafka-like broker, simulated producers and consumer groups, and a live terminal
/// view of partitions, offsets and lag.
#[derive(Debug, Parser)]
#[command(name = "minikafka-tui", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the broker with the Kafka wire protocol, without a terminal UI.
    Serve(ServeArgs),
}

/// Parses the process arguments and runs the chosen command.
pub fn main() -> anyhow::Result<()> {
    run(Cli::parse())
}

/// Runs an already-parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
    }
}
