//! The TCP transport: accept loop, one task per connection, and the group timer.
//!
//! A connection reads one frame, answers it, then reads the next, so responses leave in
//! request order. A waiting request parks only its own task. No broker lock is held
//! across an `.await`: handlers take and release the lock inside synchronous calls.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::SemaphorePermit;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep, timeout, timeout_at};

use super::api::{Effects, Outcome, RequestContext, Settings, Waiter, Wake, answer, client_host};
use super::codec::{Frame, Response, decode_request, encode_response, frame_len};
use super::stats::{ServerStats, Traffic};
use super::{Listener, ServerError, Shared};
use crate::broker::BrokerId;

/// How often the timer expires lapsed sessions and rolls the rate window.
const TICK_EVERY: Duration = Duration::from_millis(100);
const IO_BUFFER: usize = 64 * 1024;
/// How often each listener looks whether its broker went down or came back.
const STATE_CHECK_EVERY: Duration = Duration::from_millis(50);

pub(super) async fn run<F>(
    listeners: Vec<Listener>,
    shared: Arc<Shared>,
    shutdown: F,
) -> Result<(), ServerError>
where
    F: std::future::Future<Output = ()>,
{
    let mut tasks = JoinSet::new();
    tasks.spawn(timer(shared.clone()));
    for listener in listeners {
        tasks.spawn(broker_listener(listener, shared.clone()));
    }
    shutdown.await;
    // Each listener's connections are in its own set, aborted when the listener's task is.
    tasks.shutdown().await;
    shared
        .stats
        .log((shared.clock)(), "server stopped".to_string());
    Ok(())
}

/// Serves one broker's port while the broker is up. When it crashes or stops, its listener
/// closes and its connections drop, as a dead broker's would; when it comes back, the
/// listener opens again on the same address.
async fn broker_listener(listener: Listener, shared: Arc<Shared>) {
    let Listener { id, addr, socket } = listener;
    let mut socket = Some(socket);
    let mut connections = JoinSet::new();
    let mut check = tokio::time::interval(STATE_CHECK_EVERY);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let up = shared.broker.read().cluster().is_up(id);
        if !up && socket.is_some() {
            socket = None;
            let dropped = connections.len();
            connections.shutdown().await;
            shared.stats.log(
                (shared.clock)(),
                format!("broker {id} is down: {addr} closed, {dropped} connection(s) dropped"),
            );
        } else if up && socket.is_none() {
            match TcpListener::bind(addr).await {
                Ok(s) => {
                    socket = Some(s);
                    let note = format!("broker {id} is up: listening on {addr} again");
                    shared.stats.log((shared.clock)(), note);
                }
                // Someone else took the port meanwhile: try again at the next check.
                Err(e) => {
                    let note = format!("broker {id} cannot listen on {addr} again: {e}");
                    shared.stats.log((shared.clock)(), note);
                }
            }
        }
        tokio::select! {
            _ = check.tick() => {}
            accepted = accept(socket.as_ref()) => match accepted {
                Ok((stream, peer)) => admit(stream, peer, id, &shared, &mut connections),
                // Out of file descriptors and the like: back off rather than spin.
                Err(e) => {
                    shared.stats.log((shared.clock)(), format!("accept failed: {e}"));
                    sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next() => {}
        }
    }
}

/// The next connection on `socket`; never, while the broker is down.
async fn accept(socket: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match socket {
        Some(s) => s.accept().await,
        None => std::future::pending().await,
    }
}

/// Starts serving an accepted connection to broker `id`, unless the server is full.
fn admit(
    stream: TcpStream,
    peer: SocketAddr,
    id: BrokerId,
    shared: &Arc<Shared>,
    connections: &mut JoinSet<()>,
) {
    let now = (shared.clock)();
    if shared.stats.connections() >= shared.config.max_connections {
        shared.stats.log(
            now,
            format!(
                "refused {peer}: already {} connections (the maximum)",
                shared.config.max_connections
            ),
        );
        drop(stream);
        return;
    }
    let count = shared.stats.connection_opened();
    // Created here so the count drops even if the task is aborted unstarted.
    let open = Open {
        stats: shared.stats.clone(),
        client_id: None,
    };
    let to = if shared.brokers.len() > 1 {
        format!(" to broker {id}")
    } else {
        String::new()
    };
    shared
        .stats
        .log(now, format!("connection from {peer}{to} ({count} open)"));
    connections.spawn(connection(stream, peer, id, shared.clone(), open));
}

/// Expires lapsed group sessions and replicates on the broker's clock, and wakes the waits
/// that depend on them. An embedding app that drives the broker itself turns this off
/// ([`ServerConfig::tick_groups`]).
async fn timer(shared: Arc<Shared>) {
    let mut every = tokio::time::interval(TICK_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        every.tick().await;
        let now = (shared.clock)();
        if shared.config.tick_groups {
            let mut broker = shared.broker.write();
            let changed = broker.tick(now);
            let replicated = broker.replicate(now);
            drop(broker);
            if changed || replicated.changed {
                shared.groups.bump();
            }
            if replicated.high_watermark_moved {
                shared.appended.bump();
            }
        }
        shared.stats.roll_window(now);
    }
}

/// Decrements the connection counts however the connection task ends (even when aborted).
struct Open {
    stats: ServerStats,
    client_id: Option<String>,
}

impl Drop for Open {
    fn drop(&mut self) {
        self.stats.connection_closed(self.client_id.as_deref());
    }
}

fn apply(shared: &Shared, client_id: &str, effects: &mut Effects) {
    if effects.produced_records > 0 {
        shared.appended.bump();
    }
    if effects.groups_changed {
        shared.groups.bump();
    }
    shared.stats.record(
        client_id,
        Traffic {
            produced_records: effects.produced_records,
            produced_bytes: effects.produced_bytes,
            fetched_records: effects.fetched_records,
            fetched_bytes: effects.fetched_bytes,
        },
    );
    *effects = Effects::default();
}

/// Why a wait ended without a response.
struct PeerGone;

async fn wait(
    mut waiter: Waiter,
    ctx: &mut RequestContext<'_>,
    shared: &Shared,
    reader: &mut Reader,
) -> Result<Response, PeerGone> {
    let (signal, cap) = match waiter.wakes_on() {
        Wake::Appends => (&shared.appended, shared.config.max_fetch_wait),
        // An acks=all produce waits for the high watermark, which moves with appends and
        // replication alike; the request's own timeout bounds it.
        Wake::HighWatermark => (&shared.appended, shared.config.request_timeout),
        Wake::Groups => (&shared.groups, shared.config.max_group_wait),
    };
    // Whatever the client asked for, no request holds its connection past the cap.
    let deadline_ms = waiter
        .deadline_ms()
        .min(ctx.now_ms.saturating_add(millis(cap)));
    // Subscribed before the next poll, so a change between poll and wait is not missed.
    let mut changes = signal.subscribe();
    let gone = peer_gone(reader);
    tokio::pin!(gone);
    loop {
        changes.borrow_and_update();
        ctx.now_ms = (shared.clock)();
        if let Some(response) = waiter.poll(ctx) {
            return Ok(response);
        }
        let left = deadline_ms - ctx.now_ms;
        if left <= 0 {
            return Ok(waiter.expire(ctx));
        }
        tokio::select! {
            _ = changes.changed() => {}
            () = sleep(Duration::from_millis(left as u64)) => {}
            () = &mut gone => return Err(PeerGone),
        }
    }
}

/// Resolves once the peer closes its connection (or the connection fails) while one of its
/// requests waits, so an abandoned wait frees its slot at once. Bytes that arrive instead
/// (a pipelined request) stay buffered for the next read, and the watch stops there: the
/// wait's capped deadline still bounds it.
async fn peer_gone(reader: &mut Reader) {
    if reader.buffer().is_empty() {
        match reader.fill_buf().await {
            Ok([]) | Err(_) => return,
            Ok(_) => {}
        }
    }
    std::future::pending().await
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Why a connection ended, for the log.
enum Closed {
    ByPeer,
    Idle,
    /// A request started but did not arrive whole within the request timeout.
    SlowRequest,
    /// A response was not taken off our hands within the request timeout.
    SlowReader,
    /// The in-flight request budget stayed spent for the whole request timeout.
    NoBudget(usize),
    Error(String),
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    id: BrokerId,
    shared: Arc<Shared>,
    mut open: Open,
) {
    let closed = serve(stream, &client_host(peer), id, &shared, &mut open).await;
    let now = (shared.clock)();
    let who = open.client_id.as_deref().unwrap_or("?");
    let timeout = humantime::format_duration(shared.config.request_timeout);
    let text = match closed {
        Closed::ByPeer => format!("{peer} ({who}) disconnected"),
        Closed::Idle => format!("{peer} ({who}) closed after idle timeout"),
        Closed::SlowRequest => {
            format!("{peer} ({who}) closed: a request took longer than {timeout} to arrive")
        }
        Closed::SlowReader => {
            format!("{peer} ({who}) closed: a response went unread for {timeout}")
        }
        Closed::NoBudget(len) => format!(
            "{peer} ({who}) closed: no room for a {len}-byte request within {timeout} \
             (other requests hold the in-flight budget)"
        ),
        Closed::Error(e) => format!("{peer} ({who}) closed: {e}"),
    };
    shared.stats.log(now, text);
}

type Reader = BufReader<OwnedReadHalf>;

fn settings(stream: &TcpStream, shared: &Shared) -> std::io::Result<Settings> {
    let local = stream.local_addr()?;
    let config = &shared.config;
    Ok(Settings {
        auto_create_topics: config.auto_create_topics,
        default_partitions: config.default_partitions,
        // Tell clients to come back the way they came in.
        host: local.ip().to_string(),
        port: i32::from(local.port()),
        initial_rebalance_delay_ms: millis(config.initial_rebalance_delay),
        max_decoded_bytes: config.max_decoded_bytes,
        ports: (shared.brokers.iter())
            .map(|&(id, addr)| (id, i32::from(addr.port())))
            .collect(),
    })
}

async fn serve(
    stream: TcpStream,
    host: &str,
    id: BrokerId,
    shared: &Shared,
    open: &mut Open,
) -> Closed {
    // Small responses (acks, heartbeats) must not wait for Nagle.
    let _ = stream.set_nodelay(true);
    let settings = match settings(&stream, shared) {
        Ok(s) => s,
        Err(e) => return Closed::Error(e.to_string()),
    };
    let (rd, wr) = stream.into_split();
    let mut reader = BufReader::with_capacity(IO_BUFFER, rd);
    let mut writer = BufWriter::with_capacity(IO_BUFFER, wr);
    let mut out = BytesMut::with_capacity(IO_BUFFER);
    loop {
        // Pipelined requests already buffered get their responses written together.
        if reader.buffer().is_empty()
            && let Err(closed) = write_within(shared, writer.flush()).await
        {
            return closed;
        }
        // Between requests only the idle timeout applies; from a request's first byte on,
        // all of it must arrive within the request timeout, however it trickles in.
        match timeout(shared.config.idle_timeout, reader.fill_buf()).await {
            Err(_) => return Closed::Idle,
            Ok(Ok([])) => return Closed::ByPeer,
            Ok(Err(e)) => return Closed::Error(format!("read failed: {e}")),
            Ok(Ok(_)) => {}
        }
        let deadline = Instant::now() + shared.config.request_timeout;
        let (frame, _budget) = match read_request(&mut reader, shared, deadline).await {
            Ok(read) => read,
            Err(closed) => return closed,
        };
        let frame = match decode_request(frame) {
            Ok(f) => f,
            Err(e) => return Closed::Error(e.to_string()),
        };
        shared.stats.request_received(frame.api_key as i16);
        let client_id = open.client_id.get_or_insert_with(|| {
            let id = frame.client_id.clone().unwrap_or_default();
            shared.stats.client_identified(&id);
            id
        });
        let (api, version, correlation_id) = (
            frame.api_key,
            frame.response_version(),
            frame.correlation_id,
        );
        let to = Peer {
            client_id,
            client_host: host,
            broker_id: id,
        };
        let response = match respond(frame, shared, &settings, to, &mut reader).await {
            Ok(Some(response)) => response,
            Ok(None) => continue,
            Err(PeerGone) => return Closed::ByPeer,
        };
        out.clear();
        if let Err(e) = encode_response(api, version, correlation_id, &response, &mut out) {
            return Closed::Error(e.to_string());
        }
        if let Err(closed) = write_within(shared, writer.write_all(&out)).await {
            return closed;
        }
    }
}

/// Who sent a request, and to which broker.
struct Peer<'a> {
    client_id: &'a str,
    client_host: &'a str,
    broker_id: BrokerId,
}

/// Answers one frame, waiting first if the request must, and applies what it changed.
async fn respond(
    frame: Frame,
    shared: &Shared,
    settings: &Settings,
    peer: Peer<'_>,
    reader: &mut Reader,
) -> Result<Option<Response>, PeerGone> {
    let client_id = peer.client_id;
    let mut ctx = RequestContext {
        broker: &shared.broker,
        settings,
        now_ms: (shared.clock)(),
        client_id,
        client_host: peer.client_host,
        broker_id: peer.broker_id,
        version: frame.version,
        effects: Effects::default(),
    };
    let response = match answer(&mut ctx, frame) {
        Outcome::Reply(r) => Some(r),
        Outcome::NoReply => None,
        Outcome::Wait(waiter) => {
            apply(shared, client_id, &mut ctx.effects);
            Some(wait(waiter, &mut ctx, shared, reader).await?)
        }
    };
    apply(shared, client_id, &mut ctx.effects);
    Ok(response)
}

/// A write that must finish within the request timeout: a client that stops reading
/// would otherwise hold its connection (and its slot) forever.
async fn write_within(
    shared: &Shared,
    write: impl Future<Output = std::io::Result<()>>,
) -> Result<(), Closed> {
    match timeout(shared.config.request_timeout, write).await {
        Err(_) => Err(Closed::SlowReader),
        Ok(Err(e)) => Err(Closed::Error(format!("write failed: {e}"))),
        Ok(Ok(())) => Ok(()),
    }
}

/// Reads one length-prefixed request by `deadline`. A request larger than [`IO_BUFFER`]
/// first takes its size from the in-flight budget shared by all connections, and gives it
/// back when the returned permit drops (after its response is written); the buffer grows
/// as bytes arrive rather than being allocated at the size the prefix claims.
async fn read_request<'s>(
    reader: &mut Reader,
    shared: &'s Shared,
    deadline: Instant,
) -> Result<(Bytes, Option<SemaphorePermit<'s>>), Closed> {
    let mut prefix = [0u8; 4];
    match timeout_at(deadline, reader.read_exact(&mut prefix)).await {
        Err(_) => return Err(Closed::SlowRequest),
        Ok(Err(e)) => return Err(Closed::Error(format!("read failed mid-request: {e}"))),
        Ok(Ok(_)) => {}
    }
    let len = frame_len(prefix, shared.config.max_request_bytes)
        .map_err(|e| Closed::Error(e.to_string()))?;
    let permit = if len > IO_BUFFER {
        // A frame length fits an i32, so it fits the semaphore's u32.
        let acquire = shared.inflight.acquire_many(len as u32);
        match timeout_at(deadline, acquire).await {
            Err(_) => return Err(Closed::NoBudget(len)),
            Ok(Err(e)) => return Err(Closed::Error(e.to_string())),
            Ok(Ok(permit)) => Some(permit),
        }
    } else {
        None
    };
    let mut frame: Vec<u8> = Vec::with_capacity(len.min(IO_BUFFER));
    while frame.len() < len {
        if frame.len() == frame.capacity() {
            // Doubling: what is held stays within twice what arrived.
            frame.reserve_exact((len - frame.len()).min(frame.len()));
        }
        // Read straight into spare capacity: zeroing a large frame first costs a memset.
        let want = (frame.capacity() - frame.len()) as u64;
        match timeout_at(deadline, (&mut *reader).take(want).read_buf(&mut frame)).await {
            Err(_) => return Err(Closed::SlowRequest),
            Ok(Ok(0)) => return Err(Closed::Error("closed mid-request".to_string())),
            Ok(Err(e)) => return Err(Closed::Error(format!("read failed mid-request: {e}"))),
            Ok(Ok(_)) => {}
        }
    }
    Ok((Bytes::from(frame), permit))
}
