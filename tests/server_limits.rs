//! What a hostile or broken client can send, over real TCP: compression bombs, parked
//! requests it walks away from, requests that trickle in or stop halfway, and text meant
//! for the operator's terminal. After each, the server is still up, still serves a second
//! connection, and (where memory is the point) stays within a stated bound, read from the
//! `serve` process's own /proc status.

#[path = "support/hostile.rs"]
mod hostile;
#[path = "support/wire_client.rs"]
mod wire_client;

use hostile::{batch_with_body, gzip_bomb, long_fetch, produce_one, topic};
use wire_client::Client;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use minikafka::broker::{
    JoinGroupRequest as BrokerJoin, JoinOutcome, RetentionPolicy, SharedBroker, TopicConfig,
};
use minikafka::server::{Server, ServerConfig, ServerStats};
use tokio::io::AsyncWriteExt;
use tokio::sync::oneshot;

const MIB: u64 = 1024 * 1024;

// ---- an in-process server --------------------------------------------------------------

struct Running {
    addr: SocketAddr,
    broker: SharedBroker,
    stats: ServerStats,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn start(config: ServerConfig) -> Running {
        let broker = SharedBroker::default();
        let server = Server::bind(config, broker.clone()).await.expect("binds");
        let (stop, stopped) = oneshot::channel::<()>();
        let (addr, stats) = (server.local_addr(), server.stats());
        let task = tokio::spawn(async move {
            server
                .run(async {
                    let _ = stopped.await;
                })
                .await
                .expect("runs");
        });
        Running {
            addr,
            broker,
            stats,
            stop: Some(stop),
            task,
        }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().expect("once").send(());
        self.task.await.expect("the server task ends cleanly");
    }

    /// Waits (at most `within`) until the server counts `n` open connections.
    async fn connections_drop_to(&self, n: usize, within: Duration) {
        let started = Instant::now();
        while self.stats.connections() > n {
            assert!(
                started.elapsed() < within,
                "still {} connections after {within:?}: {:?}",
                self.stats.connections(),
                self.stats.snapshot().log
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn logged(&self, text: &str) -> bool {
        self.stats
            .snapshot()
            .log
            .iter()
            .any(|l| l.text.contains(text))
    }
}

fn config() -> ServerConfig {
    ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        initial_rebalance_delay: Duration::ZERO,
        ..ServerConfig::default()
    }
}

// ---- the `serve` binary as a process ---------------------------------------------------

struct Serve {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Serve {
    fn start(args: &[&str]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_minikafka-tui"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("minikafka listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("an address");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        let mut from = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = std::io::Read::read(&mut from, &mut buf) {
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Serve {
            child,
            addr,
            stderr,
        }
    }

    /// A `Vm...` line of the process's status, in bytes.
    fn status(&mut self, field: &str) -> u64 {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the server died: {}",
            self.stderr_text()
        );
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's /proc status");
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {field} in {status}"));
        kb * 1024
    }

    fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    fn stderr_bytes(&self) -> Vec<u8> {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw client named `limits-test`.
async fn connect(addr: SocketAddr) -> Client {
    Client::named(addr, "limits-test").await
}

/// A second connection's ApiVersions and Metadata round trips: the server still serves.
async fn still_serving(addr: SocketAddr) {
    let mut c = connect(addr).await;
    let r: ApiVersionsResponse = tokio::time::timeout(
        Duration::from_secs(5),
        c.call(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default()),
    )
    .await
    .expect("ApiVersions answered within 5 s");
    assert_eq!(r.error_code, 0);
    let m: MetadataResponse = c
        .call(
            ApiKey::Metadata,
            12,
            &MetadataRequest::default().with_topics(None),
        )
        .await;
    assert_eq!(m.brokers.len(), 1);
}

// ---- compression bombs -----------------------------------------------------------------

async fn produce_code(c: &mut Client, records: Bytes) -> i16 {
    let r: ProduceResponse = c
        .call(ApiKey::Produce, 9, &produce_one("bombs", records))
        .await;
    r.responses[0].partition_responses[0].error_code
}

#[test]
fn the_gzip_bomb_really_inflates_a_thousandfold() {
    let bomb = gzip_bomb(64 * 1024);
    let mut inflated = 0u64;
    let mut d = flate2::read::GzDecoder::new(&bomb[..]);
    let mut buf = vec![0u8; 1 << 16];
    while let Ok(n @ 1..) = std::io::Read::read(&mut d, &mut buf) {
        assert!(buf[..n].iter().all(|&b| b == 0));
        inflated += n as u64;
    }
    assert!(inflated > 60 * MIB, "{inflated} bytes from {}", bomb.len());
}

/// The offset ListOffsets gives for `timestamp` on partition 0 of `topic`.
async fn offset_for(c: &mut Client, topic_name: &str, timestamp: i64) -> (i16, i64) {
    use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
    let req = ListOffsetsRequest::default().with_topics(vec![
        ListOffsetsTopic::default()
            .with_name(topic(topic_name))
            .with_partitions(vec![
                ListOffsetsPartition::default().with_timestamp(timestamp),
            ]),
    ]);
    let r: ListOffsetsResponse = c.call(ApiKey::ListOffsets, 7, &req).await;
    let p = &r.topics[0].partitions[0];
    (p.error_code, p.offset)
}

/// Before the log kept batches as sent: an 8 MB gzip request aborted the server (4 MB took
/// it to 4.1 GB), and a snappy block header claiming 4 GiB had it zero 4 GiB. Now storing
/// and serving never decompress: the bombs are kept as their few bytes, and a reader that
/// must look inside (ListOffsets by timestamp) stops at its bound.
#[tokio::test]
async fn compression_bombs_are_stored_as_sent_and_never_inflated() {
    let mut serve = Serve::start(&[]);
    let mut c = connect(serve.addr).await;
    let started = serve.status("VmRSS");

    let gzip = batch_with_body(Compression::Gzip, gzip_bomb(8 * MIB as usize));
    assert_eq!(
        produce_code(&mut c, gzip.clone()).await,
        0,
        "stored compressed"
    );

    // Xerial framing (Java's), then one block whose varint length claims 2^32 - 1 bytes.
    let mut snappy = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01".to_vec();
    let mut block = vec![0xff, 0xff, 0xff, 0xff, 0x0f];
    block.resize(124, 0);
    snappy.extend_from_slice(&(block.len() as u32).to_be_bytes());
    snappy.extend_from_slice(&block);
    assert_eq!(snappy.len(), 144);
    let snappy = batch_with_body(Compression::Snappy, snappy);
    assert_eq!(produce_code(&mut c, snappy).await, 0);
    // LZ4 and zstd are stored as sent too, whatever they hold.
    for compression in [Compression::Lz4, Compression::Zstd] {
        let batch = batch_with_body(compression, vec![0x04, 0x22, 0x4d, 0x18, 0, 0, 0]);
        assert_eq!(produce_code(&mut c, batch).await, 0, "{compression:?}");
    }

    // Looking for a timestamp inside the bomb stops at the decode bound (100 MiB by
    // default) and answers with the batch's first offset, the earliest it could be.
    assert_eq!(offset_for(&mut c, "bombs", 1).await, (0, 0));
    assert_eq!(
        offset_for(&mut c, "bombs", 2).await,
        (0, -1),
        "past every batch"
    );

    // A fetch serves the bomb as it was sent.
    let req = long_fetch("bombs");
    let r: FetchResponse = c.call(ApiKey::Fetch, 12, &req).await;
    let served = r.responses[0].partitions[0]
        .records
        .clone()
        .unwrap_or_default();
    assert_eq!(
        served.len(),
        gzip.len(),
        "the bomb comes back whole, compressed"
    );
    assert_eq!(served[12..], gzip[12..]);

    // The bombs' bytes, the request, and one bounded look inside: well under 300 MiB.
    let peak = serve.status("VmHWM");
    eprintln!(
        "bombs: VmRSS {} MiB before, VmHWM {} MiB after",
        started / MIB,
        peak / MIB
    );
    assert!(
        peak < started + 300 * MIB,
        "peak {} MiB, from {} MiB",
        peak / MIB,
        started / MIB
    );
    still_serving(serve.addr).await;
    let r: ApiVersionsResponse = c
        .call(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default())
        .await;
    assert_eq!(r.error_code, 0);
}

/// Uncompressed records used to expand: each two-byte header became a struct with its own
/// string, and 24 MB of such records took the server to 722 MiB, thirty times their size.
/// Now a batch is checked without building anything per record and kept as its bytes.
#[tokio::test]
async fn header_heavy_records_are_held_as_their_bytes() {
    let mut serve = Serve::start(&[]);
    let mut c = connect(serve.addr).await;
    let started = serve.status("VmRSS");
    let headers = (0..1000u32)
        .map(|i| {
            let key = [
                b'a' + (i / 26 % 26) as u8,
                b'a' + (i % 26) as u8,
                b'0' + (i / 676) as u8,
            ];
            (
                StrBytes::from_string(String::from_utf8(key.to_vec()).unwrap()),
                None,
            )
        })
        .collect();
    let record = Record {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: -1,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: TimestampType::Creation,
        offset: 0,
        sequence: 0,
        timestamp: 1,
        key: None,
        value: None,
        headers,
    };
    // Offsets 0, 1, 2, ...: what a batch of 5,000 records must say.
    let records: Vec<Record> = (0..5_000)
        .map(|i| Record {
            offset: i,
            sequence: i as i32,
            ..record.clone()
        })
        .collect();
    let mut batch = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut batch,
        records.iter(),
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .unwrap();
    assert!(batch.len() > 20 * MIB as usize, "{} bytes", batch.len());
    assert_eq!(produce_code(&mut c, batch.freeze()).await, 0);
    let peak = serve.status("VmHWM");
    eprintln!(
        "header-heavy records: VmRSS {} MiB before, VmHWM {} MiB after",
        started / MIB,
        peak / MIB
    );
    assert!(peak < started + 100 * MIB, "peak {} MiB", peak / MIB);
    still_serving(serve.addr).await;
}

/// Whether kcat is installed; under `CI=true` its absence fails the test.
fn kcat_available() -> bool {
    let ok = Command::new("kcat")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("kcat is not installed, and CI=true requires it");
    }
    if !ok {
        eprintln!("\n!!!!! SKIPPING: kcat is not installed !!!!!\n");
    }
    ok
}

/// What kcat compresses, in every codec, is stored and read back as it was sent.
#[test]
fn kcat_batches_in_every_codec_round_trip() {
    if !kcat_available() {
        return;
    }
    let serve = Serve::start(&[]);
    let broker = serve.addr.to_string();
    let lines: String = (0..2000)
        .map(|i| format!("line {i} {}\n", "x".repeat(i % 50)))
        .collect();
    for codec in ["gzip", "snappy", "lz4", "zstd"] {
        let topic = format!("z-{codec}");
        let mut produce = Command::new("kcat")
            .args(["-b", &broker, "-P", "-t", &topic, "-z", codec])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kcat runs");
        std::io::Write::write_all(&mut produce.stdin.take().unwrap(), lines.as_bytes()).unwrap();
        let produced = produce.wait_with_output().unwrap();
        let errors = String::from_utf8_lossy(&produced.stderr);
        let consumed = Command::new("kcat")
            .args([
                "-b",
                &broker,
                "-C",
                "-t",
                &topic,
                "-o",
                "beginning",
                "-e",
                "-q",
            ])
            .output()
            .expect("kcat runs");
        let consumed = String::from_utf8_lossy(&consumed.stdout);
        assert_eq!(consumed, lines, "{codec}: {errors}");
    }
}

// ---- requests that wait ----------------------------------------------------------------

/// Before: each of these clients kept its slot for 2^31 ms, and with the connection limit
/// reached nobody else could connect.
#[tokio::test]
async fn a_client_that_leaves_a_parked_fetch_frees_its_slot() {
    let s = Running::start(ServerConfig {
        max_connections: 3,
        ..config()
    })
    .await;
    s.broker
        .write()
        .create_topic("quiet", TopicConfig::new(1), 0)
        .unwrap();
    for _ in 0..3 {
        let mut c = connect(s.addr).await;
        c.send(ApiKey::Fetch, 12, &long_fetch("quiet")).await;
        // The fetch is parked once the server has read it; only then walk away.
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(c);
    }
    s.connections_drop_to(0, Duration::from_secs(3)).await;
    still_serving(s.addr).await;
    s.stop().await;
}

/// Before: a Fetch asking to wait 2^31 ms was answered only then.
#[tokio::test]
async fn a_fetch_waits_no_longer_than_the_cap() {
    let s = Running::start(ServerConfig {
        max_fetch_wait: Duration::from_millis(300),
        ..config()
    })
    .await;
    s.broker
        .write()
        .create_topic("quiet", TopicConfig::new(1), 0)
        .unwrap();
    let mut c = connect(s.addr).await;
    let started = Instant::now();
    let r: FetchResponse = tokio::time::timeout(
        Duration::from_secs(5),
        c.call(ApiKey::Fetch, 12, &long_fetch("quiet")),
    )
    .await
    .expect("answered at the cap, not after 2^31 ms");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let p = &r.responses[0].partitions[0];
    assert_eq!(p.error_code, 0);
    assert!(p.records.as_ref().is_none_or(|r| r.is_empty()));
    s.stop().await;
}

/// Before: a join waited its rebalance timeout plus 5 s, here 2^31 ms.
#[tokio::test]
async fn a_join_waits_no_longer_than_the_cap() {
    let s = Running::start(ServerConfig {
        max_group_wait: Duration::from_millis(300),
        ..config()
    })
    .await;
    s.broker
        .write()
        .create_topic("t", TopicConfig::new(1), 0)
        .unwrap();
    let topics = vec!["t".to_string()];
    let now = minikafka::server::wall_clock_ms();
    let joined = s
        .broker
        .write()
        .join_group(BrokerJoin::consumer("g", "sim", &topics, "range"), now)
        .unwrap();
    assert!(matches!(joined, JoinOutcome::Joined(_)));
    // Only the first member's rejoin, which never comes, could complete this join.
    let join = JoinGroupRequest::default()
        .with_group_id(GroupId(StrBytes::from_static_str("g")))
        .with_session_timeout_ms(30_000)
        .with_rebalance_timeout_ms(i32::MAX)
        .with_protocol_type(StrBytes::from_static_str("consumer"))
        .with_protocols(vec![
            join_group_request::JoinGroupRequestProtocol::default()
                .with_name(StrBytes::from_static_str("range")),
        ]);
    let mut c = connect(s.addr).await;
    let r: JoinGroupResponse =
        tokio::time::timeout(Duration::from_secs(5), c.call(ApiKey::JoinGroup, 3, &join))
            .await
            .expect("answered at the cap");
    assert_eq!(r.error_code, 27, "REBALANCE_IN_PROGRESS: join again");
    s.stop().await;
}

// ---- requests that trickle in or stop halfway ------------------------------------------

/// Before: the idle timeout restarted on every byte, so a byte every 200 ms kept these
/// connections (and the only slots) forever.
#[tokio::test]
async fn a_request_trickling_in_is_cut_off_at_the_request_timeout() {
    let s = Running::start(ServerConfig {
        max_connections: 4,
        idle_timeout: Duration::from_secs(3),
        request_timeout: Duration::from_millis(800),
        ..config()
    })
    .await;
    let mut trickles = Vec::new();
    for _ in 0..4 {
        let mut c = connect(s.addr).await;
        trickles.push(tokio::spawn(async move {
            c.stream.write_all(&1000i32.to_be_bytes()).await.unwrap();
            let started = Instant::now();
            // One byte every 200 ms, until the server hangs up (or 10 s pass).
            while started.elapsed() < Duration::from_secs(10) {
                if c.stream.write_all(&[0]).await.is_err() {
                    return started.elapsed();
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            started.elapsed()
        }));
    }
    s.connections_drop_to(0, Duration::from_secs(3)).await;
    still_serving(s.addr).await;
    for t in trickles {
        let lasted = t.await.unwrap();
        assert!(lasted < Duration::from_secs(4), "kept for {lasted:?}");
    }
    assert!(s.logged("took longer than 800ms to arrive"));
    s.stop().await;
}

/// Before: each connection's partial request was buffered whole, so memory reached
/// connections × request size (30 × 90 MB took 2.7 GB).
#[tokio::test]
async fn partial_requests_hold_no_more_than_the_in_flight_budget() {
    let mut serve = Serve::start(&["--request-timeout", "20s"]);
    let started = serve.status("VmRSS");
    let sent = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::new();
    for _ in 0..10 {
        let mut c = connect(serve.addr).await;
        let sent = sent.clone();
        writers.push(tokio::spawn(async move {
            c.stream
                .write_all(&100_000_000i32.to_be_bytes())
                .await
                .unwrap();
            let chunk = vec![0u8; MIB as usize];
            for _ in 0..90 {
                if c.stream.write_all(&chunk).await.is_err() {
                    break;
                }
                sent.fetch_add(MIB, Ordering::Relaxed);
            }
            // Hold the connection with its request unfinished.
            tokio::time::sleep(Duration::from_secs(30)).await;
        }));
    }
    // Until the writers stall: the server reads only what its budget admits.
    let mut last = u64::MAX;
    while sent.load(Ordering::Relaxed) != last {
        last = sent.load(Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    let rss = serve.status("VmRSS");
    eprintln!(
        "partial requests: {} MiB sent, VmRSS {} MiB (from {} MiB)",
        last / MIB,
        rss / MIB,
        started / MIB
    );
    still_serving(serve.addr).await;
    assert!(
        rss < started + 256 * MIB + 64 * MIB,
        "{} MiB held with {} MiB sent, from {} MiB",
        rss / MIB,
        last / MIB,
        started / MIB
    );
    assert!(
        last < 900 * MIB,
        "the budget held writers back ({last} bytes)"
    );
    for w in writers {
        w.abort();
    }
}

#[test]
fn a_budget_smaller_than_one_request_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_minikafka-tui"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args([
            "--max-request-bytes",
            "10000",
            "--max-inflight-request-bytes",
            "5000",
        ])
        .output()
        .expect("serve runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("(5000 bytes) must hold one request"),
        "{stderr}"
    );
}

// ---- client text in the log ------------------------------------------------------------

/// Before: the `client.id` and the group id reached stderr raw: a newline forged a log
/// line and the escape sequences reached the terminal.
#[tokio::test]
async fn client_text_cannot_forge_log_lines_or_reach_the_terminal() {
    let serve = Serve::start(&["--initial-rebalance-delay", "0s"]);
    let evil = "evil\nforged: server stopped\x1b[2J\x1b]0;owned\x07\u{202e}";
    let mut c = Client::named(serve.addr, evil).await;
    let r: ApiVersionsResponse = c
        .call(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default())
        .await;
    assert_eq!(r.error_code, 0);
    let join = JoinGroupRequest::default()
        .with_group_id(GroupId(StrBytes::from_static_str(
            "g\nforged: group\x1b[31m",
        )))
        .with_session_timeout_ms(10_000)
        .with_rebalance_timeout_ms(10_000)
        .with_protocol_type(StrBytes::from_static_str("consumer"))
        .with_protocols(vec![
            join_group_request::JoinGroupRequestProtocol::default()
                .with_name(StrBytes::from_static_str("range")),
        ]);
    let j: JoinGroupResponse = c.call(ApiKey::JoinGroup, 3, &join).await;
    assert_eq!(j.error_code, 0);
    drop(c);
    let started = Instant::now();
    while !(serve.stderr_text().contains("disconnected") && serve.stderr_text().contains("joined"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{}",
            serve.stderr_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let raw = serve.stderr_bytes();
    let text = serve.stderr_text();
    assert!(!raw.contains(&0x1b) && !raw.contains(&0x07), "{text:?}");
    assert!(!text.contains('\u{202e}'), "{text:?}");
    assert!(
        !text.lines().any(|l| l.starts_with("forged")),
        "a forged line: {text}"
    );
    assert!(
        text.contains("(evil\\nforged: server stopped\\u{1b}[2J"),
        "{text}"
    );
    assert!(text.contains("g\\nforged: group\\u{1b}[31m"), "{text}");
}

// ---- CreateTopics configs --------------------------------------------------------------

fn creatable(name: &str, configs: &[(&str, Option<&str>)]) -> CreatableTopic {
    CreatableTopic::default()
        .with_name(topic(name))
        .with_num_partitions(1)
        .with_replication_factor(1)
        .with_configs(
            configs
                .iter()
                .map(|(k, v)| {
                    CreatableTopicConfig::default()
                        .with_name(StrBytes::from_string(k.to_string()))
                        .with_value(v.map(|v| StrBytes::from_string(v.to_string())))
                })
                .collect(),
        )
}

#[tokio::test]
async fn created_topics_carry_their_retention_configs() {
    let s = Running::start(config()).await;
    let mut c = connect(s.addr).await;
    let request = CreateTopicsRequest::default()
        .with_timeout_ms(5_000)
        .with_topics(vec![
            creatable(
                "kept",
                &[
                    ("retention.ms", Some("60000")),
                    ("retention.bytes", Some("1048576")),
                    ("cleanup.policy", Some("delete")),
                ],
            ),
            creatable("forever", &[("retention.ms", Some("-1"))]),
            creatable("below", &[("retention.ms", Some("-2"))]),
            creatable("words", &[("retention.bytes", Some("lots"))]),
            creatable("null", &[("retention.ms", None)]),
            creatable("huge", &[("retention.ms", Some("9223372036854775808"))]),
        ]);
    for version in [2, 5, 7] {
        for t in ["kept", "forever"] {
            let _ = s.broker.write().delete_topic(t, 0);
        }
        let r: CreateTopicsResponse = c.call(ApiKey::CreateTopics, version, &request).await;
        let codes: Vec<(&str, i16)> = r
            .topics
            .iter()
            .map(|t| (t.name.as_str(), t.error_code))
            .collect();
        assert_eq!(
            codes,
            [
                ("kept", 0),
                ("forever", 0),
                ("below", 40),
                ("words", 40),
                ("null", 40),
                ("huge", 40)
            ],
            "v{version}"
        );
        let b = s.broker.read();
        assert_eq!(
            b.topic("kept").unwrap().config().retention,
            RetentionPolicy {
                ms: Some(60_000),
                bytes: Some(1_048_576),
                records: None,
            }
        );
        assert_eq!(
            b.topic("forever").unwrap().config().retention,
            RetentionPolicy::default()
        );
        for refused in ["below", "words", "null", "huge"] {
            assert!(b.topic(refused).is_none(), "{refused}");
        }
    }
    s.stop().await;
}
