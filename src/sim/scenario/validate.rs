//! Checking a scenario file as written ([`super::raw`]) into a [`Scenario`]: each value
//! against its bound and each total against its limit in [`crate::sim::limits`], each name
//! against what the file defines, every error located at the file, line and field.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;
use std::ops::Range;

use toml::Spanned;

use crate::broker::{RetentionPolicy, validate_topic_name};
use crate::sim::error::SimError;
use crate::sim::limits::{self, Bound, LimitError, Load};

use super::beats;
use super::location::{error_at, from_toml, join_path};
use super::raw::{
    RawCluster, RawCommit, RawGroup, RawProducer, RawProtocol, RawScenario, RawTopic,
};
use super::{
    ClusterSpec, CommitPolicy, GroupSpec, ProducerSpec, RebalanceProtocol, Scenario, TopicSpec,
};
use crate::broker::{AssignorKind, DEFAULT_REPLICA_LAG_TIME_MAX_MS, ServerAssignor};

/// A scenario file's text and where it came from: what an error needs to name the file,
/// line and column.
pub(super) struct SourceText<'a> {
    origin: &'a str,
    text: &'a str,
}

/// The span of an optional value, or of `fallback` when the file leaves it out (a total
/// that its default pushes over the limit is reported where the entry starts).
fn span_or<T>(v: &Option<Spanned<T>>, fallback: Range<usize>) -> Range<usize> {
    v.as_ref().map_or(fallback, Spanned::span)
}

impl SourceText<'_> {
    /// An error about `field` at byte `span` of the file.
    pub(super) fn err(
        &self,
        span: Range<usize>,
        field: String,
        message: impl Into<String>,
    ) -> SimError {
        error_at(self.origin, self.text, span.start, field, message).into()
    }

    /// `v`, if it lies within `bound`.
    pub(super) fn bounded<T: Copy + PartialOrd + Display>(
        &self,
        v: &Spanned<T>,
        field: String,
        bound: &Bound<T>,
    ) -> Result<T, SimError> {
        bound
            .check(*v.get_ref())
            .map_err(|e| self.err(v.span(), field, e.to_string()))
    }

    /// A total's verdict, located at `span`.
    pub(super) fn within(
        &self,
        total: Result<(), LimitError>,
        span: Range<usize>,
        field: String,
    ) -> Result<(), SimError> {
        total.map_err(|e| self.err(span, field, e.to_string()))
    }

    /// A duration such as `"1m30s"`, in milliseconds, within `bound`.
    pub(super) fn duration_ms(
        &self,
        v: &Spanned<String>,
        field: String,
        bound: &Bound<i64>,
    ) -> Result<i64, SimError> {
        let d = humantime::parse_duration(v.get_ref().trim()).map_err(|e| {
            self.err(
                v.span(),
                field.clone(),
                format!(
                    "`{}` is not a duration ({e}); write it like \"20s\", \"1m30s\" or \"500ms\"",
                    v.get_ref()
                ),
            )
        })?;
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.bounded(&Spanned::new(v.span(), ms), field, bound)
    }
}

/// The topics a scenario defines, with their partition counts.
pub(super) struct Topics(BTreeMap<String, u32>);

impl Topics {
    /// The topic's name, if the scenario defines it.
    pub(super) fn check(
        &self,
        doc: &SourceText<'_>,
        v: &Spanned<String>,
        field: String,
    ) -> Result<String, SimError> {
        if self.0.contains_key(v.get_ref()) {
            Ok(v.get_ref().clone())
        } else {
            Err(doc.err(
                v.span(),
                field,
                format!("no topic named `{}` in this scenario", v.get_ref()),
            ))
        }
    }

    /// Every topic of `names` exists; an error names the first one missing.
    pub(super) fn check_all(
        &self,
        doc: &SourceText<'_>,
        names: &Spanned<Vec<String>>,
        field: String,
    ) -> Result<(), SimError> {
        if names.get_ref().is_empty() {
            return Err(doc.err(
                names.span(),
                field,
                "a group must subscribe to at least one topic",
            ));
        }
        for t in names.get_ref() {
            self.check(doc, &Spanned::new(names.span(), t.clone()), field.clone())?;
        }
        Ok(())
    }

    /// Partitions over the named topics.
    fn partitions(&self, names: &[String]) -> u64 {
        names
            .iter()
            .map(|n| self.0.get(n).copied().map_or(0, u64::from))
            .sum()
    }
}

/// Parses and validates `text`; `origin` names it in errors.
pub(super) fn parse(text: &str, origin: &str, short: String) -> Result<Scenario, SimError> {
    let raw: RawScenario = toml::from_str(text).map_err(|e| from_toml(origin, text, &e))?;
    let doc = SourceText { origin, text };
    let mut load = Load::default();
    let cluster = (raw.cluster.as_ref())
        .map(|c| cluster(&doc, c.get_ref()))
        .transpose()?;
    let brokers = cluster.as_ref().map_or(1, |c| c.brokers);
    let (topics, known) = all_topics(&doc, &raw.topics, brokers, &mut load)?;
    let producers = (raw.producers.iter().enumerate())
        .map(|(i, p)| producer(&doc, i, p, &known, &mut load))
        .collect::<Result<Vec<_>, _>>()?;
    let mut group_names = BTreeSet::new();
    let groups = (raw.groups.iter().enumerate())
        .map(|(i, g)| group(&doc, i, g, &known, &mut group_names, &mut load))
        .collect::<Result<Vec<_>, _>>()?;
    let timeline = beats::timeline(&doc, &raw.timeline, &known, brokers, &mut group_names)?;
    Ok(Scenario {
        name: short,
        title: raw.name,
        description: raw.description.trim().to_string(),
        seed: raw.seed,
        cluster,
        topics,
        producers,
        groups,
        timeline,
    })
}

/// The `[cluster]` table, each value within its bound and one rack per broker.
fn cluster(doc: &SourceText<'_>, c: &RawCluster) -> Result<ClusterSpec, SimError> {
    let path = |k: &str| join_path("cluster", k);
    let brokers = doc.bounded(&c.brokers, path("brokers"), &limits::CLUSTER_BROKERS)?;
    let racks = match &c.racks {
        Some(r) => Some(racks(doc, r, brokers)?),
        None => None,
    };
    let replica_lag_time_max_ms = (c.replica_lag_time_max_ms.as_ref())
        .map(|v| {
            let field = path("replica_lag_time_max_ms");
            doc.bounded(v, field, &limits::REPLICA_LAG_TIME_MAX_MS)
        })
        .transpose()?
        .unwrap_or(DEFAULT_REPLICA_LAG_TIME_MAX_MS);
    Ok(ClusterSpec {
        brokers,
        racks,
        replica_lag_time_max_ms,
        unclean_leader_election: c.unclean_leader_election.unwrap_or(false),
    })
}

fn racks(
    doc: &SourceText<'_>,
    r: &Spanned<Vec<String>>,
    brokers: u32,
) -> Result<Vec<String>, SimError> {
    let field = join_path("cluster", "racks");
    let names = r.get_ref();
    if names.len() != brokers as usize {
        let message = format!(
            "{} racks for {brokers} brokers: give one rack per broker, in id order",
            names.len()
        );
        return Err(doc.err(r.span(), field, message));
    }
    for name in names {
        doc.bounded(
            &Spanned::new(r.span(), name.len()),
            field.clone(),
            &limits::RACK_NAME_BYTES,
        )?;
        if name.chars().any(|c| c.is_control() || c.is_whitespace()) {
            let message = format!("rack name {name:?} must not hold spaces or control characters");
            return Err(doc.err(r.span(), field, message));
        }
    }
    Ok(names.clone())
}

fn all_topics(
    doc: &SourceText<'_>,
    raw: &[RawTopic],
    brokers: u32,
    load: &mut Load,
) -> Result<(Vec<TopicSpec>, Topics), SimError> {
    let mut known = Topics(BTreeMap::new());
    let mut specs = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        let spec = topic(doc, i, t, brokers, load)?;
        if known.0.insert(spec.name.clone(), spec.partitions).is_some() {
            return Err(doc.err(
                t.name.span(),
                join_path(&format!("topics[{i}]"), "name"),
                format!("topic `{}` is defined twice", spec.name),
            ));
        }
        specs.push(spec);
    }
    Ok((specs, known))
}

fn topic(
    doc: &SourceText<'_>,
    i: usize,
    t: &RawTopic,
    brokers: u32,
    load: &mut Load,
) -> Result<TopicSpec, SimError> {
    let path = |k: &str| join_path(&format!("topics[{i}]"), k);
    let name = t.name.get_ref().clone();
    validate_topic_name(&name).map_err(|e| doc.err(t.name.span(), path("name"), e.to_string()))?;
    let partitions = doc.bounded(&t.partitions, path("partitions"), &limits::TOPIC_PARTITIONS)?;
    doc.within(
        load.add_partitions(u64::from(partitions)),
        t.partitions.span(),
        path("partitions"),
    )?;
    let retention = RetentionPolicy {
        ms: (t.retention_ms.as_ref())
            .map(|v| doc.bounded(v, path("retention_ms"), &limits::RETENTION_MS))
            .transpose()?,
        records: (t.retention_records.as_ref())
            .map(|v| doc.bounded(v, path("retention_records"), &limits::RETENTION_RECORDS))
            .transpose()?,
        bytes: (t.retention_bytes.as_ref())
            .map(|v| doc.bounded(v, path("retention_bytes"), &limits::RETENTION_BYTES))
            .transpose()?,
    };
    let (replication_factor, min_insync_replicas) = replication(doc, i, t, brokers)?;
    doc.within(
        load.add_replicas(u64::from(partitions) * u64::from(replication_factor)),
        span_or(&t.replication_factor, t.partitions.span()),
        path("replication_factor"),
    )?;
    Ok(TopicSpec {
        name,
        partitions,
        retention,
        replication_factor,
        min_insync_replicas,
    })
}

/// A topic's replication factor (at most the brokers) and min.insync (at most the factor).
fn replication(
    doc: &SourceText<'_>,
    i: usize,
    t: &RawTopic,
    brokers: u32,
) -> Result<(u32, u32), SimError> {
    let path = |k: &str| join_path(&format!("topics[{i}]"), k);
    let mut rf = 1;
    if let Some(v) = &t.replication_factor {
        rf = doc.bounded(v, path("replication_factor"), &limits::REPLICATION_FACTOR)?;
        if rf > brokers {
            let message = format!(
                "replication_factor {rf} needs {rf} brokers; the cluster has {brokers} (set [cluster] brokers)"
            );
            return Err(doc.err(v.span(), path("replication_factor"), message));
        }
    }
    let mut min = 1;
    if let Some(v) = &t.min_insync_replicas {
        min = doc.bounded(v, path("min_insync_replicas"), &limits::MIN_INSYNC_REPLICAS)?;
        if min > rf {
            let message = format!(
                "min_insync_replicas {min} is more than the replication factor {rf}: no produce with acks=all could succeed"
            );
            return Err(doc.err(v.span(), path("min_insync_replicas"), message));
        }
    }
    Ok((rf, min))
}

fn producer(
    doc: &SourceText<'_>,
    i: usize,
    p: &RawProducer,
    topics: &Topics,
    load: &mut Load,
) -> Result<ProducerSpec, SimError> {
    let path = |k: &str| join_path(&format!("producers[{i}]"), k);
    let mut spec = ProducerSpec::with_defaults(&topics.check(doc, &p.topic, path("topic"))?);
    if let Some(v) = &p.rate {
        spec.rate = doc.bounded(v, path("rate"), &limits::PRODUCER_RATE)?;
    }
    if let Some(k) = p.keys {
        spec.keys = k.into();
    }
    if let Some(v) = &p.key_count {
        spec.key_count = doc.bounded(v, path("key_count"), &limits::KEY_COUNT)?;
    }
    if let Some(v) = &p.zipf_s {
        spec.zipf_s = doc.bounded(v, path("zipf_s"), &limits::ZIPF_EXPONENT)?;
    }
    if let Some(v) = &p.value_bytes {
        spec.value_bytes = doc.bounded(v, path("value_bytes"), &limits::VALUE_BYTES)?;
    }
    if let Some(h) = p.partitioner {
        spec.partitioner = h.into();
    }
    if let Some(v) = &p.count {
        spec.count = doc.bounded(v, path("count"), &limits::PRODUCERS_PER_ENTRY)?;
    }
    spec.name = p.name.clone();
    if let Some(a) = p.acks {
        spec.acks = a.into();
    }
    if let Some(v) = &p.retry_backoff_ms {
        spec.retry_backoff_ms =
            doc.bounded(v, path("retry_backoff_ms"), &limits::RETRY_BACKOFF_MS)?;
    }
    if let Some(v) = &p.delivery_timeout_ms {
        spec.delivery_timeout_ms =
            doc.bounded(v, path("delivery_timeout_ms"), &limits::DELIVERY_TIMEOUT_MS)?;
    }
    let n = spec.count as usize;
    let entry = p.topic.span();
    doc.within(
        load.add_producers(n),
        span_or(&p.count, entry.clone()),
        path("count"),
    )?;
    doc.within(
        load.add_produce_rate(spec.rate * n as f64),
        span_or(&p.rate, entry.clone()),
        path("rate"),
    )?;
    doc.within(
        load.add_keys(spec.keys_held() * n as u64),
        span_or(&p.key_count, entry),
        path("key_count"),
    )?;
    Ok(spec)
}

fn group(
    doc: &SourceText<'_>,
    i: usize,
    g: &RawGroup,
    topics: &Topics,
    names: &mut BTreeSet<String>,
    load: &mut Load,
) -> Result<GroupSpec, SimError> {
    let path = |k: &str| join_path(&format!("groups[{i}]"), k);
    let name = g.name.get_ref().clone();
    if name.is_empty() || !names.insert(name.clone()) {
        return Err(doc.err(
            g.name.span(),
            path("name"),
            format!("group name `{name}` is empty or defined twice"),
        ));
    }
    doc.within(load.add_group(), g.name.span(), path("name"))?;
    topics.check_all(doc, &g.topics, path("topics"))?;
    let mut spec = GroupSpec::with_defaults(&name, g.topics.get_ref().clone());
    group_settings(doc, g, &path, &mut spec)?;
    doc.within(
        load.add_subscribed_partitions(topics.partitions(&spec.topics)),
        g.topics.span(),
        path("topics"),
    )?;
    doc.within(
        load.add_members(0, spec.consumers as usize),
        span_or(&g.consumers, g.name.span()),
        path("consumers"),
    )?;
    Ok(spec)
}

/// The group's own values, each within its bound.
fn group_settings(
    doc: &SourceText<'_>,
    g: &RawGroup,
    path: &dyn Fn(&str) -> String,
    spec: &mut GroupSpec,
) -> Result<(), SimError> {
    if let Some(v) = &g.consumers {
        spec.consumers = doc.bounded(v, path("consumers"), &limits::CONSUMERS_PER_GROUP)?;
    }
    if let Some(v) = &g.process_rate {
        spec.process_rate = doc.bounded(v, path("process_rate"), &limits::PROCESS_RATE)?;
    }
    if let Some(v) = &g.max_poll_records {
        spec.max_poll_records =
            doc.bounded(v, path("max_poll_records"), &limits::MAX_POLL_RECORDS)?;
    }
    spec.commit = commit_policy(doc, g, path)?;
    spec.protocol = rebalance_protocol(doc, g, path)?;
    spec.protocol_named = g.protocol.is_some();
    spec.static_members = g.static_members.unwrap_or(false);
    if let Some(r) = g.auto_offset_reset {
        spec.auto_offset_reset = r.into();
    }
    if let Some(v) = &g.session_timeout_ms {
        spec.session_timeout_ms =
            doc.bounded(v, path("session_timeout_ms"), &limits::SESSION_TIMEOUT_MS)?;
    }
    Ok(())
}

/// The protocol and its assignor: each protocol has its own assignors (the classic ones run
/// in a client, the consumer protocol's on the broker), and naming one of the other's is
/// an error at the assignor.
fn rebalance_protocol(
    doc: &SourceText<'_>,
    g: &RawGroup,
    path: &dyn Fn(&str) -> String,
) -> Result<RebalanceProtocol, SimError> {
    let consumer = g.protocol == Some(RawProtocol::Consumer);
    let Some(a) = &g.assignor else {
        return Ok(if consumer {
            RebalanceProtocol::Consumer(ServerAssignor::default())
        } else {
            RebalanceProtocol::Classic(AssignorKind::default())
        });
    };
    let chosen = *a.get_ref();
    let (protocol, expected) = if consumer {
        (
            chosen.server_side().map(RebalanceProtocol::Consumer),
            "uniform or range",
        )
    } else {
        (
            chosen.classic().map(RebalanceProtocol::Classic),
            "range, roundrobin, sticky or cooperative-sticky",
        )
    };
    protocol.ok_or_else(|| {
        let name = if consumer { "consumer" } else { "classic" };
        doc.err(
            a.span(),
            path("assignor"),
            format!(
                "assignor `{}` does not go with protocol = \"{name}\"; it takes {expected}",
                chosen.label()
            ),
        )
    })
}

/// The commit policy; both of its numbers are checked whichever policy uses them.
fn commit_policy(
    doc: &SourceText<'_>,
    g: &RawGroup,
    path: &dyn Fn(&str) -> String,
) -> Result<CommitPolicy, SimError> {
    let interval_ms = (g.commit_interval_ms.as_ref())
        .map(|v| doc.bounded(v, path("commit_interval_ms"), &limits::COMMIT_INTERVAL_MS))
        .transpose()?
        .unwrap_or(5_000);
    let every = (g.commit_every.as_ref())
        .map(|v| doc.bounded(v, path("commit_every"), &limits::COMMIT_EVERY))
        .transpose()?
        .unwrap_or(10);
    Ok(match g.commit.unwrap_or(RawCommit::Auto) {
        RawCommit::Auto => CommitPolicy::Auto { interval_ms },
        RawCommit::EveryPoll => CommitPolicy::EveryPoll,
        RawCommit::EveryN => CommitPolicy::EveryN(every),
    })
}
