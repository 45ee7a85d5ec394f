//! Random sequences of runtime commands, as an audience at the keyboard would send them,
//! never break the invariants of docs/design.md, and never make the run depend on anything but
//! the seed and the commands.

use minikafka::broker::ResetSpec;
use minikafka::sim::{Command, Scenario, Simulation};
use proptest::prelude::*;

const GROUPS: [&str; 3] = ["billing", "analytics", "group-3"];

fn command(kind: u8, target: usize) -> Command {
    let group = GROUPS[target % GROUPS.len()].to_string();
    let topic = "orders".to_string();
    match kind % 14 {
        0 => Command::AddProducer { topic },
        1 => Command::RemoveProducer { topic },
        2 => Command::SetProducerRate {
            topic,
            rate: 5.0 * target as f64,
        },
        3 => Command::ScaleProducerRate { topic, factor: 1.5 },
        4 => Command::AddConsumer { group },
        5 => Command::RemoveConsumer { group },
        6 => Command::CrashConsumer { group },
        7 => Command::AddGroup {
            name: None,
            topics: vec![topic],
        },
        8 => Command::ResetOffsets {
            group,
            to: if target % 2 == 0 {
                ResetSpec::Earliest
            } else {
                ResetSpec::Latest
            },
        },
        9 => Command::SetProcessRate {
            group,
            rate: 10.0 * target as f64,
        },
        10 => Command::ScaleProcessRate { group, factor: 0.5 },
        11 => Command::PauseGroup { group },
        12 => Command::ResumeGroup { group },
        _ => Command::AddConsumer { group },
    }
}

/// Sticky assignors, retention and a manual commit policy: the paths quickstart leaves out.
const STICKY: &str = r#"
name = "sticky"
[[topics]]
name = "orders"
partitions = 5
retention_ms = 20000
[[producers]]
topic = "orders"
rate = 40.0
[[groups]]
name = "billing"
topics = ["orders"]
consumers = 3
process_rate = 15.0
assignor = "cooperative-sticky"
commit = "every_n"
commit_every = 7
session_timeout_ms = 2000
[[groups]]
name = "analytics"
topics = ["orders"]
consumers = 2
assignor = "sticky"
commit = "every_poll"
max_poll_records = 5
"#;

fn run(script: &[(u8, usize, u64)], sticky: bool) -> String {
    let scenario = if sticky {
        Scenario::parse(STICKY, "sticky.toml").unwrap()
    } else {
        Scenario::bundled("quickstart").unwrap()
    };
    let mut sim = Simulation::new(scenario, Some(3)).unwrap();
    for &(kind, target, dt) in script {
        // Refused commands are part of the test: they must leave everything consistent.
        let _ = sim.apply(command(kind, target));
        sim.step(dt);
        sim.check_invariants().unwrap();
    }
    sim.step(30_000);
    sim.check_invariants().unwrap();
    serde_json::to_string(&sim.report()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_commands_keep_the_invariants(
        script in prop::collection::vec((0u8..14, 0usize..6, 10u64..8_000), 1..25),
        sticky: bool,
    ) {
        let a = run(&script, sticky);
        prop_assert_eq!(a, run(&script, sticky));
    }
}
