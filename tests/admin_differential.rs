//! One admin script against Apache Kafka 4.1 and against `serve`, compared answer for answer
//! (DESIGN: Apache Kafka is the reference).
//!
//! The script (tests/clients/admin_differential.py, kafka-python) creates a topic, produces,
//! lets a group commit and leave, commits -1, -2 and an offset past the end as an admin,
//! describes configs, deletes an offset and the group, does the same to a group with a live
//! member and to an unknown group, and grows the topic. Every answer must be the same,
//! except where the difference is by design; each of those is normalised below, with why.

#[path = "support/apache_kafka.rs"]
mod apache_kafka;
#[path = "support/served.rs"]
mod served;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use apache_kafka::ApacheKafka;
use served::{Served, available, python};

fn run_script(bootstrap: &str, log: impl Fn() -> String) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/admin_differential.py");
    let out = Command::new(python())
        .arg(script)
        .arg(bootstrap)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the script failed against {bootstrap}:\n{stdout}\n{}\nthe broker's log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        log()
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// Names from `ours` must all be among Kafka's; Kafka lists many more (configs of features
/// we do not have: compaction, segments, tiered storage, compression levels, ...).
fn keep_ours(kafka: &mut Value, ours: &Value, key: &str) {
    let theirs: Vec<&str> = kafka["configs"][key]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for name in ours["configs"][key].as_array().unwrap() {
        assert!(
            theirs.contains(&name.as_str().unwrap()),
            "{name} ({key}) is not a name Kafka uses"
        );
    }
    kafka["configs"][key] = ours["configs"][key].clone();
}

/// The differences that are by design.
fn normalise(kafka: &mut Value, ours: &Value) {
    keep_ours(kafka, ours, "names");
    keep_ours(kafka, ours, "broker_names");
    // Formatting a KRaft node's storage sets min.insync.replicas=1 as a dynamic cluster-wide
    // default; this broker has no dynamic configs, so the same value is its plain default.
    let min_isr = &mut kafka["configs"]["detail"]["min.insync.replicas"];
    assert_eq!(
        min_isr["source"], "DYNAMIC_DEFAULT_BROKER_CONFIG",
        "{min_isr}"
    );
    min_isr["source"] = "DEFAULT_CONFIG".into();
    let synonyms = min_isr["synonyms"].as_array_mut().unwrap();
    synonyms.retain(|s| s[2] != "DYNAMIC_DEFAULT_BROKER_CONFIG");
}

/// Each top-level answer that differs, both ways, for the failure message.
fn differences(kafka: &Value, ours: &Value) -> String {
    let keys = kafka
        .as_object()
        .unwrap()
        .keys()
        .chain(ours.as_object().unwrap().keys());
    let mut seen = std::collections::BTreeSet::new();
    keys.filter(|k| seen.insert(k.to_string()))
        .filter(|k| kafka[k.as_str()] != ours[k.as_str()])
        .map(|k| {
            format!(
                "{k}:\n  Kafka: {}\n  ours:  {}",
                kafka[k.as_str()],
                ours[k.as_str()]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn admin_answers_match_apache_kafkas() {
    if !available(
        "kafka-python",
        Command::new(python()).args(["-c", "import kafka"]),
    ) {
        return;
    }
    let Some(kafka) = ApacheKafka::start("") else {
        return;
    };
    let served = Served::start(&["--initial-rebalance-delay", "0s"]);
    let mut theirs = run_script(&kafka.bootstrap, || kafka.log());
    let ours = run_script(&served.addr.to_string(), || served.log());
    println!("Kafka: {theirs}\nours:  {ours}");

    // The answers that matter most, stated outright, so that a change on both sides cannot
    // pass unnoticed.
    assert_eq!(
        ours["stored"],
        serde_json::json!({"0": -1, "1": -2, "2": 99})
    );
    assert_eq!(ours["busy_admin_commit"]["0"], "UnknownMemberIdError");
    assert_eq!(
        ours["busy_delete_offsets"]["0"],
        "GroupSubscribedToTopicError"
    );
    assert_eq!(ours["busy_delete_group"]["diff-busy"], "NonEmptyGroupError");
    assert_eq!(
        ours["busy_described"]["members"][0]["client_host"],
        "/127.0.0.1"
    );

    normalise(&mut theirs, &ours);
    assert!(
        theirs == ours,
        "answers differ:\n{}",
        differences(&theirs, &ours)
    );
}
