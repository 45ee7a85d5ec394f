//! Random broker actions (crash, restart, stop, slow, heal) mixed with producer and group
//! commands, on a replicated cluster with and without unclean election: the simulation's
//! invariants (debug builds check them after every step too) hold throughout, and the run
//! depends on nothing but the seed and the commands.

use minikafka::sim::{Command, Scenario, Simulation};
use proptest::prelude::*;

fn command(kind: u8, target: u8) -> Command {
    let broker = i32::from(target % 3) + 1;
    let group = "billing".to_string();
    let topic = "orders".to_string();
    match kind % 10 {
        0 | 1 => Command::CrashBroker { broker },
        2 | 3 => Command::RestartBroker { broker },
        4 => Command::StopBroker { broker },
        5 => Command::SlowBroker {
            broker,
            rate: f64::from(target) * 5.0,
        },
        6 => Command::HealBroker { broker },
        7 => Command::CrashConsumer { group },
        8 => Command::AddConsumer { group },
        _ => Command::AddProducer { topic },
    }
}

fn scenario(unclean: bool) -> Scenario {
    let text = format!(
        r#"
name = "cluster"
[cluster]
brokers = 3
replica_lag_time_max_ms = 2000
unclean_leader_election = {unclean}
[[topics]]
name = "orders"
partitions = 4
retention_ms = 20000
replication_factor = 3
min_insync_replicas = 2
[[producers]]
topic = "orders"
rate = 40.0
acks = "all"
delivery_timeout_ms = 5000
[[producers]]
topic = "orders"
rate = 30.0
acks = "1"
[[producers]]
topic = "orders"
rate = 10.0
keys = "none"
acks = "0"
[[groups]]
name = "billing"
topics = ["orders"]
consumers = 2
process_rate = 50.0
session_timeout_ms = 3000
"#
    );
    Scenario::parse(&text, "cluster.toml").unwrap()
}

fn run(script: &[(u8, u8, u64)], unclean: bool) -> String {
    let mut sim = Simulation::new(scenario(unclean), Some(9)).unwrap();
    for &(kind, target, dt) in script {
        // A refused action (crashing a crashed broker) must leave everything as it was.
        let _ = sim.apply(command(kind, target));
        sim.step(dt);
        sim.check_invariants().unwrap();
        sim.watch_invariants().unwrap();
    }
    sim.step(20_000);
    sim.check_invariants().unwrap();
    serde_json::to_string(&sim.report()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_broker_actions_keep_the_invariants(
        script in prop::collection::vec((0u8..10, 0u8..6, 10u64..6_000), 1..25),
        unclean: bool,
    ) {
        let a = run(&script, unclean);
        prop_assert_eq!(a, run(&script, unclean));
    }
}
