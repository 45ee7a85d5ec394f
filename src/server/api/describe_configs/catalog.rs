//! The configs we describe: Kafka's names, our real values, and where each value comes from.
//!
//! Only configs this broker actually applies are listed, with Kafka's name, type, read-only
//! flag and synonyms, so that admin tools read them as they read Kafka's. There are no
//! segments here (retention removes single records), so `segment.bytes` is not among them;
//! nor is the record-count retention of scenarios, which has no Kafka name.

use std::borrow::Cow;

use crate::broker::Topic;
use crate::server::api::Settings;

/// Where a value comes from, numbered as Kafka's `ConfigSource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// Set on the topic when it was created.
    Topic = 1,
    /// Set when the broker was started (a flag of `serve`).
    StaticBroker = 4,
    /// The broker's default.
    Default = 5,
}

/// A value's type, numbered as Kafka's `ConfigType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Type {
    Boolean = 1,
    String = 2,
    Int = 3,
    Long = 5,
    List = 7,
}

/// Another name the value is known by, and its value there, in precedence order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Synonym {
    pub name: &'static str,
    pub value: String,
    pub source: Source,
}

/// One described config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub name: &'static str,
    pub value: String,
    pub read_only: bool,
    pub source: Source,
    pub synonyms: Vec<Synonym>,
    pub config_type: Type,
    pub documentation: &'static str,
}

/// A config whose value is either set (on the topic, or by a flag) or the broker's default.
struct Def {
    name: &'static str,
    config_type: Type,
    read_only: bool,
    documentation: &'static str,
    /// The broker-level name its default is listed under as a synonym, where Kafka lists
    /// one.
    default_name: Option<&'static str>,
    default: Cow<'static, str>,
}

impl Def {
    /// The entry for `set` (a value given, and where) or the default. Synonyms list where the
    /// value comes from first, then the default, as Kafka lists them.
    fn entry(&self, set: Option<(String, Source)>) -> Entry {
        let default = self.default_name.map(|name| Synonym {
            name,
            value: self.default.to_string(),
            source: Source::Default,
        });
        let (value, source, mut synonyms) = match set {
            Some((value, source)) => {
                let given = Synonym {
                    name: self.name,
                    value: value.clone(),
                    source,
                };
                (value, source, vec![given])
            }
            None => (self.default.to_string(), Source::Default, Vec::new()),
        };
        synonyms.extend(default);
        Entry {
            name: self.name,
            value,
            read_only: self.read_only,
            source,
            synonyms,
            config_type: self.config_type,
            documentation: self.documentation,
        }
    }
}

const CLEANUP_POLICY: Def = Def {
    name: "cleanup.policy",
    config_type: Type::List,
    read_only: false,
    documentation: "The retention policy of the log. Only \"delete\" exists here: records older than retention.ms, or beyond retention.bytes, are deleted from the start of each partition. There is no log compaction.",
    default_name: Some("log.cleanup.policy"),
    default: Cow::Borrowed("delete"),
};

const MIN_INSYNC_REPLICAS: Def = Def {
    name: "min.insync.replicas",
    config_type: Type::Int,
    read_only: false,
    documentation: "The minimum number of in-sync replicas (the leader included) that must acknowledge a write for a producer using acks=all. With one broker and one replica per partition it is 1.",
    default_name: Some("min.insync.replicas"),
    default: Cow::Borrowed("1"),
};

const RETENTION_BYTES: Def = Def {
    name: "retention.bytes",
    config_type: Type::Long,
    read_only: false,
    documentation: "The most payload bytes a partition keeps before its oldest records are deleted. -1 means no size limit. The limit is per partition: multiply by the partition count for the topic's.",
    default_name: Some("log.retention.bytes"),
    default: Cow::Borrowed("-1"),
};

/// Listed with no default synonym, as Kafka lists it: Kafka's `log.retention.ms` is unset
/// (its default comes from `log.retention.hours`), and ours, -1, is the built-in default.
const RETENTION_MS: Def = Def {
    name: "retention.ms",
    config_type: Type::Long,
    read_only: false,
    documentation: "How long a record is kept, by its timestamp, before it is deleted. -1 means no time limit.",
    default_name: None,
    default: Cow::Borrowed("-1"),
};

/// Every config of `topic`, sorted by name.
pub(super) fn topic_entries(topic: &Topic) -> Vec<Entry> {
    let retention = topic.config().retention;
    let on_topic = |v: Option<String>| v.map(|v| (v, Source::Topic));
    vec![
        CLEANUP_POLICY.entry(None),
        MIN_INSYNC_REPLICAS.entry(None),
        RETENTION_BYTES.entry(on_topic(retention.bytes.map(|b| b.to_string()))),
        RETENTION_MS.entry(on_topic(retention.ms.map(|ms| ms.to_string()))),
    ]
}

/// A broker setting's entry: set by a flag when it differs from Kafka's default.
fn flag(
    name: &'static str,
    doc: &'static str,
    config_type: Type,
    value: String,
    default: &'static str,
) -> Entry {
    let def = Def {
        name,
        config_type,
        read_only: true,
        documentation: doc,
        default_name: Some(name),
        default: Cow::Borrowed(default),
    };
    let set = (value != default).then_some((value, Source::StaticBroker));
    def.entry(set)
}

/// A broker config of its own name (not a topic config's default), whose default is `value`.
fn own(
    name: &'static str,
    doc: &'static str,
    config_type: Type,
    read_only: bool,
    value: Cow<'static, str>,
) -> Def {
    Def {
        name,
        config_type,
        read_only,
        documentation: doc,
        default_name: Some(name),
        default: value,
    }
}

/// `name`, the broker-level config a topic config's default comes from.
fn broker_default(name: &'static str, topic: &Def) -> Def {
    own(
        name,
        topic.documentation,
        topic.config_type,
        false,
        topic.default.clone(),
    )
}

/// Broker `node`'s configs, sorted by name: the flags of `serve`, and the topic defaults.
pub(super) fn broker_entries(settings: &Settings, node: i32) -> Vec<Entry> {
    let listener = format!("PLAINTEXT://{}:{}", settings.host, settings.port);
    let id = || Cow::Owned(node.to_string());
    let mut entries = vec![
        // Kafka has no default to list for it.
        Def {
            default_name: None,
            ..own(
                "advertised.listeners",
                "The address clients are told to connect to: the one they reached (--listen).",
                Type::String,
                true,
                Cow::Borrowed(""),
            )
        }
        .entry(Some((listener.clone(), Source::StaticBroker))),
        flag(
            "auto.create.topics.enable",
            "Whether a topic is created when a client first names it (off with --no-auto-create-topics).",
            Type::Boolean,
            settings.auto_create_topics.to_string(),
            "true",
        ),
        own("broker.id", "This broker's id.", Type::Int, true, id()).entry(None),
        own(
            "default.replication.factor",
            "The replication factor of new topics: one broker, one replica.",
            Type::Int,
            true,
            Cow::Borrowed("1"),
        )
        .entry(None),
        flag(
            "group.initial.rebalance.delay.ms",
            "How long an empty group waits for more members before its first rebalance completes (--initial-rebalance-delay).",
            Type::Int,
            settings.initial_rebalance_delay_ms.to_string(),
            "3000",
        ),
        own(
            "listeners",
            "The address the broker listens on (--listen).",
            Type::String,
            false,
            Cow::Borrowed("PLAINTEXT://:9092"),
        )
        .entry(Some((listener, Source::StaticBroker))),
        broker_default("log.cleanup.policy", &CLEANUP_POLICY).entry(None),
        broker_default("min.insync.replicas", &MIN_INSYNC_REPLICAS).entry(None),
        broker_default("log.retention.bytes", &RETENTION_BYTES).entry(None),
        broker_default("log.retention.ms", &RETENTION_MS).entry(None),
        own("node.id", "This broker's id.", Type::Int, true, id()).entry(None),
        flag(
            "num.partitions",
            "The partition count of topics created on first use (--default-partitions).",
            Type::Int,
            settings.default_partitions.to_string(),
            "1",
        ),
    ];
    entries.sort_by_key(|e| e.name);
    entries
}
