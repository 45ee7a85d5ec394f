//! The `serve` binary on a free loopback port, for tests that drive it with real clients,
//! the probe that decides whether a client is installed, and running a client script from
//! tests/clients.
//!
//! Under `CI=true` a missing client fails the test; elsewhere the test is skipped with a
//! loud message. `.ci/run` installs every client the tests use.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// A `serve` process that is killed when the test ends.
pub struct Served {
    child: Child,
    pub addr: SocketAddr,
    /// Every broker's address, in id order (just `addr` for a lone broker).
    pub brokers: Vec<SocketAddr>,
    /// Everything the server has written to stderr (connections, group events, errors).
    log: Arc<Mutex<String>>,
}

impl Served {
    pub fn start(extra: &[&str]) -> Served {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_minikafka-tui"));
        cmd.args(["serve", "--listen", "127.0.0.1:0"]).args(extra);
        Served::spawn(cmd)
    }

    /// `serve` with `extra` flags that make a cluster of `brokers` brokers, which prints
    /// each broker's address after the first line.
    pub fn start_cluster(extra: &[&str], brokers: usize) -> Served {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_minikafka-tui"));
        cmd.args(["serve", "--listen", "127.0.0.1:0"]).args(extra);
        Served::spawn_with(cmd, brokers)
    }

    /// Starts `cmd`, which must run `serve` (perhaps through a wrapper such as `prlimit`,
    /// which execs it in the same process) and print the bound address first.
    pub fn spawn(cmd: Command) -> Served {
        Served::spawn_with(cmd, 0)
    }

    /// Starts `cmd` and reads the first line's address, then `brokers` lines more, one
    /// broker's address each.
    fn spawn_with(mut cmd: Command, brokers: usize) -> Served {
        let mut child = cmd
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
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut read_addr = || {
            let mut line = String::new();
            stdout
                .read_line(&mut line)
                .expect("the server prints its address");
            line.split_whitespace()
                .last()
                .and_then(|a| a.parse::<SocketAddr>().ok())
                .unwrap_or_else(|| panic!("no address in {line:?}"))
        };
        let addr = read_addr();
        let mut all: Vec<SocketAddr> = (0..brokers).map(|_| read_addr()).collect();
        if all.is_empty() {
            all.push(addr);
        }
        Served {
            child,
            addr,
            brokers: all,
            log,
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the server is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// What the server logged so far, for a failure message.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
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

/// The Python that runs the client scripts (`PYTHON`, else `python3`).
pub fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Runs a script from tests/clients against `served`; it must print "all checks passed".
pub fn run_script(script: &str, served: &Served) {
    run_script_with(script, served, &[]);
}

/// Like `run_script`, with extra arguments after the address (topic names a script reads).
pub fn run_script_with(script: &str, served: &Served, args: &[String]) {
    let addr = served.addr;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(script);
    let out = Command::new(python())
        .arg(&path)
        .arg(addr.to_string())
        .args(args)
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
