//! `observe` against minikafka's own server: what it reports is what the simulation's broker
//! holds, and the server received nothing but read requests from it.
//!
//! Two set-ups: the server in this process on a simulation held still (so the simulation's
//! own report of the same moment is the exact truth), and the `serve` binary running a
//! bundled scenario at real speed, where kafka-python's reading of the commits must fall
//! between two observations (commits only move forward in that scenario).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use minikafka::server::observe::READ_APIS;
use minikafka::server::{Server, ServerConfig};
use minikafka::sim::{Report, Scenario, Simulation};
use serde_json::Value;

fn observe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_minikafka-tui"))
        .arg("observe")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn observe_once(addr: &str) -> Value {
    let out = observe(&["--bootstrap", addr, "--json", "--once"]);
    assert!(
        out.status.success(),
        "observe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("observe prints JSON")
}

fn named<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing from {list}"))
}

/// Every group, member, committed offset and lag of the simulation's report, in the
/// observer's report.
fn matches_the_simulation(observed: &Value, sim: &Report) {
    for t in &sim.topics {
        let o = named(&observed["topics"], &t.name);
        for p in &t.partitions {
            let op = &o["partitions"][p.partition as usize];
            assert_eq!(
                op["log_start_offset"], p.log_start_offset,
                "{}/{}",
                t.name, p.partition
            );
            assert_eq!(
                op["high_watermark"], p.high_watermark,
                "{}/{}",
                t.name, p.partition
            );
        }
    }
    assert!(!sim.groups.is_empty());
    for g in &sim.groups {
        let o = named(&observed["groups"], &g.name);
        assert_eq!(o["state"], g.state.as_str(), "{}", g.name);
        let members: BTreeSet<&str> = o["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        let expected: BTreeSet<&str> = g.members.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(members, expected, "{} members", g.name);
        let offsets: BTreeMap<(String, u64), &Value> = o["offsets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    (
                        x["topic"].as_str().unwrap().to_string(),
                        x["partition"].as_u64().unwrap(),
                    ),
                    x,
                )
            })
            .collect();
        let mut committed = 0;
        for off in &g.offsets {
            let Some(c) = off.committed else {
                continue;
            };
            committed += 1;
            let x = offsets
                .get(&(off.topic.clone(), u64::from(off.partition)))
                .unwrap_or_else(|| {
                    panic!(
                        "{} has no offset for {}/{}",
                        g.name, off.topic, off.partition
                    )
                });
            assert_eq!(
                x["committed"], c,
                "{} {}/{}",
                g.name, off.topic, off.partition
            );
            assert_eq!(
                x["lag"], off.lag,
                "{} {}/{}",
                g.name, off.topic, off.partition
            );
        }
        assert!(committed > 0, "{} has committed by now", g.name);
    }
}

#[test]
fn observe_reports_what_the_simulation_holds_and_only_reads() {
    let mut sim = Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(7)).unwrap();
    // Long enough for both groups to have joined and auto-committed a few times.
    sim.step(20_000);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        // Nothing may change while the observer reads: the simulation is the clock.
        tick_groups: false,
        ..ServerConfig::default()
    };
    let server = runtime
        .block_on(Server::bind(config, sim.broker().clone()))
        .unwrap();
    let addr = server.local_addr().to_string();
    let stats = server.stats();
    runtime.spawn(server.run(std::future::pending()));

    let observed = observe_once(&addr);
    matches_the_simulation(&observed, &sim.report());

    let received: BTreeSet<i16> = stats.requests_by_api().into_keys().collect();
    let reads: BTreeSet<i16> = READ_APIS.iter().map(|&k| k as i16).collect();
    assert!(
        received.is_subset(&reads),
        "observe sent {:?}, beyond the read APIs {reads:?}",
        received.difference(&reads).collect::<Vec<_>>()
    );
    use kafka_protocol::messages::ApiKey;
    for api in [
        ApiKey::ApiVersions,
        ApiKey::Metadata,
        ApiKey::ListOffsets,
        ApiKey::ListGroups,
        ApiKey::FindCoordinator,
        ApiKey::DescribeGroups,
        ApiKey::OffsetFetch,
        ApiKey::Fetch,
    ] {
        assert!(received.contains(&(api as i16)), "{api:?} was exercised");
    }
}

/// A `serve` process, killed when dropped.
struct Served {
    child: Child,
    addr: String,
}

impl Served {
    fn start(args: &[&str]) -> Served {
        Served::start_at("127.0.0.1:0", args)
    }

    fn start_at(listen: &str, args: &[&str]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_minikafka-tui"))
            .args(["serve", "--listen", listen])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.split_whitespace().last().unwrap().to_string();
        Served { child, addr }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (group, topic, partition) → committed, from a report.
fn commits(report: &Value) -> BTreeMap<(String, String, u64), i64> {
    let mut out = BTreeMap::new();
    for g in report["groups"].as_array().unwrap() {
        for o in g["offsets"].as_array().unwrap() {
            if let Some(c) = o["committed"].as_i64() {
                let key = (
                    g["name"].as_str().unwrap().to_string(),
                    o["topic"].as_str().unwrap().to_string(),
                    o["partition"].as_u64().unwrap(),
                );
                out.insert(key, c);
            }
        }
    }
    out
}

/// The same commits read by another client: kafka-python's admin API.
fn admin_commits(addr: &str) -> BTreeMap<(String, String, u64), i64> {
    // kafka-python 2 names it list_consumer_group_offsets(group); 3 has list_group_offsets.
    let script = r#"
import json, sys
from kafka import KafkaAdminClient
a = KafkaAdminClient(bootstrap_servers=sys.argv[1])
def offsets(g):
    if hasattr(a, 'list_consumer_group_offsets'):
        return a.list_consumer_group_offsets(g)
    return a.list_group_offsets({g: None})[g]
print(json.dumps([[g, tp.topic, tp.partition, om.offset]
                  for g in ('billing', 'analytics') for tp, om in offsets(g).items()]))
"#;
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let out = Command::new(python)
        .args(["-c", script, addr])
        .output()
        .expect("python runs (CI installs kafka-python)");
    assert!(
        out.status.success(),
        "kafka-python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<(String, String, u64, i64)> = serde_json::from_slice(&out.stdout).unwrap();
    rows.into_iter()
        .map(|(g, t, p, o)| ((g, t, p), o))
        .collect()
}

#[test]
fn observing_serve_brackets_the_broker_between_two_polls() {
    let served = Served::start(&["--scenario", "quickstart"]);
    // The groups join and make their first automatic commits within a few seconds; the
    // scenario's next membership change is at 30 s.
    let mut before = observe_once(&served.addr);
    for _ in 0..40 {
        if commits(&before).len() == 8 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
        before = observe_once(&served.addr);
    }
    let m = admin_commits(&served.addr);
    let middle = observe_once(&served.addr);
    let after = observe_once(&served.addr);
    let (b, a) = (commits(&before), commits(&after));
    assert_eq!(
        b.len(),
        8,
        "both groups committed on all four partitions: {before}"
    );
    assert_eq!(m.len(), 8, "kafka-python reads the same commits: {m:?}");
    for (key, &mid) in &m {
        assert!(
            b[key] <= mid && mid <= a[key],
            "{key:?}: {} <= {mid} <= {}",
            b[key],
            a[key]
        );
    }
    for g in ["billing", "analytics"] {
        let members = |r: &Value| named(&r["groups"], g)["members"].as_array().unwrap().len();
        assert_eq!(members(&middle), if g == "billing" { 2 } else { 1 }, "{g}");
        let o = named(&middle["groups"], g);
        for off in o["offsets"].as_array().unwrap() {
            let p = off["partition"].as_u64().unwrap() as usize;
            let hw = named(&middle["topics"], "orders")["partitions"][p]["high_watermark"]
                .as_i64()
                .unwrap();
            assert_eq!(
                off["lag"].as_i64().unwrap(),
                hw - off["committed"].as_i64().unwrap(),
                "{g}/{p}"
            );
        }
    }
}

#[test]
fn an_unreachable_cluster_is_retried_then_reported() {
    // A port nobody listens on any more.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let out = observe(&[
        "--bootstrap",
        &addr,
        "--json",
        "--duration",
        "2s",
        "--interval",
        "500ms",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["reachable"], false);
    assert_eq!(report["polls"], 0);
    assert!(report["failed_polls"].as_u64().unwrap() >= 2, "retried");
    let error = report["error"].as_str().unwrap();
    assert!(error.contains(&addr), "the error names the broker: {error}");

    let started = std::time::Instant::now();
    let out = observe(&["--bootstrap", &addr, "--json", "--once", "--duration", "1s"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no broker answered"), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "gave up in time"
    );
}

#[test]
fn a_broker_that_goes_away_is_reconnected() {
    let first = Served::start(&["--scenario", "quickstart"]);
    let addr = first.addr.clone();
    let observer = Command::new(env!("CARGO_BIN_EXE_minikafka-tui"))
        .args([
            "observe",
            "--bootstrap",
            &addr,
            "--json",
            "--duration",
            "9s",
        ])
        .args(["--interval", "500ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    drop(first);
    std::thread::sleep(std::time::Duration::from_secs(2));
    // The same address again: the observer's connections broke and must be made anew.
    let _second = Served::start_at(&addr, &["--scenario", "quickstart"]);
    let out = observer.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["reachable"], true,
        "back after the restart: {}",
        report["error"]
    );
    assert!(
        report["polls"].as_u64().unwrap() >= 4,
        "polled before and after: {}",
        report["polls"]
    );
    assert!(
        report["failed_polls"].as_u64().unwrap() >= 1,
        "the outage was seen"
    );
}
