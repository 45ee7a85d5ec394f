//! Group protocols and static membership in the simulation: the `rebalance-protocols`
//! lesson run headless through the binary, restarts of static and dynamic members under
//! both protocols, consumer-protocol groups at work, and the scenario keys' errors.

use std::path::PathBuf;
use std::process::Command;

use minikafka::broker::{EventKind, GroupState, GroupType};
use minikafka::sim::{Command as SimCommand, Scenario, ScenarioError, SimError, Simulation};
use serde_json::Value;

/// The headless JSON report of `scenario` (a bundled name or a path) after `duration`.
fn headless(scenario: &str, duration: &str, seed: u64) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_minikafka-tui"))
        .args(["--headless", "--json", "--duration", duration, "--scenario"])
        .arg(scenario)
        .args(["--seed", &seed.to_string()])
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is the JSON report")
}

fn group<'v>(report: &'v Value, name: &str) -> &'v Value {
    report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no group {name} in the report"))
}

fn temp_scenario(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("minikafka-protocols-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_lesson_ranks_eager_above_cooperative_above_the_consumer_protocol() {
    for seed in [1, 42] {
        let r = headless("rebalance-protocols", "180s", seed);
        let cost = |g: &str| group(&r, g)["unowned_partition_ms"].as_u64().unwrap();
        let (eager, cooperative, kip848) = (cost("eager"), cost("cooperative"), cost("kip848"));
        assert!(
            eager > cooperative && cooperative > kip848,
            "seed {seed}: eager {eager}, cooperative {cooperative}, consumer protocol {kip848}"
        );
        for (name, protocol) in [
            ("eager", "classic"),
            ("cooperative", "classic"),
            ("kip848", "consumer"),
        ] {
            let g = group(&r, name);
            assert_eq!(g["protocol"], protocol, "{name}");
            assert_eq!(g["state"], "Stable", "{name} settles by the end");
            assert_eq!(g["members"].as_array().unwrap().len(), 4, "{name}");
            assert!(g["rebalances"].as_u64().unwrap() >= 10, "{name}: {g}");
            let owned: usize = (g["members"].as_array().unwrap().iter())
                .map(|m| m["assignment"].as_array().unwrap().len())
                .sum();
            assert_eq!(
                owned, 12,
                "{name}: every partition has one owner at the end"
            );
        }
        // Cooperative-sticky takes two rebalances where the others take one.
        let rebalances = |g: &str| group(&r, g)["rebalances"].as_u64().unwrap();
        assert!(rebalances("cooperative") > rebalances("eager"));
    }
}

#[test]
fn reports_of_groups_without_a_protocol_keep_their_shape() {
    let r = headless("quickstart", "5s", 1);
    for g in r["groups"].as_array().unwrap() {
        for key in ["protocol", "rebalances", "unowned_partition_ms"] {
            assert!(g.get(key).is_none(), "{key} in {g}");
        }
    }
}

/// One topic, one group of two members under `protocol`, static or not, and a restart of
/// one member at 20 s for `downtime`.
fn restart_scenario(protocol: &str, assignor: &str, is_static: bool, downtime: &str) -> String {
    format!(
        r#"name = "restart"
[[topics]]
name = "t"
partitions = 4
[[producers]]
topic = "t"
rate = 40.0
[[groups]]
name = "g"
topics = ["t"]
consumers = 2
process_rate = 100.0
protocol = "{protocol}"
assignor = "{assignor}"
static = {is_static}
session_timeout_ms = 10000
[[timeline]]
at = "20s"
action = "restart_consumer"
group = "g"
downtime = "{downtime}"
"#
    )
}

#[test]
fn a_static_member_restarting_within_its_session_bumps_no_generation() {
    for (protocol, assignor) in [("classic", "range"), ("consumer", "uniform")] {
        let text = restart_scenario(protocol, assignor, true, "4s");
        let path = temp_scenario(&format!("static-{protocol}.toml"), &text);
        let path = path.to_str().unwrap();
        let before = headless(path, "19s", 1);
        let after = headless(path, "60s", 1);
        let (b, a) = (group(&before, "g"), group(&after, "g"));
        assert_eq!(
            b["state"], "Stable",
            "{protocol}: settled before the restart"
        );
        assert_eq!(
            a["generation"], b["generation"],
            "{protocol}: no rebalance for a static restart"
        );
        assert_eq!(a["rebalances"], b["rebalances"], "{protocol}");
        assert_eq!(a["state"], "Stable", "{protocol}");
        // Its partitions waited for it: four seconds (and a tick or two) each.
        let unowned = a["unowned_partition_ms"].as_u64().unwrap()
            - b["unowned_partition_ms"].as_u64().unwrap();
        assert!(
            (7_900..=8_200).contains(&unowned),
            "{protocol}: {unowned} ms unowned"
        );
    }
}

#[test]
fn a_static_member_away_past_its_session_is_replaced_by_a_rebalance() {
    for (protocol, assignor) in [("classic", "range"), ("consumer", "uniform")] {
        let text = restart_scenario(protocol, assignor, true, "15s");
        let path = temp_scenario(&format!("away-{protocol}.toml"), &text);
        let path = path.to_str().unwrap();
        let before = headless(path, "19s", 1);
        let after = headless(path, "60s", 1);
        let generations = |r: &Value| group(r, "g")["generation"].as_i64().unwrap();
        assert!(
            generations(&after) >= generations(&before) + 2,
            "{protocol}: expelled after its session, then back: {} -> {}",
            generations(&before),
            generations(&after)
        );
        assert_eq!(group(&after, "g")["state"], "Stable", "{protocol}");
    }
}

#[test]
fn a_dynamic_member_restarting_rebalances_twice() {
    for (protocol, assignor) in [("classic", "range"), ("consumer", "uniform")] {
        let text = restart_scenario(protocol, assignor, false, "4s");
        let path = temp_scenario(&format!("dynamic-{protocol}.toml"), &text);
        let path = path.to_str().unwrap();
        let before = group(&headless(path, "19s", 1), "g").clone();
        let after = group(&headless(path, "60s", 1), "g").clone();
        assert_eq!(
            after["rebalances"].as_u64().unwrap(),
            before["rebalances"].as_u64().unwrap() + 2,
            "{protocol}: one when it leaves, one when it is back"
        );
    }
}

fn sim(text: &str) -> Simulation {
    Simulation::new(Scenario::parse(text, "test.toml").unwrap(), Some(3)).unwrap()
}

#[test]
fn a_consumer_protocol_group_processes_everything_exactly_once_without_a_crash() {
    let text = restart_scenario("consumer", "range", false, "2s")
        + "[[timeline]]\nat = \"30s\"\naction = \"add_consumer\"\ngroup = \"g\"\n"
        + "[[timeline]]\nat = \"40s\"\naction = \"remove_consumer\"\ngroup = \"g\"\n";
    let mut s = sim(&text);
    s.step(80_000);
    let g = s.group("g").unwrap();
    assert_eq!(g.duplicates(), 0, "every give-up is committed first");
    let b = s.broker().read();
    assert_eq!(b.group_type("g"), Some(GroupType::Consumer));
    let cg = b.consumer_group("g").unwrap();
    assert_eq!(cg.state(), GroupState::Stable);
    assert_eq!(cg.assignor().name(), "range");
    let completed = b
        .events()
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::RebalanceCompleted { group, .. } if group == "g"))
        .count();
    assert!(completed >= 5, "{completed} rebalances completed");
    drop(b);
    let r = s.report();
    let total_lag: i64 = r.groups[0].total_lag;
    assert!(total_lag < 100, "the group keeps up: lag {total_lag}");
}

#[test]
fn restarting_needs_a_running_member_and_a_downtime_within_bounds() {
    let mut s = sim(&restart_scenario("classic", "range", false, "1s"));
    let e = s
        .apply(SimCommand::RestartConsumer {
            group: "g".into(),
            downtime_ms: -1,
        })
        .unwrap_err();
    assert!(e.to_string().contains("downtime"), "{e}");
    s.apply(SimCommand::RestartConsumer {
        group: "g".into(),
        downtime_ms: 5_000,
    })
    .unwrap();
    s.apply(SimCommand::RestartConsumer {
        group: "g".into(),
        downtime_ms: 5_000,
    })
    .unwrap();
    let e = s
        .apply(SimCommand::RestartConsumer {
            group: "g".into(),
            downtime_ms: 5_000,
        })
        .unwrap_err();
    assert!(matches!(e, SimError::NoConsumer(_)), "both are down: {e}");
    s.step(10_000);
    assert_eq!(s.group("g").unwrap().consumers(), 2, "both came back");
}

fn error(text: &str) -> ScenarioError {
    match Scenario::parse(text, "talk.toml") {
        Err(SimError::Scenario(e)) => e,
        other => panic!("expected a scenario error, got {other:?}"),
    }
}

#[test]
fn each_protocol_takes_only_its_own_assignors() {
    let base = "name = \"x\"\n[[topics]]\nname = \"t\"\npartitions = 1\n[[groups]]\nname = \"g\"\ntopics = [\"t\"]\n";
    let e = error(&format!(
        "{base}protocol = \"consumer\"\nassignor = \"cooperative-sticky\"\n"
    ));
    assert_eq!((e.line, e.field.as_str()), (9, "groups[0].assignor"));
    assert!(e.message.contains("uniform or range"), "{}", e.message);
    let e = error(&format!("{base}assignor = \"uniform\"\n"));
    assert_eq!((e.line, e.field.as_str()), (8, "groups[0].assignor"));
    assert!(e.message.contains("classic"), "{}", e.message);
    let e = error(&format!("{base}protocol = \"kip848\"\n"));
    assert_eq!((e.line, e.field.as_str()), (8, "groups[0].protocol"));
    let e = error(&format!("{base}static = \"yes\"\n"));
    assert_eq!((e.line, e.field.as_str()), (8, "groups[0].static"));
    let ok = Scenario::parse(
        &format!("{base}protocol = \"consumer\"\nassignor = \"range\"\nstatic = true\n"),
        "ok.toml",
    )
    .unwrap();
    assert!(ok.groups[0].static_members);
    assert_eq!(ok.groups[0].protocol.assignor_name(), "range");
}

#[test]
fn a_restart_needs_a_downtime_within_its_bound() {
    let base = "name = \"x\"\n[[topics]]\nname = \"t\"\npartitions = 1\n[[groups]]\nname = \"g\"\ntopics = [\"t\"]\n[[timeline]]\nat = \"5s\"\naction = \"restart_consumer\"\ngroup = \"g\"\n";
    let e = error(base);
    assert_eq!((e.line, e.field.as_str()), (10, "timeline[0].downtime"));
    let e = error(&format!("{base}downtime = \"2d\"\n"));
    assert_eq!((e.line, e.field.as_str()), (12, "timeline[0].downtime"));
    assert!(e.message.contains("86400000"), "{}", e.message);
    let s = Scenario::parse(&format!("{base}downtime = \"3s\"\n"), "ok.toml").unwrap();
    assert_eq!(
        s.timeline[0].command,
        SimCommand::RestartConsumer {
            group: "g".into(),
            downtime_ms: 3_000
        }
    );
}
