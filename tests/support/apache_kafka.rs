//! Apache Kafka, the reference: its jars from Maven Central (tests/apache-kafka/pom.xml), and
//! a single KRaft node started for one test on free loopback ports.
//!
//! The jars are fetched once per machine into the target directory. Each download goes to a
//! directory of its own and is moved into place whole, so test binaries running side by
//! side never use half a download. (No file lock: `File::lock` is newer than the crate's
//! minimum Rust.) Java 17 and Maven must be
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

// `File::lock` is newer than the crate's minimum Rust version; only these tests use it,
// and they run on the current toolchain.
#[allow(clippy::incompatible_msrv)]
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
    if !done.exists() {
        let staging = root.join(format!("jars.{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        let pom = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apache-kafka/pom.xml");
        let out = Command::new("mvn")
            .args(["-q", "-B", "-f"])
            .arg(&pom)
            .arg("dependency:copy-dependencies")
            .arg(format!("-DoutputDirectory={}", staging.display()))
            .output()
            .expect("mvn runs");
        assert!(
            out.status.success(),
            "fetching Apache Kafka from Maven Central failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        install(&staging, &jars, &done);
    }
    Some(jars)
}

/// Moves a complete download into place, unless another process's got there first.
fn install(staging: &Path, jars: &Path, done: &Path) {
    for _ in 0..50 {
        if std::fs::rename(staging, jars).is_ok() {
            File::create(done).unwrap();
            return;
        }
        if done.exists() {
            let _ = std::fs::remove_dir_all(staging);
            return;
        }
        // Another process has just moved its copy in and is about to mark it done.
        std::thread::sleep(Duration::from_millis(100));
    }
    // What is there is a partial copy left by a run that died while fetching: replace it.
    let _ = std::fs::remove_dir_all(jars);
    std::fs::rename(staging, jars).unwrap();
    File::create(done).unwrap();
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
        Self::start_with(extra, None).map(|(kafka, _)| kafka)
    }

    /// Starts a node with, besides the plaintext listener, a SASL_SSL listener: SCRAM-SHA-512
    /// and SCRAM-SHA-256 for the users in `scram` (created when the storage is formatted)
    /// and PLAIN for the users in `plain`, behind a server certificate for 127.0.0.1 and localhost signed by a
    /// CA made for this node.
    pub fn start_secure(
        scram: &[(&str, &str)],
        plain: &[(&str, &str)],
    ) -> Option<(ApacheKafka, SecureListener)> {
        let (kafka, secure) = Self::start_with("", Some((scram, plain)))?;
        Some((kafka, secure.expect("a secure listener was asked for")))
    }

    fn start_with(
        extra: &str,
        secure: Option<(Users<'_>, Users<'_>)>,
    ) -> Option<(ApacheKafka, Option<SecureListener>)> {
        let jars = jars()?;
        let (port, controller) = (free_port(), free_port());
        let dir = std::env::temp_dir().join(format!("apache-kafka-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let props = dir.join("server.properties");
        let mut listeners = format!(
            "controller.quorum.bootstrap.servers=127.0.0.1:{controller}\n\
             listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}\n\
             advertised.listeners=PLAINTEXT://127.0.0.1:{port}\n\
             listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n"
        );
        let mut format_args = Vec::new();
        let secure = secure.map(|(scram, plain)| {
            let listener = SecureListener::create(&dir, free_port());
            listeners = listener.properties(port, controller, plain);
            for (user, password) in scram {
                for mechanism in ["SCRAM-SHA-512", "SCRAM-SHA-256"] {
                    format_args.push("--add-scram".to_string());
                    format_args.push(format!("{mechanism}=[name={user},password={password}]"));
                }
            }
            listener
        });
        let text = format!(
            "{BASE_PROPERTIES}{listeners}log.dirs={}\n{extra}\n",
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
            .args(&format_args)
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
        Some((kafka, secure))
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

/// User names and passwords.
type Users<'a> = &'a [(&'a str, &'a str)];

/// A SASL_SSL listener's address and the files a client needs to trust it.
pub struct SecureListener {
    /// `127.0.0.1:PORT` of the SASL_SSL listener.
    pub bootstrap: String,
    /// The PEM file of the CA that signed the server's certificate.
    pub ca: PathBuf,
    /// The server's certificate chain and key, in one PEM file (Kafka's PEM keystore).
    keystore: PathBuf,
}

impl SecureListener {
    /// Makes a CA and a server certificate for 127.0.0.1 and localhost under `dir`.
    fn create(dir: &Path, port: u16) -> SecureListener {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "minikafka test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::from_params(&ca_params, &ca_key);
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let cert = params.signed_by(&key, &issuer).unwrap();
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, ca_cert.pem()).unwrap();
        let keystore = dir.join("server.pem");
        std::fs::write(
            &keystore,
            format!("{}{}{}", key.serialize_pem(), cert.pem(), ca_cert.pem()),
        )
        .unwrap();
        SecureListener {
            bootstrap: format!("127.0.0.1:{port}"),
            ca,
            keystore,
        }
    }

    /// The listener lines of `server.properties`: plaintext for the broker's own traffic
    /// and the controller, SASL_SSL for clients that authenticate.
    fn properties(&self, port: u16, controller: u16, plain: &[(&str, &str)]) -> String {
        let secure = &self.bootstrap;
        let plain_users: String = plain
            .iter()
            .map(|(u, p)| format!(" user_{u}=\"{p}\""))
            .collect();
        format!(
            "controller.quorum.bootstrap.servers=127.0.0.1:{controller}\n\
             listeners=PLAINTEXT://127.0.0.1:{port},SASL_SSL://{secure},CONTROLLER://127.0.0.1:{controller}\n\
             advertised.listeners=PLAINTEXT://127.0.0.1:{port},SASL_SSL://{secure}\n\
             listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT\n\
             inter.broker.listener.name=PLAINTEXT\n\
             sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN\n\
             listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n\
             listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n\
             listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required{plain_users};\n\
             ssl.keystore.type=PEM\n\
             ssl.keystore.location={}\n",
            self.keystore.display()
        )
    }
}
