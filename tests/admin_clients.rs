//! Admin tools against the real binary: kafkajs, kafka-python's and aiokafka's admin
//! clients, and Kafka's own `kafka-consumer-groups`, each reading and changing groups,
//! offsets and configs as users do.
//!
//! Under `CI=true` a missing client (node with kafkajs, Python with kafka-python or
//! aiokafka, Java with Maven for Kafka's jars) fails the test; locally it is skipped with a
//! loud message. `.ci/run` installs them all.

#[path = "support/apache_kafka.rs"]
mod apache_kafka;
#[path = "support/served.rs"]
mod served;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use served::{Served, available, python};

fn clients() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Runs a check script to the end and returns its stdout; fails the test unless it
/// exited cleanly with every check passed.
fn run_checks(what: &str, cmd: &mut Command, served: &Served) -> String {
    let out = cmd
        .arg(served.addr.to_string())
        .output()
        .expect("the client runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("all checks passed"),
        "{what} failed:\n{stdout}\n{stderr}\nthe server's log:\n{}",
        served.log()
    );
    stdout
}

#[test]
fn kafkajs_resets_sets_describes_and_deletes_groups() {
    let node = clients().join("node");
    if !available(
        "node with kafkajs (npm ci in tests/clients/node)",
        Command::new("node")
            .args(["-e", "require('kafkajs')"])
            .current_dir(&node),
    ) {
        return;
    }
    let served = Served::start(&["--initial-rebalance-delay", "0s"]);
    let mut cmd = Command::new("node");
    cmd.arg("admin_check.js").current_dir(&node);
    let stdout = run_checks("kafkajs", &mut cmd, &served);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("result: "))
        .expect("the script prints its results");
    let r: serde_json::Value = serde_json::from_str(line).expect("JSON results");
    let offsets = |key: &str| serde_json::to_string(&r[key]).unwrap();
    // What Apache Kafka 4.1 stores and answers for the same script.
    assert_eq!(offsets("committed"), "[[0,10],[1,10],[2,10]]");
    assert_eq!(
        offsets("earliest"),
        "[[0,-2],[1,-2],[2,-2]]",
        "resetOffsets earliest"
    );
    assert_eq!(
        offsets("latest"),
        "[[0,-1],[1,-1],[2,-1]]",
        "resetOffsets latest"
    );
    assert_eq!(offsets("set"), "[[0,3],[1,50],[2,-2]]", "setOffsets");
    assert_eq!(r["described"]["state"], "Stable");
    assert_eq!(r["described"]["members"][0]["clientHost"], "/127.0.0.1");
    assert_eq!(offsets("liveDelete"), r#"[["js-live","NON_EMPTY_GROUP"]]"#);
    assert_eq!(
        offsets("deleted"),
        r#"[["js-group",null],["js-live",null]]"#
    );
    assert_eq!(
        offsets("unknownDelete"),
        r#"[["js-nope","GROUP_ID_NOT_FOUND"]]"#
    );
}

#[test]
fn kafka_python_admin_resets_alters_and_deletes_offsets_and_groups() {
    if !available(
        "kafka-python",
        Command::new(python()).args(["-c", "import kafka"]),
    ) {
        return;
    }
    let served = Served::start(&["--initial-rebalance-delay", "0s"]);
    let mut cmd = Command::new(python());
    cmd.arg(clients().join("kafka_python_admin_check.py"));
    run_checks("kafka-python admin", &mut cmd, &served);
}

#[test]
fn aiokafka_describes_configs_and_creates_partitions() {
    if !available(
        "aiokafka",
        Command::new(python()).args(["-c", "import aiokafka"]),
    ) {
        return;
    }
    let served = Served::start(&[]);
    let mut cmd = Command::new(python());
    cmd.arg(clients().join("aiokafka_admin_check.py"));
    run_checks("aiokafka admin", &mut cmd, &served);
}

/// Kafka's command-line tools, run from its jars against `serve`.
struct Tools {
    classpath: String,
    bootstrap: String,
}

impl Tools {
    fn command(&self, class: &str) -> Command {
        let mut cmd = Command::new("java");
        cmd.args(["-Xmx256m", "-cp", &self.classpath, class])
            .args(["--bootstrap-server", &self.bootstrap]);
        cmd
    }

    /// `kafka-consumer-groups` with `args`; its output, with runs of spaces made one.
    fn groups(&self, args: &[&str]) -> (bool, String) {
        let out = self
            .command("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand")
            .args(args)
            .output()
            .expect("java runs");
        (out.status.success(), squeeze(&out))
    }
}

fn squeeze(out: &Output) -> String {
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    text.lines()
        .filter(|l| !l.starts_with("SLF4J"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A console consumer that stays in `group` until dropped.
struct Member(Child);

impl Drop for Member {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn kafka_consumer_groups_describes_resets_and_deletes_a_group() {
    let Some(jars) = apache_kafka::jars() else {
        return;
    };
    let served = Served::start(&["--initial-rebalance-delay", "0s"]);
    let tools = Tools {
        classpath: format!("{}/*", jars.display()),
        bootstrap: served.addr.to_string(),
    };
    let mut producer = tools
        .command("org.apache.kafka.tools.ConsoleProducer")
        .args(["--topic", "cg"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("java runs");
    let mut stdin = producer.stdin.take().expect("piped stdin");
    for i in 0..10 {
        writeln!(stdin, "record {i}").unwrap();
    }
    drop(stdin);
    assert!(producer.wait().unwrap().success(), "{}", served.log());
    let read = tools
        .command("org.apache.kafka.tools.consumer.ConsoleConsumer")
        .args(["--topic", "cg", "--group", "cg-group", "--from-beginning"])
        .args(["--max-messages", "10"])
        .output()
        .expect("java runs");
    assert!(
        read.status.success(),
        "{}\n{}",
        squeeze(&read),
        served.log()
    );

    let (ok, described) = tools.groups(&["--describe", "--group", "cg-group"]);
    assert!(ok, "{described}");
    assert!(
        described.contains("cg-group cg 0 10 10 0 - - -"),
        "{described}"
    );

    let live = live_member(&tools, &served);
    let (ok, refused) = tools.groups(&[
        "--reset-offsets",
        "--to-earliest",
        "--execute",
        "--group",
        "cg-live",
        "--topic",
        "cg",
    ]);
    assert!(
        refused.contains("can only be reset if the group 'cg-live' is inactive"),
        "{ok} {refused}"
    );
    let (_, refused) = tools.groups(&["--delete", "--group", "cg-live"]);
    assert!(refused.contains("GroupNotEmptyException"), "{refused}");
    drop(live);

    let (ok, reset) = tools.groups(&[
        "--reset-offsets",
        "--to-earliest",
        "--execute",
        "--group",
        "cg-group",
        "--topic",
        "cg",
    ]);
    assert!(ok && reset.contains("cg-group cg 0 0"), "{reset}");
    let (_, described) = tools.groups(&["--describe", "--group", "cg-group"]);
    assert!(
        described.contains("cg-group cg 0 0 10 10 - - -"),
        "{described}"
    );

    let (ok, deleted) = tools.groups(&["--delete", "--group", "cg-group"]);
    assert!(
        ok && deleted.contains("Deletion of requested consumer groups ('cg-group') was successful"),
        "{deleted}"
    );
    let (_, listed) = tools.groups(&["--list"]);
    assert!(!listed.lines().any(|l| l == "cg-group"), "{listed}");
}

/// A console consumer in `cg-live`, once `--describe` shows it with its host.
fn live_member(tools: &Tools, served: &Served) -> Member {
    let child = tools
        .command("org.apache.kafka.tools.consumer.ConsoleConsumer")
        .args([
            "--topic",
            "cg",
            "--group",
            "cg-live",
            "--consumer-property",
            "client.id=cg-live-client",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("java runs");
    let member = Member(child);
    let started = Instant::now();
    loop {
        let (_, described) = tools.groups(&["--describe", "--group", "cg-live"]);
        // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
        let row = described.lines().find(|l| l.starts_with("cg-live cg 0 "));
        if let Some(row) = row.filter(|r| r.ends_with("/127.0.0.1 cg-live-client")) {
            println!("{row}");
            return member;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the live member never showed with its host:\n{described}\n{}",
            served.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}
