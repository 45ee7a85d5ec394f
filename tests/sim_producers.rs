//! Producers, determinism, the timeline and presenter mode.

use minikafka::broker::{KeyHasher, TopicPartition};
use minikafka::sim::{Command, Scenario, Simulation, TICK_MS};

fn sim_seed(toml: &str, seed: u64) -> Simulation {
    Simulation::new(Scenario::parse(toml, "test.toml").unwrap(), Some(seed)).unwrap()
}

fn sim(toml: &str) -> Simulation {
    sim_seed(toml, 1)
}

fn producer(extra: &str, partitions: u32) -> String {
    format!(
        "name = \"p\"\n[[topics]]\nname = \"t\"\npartitions = {partitions}\n[[producers]]\ntopic = \"t\"\n{extra}\n"
    )
}

/// Every record's key in partition `p`, oldest first.
fn keys_in(sim: &Simulation, p: u32) -> Vec<String> {
    let b = sim.broker().read();
    b.partition("t", p)
        .unwrap()
        .iter_from(0)
        .map(|r| {
            r.key()
                .map_or_else(String::new, |k| String::from_utf8_lossy(k).into_owned())
        })
        .collect()
}

fn hws(sim: &Simulation, topic: &str) -> Vec<i64> {
    let b = sim.broker().read();
    b.topic(topic)
        .unwrap()
        .partitions()
        .iter()
        .map(|l| l.high_watermark())
        .collect()
}

#[test]
fn rates_accumulate_fractions_without_drift() {
    let mut s = sim(&producer("rate = 0.3", 1));
    s.step(1_000_000);
    assert_eq!(s.produced(), 300);
    let mut s = sim(&producer("rate = 33.3\ncount = 3", 1));
    s.step(60_000);
    assert_eq!(s.produced(), 3 * 1998);
}

#[test]
fn step_sizes_do_not_change_the_run() {
    let toml = Scenario::bundled("rebalance").unwrap();
    let mut a = Simulation::new(toml.clone(), Some(9)).unwrap();
    let mut b = Simulation::new(toml, Some(9)).unwrap();
    a.step(90_000);
    for _ in 0..9_000 {
        b.step(TICK_MS);
    }
    assert_eq!(
        serde_json::to_string(&a.report()).unwrap(),
        serde_json::to_string(&b.report()).unwrap()
    );
    // Remainders carry over: 3 × 7 ms is two ticks and 1 ms owed.
    let mut c = sim(&producer("rate = 1000.0", 1));
    c.step(7);
    c.step(7);
    c.step(7);
    assert_eq!(c.now_ms(), 20);
    c.step(9);
    assert_eq!(c.now_ms(), 30);
}

#[test]
fn same_seed_same_report_and_different_seed_different_report() {
    let run = |seed| {
        let mut s = Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(seed)).unwrap();
        s.step(120_000);
        serde_json::to_string(&s.report()).unwrap()
    };
    assert_eq!(run(42), run(42));
    assert_ne!(run(42), run(43));
}

#[test]
fn the_scenario_seed_is_used_unless_overridden() {
    let s = Simulation::new(Scenario::bundled("quickstart").unwrap(), None).unwrap();
    assert_eq!(s.seed(), 42);
    let s = Simulation::new(Scenario::bundled("rebalance").unwrap(), None).unwrap();
    assert_eq!(s.seed(), minikafka::sim::DEFAULT_SEED);
    let s = Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(5)).unwrap();
    assert_eq!(s.seed(), 5);
}

#[test]
fn adding_a_producer_does_not_reshuffle_the_others() {
    let toml = "name = \"p\"\n[[topics]]\nname = \"t\"\npartitions = 8\n[[topics]]\nname = \"u\"\npartitions = 8\n\
                [[producers]]\ntopic = \"t\"\nrate = 100.0\nkey_count = 1000\n";
    let mut a = sim(toml);
    let mut b = sim(toml);
    b.apply(Command::AddProducer { topic: "u".into() }).unwrap();
    a.step(30_000);
    b.step(30_000);
    assert_eq!(hws(&a, "t"), hws(&b, "t"));
    assert_eq!(b.producers()[1].produced, 300, "a default producer: 10/s");
}

#[test]
fn keys_hash_with_the_chosen_partitioner() {
    for (name, hasher) in [("murmur2", KeyHasher::Murmur2), ("crc32", KeyHasher::Crc32)] {
        let mut s = sim(&producer(
            &format!("rate = 200.0\nkey_count = 40\npartitioner = \"{name}\""),
            6,
        ));
        s.step(5_000);
        assert_eq!(s.producers()[0].partitioner, hasher);
        for p in 0..6 {
            for k in keys_in(&s, p) {
                assert_eq!(hasher.partition(k.as_bytes(), 6), p, "{name}: {k}");
            }
        }
    }
}

#[test]
fn sequential_keys_cycle_in_order() {
    let mut s = sim(&producer(
        "rate = 10.0\nkeys = \"sequential\"\nkey_count = 3",
        1,
    ));
    s.step(700);
    assert_eq!(
        keys_in(&s, 0),
        [
            "key-0", "key-1", "key-2", "key-0", "key-1", "key-2", "key-0"
        ]
    );
}

#[test]
fn uniform_keys_use_the_whole_key_space() {
    let mut s = sim(&producer(
        "rate = 1000.0\nkeys = \"uniform\"\nkey_count = 10",
        1,
    ));
    s.step(10_000);
    let keys = keys_in(&s, 0);
    for i in 0..10 {
        let n = keys.iter().filter(|k| **k == format!("key-{i}")).count();
        assert!((800..1200).contains(&n), "key-{i}: {n}");
    }
}

#[test]
fn zipf_keys_make_the_first_key_hot() {
    let mut s = sim(&producer(
        "rate = 1000.0\nkeys = \"zipf\"\nkey_count = 50\nzipf_s = 1.2",
        1,
    ));
    s.step(10_000);
    let keys = keys_in(&s, 0);
    let count = |k: &str| keys.iter().filter(|x| *x == k).count();
    assert!(count("key-0") > 2 * count("key-1"));
    assert!(count("key-1") > count("key-10"));
}

#[test]
fn null_keys_stick_to_a_partition_per_batch() {
    let mut s = sim(&producer(
        "rate = 1000.0\nkeys = \"none\"\nvalue_bytes = 1024",
        4,
    ));
    s.step(10_000);
    assert!(keys_in(&s, 0).iter().all(String::is_empty));
    // 16 records of 1 KiB fill a batch, then the partition changes: all get some.
    let h = hws(&s, "t");
    assert_eq!(h.iter().sum::<i64>(), 10_000);
    assert!(h.iter().all(|&n| n > 1000), "{h:?}");
}

#[test]
fn values_have_the_configured_size_and_virtual_timestamps() {
    let mut s = sim(&producer("rate = 10.0\nvalue_bytes = 300", 1));
    s.step(1_000);
    let b = s.broker().read();
    let log = b.partition("t", 0).unwrap();
    let first = log.get(0).unwrap();
    assert_eq!(first.value().unwrap().len(), 300);
    assert_eq!(first.timestamp_ms(), 100);
    assert_eq!(log.get(9).unwrap().timestamp_ms(), 1_000);
}

#[test]
fn producers_start_stop_and_change_rate_at_runtime() {
    let mut s = sim(&producer("rate = 10.0", 1));
    s.step(10_000);
    assert_eq!(s.produced(), 100);
    s.apply(Command::AddProducer { topic: "t".into() }).unwrap();
    s.step(10_000);
    assert_eq!(s.produced(), 300);
    assert_eq!(s.producers().len(), 2);
    assert_eq!(s.producers()[1].name, "t-2");
    s.apply(Command::SetProducerRate {
        topic: "t".into(),
        rate: 50.0,
    })
    .unwrap();
    s.step(10_000);
    assert_eq!(s.produced(), 1_300);
    s.apply(Command::ScaleProducerRate {
        topic: "t".into(),
        factor: 0.5,
    })
    .unwrap();
    s.step(10_000);
    assert_eq!(s.produced(), 1_800);
    s.apply(Command::RemoveProducer { topic: "t".into() })
        .unwrap();
    s.step(10_000);
    assert_eq!(s.produced(), 2_050);
    assert!(!s.producers()[1].active);
    assert!(s.producers()[0].active);
}

#[test]
fn bad_commands_are_refused_and_change_nothing() {
    let mut s = sim(&producer("rate = 10.0", 1));
    s.step(1_000);
    let before = s.report();
    for cmd in [
        Command::AddProducer {
            topic: "nope".into(),
        },
        Command::SetProducerRate {
            topic: "t".into(),
            rate: -1.0,
        },
        Command::SetProducerRate {
            topic: "t".into(),
            rate: f64::NAN,
        },
        Command::ScaleProducerRate {
            topic: "t".into(),
            factor: 0.0,
        },
        Command::AddConsumer {
            group: "nope".into(),
        },
        Command::RemoveConsumer {
            group: "nope".into(),
        },
        Command::AddGroup {
            name: None,
            topics: vec![],
        },
        Command::AddGroup {
            name: None,
            topics: vec!["nope".into()],
        },
    ] {
        assert!(s.apply(cmd.clone()).is_err(), "{cmd:?}");
    }
    assert_eq!(s.report(), before);
    assert_eq!(s.producers()[0].rate, 10.0);
}

const EVERY_ACTION: &str = r#"
name = "all"
[[topics]]
name = "t"
partitions = 2
[[producers]]
topic = "t"
rate = 10.0
[[groups]]
name = "g"
topics = ["t"]
process_rate = 100.0
[[timeline]]
at = "1s"
action = "add_producer"
topic = "t"
caption = "one"
[[timeline]]
at = "2s"
action = "set_producer_rate"
topic = "t"
rate = 20.0
caption = "two"
[[timeline]]
at = "3s"
action = "scale_producer_rate"
topic = "t"
factor = 2.0
[[timeline]]
at = "4s"
action = "remove_producer"
topic = "t"
[[timeline]]
at = "5s"
action = "add_consumer"
group = "g"
[[timeline]]
at = "6s"
action = "remove_consumer"
group = "g"
[[timeline]]
at = "7s"
action = "add_group"
name = "h"
topics = ["t"]
[[timeline]]
at = "8s"
action = "set_process_rate"
group = "h"
rate = 5.0
[[timeline]]
at = "9s"
action = "scale_process_rate"
group = "h"
factor = 3.0
[[timeline]]
at = "10s"
action = "pause_group"
group = "h"
[[timeline]]
at = "11s"
action = "resume_group"
group = "h"
[[timeline]]
at = "12s"
action = "crash_consumer"
group = "g"
[[timeline]]
at = "13s"
action = "reset_offsets"
group = "h"
to = "shift:-5"
[[timeline]]
at = "13s"
action = "add_group"
topics = ["t"]
"#;

#[test]
fn every_timeline_action_fires_in_order_with_its_caption() {
    let mut s = sim(EVERY_ACTION);
    s.step(20_000);
    let fired: Vec<_> = s.captions().collect();
    assert_eq!(fired.len(), 14);
    for (f, want) in fired.iter().zip([
        "add_producer",
        "set_producer_rate",
        "scale_producer_rate",
        "remove_producer",
        "add_consumer",
        "remove_consumer",
        "add_group",
        "set_process_rate",
        "scale_process_rate",
        "pause_group",
        "resume_group",
        "crash_consumer",
        "reset_offsets",
        "add_group",
    ]) {
        assert_eq!(f.action, want);
        assert!(f.ok, "{}: {}", f.action, f.outcome);
    }
    assert_eq!(fired[0].at_ms, 1_000);
    assert_eq!(fired[0].caption, "one");
    assert_eq!(fired[1].caption, "two");
    assert_eq!(s.producers().len(), 2);
    // Rates: 20 each at 2 s, 40 each at 3 s, then the newest stopped at 4 s.
    assert_eq!(s.producers()[0].rate, 40.0);
    assert!(s.producers()[0].active && !s.producers()[1].active);
    let h = s.group("h").unwrap();
    assert_eq!(h.process_rate(), 15.0);
    assert!(!h.paused());
    assert_eq!(
        s.group("g").unwrap().consumers(),
        0,
        "added one, removed one, crashed one"
    );
    assert_eq!(s.groups().len(), 3);
    assert_eq!(s.groups()[2].name(), "group-3");
    assert_eq!(s.groups()[2].index(), 2);
}

#[test]
fn presenter_mode_holds_at_each_beat() {
    let mut s = sim(EVERY_ACTION);
    s.set_hold_at_beats(true);
    s.step(5_000);
    assert!(s.held_at_beat());
    assert_eq!(s.now_ms(), 1_000);
    assert_eq!(s.captions().count(), 0);
    s.step(5_000);
    assert_eq!(s.now_ms(), 1_000, "time does not pass while held");
    assert_eq!(s.next_beat().unwrap().at_ms, 1_000);
    s.release_beat();
    assert!(!s.held_at_beat());
    assert_eq!(s.captions().count(), 1);
    s.step(5_000);
    assert_eq!((s.now_ms(), s.held_at_beat()), (2_000, true));
    s.set_hold_at_beats(false);
    s.step(30_000);
    assert_eq!(s.captions().count(), 14);
}

#[test]
fn metrics_sample_rates_and_stay_bounded() {
    let toml = "name = \"m\"\n[[topics]]\nname = \"t\"\npartitions = 2\n[[producers]]\ntopic = \"t\"\nrate = 100.0\nkeys = \"sequential\"\nkey_count = 2\n\
                [[groups]]\nname = \"g\"\ntopics = [\"t\"]\nprocess_rate = 60.0\n";
    let mut s = sim(toml);
    s.step(10_000);
    let m = s.metrics();
    assert_eq!(m.topic_produce_rate("t"), 100.0);
    assert_eq!(
        m.partition_produce_rate("t", 0) + m.partition_produce_rate("t", 1),
        100.0
    );
    assert_eq!(m.group_consume_rate("g"), 60.0);
    assert_eq!(s.group("g").unwrap().consume_rate(), 60.0);
    let lag = m.group_lag_history("g").unwrap();
    assert_eq!(lag.len(), 10);
    // Lag grows by 40/s (commits every 5 s make it step).
    assert!(lag.last().unwrap() >= 400);
    let tp = TopicPartition::new("t", 0);
    assert_eq!(m.partition_lag_history("g", &tp).unwrap().len(), 10);
    s.step(3_600_000);
    let m = s.metrics();
    assert_eq!(
        m.group_lag_history("g").unwrap().len(),
        minikafka::sim::HISTORY_CAPACITY
    );
    assert_eq!(
        m.topic("t").unwrap().history.len(),
        minikafka::sim::HISTORY_CAPACITY
    );
}

#[test]
fn a_simulation_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Simulation>();
}

#[test]
fn step_pieces_are_sized_by_the_work_expected() {
    // Quickstart: two producers at 20/s and three members processing 30 or 40/s each,
    // 1.5 records a 10 ms tick, plus one for each of its five actors: 4 096 records is 630
    // ticks.
    let quick = Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(1)).unwrap();
    assert_eq!(quick.expected_records_per_sec(), 40.0 + 2.0 * 40.0 + 30.0);
    assert_eq!(quick.step_size_for(4_096), 630 * TICK_MS);
    // A million a second is 10 000 a tick: never less than one tick, however busy.
    let busy = sim(&producer("rate = 1000000.0", 1));
    assert_eq!(busy.step_size_for(4_096), TICK_MS);
    assert_eq!(busy.step_size_for(100_000), 9 * TICK_MS);
    // Nothing at all to do: as long a step as asked for.
    let idle = sim("name = \"idle\"\n[[topics]]\nname = \"t\"\npartitions = 1\n");
    assert!(idle.step_size_for(1) >= 1_000_000 * TICK_MS);
}

#[test]
fn stepping_in_pieces_of_the_work_size_gives_the_run_of_one_long_step() {
    let scenario = Scenario::bundled("at-least-once").unwrap();
    let mut whole = Simulation::new(scenario.clone(), Some(7)).unwrap();
    let mut pieces = Simulation::new(scenario, Some(7)).unwrap();
    whole.step(90_000);
    let mut done = 0;
    while done < 90_000 {
        let piece = pieces.step_size_for(64).min(90_000 - done);
        pieces.step(piece);
        done += piece;
    }
    assert_eq!(whole.report(), pieces.report());
    assert_eq!(whole.produced(), pieces.produced());
}
