//! `serve`: the broker and its Kafka-protocol server, without a terminal UI.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;

use crate::broker::{Broker, ClusterConfig, EventKind, MAX_PARTITIONS_PER_TOPIC, SharedBroker};
use crate::printable::Printable;
use crate::server::{
    DEFAULT_MAX_DECODED_BYTES, DEFAULT_MAX_INFLIGHT_REQUEST_BYTES, DEFAULT_MAX_REQUEST_BYTES,
    ServerConfig,
};
use crate::sim::{Scenario, Simulation};

use super::driver::{self, Driver, RealTime};
use super::{flag_bounds, network, stop};

/// How often new topic and group events are copied to stderr.
const EVENT_LOG_EVERY: Duration = Duration::from_millis(100);

/// Options of the `serve` subcommand.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port. The bound address is printed on
    /// stdout. A cluster's brokers listen on consecutive ports from this one (each on a
    /// free port of its own with port 0), and each one's address is printed too.
    #[arg(long, default_value = "127.0.0.1:9092")]
    pub listen: SocketAddr,
    /// Run a cluster of this many brokers (1 to 32), ids 1 to N, each on its own port.
    /// With a scenario, its `[cluster]` says how many instead.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = flag_bounds::brokers, conflicts_with = "scenario")]
    pub brokers: u32,
    /// Partitions of a topic created on first use (at most 10000, a topic's limit).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_PARTITIONS_PER_TOPIC)))]
    pub default_partitions: u32,
    /// The most memory the partition logs may hold, such as 512MiB or 2GiB; past it the
    /// oldest records go, reported like retention. 1MiB to 256GiB.
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = flag_bounds::max_log_memory)]
    pub max_log_memory: u64,
    /// Refuse produce and metadata requests for unknown topics instead of creating them.
    #[arg(long)]
    pub no_auto_create_topics: bool,
    /// Largest request accepted, 512 to 1073741824 bytes; a bigger length prefix closes
    /// the connection.
    #[arg(long, default_value_t = DEFAULT_MAX_REQUEST_BYTES, value_parser = flag_bounds::max_request_bytes)]
    pub max_request_bytes: usize,
    /// Connections beyond this many (at most 65536) are closed at once.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(flag_bounds::MAX_CONNECTIONS))]
    pub max_connections: u64,
    /// Close a connection silent for this long, such as 30s or 10m (100ms to 7days).
    #[arg(long, default_value = "10m", value_parser = flag_bounds::idle_timeout)]
    pub idle_timeout: Duration,
    /// Close a connection whose request does not arrive whole this long after its first
    /// byte, or that leaves a response unread this long.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = flag_bounds::request_timeout)]
    pub request_timeout: Duration,
    /// Bytes that requests still arriving may hold across all connections; a large request
    /// waits for room. Defaults to 256 MiB, or the max request size if that is larger.
    #[arg(long, value_name = "N", value_parser = flag_bounds::max_inflight_request_bytes)]
    pub max_inflight_request_bytes: Option<usize>,
    /// What one produce request may decode into (decompressed batches plus decoded
    /// records); past it the partition gets MESSAGE_TOO_LARGE.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_DECODED_BYTES, value_parser = flag_bounds::max_decoded_bytes)]
    pub max_decoded_bytes: usize,
    /// The longest a fetch waits for data, whatever it asks for; 0s answers at once.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = flag_bounds::max_fetch_wait)]
    pub max_fetch_wait: Duration,
    /// The longest a JoinGroup or SyncGroup waits, whatever rebalance timeout it asks for.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = flag_bounds::max_group_wait)]
    pub max_group_wait: Duration,
    /// How long an empty consumer group waits for more members before its first rebalance
    /// completes, as Kafka's group.initial.rebalance.delay.ms; 0s turns it off, 5m at most.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = flag_bounds::initial_rebalance_delay)]
    pub initial_rebalance_delay: Duration,
    /// Also run a simulation (a bundled scenario name or a TOML file) on the same broker,
    /// at real speed (slower if the machine cannot keep up), so clients find live topics
    /// and groups to read.
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
            // The driver ticks the groups (see `network::bind`).
            tick_groups: false,
            initial_rebalance_delay: self.initial_rebalance_delay,
        }
    }
}

/// Ticks `driver` at real speed forever: the simulation (when there is one) steps, the
/// clients' groups expire on real time, retention runs and waiting clients wake.
async fn drive(mut driver: Driver, mut sim: Option<Simulation>) {
    let mut tick = driver::ticker();
    loop {
        tick.tick().await;
        driver.tick(Instant::now(), sim.as_mut(), 1.0);
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

/// Runs the server until a termination signal.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut sim = match &args.scenario {
        Some(name) => Some(Simulation::new(Scenario::load(name)?, args.seed)?),
        None => None,
    };
    let broker = match &sim {
        Some(sim) => sim.broker().clone(),
        None if args.brokers > 1 => {
            SharedBroker::new(Broker::with_cluster(ClusterConfig::new(args.brokers))?)
        }
        None => SharedBroker::default(),
    };
    runtime.block_on(async {
        broker.write().set_max_log_bytes(args.max_log_memory);
        // Wall-clock milliseconds, as clients stamp their records, so that retention by
        // time compares like with like; the simulated records are stamped on it too, so
        // clients and observers see their real age.
        let start = Instant::now();
        let started_ms = crate::server::wall_clock_ms();
        let clock = RealTime::starting_at(start, started_ms);
        if let Some(sim) = &mut sim {
            sim.set_time_origin(started_ms);
        }
        let (server, net) = network::bind(args.config(), broker.clone(), clock).await?;
        let stop = stop::signal().context("cannot install the signal handlers")?;
        if let Some(sim) = &sim {
            eprintln!(
                "simulating scenario {} (seed {})",
                sim.scenario().name,
                sim.seed()
            );
        }
        let addr = server.local_addr();
        if let Some(warning) = network::exposure_warning(addr) {
            eprintln!("warning: {warning}");
        }
        let mut stdout = std::io::stdout().lock();
        for line in network::address_lines(&server) {
            writeln!(stdout, "{line}")?;
        }
        stdout.flush()?;
        drop(stdout);
        let driver = Driver::new(broker.clone(), clock, start).with_network(net);
        tokio::spawn(drive(driver, sim));
        tokio::spawn(log_events(broker));
        server
            .run(async {
                stop.await;
            })
            .await?;
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
