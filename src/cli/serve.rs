//! `serve`: the broker and its Kafka-protocol server, without a terminal UI.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::broker::{EventKind, SharedBroker};
use crate::printable::Printable;
use crate::server::{
    DEFAULT_MAX_DECODED_BYTES, DEFAULT_MAX_INFLIGHT_REQUEST_BYTES, DEFAULT_MAX_REQUEST_BYTES,
    Server, ServerConfig,
};
use crate::sim::{Scenario, Simulation};

/// How often the simulation behind `serve --scenario` is advanced, in real time.
const SIM_TICK: Duration = Duration::from_millis(10);

/// How often new topic and group events are copied to stderr.
const EVENT_LOG_EVERY: Duration = Duration::from_millis(100);

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
    /// Close a connection silent for this long, such as 30s or 10m.
    #[arg(long, default_value = "10m", value_parser = super::parse_duration)]
    pub idle_timeout: Duration,
    /// Close a connection whose request does not arrive whole this long after its first
    /// byte, or that leaves a response unread this long.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = super::parse_duration)]
    pub request_timeout: Duration,
    /// Bytes that requests still arriving may hold across all connections; a large request
    /// waits for room. Defaults to 256 MiB, or the max request size if that is larger.
    #[arg(long, value_name = "N")]
    pub max_inflight_request_bytes: Option<usize>,
    /// What one produce request may decode into (decompressed batches plus decoded
    /// records); past it the partition gets MESSAGE_TOO_LARGE.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_DECODED_BYTES)]
    pub max_decoded_bytes: usize,
    /// The longest a fetch waits for data, whatever it asks for; 0s answers at once.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = super::parse_duration_or_zero)]
    pub max_fetch_wait: Duration,
    /// The longest a JoinGroup or SyncGroup waits, whatever rebalance timeout it asks for.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = super::parse_duration)]
    pub max_group_wait: Duration,
    /// How long an empty consumer group waits for more members before its first rebalance
    /// completes, as Kafka's group.initial.rebalance.delay.ms; 0s turns it off.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = super::parse_duration_or_zero)]
    pub initial_rebalance_delay: Duration,
    /// Also run a simulation (a bundled scenario name or a TOML file) on the same broker,
    /// at real speed, so clients find live topics and groups to read.
    #[arg(long, value_name = "NAME|PATH")]
    pub scenario: Option<String>,
    /// Seed for the simulation; overrides the scenario's own.
    #[arg(long, value_name = "N", requires = "scenario")]
    pub seed: Option<u64>,
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
            request_timeout: self.request_timeout,
            max_inflight_request_bytes: self
                .max_inflight_request_bytes
                .unwrap_or(DEFAULT_MAX_INFLIGHT_REQUEST_BYTES.max(self.max_request_bytes)),
            max_decoded_bytes: self.max_decoded_bytes,
            max_fetch_wait: self.max_fetch_wait,
            max_group_wait: self.max_group_wait,
            log_to_stderr: true,
            tick_groups: true,
            initial_rebalance_delay: self.initial_rebalance_delay,
        }
    }
}

/// A future that resolves on Ctrl-C or SIGTERM. The handlers are installed when this is
/// called, not when the future is first polled: a signal that arrives between printing the
/// address and starting to serve must still stop the server cleanly.
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// Advances `sim` at real speed forever, calling `changed` after each step so waiting
/// clients see new records, and ticking the clients' own groups on the wall clock.
async fn step_in_real_time(mut sim: Simulation, changed: impl Fn()) {
    let mut tick = tokio::time::interval(SIM_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let started = std::time::Instant::now();
    loop {
        tick.tick().await;
        let target = started.elapsed().as_millis() as i64;
        let behind = target - sim.now_ms();
        let stepped = behind > 0;
        if stepped {
            sim.step(behind as u64);
        }
        let groups_changed = sim.tick_foreign_groups(crate::server::wall_clock_ms());
        if stepped || groups_changed {
            changed();
        }
    }
}

/// The broker events after `seq` worth a line in the server log, and the sequence to ask
/// from next time. Retention is left out: with a scenario it would fire every second.
fn new_event_lines(broker: &SharedBroker, seq: u64) -> (Vec<String>, u64) {
    let broker = broker.read();
    let events = broker.events();
    let lines = events
        .since(seq)
        .filter(|e| !matches!(e.kind, EventKind::RetentionDeleted { .. }))
        .map(|e| e.kind.to_string())
        .collect();
    (lines, events.next_seq())
}

/// Copies topic and group events (joins, leaves, rebalances and their assignments) to
/// stderr, so what clients do to their groups can be followed without the UI.
async fn log_events(broker: SharedBroker) {
    let mut every = tokio::time::interval(EVENT_LOG_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seq = 0;
    loop {
        every.tick().await;
        let (lines, next) = new_event_lines(&broker, seq);
        seq = next;
        for line in lines {
            eprintln!("{}", Printable(&line));
        }
    }
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let sim = match &args.scenario {
        Some(name) => Some(Simulation::new(Scenario::load(name)?, args.seed)?),
        None => None,
    };
    runtime.block_on(async {
        let broker = sim
            .as_ref()
            .map_or_else(SharedBroker::default, |s| s.broker().clone());
        let mut config = args.config();
        // With a simulation, its groups run on virtual time and only it may tick them; the
        // clients' groups are ticked by the stepping task below, on real time.
        config.tick_groups = sim.is_none();
        let server = Server::bind(config, broker.clone()).await?;
        let stop = stop_signal().context("cannot install the signal handlers")?;
        if let Some(sim) = sim {
            eprintln!(
                "simulating scenario {} (seed {})",
                sim.scenario().name,
                sim.seed()
            );
            let (appended, groups) = (server.append_notifier(), server.group_notifier());
            tokio::spawn(step_in_real_time(sim, move || {
                appended.notify();
                groups.notify();
            }));
        }
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
        tokio::spawn(log_events(broker));
        server.run(stop).await?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse_duration;
    use clap::Parser;

    #[test]
    fn the_event_log_reports_each_event_once_and_skips_retention() {
        use crate::broker::{NewRecord, RetentionPolicy, TopicConfig};
        let broker = SharedBroker::default();
        let retained = TopicConfig::new(1).with_retention(RetentionPolicy {
            records: Some(1),
            ..Default::default()
        });
        broker.write().create_topic("t", retained, 0).unwrap();
        let (lines, seq) = new_event_lines(&broker, 0);
        assert_eq!(lines, ["topic t created with 1 partitions"]);
        for i in 0..3 {
            broker
                .write()
                .append("t", 0, NewRecord::new(i, None, vec![1]))
                .unwrap();
        }
        broker.write().enforce_retention(10);
        assert!(
            broker
                .read()
                .events()
                .since(seq)
                .any(|e| matches!(e.kind, EventKind::RetentionDeleted { .. })),
            "retention did delete"
        );
        broker
            .write()
            .create_topic("u", TopicConfig::new(2), 10)
            .unwrap();
        let (lines, _) = new_event_lines(&broker, seq);
        assert_eq!(lines, ["topic u created with 2 partitions"]);
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
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
            "--initial-rebalance-delay",
            "0s",
        ])
        .unwrap();
        let Some(crate::cli::Command::Serve(args)) = cli.command else {
            panic!("serve parses")
        };
        let c = args.config();
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.default_partitions, 4);
        assert!(!c.auto_create_topics);
        assert_eq!(c.max_request_bytes, 1000);
        assert_eq!(c.max_connections, 3);
        assert_eq!(c.idle_timeout, Duration::from_secs(2));
        assert_eq!(c.initial_rebalance_delay, Duration::ZERO);

        let defaults = crate::cli::Cli::try_parse_from(["minikafka-tui", "serve"]).unwrap();
        let Some(crate::cli::Command::Serve(args)) = defaults.command else {
            panic!("serve parses")
        };
        assert_eq!(args.config().listen, "127.0.0.1:9092".parse().unwrap());
        assert_eq!(args.config().max_request_bytes, 100 * 1024 * 1024);
        assert_eq!(
            args.config().initial_rebalance_delay,
            Duration::from_secs(3)
        );
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

    fn serve_config(args: &[&str]) -> ServerConfig {
        let cli =
            crate::cli::Cli::try_parse_from(["minikafka-tui", "serve"].iter().chain(args).copied())
                .unwrap();
        let Some(crate::cli::Command::Serve(args)) = cli.command else {
            panic!("serve parses")
        };
        args.config()
    }

    #[test]
    fn limit_flags_map_onto_the_config() {
        let c = serve_config(&[
            "--request-timeout",
            "5s",
            "--max-inflight-request-bytes",
            "5000",
            "--max-decoded-bytes",
            "7000",
            "--max-fetch-wait",
            "0s",
            "--max-group-wait",
            "1m",
        ]);
        assert_eq!(c.request_timeout, Duration::from_secs(5));
        assert_eq!(c.max_inflight_request_bytes, 5000);
        assert_eq!(c.max_decoded_bytes, 7000);
        assert_eq!(c.max_fetch_wait, Duration::ZERO);
        assert_eq!(c.max_group_wait, Duration::from_secs(60));

        let d = serve_config(&[]);
        assert_eq!(d.max_inflight_request_bytes, 256 * 1024 * 1024);
        assert_eq!(d.max_decoded_bytes, 100 * 1024 * 1024);
        assert_eq!(d.request_timeout, Duration::from_secs(30));
        assert_eq!(d.max_fetch_wait, Duration::from_secs(30));
        assert_eq!(d.max_group_wait, Duration::from_secs(600));
        assert_eq!(
            serve_config(&["--max-request-bytes", "300000000"]).max_inflight_request_bytes,
            300_000_000,
            "the default budget grows to hold one request of the largest size"
        );
        assert!(
            crate::cli::Cli::try_parse_from(["minikafka-tui", "serve", "--request-timeout", "0s"])
                .is_err()
        );
    }
}
