//! The client registry: who is connected, by `client.id`, and how fast they produce and fetch.
//! A UI reads it through [`ServerStats::snapshot`]; connections write it once per request.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::printable::{Printable, needs_escape};

/// How many log lines the registry keeps for a UI.
const LOG_CAPACITY: usize = 200;

/// Totals and rates for one `client.id` (all its connections together).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientStats {
    /// The `client.id` the connections gave.
    pub client_id: String,
    /// Connections open now.
    pub connections: usize,
    /// Requests answered.
    pub requests: u64,
    /// Records produced.
    pub produced_records: u64,
    /// Bytes produced.
    pub produced_bytes: u64,
    /// Records fetched.
    pub fetched_records: u64,
    /// Bytes fetched.
    pub fetched_bytes: u64,
    /// Records per second produced over the last completed one-second window.
    pub produce_rate: f64,
    /// Records per second fetched over the last completed one-second window.
    pub fetch_rate: f64,
    // Totals at the start of the current window, to compute the rates.
    window_produced: u64,
    window_fetched: u64,
}

/// One line of the server's log: connections, disconnections, protocol errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Wall-clock time of the line.
    pub at_ms: i64,
    /// The line, printable.
    pub text: String,
}

/// A copy of the registry at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsSnapshot {
    /// The address the server listens on.
    pub listen: SocketAddr,
    /// Connections open now.
    pub connections: usize,
    /// Clients sorted by `client.id`; a client stays listed after it disconnects.
    pub clients: Vec<ClientStats>,
    /// Most recent last.
    pub log: Vec<LogLine>,
}

#[derive(Debug)]
struct Registry {
    connections: usize,
    clients: BTreeMap<String, ClientStats>,
    log: VecDeque<LogLine>,
    window_start_ms: Option<i64>,
    /// Requests received, by API key: what proves an observer only reads.
    by_api: BTreeMap<i16, u64>,
}

/// A shared, read-mostly handle on the registry.
#[derive(Debug, Clone)]
pub struct ServerStats {
    listen: SocketAddr,
    log_to_stderr: bool,
    inner: Arc<Mutex<Registry>>,
}

/// What one request did, added to its client's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Traffic {
    pub produced_records: u64,
    pub produced_bytes: u64,
    pub fetched_records: u64,
    pub fetched_bytes: u64,
}

impl ServerStats {
    pub(crate) fn new(listen: SocketAddr, log_to_stderr: bool) -> Self {
        ServerStats {
            listen,
            log_to_stderr,
            inner: Arc::new(Mutex::new(Registry {
                connections: 0,
                clients: BTreeMap::new(),
                log: VecDeque::with_capacity(LOG_CAPACITY),
                window_start_ms: None,
                by_api: BTreeMap::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        // Counters stay meaningful even if a holder panicked mid-update.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The address the server is bound to.
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
    }

    /// Open connections right now.
    pub fn connections(&self) -> usize {
        self.lock().connections
    }

    /// The clients, sorted by `client.id`: what a UI draws each frame, without the log.
    pub fn clients(&self) -> Vec<ClientStats> {
        self.lock().clients.values().cloned().collect()
    }

    /// Open connections and requests served so far: it changes whenever a client does
    /// anything, so a UI can redraw only then.
    pub fn activity(&self) -> (usize, u64) {
        let r = self.lock();
        (r.connections, r.clients.values().map(|c| c.requests).sum())
    }

    /// A consistent copy of everything, taken under one lock.
    pub fn snapshot(&self) -> StatsSnapshot {
        let r = self.lock();
        StatsSnapshot {
            listen: self.listen,
            connections: r.connections,
            clients: r.clients.values().cloned().collect(),
            log: r.log.iter().cloned().collect(),
        }
    }

    /// Requests received so far, by API key (decoded frames only).
    pub fn requests_by_api(&self) -> BTreeMap<i16, u64> {
        self.lock().by_api.clone()
    }

    pub(crate) fn request_received(&self, api_key: i16) {
        *self.lock().by_api.entry(api_key).or_default() += 1;
    }

    /// Adds a line to the log (and stderr when asked). Lines carry client-supplied text
    /// (`client.id`), so they are escaped here, the one place every line passes through.
    pub(crate) fn log(&self, now_ms: i64, text: String) {
        let text = if text.chars().any(needs_escape) {
            Printable(&text).to_string()
        } else {
            text
        };
        if self.log_to_stderr {
            eprintln!("{text}");
        }
        let mut r = self.lock();
        if r.log.len() == LOG_CAPACITY {
            r.log.pop_front();
        }
        r.log.push_back(LogLine {
            at_ms: now_ms,
            text,
        });
    }

    pub(crate) fn connection_opened(&self) -> usize {
        let mut r = self.lock();
        r.connections += 1;
        r.connections
    }

    pub(crate) fn connection_closed(&self, client_id: Option<&str>) {
        let mut r = self.lock();
        r.connections = r.connections.saturating_sub(1);
        if let Some(c) = client_id.and_then(|id| r.clients.get_mut(id)) {
            c.connections = c.connections.saturating_sub(1);
        }
    }

    /// A connection said who it is (its first request's `client.id`).
    pub(crate) fn client_identified(&self, client_id: &str) {
        let mut r = self.lock();
        let c = r
            .clients
            .entry(client_id.to_string())
            .or_insert_with(|| ClientStats {
                client_id: client_id.to_string(),
                ..ClientStats::default()
            });
        c.connections += 1;
    }

    pub(crate) fn record(&self, client_id: &str, t: Traffic) {
        let mut r = self.lock();
        if let Some(c) = r.clients.get_mut(client_id) {
            c.requests += 1;
            c.produced_records += t.produced_records;
            c.produced_bytes += t.produced_bytes;
            c.fetched_records += t.fetched_records;
            c.fetched_bytes += t.fetched_bytes;
        }
    }

    /// Closes the rate window once a second has passed; the timer task calls it.
    pub(crate) fn roll_window(&self, now_ms: i64) {
        let mut r = self.lock();
        let start = *r.window_start_ms.get_or_insert(now_ms);
        let elapsed = now_ms - start;
        if elapsed < 1_000 {
            return;
        }
        let secs = elapsed as f64 / 1_000.0;
        for c in r.clients.values_mut() {
            c.produce_rate = (c.produced_records - c.window_produced) as f64 / secs;
            c.fetch_rate = (c.fetched_records - c.window_fetched) as f64 / secs;
            c.window_produced = c.produced_records;
            c.window_fetched = c.fetched_records;
        }
        r.window_start_ms = Some(now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats() -> ServerStats {
        ServerStats::new(SocketAddr::from(([127, 0, 0, 1], 9092)), false)
    }

    #[test]
    fn rates_follow_the_last_window() {
        let s = stats();
        s.connection_opened();
        s.client_identified("rdkafka");
        s.roll_window(0);
        s.record(
            "rdkafka",
            Traffic {
                produced_records: 500,
                fetched_records: 100,
                ..Traffic::default()
            },
        );
        s.roll_window(500);
        assert_eq!(s.snapshot().clients[0].produce_rate, 0.0, "window not over");
        s.roll_window(2_000);
        let c = &s.snapshot().clients[0];
        assert_eq!(c.produce_rate, 250.0);
        assert_eq!(c.fetch_rate, 50.0);
        assert_eq!(c.connections, 1);
        s.roll_window(3_000);
        assert_eq!(s.snapshot().clients[0].produce_rate, 0.0);
    }

    #[test]
    fn connections_are_counted_per_client_and_overall() {
        let s = stats();
        s.connection_opened();
        s.connection_opened();
        s.client_identified("a");
        s.client_identified("a");
        s.connection_closed(Some("a"));
        let snap = s.snapshot();
        assert_eq!(snap.connections, 1);
        assert_eq!(snap.clients[0].connections, 1);
    }

    #[test]
    fn log_lines_cannot_forge_lines_or_reach_the_terminal() {
        let s = stats();
        s.log(
            0,
            "x (evil\nserver stopped\x1b[2J) disconnected".to_string(),
        );
        assert_eq!(
            s.snapshot().log[0].text,
            "x (evil\\nserver stopped\\u{1b}[2J) disconnected"
        );
    }

    #[test]
    fn requests_are_counted_by_api_key() {
        let s = stats();
        s.request_received(3);
        s.request_received(3);
        s.request_received(18);
        assert_eq!(s.requests_by_api(), BTreeMap::from([(3, 2), (18, 1)]));
    }

    #[test]
    fn the_log_keeps_only_the_newest_lines() {
        let s = stats();
        for i in 0..(LOG_CAPACITY as i64 + 5) {
            s.log(i, format!("line {i}"));
        }
        let log = s.snapshot().log;
        assert_eq!(log.len(), LOG_CAPACITY);
        assert_eq!(log[0].text, "line 5");
    }
}
