//! The connections to a cluster's brokers, kept between polls. A broker that fails is
//! dropped and retried after a backoff that doubles up to a ceiling; the bootstrap list is
//! the way back in when every known broker is gone.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::future::join_all;
use kafka_protocol::messages::{ApiKey, MetadataRequest, MetadataResponse};

use super::ObserveError;
use super::conn::{ConnectSettings, Connection};
use super::wire::ReadRequest;

/// The first retry after a failure, and the longest wait between retries.
const BACKOFF_START: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// When a failed peer may be tried again.
#[derive(Debug, Clone, Default)]
pub struct Backoff {
    failures: u32,
    retry_at: Option<Instant>,
}

impl Backoff {
    /// Whether a connection may be attempted now.
    pub fn ready(&self, now: Instant) -> bool {
        self.retry_at.is_none_or(|t| now >= t)
    }

    /// Records a failure: the wait doubles from [`BACKOFF_START`] up to [`BACKOFF_MAX`].
    pub fn failed(&mut self, now: Instant) -> Duration {
        let wait = BACKOFF_START
            .saturating_mul(1 << self.failures.min(16))
            .min(BACKOFF_MAX);
        self.failures = self.failures.saturating_add(1);
        self.retry_at = Some(now + wait);
        wait
    }

    pub fn succeeded(&mut self) {
        *self = Backoff::default();
    }
}

/// One broker: where it is, its open connection if any, and its backoff.
#[derive(Debug)]
struct Slot {
    addr: String,
    conn: Option<Connection>,
    backoff: Backoff,
    /// Why the last attempt failed, to say while waiting to retry.
    last_error: String,
}

impl Slot {
    fn new(addr: String) -> Slot {
        Slot {
            addr,
            conn: None,
            backoff: Backoff::default(),
            last_error: String::new(),
        }
    }

    /// The open connection, connecting first when allowed.
    async fn connection(&mut self, s: &ConnectSettings) -> Result<&mut Connection, ObserveError> {
        if self.conn.is_none() {
            if !self.backoff.ready(Instant::now()) {
                return Err(ObserveError::BackingOff {
                    addr: self.addr.clone(),
                    last: self.last_error.clone(),
                });
            }
            match Connection::open(&self.addr, s).await {
                Ok(c) => {
                    self.backoff.succeeded();
                    self.conn = Some(c);
                }
                Err(e) => {
                    self.backoff.failed(Instant::now());
                    self.last_error = e.to_string();
                    return Err(e);
                }
            }
        }
        self.conn.as_mut().ok_or_else(|| ObserveError::Closed {
            addr: self.addr.clone(),
        })
    }

    /// Sends `reqs` pipelined; a failure drops the connection and starts the backoff.
    async fn send_all<R: ReadRequest>(
        &mut self,
        s: &ConnectSettings,
        reqs: &[R],
    ) -> Result<Vec<R::Response>, ObserveError> {
        let result = self.connection(s).await?.send_all(reqs).await;
        if let Err(e) = &result {
            self.conn = None;
            self.backoff.failed(Instant::now());
            self.last_error = e.to_string();
        }
        result
    }
}

/// The brokers of one cluster, by node id, and the bootstrap servers.
#[derive(Debug)]
pub struct Cluster {
    settings: ConnectSettings,
    bootstrap: Vec<Slot>,
    brokers: BTreeMap<i32, Slot>,
}

impl Cluster {
    /// A cluster reached through `settings.config.bootstrap`; nothing connects yet.
    pub fn new(settings: ConnectSettings) -> Cluster {
        let bootstrap = settings
            .config
            .bootstrap
            .iter()
            .map(|a| Slot::new(a.clone()))
            .collect();
        Cluster {
            settings,
            bootstrap,
            brokers: BTreeMap::new(),
        }
    }

    /// Metadata for every topic from the first broker that answers: known brokers first,
    /// then the bootstrap servers. Brokers are then updated from the answer.
    pub async fn metadata(&mut self) -> Result<MetadataResponse, ObserveError> {
        let req = MetadataRequest::default()
            .with_topics(None)
            .with_allow_auto_topic_creation(false);
        let mut last = None;
        let mut found = None;
        let slots = self.brokers.values_mut().chain(self.bootstrap.iter_mut());
        for slot in slots {
            match slot
                .send_all(&self.settings, std::slice::from_ref(&req))
                .await
            {
                Ok(mut answers) => {
                    found = answers.pop();
                    if found.is_some() {
                        break;
                    }
                }
                // A wrong password or an untrusted certificate will not heal by retrying
                // the next broker: say so at once.
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => last = Some(e),
            }
        }
        match found {
            Some(answer) => {
                self.update_brokers(&answer);
                Ok(answer)
            }
            None => Err(ObserveError::Unreachable(last.map_or_else(
                || "no bootstrap server given".to_string(),
                |e| e.to_string(),
            ))),
        }
    }

    fn update_brokers(&mut self, md: &MetadataResponse) {
        let listed: BTreeMap<i32, String> = md
            .brokers
            .iter()
            .map(|b| (b.node_id.0, format!("{}:{}", b.host.as_str(), b.port)))
            .collect();
        self.brokers
            .retain(|id, slot| listed.get(id) == Some(&slot.addr));
        for (id, addr) in listed {
            self.brokers.entry(id).or_insert_with(|| Slot::new(addr));
        }
    }

    /// Node ids of the brokers the last Metadata listed.
    pub fn broker_ids(&self) -> impl Iterator<Item = i32> + '_ {
        self.brokers.keys().copied()
    }

    /// The version of `api` broker `id` speaks with us, connecting to it if needed; `None`
    /// when it does not offer the API or cannot be reached.
    pub async fn version(&mut self, id: i32, api: ApiKey) -> Option<i16> {
        let slot = self.brokers.get_mut(&id)?;
        slot.connection(&self.settings)
            .await
            .ok()?
            .versions()
            .get(api)
    }

    /// A broker that can be reached now, preferring open connections: where to send a
    /// request any broker can answer.
    pub async fn any_broker(&mut self) -> Option<i32> {
        let open = self.brokers.iter().find(|(_, s)| s.conn.is_some());
        if let Some((&id, _)) = open {
            return Some(id);
        }
        for (&id, slot) in &mut self.brokers {
            if slot.connection(&self.settings).await.is_ok() {
                return Some(id);
            }
        }
        None
    }

    /// Sends each broker its requests, all brokers at once, each broker's pipelined.
    pub async fn fan_out<R: ReadRequest>(
        &mut self,
        per_broker: BTreeMap<i32, Vec<R>>,
    ) -> BTreeMap<i32, Result<Vec<R::Response>, ObserveError>> {
        let settings = &self.settings;
        let mut per_broker = per_broker;
        per_broker.retain(|_, reqs| !reqs.is_empty());
        let mut work = Vec::new();
        for (&id, slot) in &mut self.brokers {
            if let Some(reqs) = per_broker.remove(&id) {
                work.push(async move { (id, slot.send_all(settings, &reqs).await) });
            }
        }
        let missing: Vec<i32> = per_broker.into_keys().collect();
        let mut out: BTreeMap<_, _> = join_all(work).await.into_iter().collect();
        for id in missing {
            out.insert(id, Err(ObserveError::UnknownBroker(id)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_ceiling_and_resets() {
        let mut b = Backoff::default();
        let now = Instant::now();
        assert!(b.ready(now));
        assert_eq!(b.failed(now), Duration::from_millis(100));
        assert!(!b.ready(now));
        assert!(b.ready(now + Duration::from_millis(100)));
        assert_eq!(b.failed(now), Duration::from_millis(200));
        for _ in 0..20 {
            b.failed(now);
        }
        assert_eq!(b.failed(now), BACKOFF_MAX);
        b.succeeded();
        assert!(b.ready(now));
    }
}
