//! Apache Kafka, the reference: its jars from Maven Central (tests/apache-kafka/pom.xml), and
//! a single KRaft node started for one test on free loopback ports.
//!
//! The jars are fetched once per machine into the target directory, under a file lock so
//! test binaries running side by side share one download. Java 17 and Maven must be
//! installed: under `CI=true` their absence fails the test; elsewhere the test is skipped
//! with a loud message.

#![allow(dead_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long a node may take to start on a small, busy machine.
const START_DEADLINE: Duration = Duration::from_secs(90);

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn runs(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether Java and Maven are here; panics under CI when they are not.
fn tools_present() -> bool {
    if runs("java", "-version") && runs("mvn", "--version") {
        return true;
    }
    if in_ci() {
        panic!("java and mvn are required to run Apache Kafka, and CI=true requires them");
    }
    let _ = writeln!(
        std::io::stderr(),
        "\n!!!!! SKIPPING: java and mvn are needed to run Apache Kafka for this test !!!!!\n"
    );
    false
}

/// The directory holding every jar of Apache Kafka, its tools and its Java client, fetched
/// on first use. `None` when the tools to fetch or run it are missing outside CI.
pub fn jars() -> Option<PathBuf> {
    if !tools_present() {
        return None;
    }
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("apache-kafka");
    std::fs::create_dir_all(&root).unwrap();
    let jars = root.join("jars");
    let done = root.join("jars.complete");
    let lock = DirLock::take(root.join("jars.lock"));
    if !done.exists() {
        let pom = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apache-kafka/pom.xml");
        let out = Command::new("mvn")
            .args(["-q", "-B", "-f"])
            .arg(&pom)
            .arg("dependency:copy-dependencies")
            .arg(format!("-DoutputDirectory={}", jars.display()))
            .output()
            .expect("mvn runs");
        assert!(
            out.status.success(),
            "fetching Apache Kafka from Maven Central failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        File::create(&done).unwrap();
    }
    drop(lock);
    Some(jars)
}

/// A lock between test processes: making a directory either succeeds or finds it there, in
/// one step. A lock left by a killed process is taken over once it is older than any fetch
/// could take. (`File::lock` would do, but needs a newer Rust than the crate's minimum.)
struct DirLock(PathBuf);

impl DirLock {
    const STALE: Duration = Duration::from_secs(600);

    fn take(path: PathBuf) -> DirLock {
        loop {
            match std::fs::create_dir(&path) {
                Ok(()) => return DirLock(path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let age = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok());
                    if age.is_some_and(|a| a > Self::STALE) {
                        let _ = std::fs::remove_dir(&path);
                    } else {
                        std::thread::sleep(Duration::from_millis(200));
                    }
                }
                Err(e) => panic!("cannot lock {}: {e}", path.display()),
            }
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// A free loopback port. Another process could take it before Kafka binds it; the ports
/// are fresh each time, so a rare clash fails one run rather than hiding a bug.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running single-node Apache Kafka (broker and controller in one process), killed and
/// removed when dropped.
pub struct ApacheKafka {
    child: Child,
    jars: PathBuf,
    dir: PathBuf,
    /// `127.0.0.1:PORT` of the plaintext listener.
    pub bootstrap: String,
}

/// Settings that make a one-node cluster behave: internal topics with one replica, and no
/// initial rebalance delay so group tests do not wait three seconds for nothing.
const BASE_PROPERTIES: &str = "\
process.roles=broker,controller
node.id=1
controller.listener.names=CONTROLLER
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
num.partitions=1
";

impl ApacheKafka {
    /// Starts a node with a plaintext listener and `extra` lines appended to its
    /// `server.properties` (later keys win). `None` when Java or Maven is missing outside CI.
    pub fn start(extra: &str) -> Option<ApacheKafka> {
        let jars = jars()?;
        let (port, controller) = (free_port(), free_port());
        let dir = std::env::temp_dir().join(format!("apache-kafka-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let props = dir.join("server.properties");
        let text = format!(
            "{BASE_PROPERTIES}\
             controller.quorum.bootstrap.servers=127.0.0.1:{controller}\n\
             listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}\n\
             advertised.listeners=PLAINTEXT://127.0.0.1:{port}\n\
             listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n\
             log.dirs={}\n{extra}\n",
            dir.join("data").display()
        );
        std::fs::write(&props, text).unwrap();
        let classpath = format!("{}/*", jars.display());
        let format = Command::new("java")
            .args([
                "-cp",
                &classpath,
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
            ])
            .args(["-t", "mk-test-cluster-000000", "-c"])
            .arg(&props)
            .output()
            .expect("java runs");
        assert!(
            format.status.success(),
            "formatting Kafka's storage failed:\n{}",
            String::from_utf8_lossy(&format.stderr)
        );
        let log = File::create(dir.join("kafka.log")).unwrap();
        let child = Command::new("java")
            .args([
                "-Xmx512m",
                "-Xms256m",
                "-XX:+UseSerialGC",
                "-cp",
                &classpath,
            ])
            .arg("kafka.Kafka")
            .arg(&props)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("java starts Kafka");
        let kafka = ApacheKafka {
            child,
            jars,
            dir,
            bootstrap: format!("127.0.0.1:{port}"),
        };
        kafka.wait_until_serving();
        Some(kafka)
    }

    /// Waits until the listener answers an ApiVersions request: the socket opens only once
    /// the broker has joined its own controller quorum.
    fn wait_until_serving(&self) {
        let started = Instant::now();
        while started.elapsed() < START_DEADLINE {
            if api_versions_answered(&self.bootstrap) {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "Apache Kafka did not start within {START_DEADLINE:?}; its log:\n{}",
            self.log()
        );
    }

    /// What the node has written so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("kafka.log")).unwrap_or_default()
    }

    /// Runs a class from Kafka's jars (a command-line tool such as
    /// `org.apache.kafka.tools.consumer.group.ConsumerGroupCommand`, or a test program).
    pub fn run_class(&self, class: &str, args: &[&str]) -> Output {
        Command::new("java")
            .args(["-Xmx256m", "-cp"])
            .arg(format!("{}/*", self.jars.display()))
            .arg(class)
            .args(args)
            .output()
            .expect("java runs")
    }

    /// The classpath of Kafka's jars, for compiling and running a Java test program.
    pub fn classpath(&self) -> String {
        format!("{}/*", self.jars.display())
    }
}

impl Drop for ApacheKafka {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sends ApiVersions v0 and reads a whole answer.
fn api_versions_answered(addr: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    // Length, api key 18, version 0, correlation id 1, null client id.
    let req = [0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff];
    if s.write_all(&req).is_err() {
        return false;
    }
    let mut len = [0u8; 4];
    if s.read_exact(&mut len).is_err() {
        return false;
    }
    let mut body = vec![0u8; u32::from_be_bytes(len).min(1 << 20) as usize];
    s.read_exact(&mut body).is_ok() && body.len() >= 6 && body[4..6] == [0, 0]
}
