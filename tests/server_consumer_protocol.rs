//! Real clients with Kafka 4's consumer group protocol (KIP-848, `group.protocol=consumer`)
//! against the real binary: confluent-kafka (librdkafka) and Apache Kafka's own Java
//! consumer. Each runs a two-member group that splits the partitions, survives one member
//! leaving, and reads every record exactly once.
//!
//! Under `CI=true` a missing client, Java or Maven fails the test; locally it is skipped
//! with a loud message.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/served.rs"]
mod served;

#[path = "support/apache_kafka.rs"]
mod apache_kafka;

use served::{Served, available, python, run_script};

#[test]
fn confluent_kafka_consumer_protocol_group_splits_survives_a_leave_and_reads_once() {
    if !available(
        "confluent-kafka",
        Command::new(python()).args(["-c", "import confluent_kafka"]),
    ) {
        return;
    }
    let served = Served::start(&[]);
    run_script("confluent_consumer_protocol.py", &served);
}

/// Compiles tests/clients/java/ConsumerProtocolCheck.java against Kafka's jars.
fn compile_java_check(jars: &Path) -> PathBuf {
    let classes = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("consumer-protocol-java");
    std::fs::create_dir_all(&classes).unwrap();
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/java/ConsumerProtocolCheck.java");
    let out = Command::new("javac")
        .arg("-d")
        .arg(&classes)
        .arg("-cp")
        .arg(format!("{}/*", jars.display()))
        .arg(&source)
        .output()
        .expect("javac runs");
    assert!(
        out.status.success(),
        "javac failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    classes
}

#[test]
fn apache_kafka_java_consumer_protocol_group_splits_survives_a_leave_and_reads_once() {
    let Some(jars) = apache_kafka::jars() else {
        return;
    };
    let classes = compile_java_check(&jars);
    let served = Served::start(&[]);
    let out = Command::new("java")
        .args(["-Xmx256m", "-cp"])
        .arg(format!("{}:{}/*", classes.display(), jars.display()))
        .arg("ConsumerProtocolCheck")
        .arg(served.addr.to_string())
        .output()
        .expect("java runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("all checks passed"),
        "the Java consumer failed:\n{stdout}\n{}\nthe server's log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        served.log()
    );
}
