//! The cluster scenarios, run headless through the library: what each one teaches shows in
//! the report fields of docs/design.md ("Replication"); scenario files and live commands
//! with cluster mistakes are refused with their file, line and field.

use minikafka::broker::{BrokerState, EventKind};
use minikafka::sim::{
    ClusterReport, Command, PartitionReport, ProducerReport, Report, Scenario, ScenarioError,
    SimError, Simulation,
};

fn sim(name: &str) -> Simulation {
    Simulation::new(Scenario::bundled(name).unwrap(), None).unwrap()
}

/// Steps to `at_ms` of simulated time.
fn run_to(sim: &mut Simulation, at_ms: i64) -> Report {
    sim.step((at_ms - sim.now_ms()) as u64);
    sim.report()
}

fn cluster(r: &Report) -> &ClusterReport {
    r.cluster
        .as_ref()
        .expect("a [cluster] scenario reports its cluster")
}

fn producer<'r>(r: &'r Report, prefix: &str) -> &'r ProducerReport {
    (cluster(r).producers.iter())
        .find(|p| p.name.starts_with(prefix))
        .unwrap_or_else(|| panic!("no producer {prefix}"))
}

fn partitions(r: &Report) -> impl Iterator<Item = (&str, &PartitionReport)> {
    (r.topics.iter()).flat_map(|t| t.partitions.iter().map(move |p| (t.name.as_str(), p)))
}

fn total_lag(r: &Report) -> i64 {
    r.groups.iter().map(|g| g.total_lag).sum()
}

#[test]
fn replication_fails_over_cleanly_and_restores_the_isr() {
    let mut s = sim("replication");
    let before = run_to(&mut s, 19_000);
    let led_by_1: Vec<u32> = (partitions(&before))
        .filter(|(_, p)| p.replication.as_ref().unwrap().leader == Some(1))
        .map(|(_, p)| p.partition)
        .collect();
    assert!(!led_by_1.is_empty(), "broker 1 leads some partitions");
    let during = run_to(&mut s, 30_000);
    for (_, p) in partitions(&during) {
        let r = p.replication.as_ref().unwrap();
        assert!(
            !r.isr.contains(&1),
            "partition {}: ISR {:?} without broker 1",
            p.partition,
            r.isr
        );
        assert_ne!(r.leader, Some(1));
        if led_by_1.contains(&p.partition) {
            assert!(r.leader.is_some() && r.leader_epoch == 1, "{r:?}");
        }
    }
    let c = cluster(&during);
    assert_eq!((c.under_replicated, c.offline, c.acked_lost), (6, 0, 0));
    assert!(!c.brokers[0].up && c.brokers[0].leaders == 0);
    let after = run_to(&mut s, 90_000);
    for (_, p) in partitions(&after) {
        let r = p.replication.as_ref().unwrap();
        assert_eq!(r.isr.len(), 3, "ISR restored: {r:?}");
        assert_eq!(
            r.leader,
            Some(r.replicas[0]),
            "the preferred leader is back"
        );
        assert_eq!(r.truncated, 0);
    }
    let c = cluster(&after);
    assert_eq!(
        (c.under_replicated, c.acked_lost, c.unclean_elections),
        (0, 0, 0)
    );
    for p in &c.producers {
        assert_eq!((p.acked_lost, p.failed), (0, 0), "{p:?}");
        assert!(p.acked + 40 >= p.sent, "nearly all acknowledged: {p:?}");
    }
}

#[test]
fn acks_1_loses_acknowledged_records_and_acks_all_does_not() {
    let mut s = sim("acks");
    let r = run_to(&mut s, 60_000);
    let (one, all) = (producer(&r, "one"), producer(&r, "all"));
    assert_eq!((one.acks, all.acks), ("1", "all"));
    assert!(
        one.acked_lost > 0,
        "acks=1 lost acknowledged records: {one:?}"
    );
    assert_eq!(all.acked_lost, 0, "{all:?}");
    assert_eq!(cluster(&r).acked_lost, one.acked_lost);
    assert_eq!(cluster(&r).unclean_elections, 0, "a clean election did it");
    // The acks=all records the cut took were never acknowledged: sent again, not lost.
    let cut_all: u64 = (partitions(&r))
        .filter(|(t, _)| *t == "acks-all")
        .map(|(_, p)| p.replication.as_ref().unwrap().truncated)
        .sum();
    assert!(cut_all > 0, "the same crash cut the acks=all topic too");
    assert_eq!((all.failed, all.backlog), (0, 0));
    assert!(all.acked + 5 >= all.sent, "{all:?}");
}

#[test]
fn min_insync_refuses_writes_while_two_brokers_are_down_and_resumes() {
    let mut s = sim("min-insync");
    let down = run_to(&mut s, 45_000);
    let lag_then = total_lag(&down);
    let hws: Vec<i64> = partitions(&down).map(|(_, p)| p.high_watermark).collect();
    let later = run_to(&mut s, 58_000);
    let p = producer(&later, "checkout");
    assert!(
        p.failed > 0,
        "sends failed after the delivery timeout: {p:?}"
    );
    assert!(
        p.failed_by.get("NOT_ENOUGH_REPLICAS").copied() == Some(p.failed),
        "{p:?}"
    );
    assert!(p.backlog > 0);
    assert_eq!(
        partitions(&later)
            .map(|(_, p)| p.high_watermark)
            .collect::<Vec<_>>(),
        hws,
        "nothing written"
    );
    assert!(total_lag(&later) <= lag_then, "lag stops growing");
    assert_eq!(cluster(&later).offline, 0, "online, but refusing acks=all");
    let back = run_to(&mut s, 120_000);
    let resumed = partitions(&back)
        .zip(&hws)
        .all(|((_, p), before)| p.high_watermark > *before);
    assert!(resumed, "every partition takes writes again");
    let c = cluster(&back);
    assert_eq!((c.under_replicated, c.acked_lost), (0, 0));
    assert!(c.brokers.iter().all(|b| b.up));
    let p = producer(&back, "checkout");
    assert_eq!(p.backlog, 0, "the backlog drained");
}

#[test]
fn an_unclean_election_loses_acknowledged_records_and_reuses_offsets() {
    let mut s = sim("unclean-election");
    let before = run_to(&mut s, 29_990);
    let ends: Vec<i64> = (partitions(&before))
        .map(|(_, p)| p.replication.as_ref().unwrap().log_end_offset)
        .collect();
    let hws: Vec<i64> = partitions(&before).map(|(_, p)| p.high_watermark).collect();
    let after = run_to(&mut s, 30_000);
    let c = cluster(&after);
    assert!(c.unclean_elections > 0);
    assert!(c.acked_lost > 0, "acknowledged records gone");
    assert_eq!(
        producer(&after, "app").acked_lost,
        c.acked_lost,
        "with acks=all"
    );
    let went_back: Vec<usize> = (partitions(&after).enumerate())
        .filter(|(i, (_, p))| {
            let r = p.replication.as_ref().unwrap();
            r.log_end_offset < ends[*i] && p.high_watermark < hws[*i] && r.truncated > 0
        })
        .map(|(i, _)| i)
        .collect();
    assert!(
        !went_back.is_empty(),
        "a log end and high watermark went back"
    );
    // The offsets the cut freed hold new records, produced after the election.
    let cuts: Vec<(String, u32, i64)> = (s.broker().read().events().iter())
        .filter_map(|e| match &e.kind {
            EventKind::LogTruncated {
                topic,
                partition,
                from,
                ..
            } => Some((topic.clone(), *partition, *from)),
            _ => None,
        })
        .collect();
    assert!(cuts.len() >= went_back.len(), "{cuts:?}");
    run_to(&mut s, 40_000);
    let b = s.broker().read();
    for (topic, partition, from) in &cuts {
        let reused = b.partition(topic, *partition).unwrap().get(*from).unwrap();
        assert!(
            reused.timestamp_ms() >= 30_000,
            "offset {from} holds a new record"
        );
    }
    // The group had committed past the cut; its commits came back to the new end.
    let committed = |r: &Report, p: u32| r.groups[0].offsets[p as usize].committed.unwrap();
    for &i in &went_back {
        let (_, p) = partitions(&after).nth(i).unwrap();
        assert!(
            committed(&before, p.partition) > p.high_watermark,
            "committed past the cut"
        );
        assert_eq!(committed(&after, p.partition), p.high_watermark);
    }
}

#[test]
fn scenarios_without_a_cluster_report_as_before() {
    let mut s = sim("quickstart");
    let r = run_to(&mut s, 5_000);
    assert!(r.cluster.is_none());
    assert!(partitions(&r).all(|(_, p)| p.replication.is_none()));
    let json = serde_json::to_string(&r).unwrap();
    for field in ["brokers", "acked_lost", "leader", "isr", "producers"] {
        assert!(!json.contains(&format!("\"{field}\"")), "{field} in {json}");
    }
    let b = s.broker().read();
    assert_eq!(b.cluster().brokers().len(), 1);
}

#[test]
fn live_commands_act_on_brokers_and_refuse_unknown_ones() {
    let mut s = sim("replication");
    s.step(2_000);
    let out = s.apply(Command::CrashBroker { broker: 2 }).unwrap();
    assert!(out.contains("broker 2 crashed"), "{out}");
    assert!(
        s.apply(Command::CrashBroker { broker: 2 }).is_err(),
        "already down"
    );
    assert!(
        s.apply(Command::CrashBroker { broker: 4 }).is_err(),
        "no broker 4"
    );
    assert!(s.apply(Command::CrashBroker { broker: 0 }).is_err());
    let e = s
        .apply(Command::SlowBroker {
            broker: 1,
            rate: -1.0,
        })
        .unwrap_err();
    assert!(e.to_string().contains("between"), "{e}");
    assert!(
        s.apply(Command::SlowBroker {
            broker: 1,
            rate: f64::NAN
        })
        .is_err()
    );
    s.apply(Command::SlowBroker {
        broker: 1,
        rate: 5.0,
    })
    .unwrap();
    s.apply(Command::HealBroker { broker: 1 }).unwrap();
    s.apply(Command::StopBroker { broker: 3 }).unwrap();
    s.apply(Command::RestartBroker { broker: 2 }).unwrap();
    s.step(1_000);
    let b = s.broker().read();
    assert_eq!(b.cluster().node(3).unwrap().state(), BrokerState::Stopped);
    assert_eq!(
        b.offline_partitions(),
        0,
        "controlled shutdown kept every partition online"
    );
}

#[test]
fn the_same_seed_replays_a_cluster_scenario_exactly() {
    let run = |seed| {
        let mut s = Simulation::new(Scenario::bundled("acks").unwrap(), Some(seed)).unwrap();
        s.step(40_000);
        serde_json::to_string(&s.report()).unwrap()
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
}

fn error(text: &str) -> ScenarioError {
    match Scenario::parse(text, "talk.toml") {
        Err(SimError::Scenario(e)) => e,
        other => panic!("expected a scenario error, got {other:?}"),
    }
}

const GOOD: &str = r#"name = "ok"
[cluster]
brokers = 3
racks = ["a", "b", "c"]
[[topics]]
name = "orders"
partitions = 2
replication_factor = 3
min_insync_replicas = 2
[[producers]]
topic = "orders"
acks = "all"
[[timeline]]
at = "20s"
action = "crash_broker"
broker = 2
"#;

/// `GOOD` with line `line` (1-based) replaced.
fn with_line(line: usize, text: &str) -> String {
    let mut lines: Vec<&str> = GOOD.lines().collect();
    lines[line - 1] = text;
    lines.join("\n") + "\n"
}

#[test]
fn the_good_cluster_file_parses() {
    let s = Scenario::parse(GOOD, "talk.toml").unwrap();
    let c = s.cluster.as_ref().unwrap();
    assert_eq!(
        (
            c.brokers,
            c.replica_lag_time_max_ms,
            c.unclean_leader_election
        ),
        (3, 30_000, false)
    );
    assert_eq!(
        (
            s.topics[0].replication_factor,
            s.topics[0].min_insync_replicas
        ),
        (3, 2)
    );
    assert_eq!(s.timeline[0].command, Command::CrashBroker { broker: 2 });
    // "-1" is Kafka's other spelling of "all".
    Scenario::parse(&with_line(12, "acks = \"-1\""), "talk.toml").unwrap();
}

#[test]
fn cluster_mistakes_name_the_line_and_field() {
    let cases = [
        (3, "brokers = 0", "cluster.brokers", "between 1 and 32"),
        (3, "brokers = 33", "cluster.brokers", "between 1 and 32"),
        (
            4,
            "racks = [\"a\", \"b\"]",
            "cluster.racks",
            "one rack per broker",
        ),
        (
            4,
            "racks = [\"a\", \"b\", \"\"]",
            "cluster.racks",
            "between 1 and 64",
        ),
        (
            4,
            "racks = [\"a\", \"b c\", \"d\"]",
            "cluster.racks",
            "spaces",
        ),
        (
            4,
            "replica_lag_time_max_ms = 5",
            "cluster.replica_lag_time_max_ms",
            "between 10",
        ),
        (
            8,
            "replication_factor = 4",
            "topics[0].replication_factor",
            "the cluster has 3",
        ),
        (
            8,
            "replication_factor = 0",
            "topics[0].replication_factor",
            "between 1",
        ),
        (
            9,
            "min_insync_replicas = 4",
            "topics[0].min_insync_replicas",
            "more than the replication factor",
        ),
        (12, "acks = \"2\"", "producers[0].acks", "unknown variant"),
        (
            12,
            "retry_backoff_ms = 1",
            "producers[0].retry_backoff_ms",
            "between 10",
        ),
        (
            12,
            "delivery_timeout_ms = 0",
            "producers[0].delivery_timeout_ms",
            "between 100",
        ),
        (16, "broker = 4", "timeline[0].broker", "brokers 1 to 3"),
        (16, "broker = 0", "timeline[0].broker", "between 1"),
        (16, "brokr = 2", "timeline[0].brokr", "unknown field"),
        (3, "bro = 3", "cluster.bro", "unknown field"),
    ];
    for (line, text, field, message) in cases {
        let e = error(&with_line(line, text));
        assert_eq!((e.line, e.field.as_str()), (line, field), "{text}: {e}");
        assert!(e.message.contains(message), "{text}: {}", e.message);
    }
    let e = error(&with_line(16, "rate = 1.0"));
    assert!(e.message.contains("needs `broker`"), "{e}");
    let slow =
        with_line(15, "action = \"slow_broker\"").replace("broker = 2", "broker = 2\nrate = -3.0");
    let e = error(&slow);
    assert_eq!(e.field, "timeline[0].rate");
}

#[test]
fn replication_needs_a_cluster() {
    let text = "name = \"x\"\n[[topics]]\nname = \"t\"\npartitions = 1\nreplication_factor = 2\n";
    let e = error(text);
    assert_eq!(
        (e.line, e.field.as_str()),
        (5, "topics[0].replication_factor")
    );
    assert!(e.message.contains("set [cluster] brokers"), "{}", e.message);
}

/// Two brokers, one replica per partition, one group: what a broker's loss does to the
/// partitions it alone holds, and to the group it coordinates.
const FRAGILE: &str = r#"
name = "fragile"
[cluster]
brokers = 2
[[topics]]
name = "t"
partitions = 4
[[producers]]
topic = "t"
rate = 40.0
acks = "1"
delivery_timeout_ms = 60000
[[groups]]
name = "g"
topics = ["t"]
consumers = 2
process_rate = 100.0
"#;

fn fragile() -> Simulation {
    Simulation::new(Scenario::parse(FRAGILE, "fragile.toml").unwrap(), Some(3)).unwrap()
}

#[test]
fn an_offline_partition_stalls_its_consumer_and_its_producer_until_it_returns() {
    let mut s = fragile();
    let r = run_to(&mut s, 10_000);
    let on_2: Vec<u32> = (partitions(&r))
        .filter(|(_, p)| p.replication.as_ref().unwrap().leader == Some(2))
        .map(|(_, p)| p.partition)
        .collect();
    assert!(!on_2.is_empty());
    s.apply(Command::CrashBroker { broker: 2 }).unwrap();
    let down = run_to(&mut s, 12_000);
    let stalled = run_to(&mut s, 30_000);
    for (_, p) in partitions(&stalled) {
        let offline = on_2.contains(&p.partition);
        assert_eq!(p.replication.as_ref().unwrap().leader.is_none(), offline);
        let (_, before) = partitions(&down)
            .find(|(_, q)| q.partition == p.partition)
            .unwrap();
        assert_eq!(
            p.high_watermark == before.high_watermark,
            offline,
            "only offline partitions stand still"
        );
    }
    assert_eq!(cluster(&stalled).offline, on_2.len() as u64);
    let held = producer(&stalled, "t").backlog;
    assert!(held > 0, "records for offline partitions wait");
    let committed = |r: &Report, p: u32| r.groups[0].offsets[p as usize].committed;
    s.apply(Command::RestartBroker { broker: 2 }).unwrap();
    let back = run_to(&mut s, 40_000);
    assert_eq!(cluster(&back).offline, 0);
    assert_eq!(producer(&back, "t").backlog, 0, "the backlog went out");
    for p in &on_2 {
        assert!(
            committed(&back, *p) > committed(&stalled, *p),
            "partition {p} consumed again"
        );
    }
}

#[test]
fn groups_keep_working_when_their_coordinator_moves() {
    let mut s = fragile();
    run_to(&mut s, 10_000);
    let (coordinator, generation) = {
        let b = s.broker().read();
        (
            b.coordinator("g").unwrap(),
            b.group("g").unwrap().generation(),
        )
    };
    s.apply(Command::CrashBroker {
        broker: coordinator,
    })
    .unwrap();
    let consumed = s.consumed();
    run_to(&mut s, 40_000);
    let b = s.broker().read();
    let moved = b.coordinator("g").unwrap();
    assert_ne!(moved, coordinator);
    let group = b.group("g").unwrap();
    assert_eq!(
        group.generation(),
        generation,
        "no member expired: no rebalance"
    );
    assert_eq!(group.members().len(), 2);
    let event = (b.events().iter()).any(|e| {
        matches!(&e.kind, EventKind::CoordinatorMoved { group, coordinator: Some(c) } if group == "g" && *c == moved)
    });
    assert!(event, "the move is an event");
    drop(b);
    assert!(s.consumed() > consumed, "the group kept consuming");
}
