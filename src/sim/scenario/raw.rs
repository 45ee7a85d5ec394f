//! The scenario file as written, and its validation into [`Scenario`].

use std::collections::BTreeSet;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::broker::{
    AssignorKind, KeyHasher, ResetSpec, RetentionPolicy, SESSION_TIMEOUT_RANGE_MS,
    validate_topic_name,
};

use super::location::{error_at, from_toml, join_path};
use super::{
    AutoOffsetReset, Beat, CommitPolicy, GroupSpec, KeyDistribution, ProducerSpec, Scenario,
    TopicSpec,
};
use crate::sim::command::Command;
use crate::sim::error::SimError;

/// The largest record value a simulated producer writes; values are slices of one shared
/// zero buffer of this size.
pub(crate) const MAX_VALUE_BYTES: usize = 1 << 20;
/// Producers pre-build their keys, so the key space is capped.
const MAX_KEY_COUNT: u32 = 1_000_000;
/// A cap that keeps a typo from asking for a billion records per simulated second.
const MAX_RATE: f64 = 10_000_000.0;
const MAX_COUNT: u32 = 256;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    #[serde(default)]
    description: String,
    seed: Option<u64>,
    #[serde(default)]
    topics: Vec<RawTopic>,
    #[serde(default)]
    producers: Vec<RawProducer>,
    #[serde(default)]
    groups: Vec<RawGroup>,
    #[serde(default)]
    timeline: Vec<RawBeat>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    name: Spanned<String>,
    partitions: Spanned<u32>,
    retention_ms: Option<Spanned<i64>>,
    retention_records: Option<Spanned<u64>>,
    retention_bytes: Option<Spanned<u64>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RawKeys {
    None,
    Uniform,
    Zipf,
    Sequential,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RawPartitioner {
    Murmur2,
    Crc32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProducer {
    topic: Spanned<String>,
    rate: Option<Spanned<f64>>,
    keys: Option<RawKeys>,
    key_count: Option<Spanned<u32>>,
    zipf_s: Option<Spanned<f64>>,
    value_bytes: Option<Spanned<usize>>,
    partitioner: Option<RawPartitioner>,
    count: Option<Spanned<u32>>,
    name: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawCommit {
    Auto,
    EveryPoll,
    EveryN,
}

#[derive(Debug, Clone, Copy, Deserialize)]
enum RawAssignor {
    #[serde(rename = "range")]
    Range,
    #[serde(rename = "roundrobin")]
    RoundRobin,
    #[serde(rename = "sticky")]
    Sticky,
    #[serde(rename = "cooperative-sticky")]
    CooperativeSticky,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RawReset {
    Earliest,
    Latest,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    name: Spanned<String>,
    topics: Spanned<Vec<String>>,
    consumers: Option<Spanned<u32>>,
    process_rate: Option<Spanned<f64>>,
    max_poll_records: Option<Spanned<u32>>,
    commit: Option<RawCommit>,
    commit_interval_ms: Option<Spanned<i64>>,
    commit_every: Option<Spanned<u64>>,
    assignor: Option<RawAssignor>,
    auto_offset_reset: Option<RawReset>,
    session_timeout_ms: Option<Spanned<i64>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawAction {
    AddConsumer,
    RemoveConsumer,
    CrashConsumer,
    AddProducer,
    RemoveProducer,
    SetProducerRate,
    ScaleProducerRate,
    SetProcessRate,
    ScaleProcessRate,
    ResetOffsets,
    AddGroup,
    PauseGroup,
    ResumeGroup,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBeat {
    at: Spanned<String>,
    action: Spanned<RawAction>,
    topic: Option<Spanned<String>>,
    group: Option<Spanned<String>>,
    rate: Option<Spanned<f64>>,
    factor: Option<Spanned<f64>>,
    to: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
    topics: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    caption: String,
}

/// Checks that a named topic is defined, returning its name.
type TopicCheck<'a> = dyn Fn(&Spanned<String>, String) -> Result<String, SimError> + 'a;

/// Builds located errors for one document.
struct Ctx<'a> {
    origin: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, field: String, message: impl Into<String>) -> SimError {
        error_at(self.origin, self.text, span.start, field, message).into()
    }

    fn positive_f64(
        &self,
        v: &Spanned<f64>,
        field: String,
        zero_ok: bool,
    ) -> Result<f64, SimError> {
        let x = *v.get_ref();
        let ok = x.is_finite() && (x > 0.0 || (zero_ok && x == 0.0)) && x <= MAX_RATE;
        if !ok {
            let want = if zero_ok { "0 or more" } else { "more than 0" };
            return Err(self.err(
                v.span(),
                field,
                format!("must be a number {want}, at most {MAX_RATE}, not {x}"),
            ));
        }
        Ok(x)
    }

    fn at_least<T: Copy + PartialOrd + std::fmt::Display>(
        &self,
        v: &Spanned<T>,
        field: String,
        min: T,
        max: T,
    ) -> Result<T, SimError> {
        let x = *v.get_ref();
        if x < min || x > max {
            return Err(self.err(
                v.span(),
                field,
                format!("must be between {min} and {max}, not {x}"),
            ));
        }
        Ok(x)
    }

    fn duration_ms(&self, v: &Spanned<String>, field: String) -> Result<i64, SimError> {
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
        i64::try_from(d.as_millis()).map_err(|_| self.err(v.span(), field, "duration too long"))
    }
}

pub(super) fn parse(text: &str, origin: &str, short: String) -> Result<Scenario, SimError> {
    let raw: RawScenario = toml::from_str(text).map_err(|e| from_toml(origin, text, &e))?;
    let cx = Ctx { origin, text };

    let mut topics = Vec::new();
    let mut topic_names = BTreeSet::new();
    for (i, t) in raw.topics.iter().enumerate() {
        let path = |k: &str| join_path(&format!("topics[{i}]"), k);
        let name = t.name.get_ref().clone();
        validate_topic_name(&name)
            .map_err(|e| cx.err(t.name.span(), path("name"), e.to_string()))?;
        if !topic_names.insert(name.clone()) {
            return Err(cx.err(
                t.name.span(),
                path("name"),
                format!("topic `{name}` is defined twice"),
            ));
        }
        let partitions = cx.at_least(&t.partitions, path("partitions"), 1, 10_000)?;
        let retention = RetentionPolicy {
            ms: t
                .retention_ms
                .as_ref()
                .map(|v| cx.at_least(v, path("retention_ms"), 1, i64::MAX))
                .transpose()?,
            records: t
                .retention_records
                .as_ref()
                .map(|v| cx.at_least(v, path("retention_records"), 1, u64::MAX))
                .transpose()?,
            bytes: t
                .retention_bytes
                .as_ref()
                .map(|v| cx.at_least(v, path("retention_bytes"), 1, u64::MAX))
                .transpose()?,
        };
        topics.push(TopicSpec {
            name,
            partitions,
            retention,
        });
    }
    let known_topic = |v: &Spanned<String>, field: String| -> Result<String, SimError> {
        if topic_names.contains(v.get_ref()) {
            Ok(v.get_ref().clone())
        } else {
            Err(cx.err(
                v.span(),
                field,
                format!("no topic named `{}` in this scenario", v.get_ref()),
            ))
        }
    };

    let mut producers = Vec::new();
    for (i, p) in raw.producers.iter().enumerate() {
        let path = |k: &str| join_path(&format!("producers[{i}]"), k);
        let mut spec = ProducerSpec::with_defaults(&known_topic(&p.topic, path("topic"))?);
        if let Some(v) = &p.rate {
            spec.rate = cx.positive_f64(v, path("rate"), true)?;
        }
        if let Some(k) = p.keys {
            spec.keys = match k {
                RawKeys::None => KeyDistribution::None,
                RawKeys::Uniform => KeyDistribution::Uniform,
                RawKeys::Zipf => KeyDistribution::Zipf,
                RawKeys::Sequential => KeyDistribution::Sequential,
            };
        }
        if let Some(v) = &p.key_count {
            spec.key_count = cx.at_least(v, path("key_count"), 1, MAX_KEY_COUNT)?;
        }
        if let Some(v) = &p.zipf_s {
            spec.zipf_s = cx.positive_f64(v, path("zipf_s"), true)?;
        }
        if let Some(v) = &p.value_bytes {
            spec.value_bytes = cx.at_least(v, path("value_bytes"), 0, MAX_VALUE_BYTES)?;
        }
        if let Some(h) = p.partitioner {
            spec.partitioner = match h {
                RawPartitioner::Murmur2 => KeyHasher::Murmur2,
                RawPartitioner::Crc32 => KeyHasher::Crc32,
            };
        }
        if let Some(v) = &p.count {
            spec.count = cx.at_least(v, path("count"), 0, MAX_COUNT)?;
        }
        spec.name = p.name.clone();
        producers.push(spec);
    }

    let mut groups = Vec::new();
    let mut group_names = BTreeSet::new();
    for (i, g) in raw.groups.iter().enumerate() {
        let path = |k: &str| join_path(&format!("groups[{i}]"), k);
        let name = g.name.get_ref().clone();
        if name.is_empty() || !group_names.insert(name.clone()) {
            return Err(cx.err(
                g.name.span(),
                path("name"),
                format!("group name `{name}` is empty or defined twice"),
            ));
        }
        if g.topics.get_ref().is_empty() {
            return Err(cx.err(
                g.topics.span(),
                path("topics"),
                "a group must subscribe to at least one topic",
            ));
        }
        for t in g.topics.get_ref() {
            if !topic_names.contains(t) {
                return Err(cx.err(
                    g.topics.span(),
                    path("topics"),
                    format!("no topic named `{t}` in this scenario"),
                ));
            }
        }
        let mut spec = GroupSpec::with_defaults(&name, g.topics.get_ref().clone());
        if let Some(v) = &g.consumers {
            spec.consumers = cx.at_least(v, path("consumers"), 0, MAX_COUNT)?;
        }
        if let Some(v) = &g.process_rate {
            spec.process_rate = cx.positive_f64(v, path("process_rate"), true)?;
        }
        if let Some(v) = &g.max_poll_records {
            spec.max_poll_records = cx.at_least(v, path("max_poll_records"), 1, 1_000_000)?;
        }
        let interval = g
            .commit_interval_ms
            .as_ref()
            .map(|v| cx.at_least(v, path("commit_interval_ms"), 1, 86_400_000))
            .transpose()?
            .unwrap_or(5_000);
        let every = g
            .commit_every
            .as_ref()
            .map(|v| cx.at_least(v, path("commit_every"), 1, u64::MAX))
            .transpose()?
            .unwrap_or(10);
        spec.commit = match g.commit.unwrap_or(RawCommit::Auto) {
            RawCommit::Auto => CommitPolicy::Auto {
                interval_ms: interval,
            },
            RawCommit::EveryPoll => CommitPolicy::EveryPoll,
            RawCommit::EveryN => CommitPolicy::EveryN(every),
        };
        if let Some(a) = g.assignor {
            spec.assignor = match a {
                RawAssignor::Range => AssignorKind::Range,
                RawAssignor::RoundRobin => AssignorKind::RoundRobin,
                RawAssignor::Sticky => AssignorKind::Sticky,
                RawAssignor::CooperativeSticky => AssignorKind::CooperativeSticky,
            };
        }
        if let Some(r) = g.auto_offset_reset {
            spec.auto_offset_reset = match r {
                RawReset::Earliest => AutoOffsetReset::Earliest,
                RawReset::Latest => AutoOffsetReset::Latest,
            };
        }
        if let Some(v) = &g.session_timeout_ms {
            let (min, max) = SESSION_TIMEOUT_RANGE_MS;
            spec.session_timeout_ms =
                cx.at_least(v, path("session_timeout_ms"), min.max(10), max)?;
        }
        groups.push(spec);
    }

    let mut beats: Vec<(i64, usize, &RawBeat)> = Vec::new();
    for (i, b) in raw.timeline.iter().enumerate() {
        let at = cx.duration_ms(&b.at, join_path(&format!("timeline[{i}]"), "at"))?;
        beats.push((at, i, b));
    }
    beats.sort_by_key(|(at, i, _)| (*at, *i));
    let mut timeline = Vec::new();
    for (at_ms, i, b) in beats {
        let command = beat_command(&cx, i, b, &known_topic, &mut group_names)?;
        timeline.push(Beat {
            at_ms,
            command,
            caption: b.caption.clone(),
        });
    }

    Ok(Scenario {
        name: short,
        title: raw.name,
        description: raw.description.trim().to_string(),
        seed: raw.seed,
        topics,
        producers,
        groups,
        timeline,
    })
}

/// Checks one beat against what exists at its time (groups added by earlier beats count).
fn beat_command(
    cx: &Ctx<'_>,
    i: usize,
    b: &RawBeat,
    known_topic: &TopicCheck<'_>,
    groups: &mut BTreeSet<String>,
) -> Result<Command, SimError> {
    let path = |k: &str| join_path(&format!("timeline[{i}]"), k);
    let action = *b.action.get_ref();
    let needs = |field: &str| {
        cx.err(
            b.action.span(),
            path(field),
            format!("action `{}` needs `{field}`", action_label(action)),
        )
    };
    let topic = || -> Result<String, SimError> {
        known_topic(
            b.topic.as_ref().ok_or_else(|| needs("topic"))?,
            path("topic"),
        )
    };
    let group = || -> Result<String, SimError> {
        let g = b.group.as_ref().ok_or_else(|| needs("group"))?;
        if groups.contains(g.get_ref()) {
            Ok(g.get_ref().clone())
        } else {
            Err(cx.err(
                g.span(),
                path("group"),
                format!(
                    "no group named `{}` exists at this point of the scenario",
                    g.get_ref()
                ),
            ))
        }
    };
    let rate = |zero_ok| -> Result<f64, SimError> {
        cx.positive_f64(
            b.rate.as_ref().ok_or_else(|| needs("rate"))?,
            path("rate"),
            zero_ok,
        )
    };
    let factor = || -> Result<f64, SimError> {
        cx.positive_f64(
            b.factor.as_ref().ok_or_else(|| needs("factor"))?,
            path("factor"),
            false,
        )
    };
    Ok(match action {
        RawAction::AddProducer => Command::AddProducer { topic: topic()? },
        RawAction::RemoveProducer => Command::RemoveProducer { topic: topic()? },
        RawAction::SetProducerRate => Command::SetProducerRate {
            topic: topic()?,
            rate: rate(true)?,
        },
        RawAction::ScaleProducerRate => Command::ScaleProducerRate {
            topic: topic()?,
            factor: factor()?,
        },
        RawAction::AddConsumer => Command::AddConsumer { group: group()? },
        RawAction::RemoveConsumer => Command::RemoveConsumer { group: group()? },
        RawAction::CrashConsumer => Command::CrashConsumer { group: group()? },
        RawAction::SetProcessRate => Command::SetProcessRate {
            group: group()?,
            rate: rate(true)?,
        },
        RawAction::ScaleProcessRate => Command::ScaleProcessRate {
            group: group()?,
            factor: factor()?,
        },
        RawAction::PauseGroup => Command::PauseGroup { group: group()? },
        RawAction::ResumeGroup => Command::ResumeGroup { group: group()? },
        RawAction::ResetOffsets => {
            let group = group()?;
            let to = match &b.to {
                None => ResetSpec::Earliest,
                Some(v) => parse_reset(v.get_ref()).ok_or_else(|| {
                    cx.err(
                        v.span(),
                        path("to"),
                        format!(
                            "`{}` is not a reset target; use earliest, latest, offset:N or shift:N",
                            v.get_ref()
                        ),
                    )
                })?,
            };
            Command::ResetOffsets { group, to }
        }
        RawAction::AddGroup => {
            let topics_v = b.topics.as_ref().ok_or_else(|| needs("topics"))?;
            if topics_v.get_ref().is_empty() {
                return Err(cx.err(
                    topics_v.span(),
                    path("topics"),
                    "a group must subscribe to at least one topic",
                ));
            }
            for t in topics_v.get_ref() {
                known_topic(&Spanned::new(topics_v.span(), t.clone()), path("topics"))?;
            }
            let name = match &b.name {
                Some(n) if n.get_ref().is_empty() || groups.contains(n.get_ref()) => {
                    return Err(cx.err(
                        n.span(),
                        path("name"),
                        format!("group name `{}` is empty or already taken", n.get_ref()),
                    ));
                }
                Some(n) => {
                    groups.insert(n.get_ref().clone());
                    Some(n.get_ref().clone())
                }
                None => None,
            };
            Command::AddGroup {
                name,
                topics: topics_v.get_ref().clone(),
            }
        }
    })
}

fn action_label(a: RawAction) -> &'static str {
    match a {
        RawAction::AddConsumer => "add_consumer",
        RawAction::RemoveConsumer => "remove_consumer",
        RawAction::CrashConsumer => "crash_consumer",
        RawAction::AddProducer => "add_producer",
        RawAction::RemoveProducer => "remove_producer",
        RawAction::SetProducerRate => "set_producer_rate",
        RawAction::ScaleProducerRate => "scale_producer_rate",
        RawAction::SetProcessRate => "set_process_rate",
        RawAction::ScaleProcessRate => "scale_process_rate",
        RawAction::ResetOffsets => "reset_offsets",
        RawAction::AddGroup => "add_group",
        RawAction::PauseGroup => "pause_group",
        RawAction::ResumeGroup => "resume_group",
    }
}

/// `earliest`, `latest`, `offset:N` or `shift:N` (negative rewinds).
pub(crate) fn parse_reset(s: &str) -> Option<ResetSpec> {
    let s = s.trim();
    match s {
        "earliest" => Some(ResetSpec::Earliest),
        "latest" => Some(ResetSpec::Latest),
        _ => {
            let (kind, n) = s.split_once(':')?;
            let n: i64 = n.trim().parse().ok()?;
            match kind.trim() {
                "offset" => Some(ResetSpec::ToOffset(n)),
                "shift" => Some(ResetSpec::ShiftBy(n)),
                _ => None,
            }
        }
    }
}
