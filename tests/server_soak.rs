//! A minute of hostile traffic against `serve`, held under an address-space limit so that an
//! unbounded allocation kills the server (and fails the test) instead of the machine: random
//! and mutated frames on twenty connections, compression bombs, partition counts in the
//! billions, and fetches parked forever by clients that then vanish. Beside it a kcat round
//! trip of 10,000 records must complete in order, and the server's peak resident memory
//! must stay under 512 MB.
//!
//! `SOAK_SECONDS` shortens or lengthens the run (default 60).

#[path = "support/hostile.rs"]
mod hostile;
#[path = "support/seed_frames.rs"]
mod seed_frames;
#[path = "support/served.rs"]
mod served;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::Encodable;
use kafka_protocol::records::Compression;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use served::{Served, available};

/// The server's address space: far more than it needs, far less than the machine has.
const ADDRESS_SPACE: u64 = 3 << 30;
/// The peak resident memory allowed.
const PEAK_RSS_KIB: u64 = 512 * 1024;
const FUZZ_CONNECTIONS: usize = 20;
const ROUND_TRIP_RECORDS: usize = 10_000;

fn soak_duration() -> Duration {
    let secs = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

/// `body` behind a 4-byte length prefix, as every request travels.
fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

fn encode<T: Encodable>(api: ApiKey, version: i16, body: &T) -> Vec<u8> {
    framed(&seed_frames::frame(api, version, body).expect("the request encodes"))
}

/// A seed with a few bytes overwritten, inserted, removed or made huge, maybe cut short.
fn mutate(seed: &[u8], rng: &mut StdRng) -> Vec<u8> {
    let mut f = seed.to_vec();
    for _ in 0..rng.random_range(1..6) {
        if f.is_empty() {
            f.push(rng.random());
            continue;
        }
        let at = rng.random_range(0..f.len());
        match rng.random_range(0..4) {
            0 => f[at] = rng.random(),
            1 => f.insert(at, rng.random()),
            2 => {
                f.remove(at);
            }
            _ => {
                let end = (at + 4).min(f.len());
                let fill = if rng.random() { 0x7f } else { 0xff };
                f[at..end].iter_mut().for_each(|b| *b = fill);
            }
        }
    }
    if rng.random_range(0..4) == 0 && !f.is_empty() {
        f.truncate(rng.random_range(0..f.len()));
    }
    f
}

/// Sends `bytes` on a fresh connection and reads for a moment; any error just ends it.
fn send_and_drain(addr: SocketAddr, bytes: &[u8], read_for: Duration) {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return;
    };
    let _ = s.set_read_timeout(Some(read_for));
    let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
    if s.write_all(bytes).is_err() {
        return;
    }
    let mut sink = [0u8; 64 * 1024];
    let until = Instant::now() + read_for;
    while Instant::now() < until {
        match s.read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// One connection's worth of random and mutated frames, over and over until `stop`.
fn fuzzer(addr: SocketAddr, seed: u64, stop: Arc<AtomicBool>, sent: Arc<AtomicU64>) {
    let seeds = seed_frames::seeds();
    let mut rng = StdRng::seed_from_u64(seed);
    while !stop.load(Ordering::Relaxed) {
        let mut burst = Vec::new();
        for _ in 0..rng.random_range(1..20) {
            let frame = if rng.random_range(0..8) == 0 {
                let n = rng.random_range(0..256);
                (0..n).map(|_| rng.random()).collect()
            } else {
                mutate(&seeds[rng.random_range(0..seeds.len())], &mut rng)
            };
            burst.extend(framed(&frame));
        }
        sent.fetch_add(1, Ordering::Relaxed);
        send_and_drain(addr, &burst, Duration::from_millis(50));
    }
}

/// Compression bombs, a billion partitions, and fetches that wait forever then vanish.
fn bomber(addr: SocketAddr, stop: Arc<AtomicBool>, sent: Arc<AtomicU64>) {
    let gzip = hostile::batch_with_body(Compression::Gzip, hostile::gzip_bomb(4 << 20));
    let mut snappy = vec![0x84, 0x80, 0x80, 0x80, 0x10];
    snappy.resize(144, 0);
    let snappy = hostile::batch_with_body(Compression::Snappy, snappy);
    let bombs =
        [gzip, snappy].map(|b| encode(ApiKey::Produce, 9, &hostile::produce_one("bombs", b)));
    let partitions = encode(
        ApiKey::CreateTopics,
        5,
        &CreateTopicsRequest::default()
            .with_timeout_ms(1_000)
            .with_topics(vec![
                CreatableTopic::default()
                    .with_name(hostile::topic("huge"))
                    .with_num_partitions(i32::MAX)
                    .with_replication_factor(1),
            ]),
    );
    let parked = encode(ApiKey::Fetch, 12, &hostile::long_fetch("bombs"));
    while !stop.load(Ordering::Relaxed) {
        for bytes in bombs.iter().chain([&partitions]) {
            send_and_drain(addr, bytes, Duration::from_millis(200));
        }
        // A fetch parked for 2^31 ms whose client leaves at once.
        send_and_drain(addr, &parked, Duration::ZERO);
        sent.fetch_add(1, Ordering::Relaxed);
    }
}

/// The server's peak resident memory so far, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Produces numbered records with kcat, reads them back, and checks they came back whole
/// and in order.
fn kcat_round_trip(addr: SocketAddr) -> Result<(), String> {
    let broker = addr.to_string();
    let input: String = (0..ROUND_TRIP_RECORDS).map(|i| format!("{i}\n")).collect();
    let mut producer = Command::new("kcat")
        .args(["-b", &broker, "-P", "-t", "soak", "-p", "0"])
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    producer
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .map_err(|e| e.to_string())?;
    let status = producer.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("kcat -P failed: {status}"));
    }
    let out = Command::new("timeout")
        .args(["60", "kcat", "-b", &broker, "-C", "-t", "soak", "-p", "0"])
        .args(["-o", "beginning", "-e", "-q"])
        .output()
        .map_err(|e| e.to_string())?;
    let got: Vec<&str> = std::str::from_utf8(&out.stdout)
        .map_err(|e| e.to_string())?
        .lines()
        .collect();
    let want: Vec<String> = (0..ROUND_TRIP_RECORDS).map(|i| i.to_string()).collect();
    if got != want {
        return Err(format!(
            "kcat read {} records back (first {:?}), wanted {ROUND_TRIP_RECORDS} in order",
            got.len(),
            got.first()
        ));
    }
    Ok(())
}

fn spawn(f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    std::thread::spawn(f)
}

#[test]
fn a_minute_of_hostile_traffic_leaves_the_server_serving_within_its_memory() {
    if !available("kcat", Command::new("kcat").arg("-V"))
        || !available("prlimit", Command::new("prlimit").arg("--version"))
    {
        return;
    }
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--as={ADDRESS_SPACE}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_minikafka-tui"))
        .args(["serve", "--listen", "127.0.0.1:0", "--idle-timeout", "5s"])
        // glibc reserves an arena of address space per thread; two keep the limit honest.
        .env("MALLOC_ARENA_MAX", "2");
    let mut served = Served::spawn(cmd);
    let (addr, pid) = (served.addr, served.pid());
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let mut attackers: Vec<JoinHandle<()>> = (0..FUZZ_CONNECTIONS as u64)
        .map(|i| {
            let (stop, sent) = (stop.clone(), sent.clone());
            spawn(move || fuzzer(addr, i, stop, sent))
        })
        .collect();
    let (bomb_stop, bomb_sent) = (stop.clone(), sent.clone());
    attackers.push(spawn(move || bomber(addr, bomb_stop, bomb_sent)));

    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(5).min(soak_duration() / 4));
    let round_trip = kcat_round_trip(addr);
    let mut peak = peak_rss_kib(pid);
    while started.elapsed() < soak_duration() && served.running() {
        std::thread::sleep(Duration::from_millis(250));
        peak = peak.max(peak_rss_kib(pid));
    }
    stop.store(true, Ordering::Relaxed);
    for a in attackers {
        a.join().expect("an attacker thread panicked");
    }
    let alive = served.running();
    let log = served.log();
    let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");
    assert!(
        alive,
        "the server died under the soak; its last lines:\n{tail}"
    );
    assert!(
        sent.load(Ordering::Relaxed) > 100,
        "the attack barely ran: {} bursts",
        sent.load(Ordering::Relaxed)
    );
    round_trip.unwrap_or_else(|e| panic!("{e}; server log tail:\n{tail}"));
    assert!(
        peak < PEAK_RSS_KIB,
        "peak resident memory {peak} KiB, over {PEAK_RSS_KIB} KiB"
    );
    // Still serving after it all: a fresh metadata round trip.
    let after = Command::new("kcat")
        .args(["-b", &addr.to_string(), "-L", "-m", "5"])
        .output()
        .expect("kcat runs");
    assert!(after.status.success(), "kcat -L failed after the soak");
    eprintln!(
        "soak: {} bursts in {:?}, peak RSS {} MiB",
        sent.load(Ordering::Relaxed),
        started.elapsed(),
        peak / 1024
    );
}

/// The mutator must actually change frames, or the soak sends only valid requests.
#[test]
fn the_mutator_changes_frames() {
    let seeds = seed_frames::seeds();
    let mut rng = StdRng::seed_from_u64(1);
    let changed = seeds.iter().filter(|s| mutate(s, &mut rng) != **s).count();
    assert!(
        changed * 10 >= seeds.len() * 9,
        "{changed} of {}",
        seeds.len()
    );
}
