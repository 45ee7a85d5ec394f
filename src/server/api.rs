//! Request handlers, one file per API, run against the shared broker without any I/O.
//!
//! A handler either answers at once ([`Outcome::Reply`]), sends nothing (Produce with
//! acks=0), or returns a [`Waiter`] for a request that must wait for other clients: the
//! transport re-polls it whenever the signal it names fires, and expires it at its deadline.

pub mod api_versions;
mod create_topics;
mod delete_topics;
mod describe_groups;
mod fetch;
mod find_coordinator;
mod heartbeat;
mod init_producer_id;
mod join_group;
mod leave_group;
mod list_groups;
mod list_offsets;
mod metadata;
mod offset_commit;
mod offset_fetch;
mod produce;
mod sync_group;
pub mod unsupported;

use kafka_protocol::protocol::StrBytes;

use super::codec::{Frame, Request, Response};
use crate::broker::{BrokerError, SharedBroker, TopicConfig};

/// Kafka error codes the handlers use that the broker's vocabulary does not produce.
pub mod codes {
    pub const NONE: i16 = 0;
    pub const CORRUPT_MESSAGE: i16 = 2;
    pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
    pub const MESSAGE_TOO_LARGE: i16 = 10;
    pub const UNSUPPORTED_COMPRESSION_TYPE: i16 = 76;
    pub const INVALID_REPLICATION_FACTOR: i16 = 38;
    pub const UNSUPPORTED_VERSION: i16 = 35;
    pub const INVALID_REQUEST: i16 = 42;
    pub const INVALID_CONFIG: i16 = 40;
    pub const REBALANCE_IN_PROGRESS: i16 = 27;
    pub const UNKNOWN_MEMBER_ID: i16 = 25;
    pub const MEMBER_ID_REQUIRED: i16 = 79;
    pub const UNKNOWN_TOPIC_ID: i16 = 100;
    /// TRANSACTIONAL_ID_AUTHORIZATION_FAILED: the closest refusal a client reports clearly.
    pub const TRANSACTIONS_UNSUPPORTED: i16 = 53;
}

/// What the handlers need to know about the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub auto_create_topics: bool,
    pub default_partitions: u32,
    /// The host and port clients are told to connect to (Metadata, FindCoordinator).
    pub host: String,
    pub port: i32,
    /// See [`crate::broker::JoinGroupRequest::initial_rebalance_delay_ms`].
    pub initial_rebalance_delay_ms: i64,
    /// See [`crate::server::ServerConfig::max_decoded_bytes`].
    pub max_decoded_bytes: usize,
}

/// What a request changed, for the signals and the client registry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Effects {
    pub produced_records: u64,
    pub produced_bytes: u64,
    pub fetched_records: u64,
    pub fetched_bytes: u64,
    /// Group membership or state changed: waiting joins and syncs should look again.
    pub groups_changed: bool,
}

/// One request's view of the world.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub broker: &'a SharedBroker,
    pub settings: &'a Settings,
    /// Wall-clock milliseconds, the broker's time for network clients.
    pub now_ms: i64,
    pub client_id: &'a str,
    /// The request's API version.
    pub version: i16,
    pub effects: Effects,
}

/// Which change can complete a waiting request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    Appends,
    Groups,
}

/// How a request was answered.
#[derive(Debug)]
pub enum Outcome {
    Reply(Response),
    /// Produce with acks=0: the client expects no response at all.
    NoReply,
    Wait(Waiter),
}

#[derive(Debug)]
enum WaitKind {
    Fetch(fetch::FetchWait),
    Join(join_group::JoinWait),
    Sync(sync_group::SyncWait),
}

/// A request parked until another client acts (or its deadline passes).
#[derive(Debug)]
pub struct Waiter {
    kind: WaitKind,
    deadline_ms: i64,
}

impl Waiter {
    /// The signal whose change may complete this request.
    pub fn wakes_on(&self) -> Wake {
        match self.kind {
            WaitKind::Fetch(_) => Wake::Appends,
            WaitKind::Join(_) | WaitKind::Sync(_) => Wake::Groups,
        }
    }

    /// When to give up waiting, in the same wall-clock milliseconds as [`Ctx::now_ms`].
    pub fn deadline_ms(&self) -> i64 {
        self.deadline_ms
    }

    /// The response, if the request can complete now.
    pub fn poll(&mut self, ctx: &mut Ctx<'_>) -> Option<Response> {
        match &mut self.kind {
            WaitKind::Fetch(w) => w.poll(ctx),
            WaitKind::Join(w) => w.poll(ctx),
            WaitKind::Sync(w) => w.poll(ctx),
        }
    }

    /// The response once the deadline has passed.
    pub fn expire(mut self, ctx: &mut Ctx<'_>) -> Response {
        match &mut self.kind {
            WaitKind::Fetch(w) => w.complete(ctx),
            WaitKind::Join(w) => w.poll(ctx).unwrap_or_else(|| w.timed_out(ctx)),
            WaitKind::Sync(w) => w.poll(ctx).unwrap_or_else(|| w.timed_out()),
        }
    }
}

/// Answers a decoded frame: implemented versions are dispatched, and versions beyond what
/// ApiVersions advertised get UNSUPPORTED_VERSION.
pub fn answer(ctx: &mut Ctx<'_>, frame: Frame) -> Outcome {
    if frame.supported {
        dispatch(ctx, frame.body)
    } else {
        unsupported::respond(frame.body)
    }
}

/// Answers one decoded request of a version we implement.
pub fn dispatch(ctx: &mut Ctx<'_>, request: Request) -> Outcome {
    let reply = match request {
        Request::ApiVersions(r) => api_versions::handle(ctx, &r),
        Request::ApiVersionsTooNew => api_versions::too_new(),
        Request::Metadata(r) => metadata::handle(ctx, r),
        Request::Produce(r) => return produce::handle(ctx, r),
        Request::Fetch(r) => return fetch::handle(ctx, r),
        Request::ListOffsets(r) => list_offsets::handle(ctx, r),
        Request::FindCoordinator(r) => find_coordinator::handle(ctx, r),
        Request::JoinGroup(r) => return join_group::handle(ctx, r),
        Request::SyncGroup(r) => return sync_group::handle(ctx, r),
        Request::Heartbeat(r) => heartbeat::handle(ctx, &r),
        Request::LeaveGroup(r) => leave_group::handle(ctx, r),
        Request::OffsetCommit(r) => offset_commit::handle(ctx, r),
        Request::OffsetFetch(r) => offset_fetch::handle(ctx, r),
        Request::CreateTopics(r) => create_topics::handle(ctx, r),
        Request::DeleteTopics(r) => delete_topics::handle(ctx, r),
        Request::DescribeGroups(r) => describe_groups::handle(ctx, r),
        Request::ListGroups(r) => list_groups::handle(ctx, &r),
        Request::InitProducerId(r) => init_producer_id::handle(ctx, &r),
    };
    Outcome::Reply(reply)
}

fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

/// A protocol partition index as the broker's `u32`, or the error a client expects.
fn partition_index(topic: &str, index: i32) -> Result<u32, BrokerError> {
    u32::try_from(index).map_err(|_| BrokerError::UnknownPartition {
        topic: topic.to_string(),
        partition: u32::MAX,
    })
}

/// Creates `topic` on first use when allowed; otherwise a missing topic is `UnknownTopic`.
fn ensure_topic(ctx: &Ctx<'_>, topic: &str) -> Result<(), BrokerError> {
    if ctx.broker.read().topic(topic).is_some() {
        return Ok(());
    }
    if !ctx.settings.auto_create_topics {
        return Err(BrokerError::UnknownTopic(topic.to_string()));
    }
    ctx.broker
        .write()
        .create_topic_if_not_exists(
            topic,
            TopicConfig::new(ctx.settings.default_partitions),
            ctx.now_ms,
        )
        .map(|_| ())
}

#[cfg(test)]
pub(crate) mod testing {
    //! A broker and context for handler unit tests.
    use super::*;

    pub fn settings() -> Settings {
        Settings {
            auto_create_topics: true,
            default_partitions: 3,
            host: "127.0.0.1".to_string(),
            port: 9092,
            initial_rebalance_delay_ms: 0,
            max_decoded_bytes: 1 << 20,
        }
    }

    pub fn ctx<'a>(broker: &'a SharedBroker, settings: &'a Settings, version: i16) -> Ctx<'a> {
        Ctx {
            broker,
            settings,
            now_ms: 1_000,
            client_id: "test-client",
            version,
            effects: Effects::default(),
        }
    }

    pub fn reply(outcome: Outcome) -> Response {
        match outcome {
            Outcome::Reply(r) => r,
            other => panic!("expected an immediate reply, got {other:?}"),
        }
    }
}
