//! `observe` against Apache Kafka, the reference: a single KRaft node with a plaintext and a
//! SASL_SSL listener (SCRAM-SHA-512 and PLAIN, a CA made for the test), three groups held in
//! a known state by kafka-python and confluent-kafka (one of them a KIP-848 group), and
//! Kafka's own `kafka-consumer-groups --describe` as the judge of offsets and lag. The
//! records carry timestamps the test chose, so the time lag is checked against the truth.
//!
//! Under `CI=true` a missing Java, Maven or Python client fails the test; locally it is
//! skipped with a loud message.

#[path = "support/apache_kafka.rs"]
mod apache_kafka;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};

use apache_kafka::{ApacheKafka, SecureListener};
use serde_json::Value;

const TOPIC: &str = "orders";
const GROUPS: [&str; 3] = ["kp-classic", "ck-classic", "ck-848"];
/// The observer's default poll interval: the time lag must be this close to the truth.
const INTERVAL_MS: i64 = 2_000;

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Whether both Python clients are installed; panics under CI when they are not.
fn python_clients() -> bool {
    let ok = Command::new(python())
        .args(["-c", "import kafka, confluent_kafka"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("kafka-python and confluent-kafka are required, and CI=true requires them");
    }
    if !ok {
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!! SKIPPING: kafka-python and confluent-kafka are needed for this test !!!!!\n"
        );
    }
    ok
}

/// The groups script, running until dropped; `truth` is what it produced and committed.
struct Groups {
    child: Child,
    stdin: Option<ChildStdin>,
    truth: Value,
}

impl Groups {
    fn start(bootstrap: &str, dir: &Path) -> Groups {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/observe_groups.py");
        let out = dir.join("truth.json");
        let mut child = Command::new(python())
            .arg(&script)
            .args([bootstrap, TOPIC])
            .arg(&out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python runs");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "READY", "the groups script did not get ready");
        let truth = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
        Groups {
            child,
            stdin,
            truth,
        }
    }

    /// The timestamp of the record at `offset` of `partition`.
    fn timestamp(&self, partition: u64, offset: i64) -> i64 {
        self.truth["timestamps"][partition.to_string()][offset.to_string()]
            .as_i64()
            .unwrap_or_else(|| panic!("no record {partition}/{offset}"))
    }
}

impl Drop for Groups {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

fn observe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_minikafka-tui"))
        .arg("observe")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn observe_json(args: &[&str]) -> Value {
    let out = observe(args);
    assert!(
        out.status.success(),
        "observe {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("observe prints JSON")
}

/// One row of `kafka-consumer-groups --describe`, by column name.
type Row = BTreeMap<String, String>;

fn describe_groups(kafka: &ApacheKafka) -> Vec<Row> {
    let out = kafka.run_class(
        "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
        &[
            "--bootstrap-server",
            &kafka.bootstrap,
            "--describe",
            "--all-groups",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "ConsumerGroupCommand failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut header: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split_whitespace().collect();
        if cells.first() == Some(&"GROUP") {
            header = cells.iter().map(|c| c.to_string()).collect();
        } else if !header.is_empty() && cells.len() == header.len() {
            rows.push(
                header
                    .iter()
                    .cloned()
                    .zip(cells.iter().map(|c| c.to_string()))
                    .collect(),
            );
        }
    }
    assert!(!rows.is_empty(), "no rows in:\n{text}");
    rows
}

fn number(cell: &str) -> Option<i64> {
    (cell != "-").then(|| {
        cell.parse()
            .unwrap_or_else(|_| panic!("not a number: {cell}"))
    })
}

/// Checks one observe report against Kafka's own describe and the produced truth.
fn agrees(report: &Value, rows: &[Row], groups: &Groups, how: &str) {
    let at_ms = report["at_ms"].as_i64().expect("a poll finished");
    let topic = report["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == TOPIC)
        .unwrap_or_else(|| panic!("{how}: no topic {TOPIC} in {report}"));
    for name in GROUPS {
        let g = report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .unwrap_or_else(|| panic!("{how}: group {name} missing from {report}"));
        let protocol = if name == "ck-848" {
            "consumer"
        } else {
            "classic"
        };
        assert_eq!(g["protocol"], protocol, "{how}: {name}");
        assert_eq!(g["state"], "Stable", "{how}: {name}");
        let expected: Vec<&Row> = rows
            .iter()
            .filter(|r| r["GROUP"] == name && r["TOPIC"] == TOPIC)
            .collect();
        assert_eq!(
            expected.len(),
            4,
            "{how}: Kafka describes {name} on 4 partitions"
        );
        let mut max_time_lag = 0;
        for row in expected {
            let p: u64 = row["PARTITION"].parse().unwrap();
            let o = g["offsets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["topic"] == TOPIC && o["partition"] == p)
                .unwrap_or_else(|| panic!("{how}: {name} has no offset for {p}"));
            let committed = number(&row["CURRENT-OFFSET"]);
            assert_eq!(
                o["committed"].as_i64(),
                committed,
                "{how}: {name}/{p} committed"
            );
            assert_eq!(
                o["lag"].as_i64(),
                number(&row["LAG"]),
                "{how}: {name}/{p} lag"
            );
            assert_eq!(
                topic["partitions"][p as usize]["high_watermark"].as_i64(),
                number(&row["LOG-END-OFFSET"]),
                "{how}: {p} log end"
            );
            // The consumer Kafka names owns this partition in the observer's eyes too.
            let owner = g["members"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["id"] == row["CONSUMER-ID"].as_str())
                .unwrap_or_else(|| panic!("{how}: {name} lacks member {}", row["CONSUMER-ID"]));
            assert!(
                owner["assignment"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a["partition"] == p),
                "{how}: {name}/{p} should be assigned to {owner}"
            );
            let truth = at_ms - groups.timestamp(p, committed.unwrap());
            let time_lag = o["time_lag_ms"].as_i64().expect("a time lag");
            assert!(
                (time_lag - truth).abs() <= INTERVAL_MS,
                "{how}: {name}/{p} time lag {time_lag} ms, truth {truth} ms"
            );
            max_time_lag = max_time_lag.max(time_lag);
        }
        assert_eq!(
            g["time_lag_ms"].as_i64(),
            Some(max_time_lag),
            "{how}: {name}"
        );
        assert!(
            ["OK", "WARN", "STALL", "STOP", "REWIND", "ERR"]
                .contains(&g["status"].as_str().unwrap()),
            "{how}: {name} status {}",
            g["status"]
        );
        assert!(g["status_reason"].as_str().is_some_and(|r| !r.is_empty()));
    }
}

fn properties(dir: &Path, name: &str, secure: &SecureListener, lines: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "bootstrap.servers={}\nsecurity.protocol=SASL_SSL\nssl.ca.location={}\n{lines}",
            secure.bootstrap,
            secure.ca.display()
        ),
    )
    .unwrap();
    path
}

/// The one line a failed `observe` prints, with its exit code.
fn failure(args: &[&str]) -> (Option<i32>, String) {
    let out = observe(args);
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(err.lines().count(), 1, "one line, not: {err}");
    assert!(out.stdout.is_empty(), "no report on failure");
    (out.status.code(), err)
}

#[test]
fn observe_agrees_with_kafka_over_plaintext_and_sasl_ssl() {
    let Some((kafka, secure)) =
        ApacheKafka::start_secure(&[("alice", "alice-secret")], &[("bob", "bob-secret")])
    else {
        return;
    };
    if !python_clients() {
        return;
    }
    let dir = tempdir();
    let groups = Groups::start(&kafka.bootstrap, &dir);
    let rows = describe_groups(&kafka);

    let plain = observe_json(&["--bootstrap", &kafka.bootstrap, "--json", "--once"]);
    agrees(&plain, &rows, &groups, "plaintext");

    let scram = properties(
        &dir,
        "scram.properties",
        &secure,
        "sasl.mechanism=SCRAM-SHA-512\nsasl.username=alice\nsasl.password=alice-secret\n",
    );
    let report = observe_json(&["--config", scram.to_str().unwrap(), "--json", "--once"]);
    agrees(&report, &rows, &groups, "SASL_SSL SCRAM-SHA-512");

    // SCRAM-SHA-256, with the broker's host name left unchecked (the chain still is).
    let sha256 = properties(
        &dir,
        "sha256.properties",
        &secure,
        "sasl.mechanism=SCRAM-SHA-256\nsasl.username=alice\nsasl.password=alice-secret\n\
         ssl.endpoint.identification.algorithm=\n",
    );
    let report = observe_json(&["--config", sha256.to_str().unwrap(), "--json", "--once"]);
    agrees(&report, &rows, &groups, "SASL_SSL SCRAM-SHA-256");

    let jaas = properties(
        &dir,
        "plain.properties",
        &secure,
        "sasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\\n  username=\"bob\" password=\"bob-secret\";\n",
    );
    let report = observe_json(&[
        "--config",
        jaas.to_str().unwrap(),
        "--json",
        "--duration",
        "5s",
        "--interval",
        "1s",
    ]);
    assert!(
        report["polls"].as_u64().unwrap() >= 3,
        "polled every second: {}",
        report["polls"]
    );
    agrees(&report, &rows, &groups, "SASL_SSL PLAIN, polling");

    // A wrong password: one line naming the problem, and the bad-input exit code.
    let wrong = properties(
        &dir,
        "wrong.properties",
        &secure,
        "sasl.mechanism=SCRAM-SHA-512\nsasl.username=alice\nsasl.password=not-it\n",
    );
    let (code, err) = failure(&["--config", wrong.to_str().unwrap(), "--json", "--once"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("authentication") && err.contains("alice"),
        "{err}"
    );

    // A CA that did not sign the broker's certificate.
    let other_ca = dir.join("other-ca.pem");
    std::fs::write(&other_ca, other_ca_pem()).unwrap();
    let untrusted = dir.join("untrusted.properties");
    std::fs::write(
        &untrusted,
        format!(
            "bootstrap.servers={}\nsecurity.protocol=SASL_SSL\nssl.ca.location={}\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=alice\nsasl.password=alice-secret\n",
            secure.bootstrap,
            other_ca.display()
        ),
    )
    .unwrap();
    let (code, err) = failure(&["--config", untrusted.to_str().unwrap(), "--json", "--once"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not trusted"), "{err}");
    drop(groups);
}

fn other_ca_pem() -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.self_signed(&key).unwrap().pem()
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("observe-kafka-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
