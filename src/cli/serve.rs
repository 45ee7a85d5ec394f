//! `serve`: the broker and its Kafka-protocol server, without a terminal UI.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::broker::SharedBroker;
use crate::server::{DEFAULT_MAX_REQUEST_BYTES, Server, ServerConfig};

/// Options of the `serve` subcommand.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port. The bound address is printed on stdout.
    #[arg(long, default_value = "127.0.0.1:9092")]
    pub listen: SocketAddr,
    /// Partitions of a topic created on first use.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub default_partitions: u32,
    /// Refuse produce and metadata requests for unknown topics instead of creating them.
    #[arg(long)]
    pub no_auto_create_topics: bool,
    /// Largest request accepted; a bigger length prefix closes the connection.
    #[arg(long, default_value_t = DEFAULT_MAX_REQUEST_BYTES)]
    pub max_request_bytes: usize,
    /// Connections beyond this many are closed at once.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
    /// Close a connection silent for this long: a number with an optional unit, ms, s or m.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub idle_timeout: Duration,
}

impl ServeArgs {
    /// The server configuration these options describe.
    pub fn config(&self) -> ServerConfig {
        ServerConfig {
            listen: self.listen,
            default_partitions: self.default_partitions,
            auto_create_topics: !self.no_auto_create_topics,
            max_request_bytes: self.max_request_bytes,
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            idle_timeout: self.idle_timeout,
            log_to_stderr: true,
            tick_groups: true,
        }
    }
}

/// Parses `250ms`, `30s`, `10m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (digits, scale_ms) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1_000)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60_000)
    } else {
        (t, 1_000)
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a duration like 500ms, 30s or 10m"))?;
    let ms = n
        .checked_mul(scale_ms)
        .ok_or_else(|| format!("'{text}' is too long"))?;
    if ms == 0 {
        return Err("the idle timeout must be longer than zero".to_string());
    }
    Ok(Duration::from_millis(ms))
}

/// Installs the Ctrl-C and SIGTERM handlers now, and returns a future that resolves on
/// either. Installing before the address is printed means a signal sent by whoever read
/// the address is never met by the default action (an abrupt exit).
#[cfg(unix)]
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle Ctrl-C")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

/// Ctrl-C only, where there is no SIGTERM.
#[cfg(not(unix))]
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let broker = SharedBroker::default();
        let server = Server::bind(args.config(), broker).await?;
        let stop = stop_signal()?;
        let addr = server.local_addr();
        if !addr.ip().is_loopback() {
            eprintln!(
                "warning: listening on {addr}, which is not a loopback address; \
                 the server has no authentication, so anyone who can reach it can read and write"
            );
        }
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "minikafka listening on {addr}")?;
        stdout.flush()?;
        drop(stdout);
        server.run(stop).await?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("soon").unwrap_err().contains("soon"));
        assert!(parse_duration("0s").is_err());
    }

    #[test]
    fn serve_flags_map_onto_the_config() {
        let cli = crate::cli::Cli::try_parse_from([
            "minikafka-tui",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--default-partitions",
            "4",
            "--no-auto-create-topics",
            "--max-request-bytes",
            "1000",
            "--max-connections",
            "3",
            "--idle-timeout",
            "2s",
        ])
        .unwrap();
        let crate::cli::Command::Serve(args) = cli.command;
        let c = args.config();
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.default_partitions, 4);
        assert!(!c.auto_create_topics);
        assert_eq!(c.max_request_bytes, 1000);
        assert_eq!(c.max_connections, 3);
        assert_eq!(c.idle_timeout, Duration::from_secs(2));

        let defaults = crate::cli::Cli::try_parse_from(["minikafka-tui", "serve"]).unwrap();
        let crate::cli::Command::Serve(args) = defaults.command;
        assert_eq!(args.config().listen, "127.0.0.1:9092".parse().unwrap());
        assert_eq!(args.config().max_request_bytes, 100 * 1024 * 1024);
        assert!(
            crate::cli::Cli::try_parse_from([
                "minikafka-tui",
                "serve",
                "--default-partitions",
                "0"
            ])
            .is_err()
        );
    }
}
