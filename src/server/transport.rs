//! The TCP transport: accept loop, one task per connection, and the group timer.
//!
//! A connection reads one frame, answers it, then reads the next, so responses leave in
//! request order. A waiting request parks only its own task. No broker lock is held
//! across an `.await`: handlers take and release the lock inside synchronous calls.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::{sleep, timeout};

use super::api::{Effects, Outcome, RequestContext, Settings, Waiter, Wake, answer};
use super::codec::{Frame, Response, decode_request, encode_response, frame_len};
use super::stats::{ServerStats, Traffic};
use super::{ServerError, Shared};

/// How often the timer expires lapsed sessions and rolls the rate window.
const TICK_EVERY: Duration = Duration::from_millis(100);
const IO_BUFFER: usize = 64 * 1024;

pub(super) async fn run<F>(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: F,
) -> Result<(), ServerError>
where
    F: std::future::Future<Output = ()>,
{
    let mut tasks = JoinSet::new();
    tasks.spawn(timer(shared.clone()));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let now = (shared.clock)();
                    if shared.stats.connections() >= shared.config.max_connections {
                        shared.stats.log(now, format!(
                            "refused {peer}: already {} connections (the maximum)",
                            shared.config.max_connections
                        ));
                        drop(stream);
                        continue;
                    }
                    let count = shared.stats.connection_opened();
                    // Created here so the count drops even if the task is aborted unstarted.
                    let open = Open {
                        stats: shared.stats.clone(),
                        client_id: None,
                    };
                    shared.stats.log(now, format!("connection from {peer} ({count} open)"));
                    tasks.spawn(connection(stream, peer, shared.clone(), open));
                }
                // Out of file descriptors and the like: back off rather than spin.
                Err(e) => {
                    shared.stats.log((shared.clock)(), format!("accept failed: {e}"));
                    sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = tasks.join_next() => {}
        }
    }
    tasks.shutdown().await;
    shared
        .stats
        .log((shared.clock)(), "server stopped".to_string());
    Ok(())
}

/// Expires lapsed group sessions on the broker's clock and wakes the waits that depend on it.
async fn timer(shared: Arc<Shared>) {
    let mut every = tokio::time::interval(TICK_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        every.tick().await;
        let now = (shared.clock)();
        if shared.config.tick_groups {
            let changed = shared.broker.write().tick(now);
            if changed {
                shared.groups.bump();
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

async fn wait(mut waiter: Waiter, ctx: &mut RequestContext<'_>, shared: &Shared) -> Response {
    let signal = match waiter.wakes_on() {
        Wake::Appends => &shared.appended,
        Wake::Groups => &shared.groups,
    };
    // Subscribed before the next poll, so a change between poll and wait is not missed.
    let mut changes = signal.subscribe();
    loop {
        changes.borrow_and_update();
        ctx.now_ms = (shared.clock)();
        if let Some(response) = waiter.poll(ctx) {
            return response;
        }
        let left = waiter.deadline_ms() - ctx.now_ms;
        if left <= 0 {
            return waiter.expire(ctx);
        }
        tokio::select! {
            _ = changes.changed() => {}
            () = sleep(Duration::from_millis(left as u64)) => {}
        }
    }
}

/// Why a connection ended, for the log.
enum Closed {
    ByPeer,
    Idle,
    Error(String),
}

async fn connection(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>, mut open: Open) {
    let closed = serve(stream, &shared, &mut open).await;
    let now = (shared.clock)();
    let who = open.client_id.as_deref().unwrap_or("?");
    let text = match closed {
        Closed::ByPeer => format!("{peer} ({who}) disconnected"),
        Closed::Idle => format!("{peer} ({who}) closed after idle timeout"),
        Closed::Error(e) => format!("{peer} ({who}) closed: {e}"),
    };
    shared.stats.log(now, text);
}

async fn serve(stream: TcpStream, shared: &Shared, open: &mut Open) -> Closed {
    // Small responses (acks, heartbeats) must not wait for Nagle.
    let _ = stream.set_nodelay(true);
    let settings = match stream.local_addr() {
        Ok(local) => Settings {
            auto_create_topics: shared.config.auto_create_topics,
            default_partitions: shared.config.default_partitions,
            // Tell clients to come back the way they came in.
            host: local.ip().to_string(),
            port: i32::from(local.port()),
            initial_rebalance_delay_ms: shared.config.initial_rebalance_delay.as_millis() as i64,
        },
        Err(e) => return Closed::Error(e.to_string()),
    };
    let (rd, wr) = stream.into_split();
    let mut reader = BufReader::with_capacity(IO_BUFFER, rd);
    let mut writer = BufWriter::with_capacity(IO_BUFFER, wr);
    let idle = shared.config.idle_timeout;
    let mut out = BytesMut::with_capacity(IO_BUFFER);
    loop {
        // Pipelined requests already buffered get their responses written together.
        if reader.buffer().is_empty()
            && let Err(e) = writer.flush().await
        {
            return Closed::Error(format!("write failed: {e}"));
        }
        let mut prefix = [0u8; 4];
        match timeout(idle, reader.read_exact(&mut prefix)).await {
            Err(_) => return Closed::Idle,
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Closed::ByPeer,
            Ok(Err(e)) => return Closed::Error(format!("read failed: {e}")),
            Ok(Ok(_)) => {}
        }
        let len = match frame_len(prefix, shared.config.max_request_bytes) {
            Ok(len) => len,
            Err(e) => return Closed::Error(e.to_string()),
        };
        // Read straight into spare capacity: zeroing a large frame first costs a memset.
        let mut frame = BytesMut::with_capacity(len);
        while frame.len() < len {
            let want = (len - frame.len()) as u64;
            match timeout(idle, (&mut reader).take(want).read_buf(&mut frame)).await {
                Err(_) => return Closed::Idle,
                Ok(Ok(0)) => return Closed::Error("closed mid-request".to_string()),
                Ok(Err(e)) => return Closed::Error(format!("read failed mid-request: {e}")),
                Ok(Ok(_)) => {}
            }
        }
        let frame = match decode_request(frame.freeze()) {
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
        let Some(response) = respond(frame, shared, &settings, client_id).await else {
            continue;
        };
        out.clear();
        if let Err(e) = encode_response(api, version, correlation_id, &response, &mut out) {
            return Closed::Error(e.to_string());
        }
        if let Err(e) = writer.write_all(&out).await {
            return Closed::Error(format!("write failed: {e}"));
        }
    }
}

/// Answers one frame, waiting first if the request must, and applies what it changed.
async fn respond(
    frame: Frame,
    shared: &Shared,
    settings: &Settings,
    client_id: &str,
) -> Option<Response> {
    let mut ctx = RequestContext {
        broker: &shared.broker,
        settings,
        now_ms: (shared.clock)(),
        client_id,
        version: frame.version,
        effects: Effects::default(),
    };
    let response = match answer(&mut ctx, frame) {
        Outcome::Reply(r) => Some(r),
        Outcome::NoReply => None,
        Outcome::Wait(waiter) => {
            apply(shared, client_id, &mut ctx.effects);
            Some(wait(waiter, &mut ctx, shared).await)
        }
    };
    apply(shared, client_id, &mut ctx.effects);
    response
}
