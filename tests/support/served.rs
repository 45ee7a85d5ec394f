//! A `serve` process for tests that drive real clients against the binary, and the checks
//! those tests share: whether a client is installed (a missing one fails under `CI=true`),
//! and running a client script from tests/clients.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// A `serve` process that is killed when the test ends.
pub struct Served {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Everything the server has written to stderr (connections, group events, errors).
    log: Arc<Mutex<String>>,
}

impl Served {
    /// Starts `serve` on a free loopback port with `extra` flags.
    pub fn start(extra: &[&str]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_minikafka-tui"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap_or_else(|e| e.into_inner());
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("the server prints its address");
        let addr = line
            .split_whitespace()
            .last()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Served { child, addr, log }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether a client is installed; panics under CI when it is not.
pub fn available(what: &str, probe: &mut Command) -> bool {
    let ok = probe
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is not installed, and CI=true requires it (.ci/run installs it)");
    }
    // Written to the real stderr, not through the test harness's captured `eprintln!`, so
    // the skip is visible in a normal `cargo test` run.
    let _ = writeln!(
        std::io::stderr(),
        "\n!!!!! SKIPPING: {what} is not installed; install it to run this test !!!!!\n"
    );
    false
}

/// The Python interpreter to run client scripts with (`$PYTHON`, else python3).
pub fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

impl Served {
    /// What the server logged so far, for a failure message.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Runs a script from tests/clients against `served`; it must print "all checks passed".
pub fn run_script(script: &str, served: &Served) {
    let addr = served.addr;
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(script);
    let out = Command::new(python())
        .arg(&path)
        .arg(addr.to_string())
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{script} failed:\n{stdout}\n{stderr}\nthe server's log:\n{}",
        served.log()
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
}
