//! Scenarios: what a simulation starts with and what its timeline does, read from TOML.
//!
//! The schema is in docs/design.md, "Scenario files". Parsing is strict (unknown keys are errors) and every
//! error names the file, line, column and field, because a scenario is something people
//! write by hand in front of an audience.

mod beats;
mod location;
mod raw;
mod validate;

use std::io::Read;
use std::path::Path;

use crate::broker::{
    Acks, AssignorKind, Broker, ClusterConfig, GroupType, KeyHasher, RetentionPolicy,
    ServerAssignor,
};

use super::command::Command;
use super::error::SimError;
use super::limits::MAX_SCENARIO_FILE_BYTES;

/// The scenario used when none is named.
pub const DEFAULT_SCENARIO: &str = "quickstart";

/// The seed used when neither the command line nor the scenario gives one.
pub const DEFAULT_SEED: u64 = 42;

/// Scenarios embedded in the binary, in the order `--list-scenarios` shows them.
const BUNDLED: &[(&str, &str)] = &[
    (
        "quickstart",
        include_str!("../../assets/scenarios/quickstart.toml"),
    ),
    (
        "rebalance",
        include_str!("../../assets/scenarios/rebalance.toml"),
    ),
    (
        "slow-consumer",
        include_str!("../../assets/scenarios/slow-consumer.toml"),
    ),
    (
        "hot-key",
        include_str!("../../assets/scenarios/hot-key.toml"),
    ),
    (
        "retention",
        include_str!("../../assets/scenarios/retention.toml"),
    ),
    ("replay", include_str!("../../assets/scenarios/replay.toml")),
    (
        "idle-consumers",
        include_str!("../../assets/scenarios/idle-consumers.toml"),
    ),
    (
        "at-least-once",
        include_str!("../../assets/scenarios/at-least-once.toml"),
    ),
    (
        "rebalance-protocols",
        include_str!("../../assets/scenarios/rebalance-protocols.toml"),
    ),
    (
        "replication",
        include_str!("../../assets/scenarios/replication.toml"),
    ),
    ("acks", include_str!("../../assets/scenarios/acks.toml")),
    (
        "min-insync",
        include_str!("../../assets/scenarios/min-insync.toml"),
    ),
    (
        "unclean-election",
        include_str!("../../assets/scenarios/unclean-election.toml"),
    ),
    ("bench", include_str!("../../assets/scenarios/bench.toml")),
];

/// A validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The short name: the bundled name, or the file's stem for a user's file.
    pub name: String,
    /// The human title from the file's `name` key.
    pub title: String,
    /// What the scenario shows, in a sentence or two.
    pub description: String,
    /// The seed, unless the command line gives one.
    pub seed: Option<u64>,
    /// The `[cluster]` table; without one, a single broker and one replica per partition,
    /// exactly as before clusters existed.
    pub cluster: Option<ClusterSpec>,
    /// Topics created at the start.
    pub topics: Vec<TopicSpec>,
    /// Producers, each entry possibly several.
    pub producers: Vec<ProducerSpec>,
    /// Consumer groups.
    pub groups: Vec<GroupSpec>,
    /// Sorted by time; beats at the same time keep their file order.
    pub timeline: Vec<Beat>,
}

/// The `[cluster]` table: brokers and how replication behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    /// Broker ids are `1..=brokers`.
    pub brokers: u32,
    /// One rack per broker, in id order.
    pub racks: Option<Vec<String>>,
    /// A follower this far behind leaves the ISR.
    pub replica_lag_time_max_ms: i64,
    /// Whether an out-of-sync replica may lead when no in-sync one is alive.
    pub unclean_leader_election: bool,
}

impl ClusterSpec {
    /// The broker's configuration, replicas placed from `seed`.
    pub fn config(&self, seed: u64) -> ClusterConfig {
        ClusterConfig {
            brokers: self.brokers,
            racks: self.racks.clone(),
            replica_lag_time_max_ms: self.replica_lag_time_max_ms,
            unclean_leader_election: self.unclean_leader_election,
            placement_seed: seed,
        }
    }
}

/// A topic the scenario creates.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicSpec {
    /// The topic name.
    pub name: String,
    /// How many partitions.
    pub partitions: u32,
    /// What retention removes.
    pub retention: RetentionPolicy,
    /// Replicas per partition, at most the cluster's brokers; 1 by default, as Kafka's
    /// `default.replication.factor`.
    pub replication_factor: u32,
    /// In-sync replicas an `acks=all` produce needs; 1 by default.
    pub min_insync_replicas: u32,
}

/// How a producer picks record keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyDistribution {
    /// Null keys: the partitioner spreads records (sticky batches).
    None,
    /// Every one of `key_count` keys equally likely.
    Uniform,
    /// A few keys dominate (Zipf with exponent `zipf_s`): hot partitions.
    Zipf,
    /// Keys 0, 1, 2, … wrapping at `key_count`.
    Sequential,
}

impl KeyDistribution {
    /// The name used in scenario files and on screen.
    pub fn label(self) -> &'static str {
        match self {
            KeyDistribution::None => "none",
            KeyDistribution::Uniform => "uniform",
            KeyDistribution::Zipf => "zipf",
            KeyDistribution::Sequential => "sequential",
        }
    }
}

/// A `[[producers]]` entry: `count` identical producers.
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerSpec {
    /// The topic written.
    pub topic: String,
    /// Records per simulated second, per producer.
    pub rate: f64,
    /// How keys are picked.
    pub keys: KeyDistribution,
    /// How many distinct keys.
    pub key_count: u32,
    /// The Zipf exponent, for `zipf` keys.
    pub zipf_s: f64,
    /// Each record's value size.
    pub value_bytes: usize,
    /// How keys choose partitions.
    pub partitioner: KeyHasher,
    /// How many identical producers.
    pub count: u32,
    /// Name prefix; producers are called `PREFIX-N`.
    pub name: Option<String>,
    /// `all` by default, as Kafka's producers since 3.0. With one replica, `1` and `all`
    /// behave alike.
    pub acks: Acks,
    /// The first wait before a refused send is retried; it doubles up to a second.
    pub retry_backoff_ms: i64,
    /// How long a record is retried before it counts as failed.
    pub delivery_timeout_ms: i64,
}

impl ProducerSpec {
    /// A producer with the schema's defaults.
    pub fn with_defaults(topic: &str) -> Self {
        ProducerSpec {
            topic: topic.to_string(),
            rate: 10.0,
            keys: KeyDistribution::Uniform,
            key_count: 16,
            zipf_s: 1.1,
            value_bytes: 64,
            partitioner: KeyHasher::Murmur2,
            count: 1,
            name: None,
            acks: Acks::All,
            retry_backoff_ms: 100,
            delivery_timeout_ms: 120_000,
        }
    }

    /// Keys one such producer builds and holds.
    pub fn keys_held(&self) -> u64 {
        match self.keys {
            KeyDistribution::None => 0,
            _ => u64::from(self.key_count),
        }
    }
}

/// When a member commits the offsets it has processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitPolicy {
    /// `enable.auto.commit`: every interval, and also before giving partitions up in a
    /// rebalance or on a graceful leave, as the Java client does.
    Auto {
        /// How often, in simulated ms.
        interval_ms: i64,
    },
    /// After every poll's records are processed.
    EveryPoll,
    /// After every N records processed.
    EveryN(u64),
}

impl CommitPolicy {
    /// The name used in scenario files and on screen.
    pub fn label(self) -> &'static str {
        match self {
            CommitPolicy::Auto { .. } => "auto",
            CommitPolicy::EveryPoll => "every_poll",
            CommitPolicy::EveryN(_) => "every_n",
        }
    }
}

/// Where a member starts on a partition with no usable committed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoOffsetReset {
    /// The log start.
    Earliest,
    /// The high watermark: only new records.
    Latest,
}

/// How a group shares its partitions out: the rebalance protocol, with its assignor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebalanceProtocol {
    /// JoinGroup and SyncGroup, the leader running the assignor: eager (every member stops
    /// and gives everything up), or incremental with `cooperative-sticky`.
    Classic(AssignorKind),
    /// Kafka 4's consumer protocol (KIP-848): the broker runs the assignor, and each member
    /// gives up and takes partitions on its own heartbeats.
    Consumer(ServerAssignor),
}

impl RebalanceProtocol {
    /// Which group type it makes: `protocol` in a scenario file.
    pub fn group_type(self) -> GroupType {
        match self {
            RebalanceProtocol::Classic(_) => GroupType::Classic,
            RebalanceProtocol::Consumer(_) => GroupType::Consumer,
        }
    }
    /// The assignor's name, as clients ask for it.
    pub fn assignor_name(self) -> &'static str {
        match self {
            RebalanceProtocol::Classic(a) => a.protocol_name(),
            RebalanceProtocol::Consumer(a) => a.name(),
        }
    }
    /// Whether members keep what they own through a classic rebalance.
    pub fn is_cooperative(self) -> bool {
        matches!(self, RebalanceProtocol::Classic(a) if a.is_cooperative())
    }
}

/// A `[[groups]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSpec {
    /// The group id.
    pub name: String,
    /// The topics it reads.
    pub topics: Vec<String>,
    /// Members at the start.
    pub consumers: u32,
    /// Records per simulated second, per member.
    pub process_rate: f64,
    /// The most records one poll returns.
    pub max_poll_records: u32,
    /// When members commit.
    pub commit: CommitPolicy,
    /// The protocol and assignor (`protocol` and `assignor` in the file).
    pub protocol: RebalanceProtocol,
    /// Where members start without a committed offset.
    pub auto_offset_reset: AutoOffsetReset,
    /// How long a member may go silent.
    pub session_timeout_ms: i64,
    /// Members keep a `group.instance.id` (their client id) across restarts.
    pub static_members: bool,
    /// Whether the file named the `protocol`: only then does the report carry the
    /// protocol fields (`protocol`, `rebalances`, `unowned_partition_ms`), so the reports
    /// of scenarios written before them keep their shape.
    pub protocol_named: bool,
}

impl GroupSpec {
    /// A one-member group with the schema's defaults.
    pub fn with_defaults(name: &str, topics: Vec<String>) -> Self {
        GroupSpec {
            name: name.to_string(),
            topics,
            consumers: 1,
            process_rate: 10.0,
            max_poll_records: 100,
            commit: CommitPolicy::Auto { interval_ms: 5_000 },
            protocol: RebalanceProtocol::Classic(AssignorKind::Range),
            auto_offset_reset: AutoOffsetReset::Earliest,
            session_timeout_ms: 10_000,
            static_members: false,
            protocol_named: false,
        }
    }
}

/// A scripted moment: at `at_ms` of simulated time, run `command` and show `caption`.
#[derive(Debug, Clone, PartialEq)]
pub struct Beat {
    /// When it fires, in simulated ms.
    pub at_ms: i64,
    /// What it does.
    pub command: Command,
    /// What the presenter says; empty for a beat that only acts.
    pub caption: String,
}

impl Scenario {
    /// Parses and validates scenario text; `origin` (a path or `bundled:NAME`) names it in
    /// errors, and its file stem becomes the scenario's short name.
    pub fn parse(text: &str, origin: &str) -> Result<Scenario, SimError> {
        let short = origin
            .strip_prefix("bundled:")
            .map(str::to_string)
            .unwrap_or_else(|| {
                std::path::Path::new(origin)
                    .file_stem()
                    .map_or_else(|| origin.to_string(), |s| s.to_string_lossy().into_owned())
            });
        validate::parse(text, origin, short)
    }

    /// The broker this scenario runs on: one broker, or its `[cluster]` with replicas placed
    /// from the seed the simulation will use (`seed`, else the scenario's, else
    /// [`DEFAULT_SEED`]). A network server serving the scenario builds it here too.
    pub fn broker(&self, seed: Option<u64>) -> Result<Broker, SimError> {
        let seed = seed.or(self.seed).unwrap_or(DEFAULT_SEED);
        Ok(match &self.cluster {
            Some(c) => Broker::with_cluster(c.config(seed))?,
            None => Broker::new(),
        })
    }

    /// A scenario embedded in the binary.
    pub fn bundled(name: &str) -> Result<Scenario, SimError> {
        let (_, text) =
            BUNDLED
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| SimError::UnknownScenario {
                    name: name.to_string(),
                    available: Self::bundled_names().collect::<Vec<_>>().join(", "),
                })?;
        Self::parse(text, &format!("bundled:{name}"))
    }

    /// The names of the bundled scenarios.
    pub fn bundled_names() -> impl Iterator<Item = &'static str> {
        BUNDLED.iter().map(|(n, _)| *n)
    }

    /// Every bundled scenario, parsed, in listing order.
    pub fn bundled_all() -> Vec<Scenario> {
        Self::bundled_names()
            .map(|n| Self::bundled(n).expect("bundled scenarios are valid"))
            .collect()
    }

    /// Reads a user's scenario file: a regular file of at most
    /// [`MAX_SCENARIO_FILE_BYTES`], so a device or a pipe given by mistake fails at once
    /// instead of being read forever.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Scenario, SimError> {
        let path = path.as_ref();
        let text = read_scenario_file(path).map_err(|reason| SimError::Io {
            path: path.display().to_string(),
            reason,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// A bundled name, else a path to a file.
    pub fn load(name_or_path: &str) -> Result<Scenario, SimError> {
        if Self::bundled_names().any(|n| n == name_or_path) {
            return Self::bundled(name_or_path);
        }
        let path = std::path::Path::new(name_or_path);
        if path.exists() || name_or_path.ends_with(".toml") || name_or_path.contains('/') {
            return Self::from_path(path);
        }
        Self::bundled(name_or_path)
    }
}

/// The text of a scenario file, refusing anything but a regular file of bounded size. The
/// type is checked before opening: opening a FIFO for reading blocks until a writer comes.
fn read_scenario_file(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind};
    let kind = file_kind(&std::fs::metadata(path)?);
    if kind != "a regular file" {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("it is {kind}, not a regular file"),
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_SCENARIO_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SCENARIO_FILE_BYTES {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!(
                "it is larger than {} MiB, the most a scenario file may hold",
                MAX_SCENARIO_FILE_BYTES >> 20
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|_| Error::new(ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// What kind of file `meta` describes, as a phrase.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_file() {
        return "a regular file";
    }
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "something other than a file"
}
