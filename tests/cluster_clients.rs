//! Real clients against `serve --scenario` with a three-broker cluster whose timeline
//! crashes the leader of a replication-factor-3 topic and later restarts it: an `acks=all`
//! confluent-kafka producer loses nothing, a kafka-python group keeps consuming across the
//! failover, and `kcat -L` shows the brokers and the ISR shrink and grow back.
//!
//! Under `CI=true` a missing client fails the test; locally it is skipped with a loud message.

#[path = "support/served.rs"]
mod served;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use served::{Served, available, python};

const TOPIC: &str = "failover";
/// The broker the scenario's placement makes the leader of `failover-0`, which its
/// timeline crashes at 8 s and restarts at 20 s.
const LEADER: i64 = 2;
/// How long the producer sends: from before the crash to after the restart.
const PRODUCE_SECONDS: &str = "26";

fn client_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(name)
}

fn bootstrap(served: &Served) -> String {
    let addrs: Vec<String> = served.brokers.iter().map(SocketAddr::to_string).collect();
    addrs.join(",")
}

/// The cluster as `kcat -L -J` lists it: the broker ids, and `failover-0`'s leader and ISR.
fn kcat_listing(bootstrap: &str) -> (Vec<i64>, i64, Vec<i64>) {
    let out = Command::new("kcat")
        .args(["-b", bootstrap, "-L", "-J", "-t", TOPIC, "-m", "10"])
        .output()
        .expect("kcat -L runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON metadata");
    let mut brokers: Vec<i64> = (meta["brokers"].as_array().expect("brokers").iter())
        .map(|b| b["id"].as_i64().expect("broker id"))
        .collect();
    brokers.sort_unstable();
    let partition = &meta["topics"][0]["partitions"][0];
    let isr = (partition["isrs"].as_array().expect("isrs").iter())
        .map(|b| b["id"].as_i64().expect("isr id"))
        .collect();
    let leader = partition["leader"].as_i64().expect("leader");
    (brokers, leader, isr)
}

fn wait_for_log(served: &Served, text: &str, within: Duration) {
    let start = Instant::now();
    while !served.log().contains(text) {
        assert!(
            start.elapsed() < within,
            "no {text:?} within {within:?}; the server's log:\n{}",
            served.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn spawn_python(script: &str, args: &[&str]) -> Child {
    Command::new(python())
        .arg(client_path(script))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs")
}

fn finish(child: Child, what: &str, served: &Served) -> serde_json::Value {
    let out = child.wait_with_output().expect("the client ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{what} failed:\n{stdout}\n{}\nthe server's log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        served.log()
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{what}: {e}: {stdout}"))
}

/// Every value in the topic, read from the beginning with kcat after the run.
fn read_back(bootstrap: &str) -> Vec<u64> {
    let out = Command::new("kcat")
        .args(["-b", bootstrap, "-C", "-t", TOPIC, "-o", "beginning", "-e"])
        .args(["-f", "%s\n", "-q"])
        .output()
        .expect("kcat -C runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (String::from_utf8_lossy(&out.stdout).lines())
        .map(|l| l.parse().expect("a numbered value"))
        .collect()
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64()
}

fn values(list: &serde_json::Value) -> Vec<u64> {
    (list.as_array().expect("a list").iter())
        .map(|v| v.as_u64().expect("a value"))
        .collect()
}

#[test]
fn acks_all_producer_and_group_survive_a_leader_crash_and_restart() {
    let probe = |program: &str, args: &[&str]| {
        let mut c = Command::new(program);
        c.args(args);
        c
    };
    let python = python();
    let tools = [
        ("kcat", probe("kcat", &["-V"])),
        ("kafka-python", probe(&python, &["-c", "import kafka"])),
        (
            "confluent-kafka",
            probe(&python, &["-c", "import confluent_kafka"]),
        ),
    ];
    for (what, mut probe) in tools {
        if !available(what, &mut probe) {
            return;
        }
    }
    let scenario = client_path("failover.toml");
    let served = Served::start_cluster(&["--scenario", scenario.to_str().expect("utf-8")], 3);
    let bootstrap = bootstrap(&served);

    let (brokers, leader, isr) = kcat_listing(&bootstrap);
    assert_eq!(brokers, [1, 2, 3], "three brokers before the crash");
    assert_eq!(
        leader, LEADER,
        "the scenario crashes the partition's leader"
    );
    assert_eq!(
        isr.len(),
        3,
        "every replica in sync before the crash: {isr:?}"
    );

    let stop_path = std::env::temp_dir().join(format!(
        "minikafka-failover-{}-{}.stop",
        std::process::id(),
        served.pid()
    ));
    let consumer = spawn_python(
        "failover_consumer.py",
        &[
            &bootstrap,
            TOPIC,
            "failover-group",
            stop_path.to_str().unwrap(),
            "120",
        ],
    );
    let producer = spawn_python(
        "failover_producer.py",
        &[&bootstrap, TOPIC, PRODUCE_SECONDS],
    );

    wait_for_log(
        &served,
        &format!("broker {LEADER} crashed"),
        Duration::from_secs(30),
    );
    let crashed_at = unix_now();
    std::thread::sleep(Duration::from_millis(300));
    let (brokers, leader, isr) = kcat_listing(&bootstrap);
    assert_eq!(
        brokers,
        [1, 3],
        "the crashed broker is gone from the metadata"
    );
    assert_ne!(leader, LEADER, "a new leader was elected");
    assert_eq!(isr.len(), 2, "the ISR shrank: {isr:?}");
    assert!(!isr.contains(&LEADER), "{isr:?}");

    wait_for_log(
        &served,
        &format!("broker {LEADER} restarted"),
        Duration::from_secs(30),
    );
    let restarted_at = unix_now();
    let produced = finish(producer, "the producer", &served);
    std::fs::write(&stop_path, b"").expect("stop file");
    let consumed = finish(consumer, "the consumer", &served);
    let _ = std::fs::remove_file(&stop_path);

    let sent = produced["sent"].as_u64().expect("sent");
    let acked: BTreeSet<u64> = values(&produced["acked"]).into_iter().collect();
    assert_eq!(produced["failed"], serde_json::json!({}), "{produced}");
    assert_eq!(produced["unflushed"], 0, "{produced}");
    assert_eq!(
        acked.len() as u64,
        sent,
        "every value sent was acknowledged once"
    );

    let stored = read_back(&bootstrap);
    let mut copies: BTreeMap<u64, u64> = BTreeMap::new();
    for v in &stored {
        *copies.entry(*v).or_default() += 1;
    }
    let missing: Vec<&u64> = acked.iter().filter(|v| !copies.contains_key(v)).collect();
    assert!(missing.is_empty(), "acknowledged values lost: {missing:?}");
    let duplicates = stored.len() - copies.len();
    println!("{sent} sent, all acknowledged, {duplicates} duplicates from retries");

    let read: Vec<(u64, f64)> = (consumed["read"].as_array().expect("read").iter())
        .map(|r| (r[0].as_u64().expect("value"), r[1].as_f64().expect("time")))
        .collect();
    let seen: BTreeSet<u64> = read.iter().map(|(v, _)| *v).collect();
    let unseen: Vec<&u64> = acked.difference(&seen).collect();
    assert!(unseen.is_empty(), "the group never read {unseen:?}");
    let before = read.iter().filter(|(_, t)| *t < crashed_at).count();
    let between = (read.iter())
        .filter(|(_, t)| (crashed_at..restarted_at).contains(t))
        .count();
    let after = read.iter().filter(|(_, t)| *t >= restarted_at).count();
    println!(
        "the group read {before} before the crash, {between} while down, {after} after; \
         poll errors: {}",
        consumed["poll_errors"]
    );
    assert!(
        before > 0 && between > 0 && after > 0,
        "{before} {between} {after}"
    );

    // Back in sync, and leading again as the preferred replica.
    let (brokers, leader, isr) = kcat_listing(&bootstrap);
    assert_eq!(brokers, [1, 2, 3]);
    assert_eq!((leader, isr.len()), (LEADER, 3), "{isr:?}");
}
