//! The binary end to end: headless runs, the JSON report, exit codes, listing and help.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_minikafka-tui"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("minikafka-headless-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn json_report_has_the_contract_fields() {
    let o = bin(&[
        "--headless",
        "--scenario",
        "quickstart",
        "--duration",
        "20s",
        "--seed",
        "7",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).expect("stdout is only the JSON report");
    assert_eq!(v["scenario"], "quickstart");
    assert_eq!(v["seed"], 7);
    assert_eq!(v["sim_time_ms"], 20_000);
    assert!(v["produced"].as_u64().unwrap() > 0);
    assert!(v["consumed"].as_u64().unwrap() > 0);
    let topic = &v["topics"][0];
    assert_eq!(topic["name"], "orders");
    let parts = topic["partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 4);
    for (i, p) in parts.iter().enumerate() {
        assert_eq!(p["partition"], i);
        assert!(p["log_start_offset"].is_i64());
        assert!(p["high_watermark"].is_i64());
    }
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    for g in groups {
        assert!(g["name"].is_string());
        assert!(g["state"].is_string());
        assert!(g["generation"].is_i64());
        for m in g["members"].as_array().unwrap() {
            assert!(m["id"].is_string());
            for a in m["assignment"].as_array().unwrap() {
                assert!(a["topic"].is_string() && a["partition"].is_u64());
            }
        }
        let offsets = g["offsets"].as_array().unwrap();
        assert_eq!(offsets.len(), 4, "one entry per partition");
        let mut total = 0;
        for o in offsets {
            assert!(o["topic"].is_string() && o["partition"].is_u64());
            assert!(o["committed"].is_i64() || o["committed"].is_null());
            total += o["lag"].as_i64().unwrap();
            assert!(o["time_lag_ms"].as_i64().unwrap() >= 0);
        }
        assert_eq!(g["total_lag"].as_i64().unwrap(), total);
        assert!(g["duplicates"].is_u64());
        assert!(g["lost"].is_u64());
        // docs/design.md, "Observing a real cluster": the same three measures and a verdict.
        assert!(g["time_lag_ms"].as_i64().unwrap() >= 0);
        assert!(g["eta_ms"].is_i64() || g["eta_ms"].is_null());
        let status = g["status"].as_str().unwrap();
        assert!(
            ["OK", "WARN", "STALL", "STOP", "REWIND", "ERR"].contains(&status),
            "{status}"
        );
        let reason = g["status_reason"].as_str().unwrap();
        assert!(reason.starts_with(&format!("{status}: ")), "{reason}");
    }
}

#[test]
fn json_report_says_a_replayed_group_rewound_and_how_old_its_backlog_is() {
    let o = bin(&[
        "--headless",
        "--scenario",
        "replay",
        "--duration",
        "45s",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let g = &v["groups"][0];
    assert_eq!(g["status"], "REWIND", "{g}");
    let reason = g["status_reason"].as_str().unwrap();
    assert!(reason.contains("went back from"), "{reason}");
    // Reset to the log start at 40 s: the oldest unread record is from the first seconds.
    let oldest = g["time_lag_ms"].as_i64().unwrap();
    assert!((35_000..=45_000).contains(&oldest), "{g}");
    let per_partition: Vec<i64> = g["offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["time_lag_ms"].as_i64().unwrap())
        .collect();
    assert_eq!(per_partition.iter().max(), Some(&oldest), "{g}");
    // It reads the backlog faster than records arrive.
    assert!(g["eta_ms"].as_i64().unwrap() > 0, "{g}");
}

#[test]
fn same_seed_gives_byte_identical_output() {
    let args = [
        "--headless",
        "--scenario",
        "rebalance",
        "--duration",
        "90s",
        "--json",
    ];
    let a = bin(&args);
    let b = bin(&args);
    assert_eq!(a.stdout, b.stdout);
    let c = bin(&[
        "--headless",
        "--scenario",
        "quickstart",
        "--duration",
        "90s",
        "--json",
        "--seed",
        "1",
    ]);
    let d = bin(&[
        "--headless",
        "--scenario",
        "quickstart",
        "--duration",
        "90s",
        "--json",
        "--seed",
        "2",
    ]);
    assert_ne!(c.stdout, d.stdout);
}

#[test]
fn summary_table_without_json() {
    let o = bin(&[
        "--headless",
        "--scenario",
        "at-least-once",
        "--duration",
        "30s",
    ]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("at-least-once"));
    assert!(out.contains("DUPLICATES"));
    assert!(out.contains("charger"));
    assert!(out.contains("crash_consumer"), "fired beats are listed");
}

#[test]
fn no_flags_opens_the_terminal_ui_which_needs_a_terminal() {
    // Without flags the binary opens the terminal UI (tests/e2e_tui.rs drives it in tmux);
    // with no terminal attached it says so and points at --headless.
    let o = bin(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--headless"), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
}

#[test]
fn a_scenario_file_by_path() {
    let path = temp_file(
        "mine.toml",
        "name = \"Mine\"\n[[topics]]\nname = \"a\"\npartitions = 1\n[[producers]]\ntopic = \"a\"\nrate = 10.0\n",
    );
    let o = bin(&[
        "--headless",
        "--scenario",
        path.to_str().unwrap(),
        "--duration",
        "10s",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["scenario"], "mine");
    assert_eq!(v["produced"], 100);
}

#[test]
fn malformed_file_exits_2_naming_file_line_and_field() {
    let path = temp_file(
        "bad.toml",
        "name = \"Bad\"\n[[topics]]\nname = \"a\"\npartitions = 1\n[[producers]]\ntopic = \"a\"\nrat = 10.0\n",
    );
    let o = bin(&["--headless", "--scenario", path.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains(&format!("{}:7:", path.display())), "{err}");
    assert_eq!(
        err.matches("producers[0].rat").count(),
        1,
        "said once: {err}"
    );
    assert!(stdout(&o).is_empty());
}

#[test]
fn bad_input_exits_2() {
    let o = bin(&["--headless", "--scenario", "no-such-scenario"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no-such-scenario"));
    assert!(stderr(&o).contains("quickstart"), "lists what exists");
    let o = bin(&["--headless", "--duration", "5x"]);
    assert_eq!(o.status.code(), Some(2));
    let o = bin(&["--headless", "--seed", "-1"]);
    assert_eq!(o.status.code(), Some(2));
    let o = bin(&["--frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    let o = bin(&["--headless", "--scenario", "missing/file.toml"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn list_scenarios_names_and_describes_each() {
    let o = bin(&["--list-scenarios"]);
    assert!(o.status.success());
    let out = stdout(&o);
    for s in minikafka::sim::Scenario::bundled_all() {
        assert!(out.contains(&s.name), "{}", s.name);
        let first_words: String = s
            .description
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(out.contains(&first_words), "{}", s.name);
    }
}

#[test]
fn help_documents_every_flag() {
    let o = bin(&["--help"]);
    assert!(o.status.success());
    let out = stdout(&o);
    for flag in [
        "--headless",
        "--scenario",
        "--duration",
        "--seed",
        "--json",
        "--list-scenarios",
        "--help",
    ] {
        assert!(out.contains(flag), "{flag}");
    }
}

/// Runs the binary expecting it to refuse its arguments at once as a usage error (exit 2)
/// saying `says`; one that starts serving instead is killed and fails the test rather than
/// hanging it.
fn assert_refused(args: &[&str], says: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_minikafka-tui"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{args:?} ran instead of being refused");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{args:?}");
    assert!(stderr(&o).contains(says), "{}", stderr(&o));
}

#[test]
fn a_flag_the_subcommand_would_ignore_is_refused() {
    let cast = temp_file("serve.cast", "");
    std::fs::remove_file(&cast).unwrap();
    let cast_arg = cast.to_str().unwrap();
    let listen = ["serve", "--listen", "127.0.0.1:0"];
    assert_refused(
        &[&["--record", cast_arg][..], &listen].concat(),
        "--record does not apply to `serve`",
    );
    assert!(!cast.exists());
    assert_refused(
        &[&["--max-log-memory", "2GiB"][..], &listen].concat(),
        "`serve` has its own --max-log-memory, given after `serve`",
    );
    assert_refused(
        &["--headless", "observe", "--bootstrap", "127.0.0.1:1"],
        "--headless does not apply to `observe`",
    );
    // observe draws with these, so only --json, which draws nothing, refuses --record.
    let json = ["observe", "--bootstrap", "127.0.0.1:1", "--json", "--once"];
    assert_refused(
        &[&["--record", cast_arg][..], &json].concat(),
        "--record records the terminal screen, which --json does not draw",
    );
    assert!(!cast.exists());
}

/// The peak resident memory of a running child, in KiB, polled until it exits.
fn run_for_peak_memory(args: &[&str]) -> (std::process::ExitStatus, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_minikafka-tui"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the binary runs");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(kib) = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            return (status, peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The default scenario has no retention, so only the log memory limit bounds it: a
/// hundred simulated hours (about 14 million records) hold at most the limit given beyond
/// what the process holds with an empty log. The log counts the memory its batches really
/// take, so at the limit it holds all of it.
#[test]
fn a_hundred_simulated_hours_stay_under_the_log_memory_limit() {
    // An hour under a 1 MiB limit: long enough for the memory poll to see the process.
    let (status, base_kib) =
        run_for_peak_memory(&["--headless", "--duration", "1h", "--max-log-memory", "1MiB"]);
    assert!(status.success());
    let (status, peak_kib) = run_for_peak_memory(&[
        "--headless",
        "--duration",
        "100h",
        "--max-log-memory",
        "64MiB",
    ]);
    assert!(status.success());
    assert!(base_kib > 0 && peak_kib > 0, "the child's memory was read");
    eprintln!("peak resident memory {peak_kib} KiB, {base_kib} KiB with an empty log");
    assert!(
        peak_kib - base_kib < 64 * 1024,
        "peak resident memory {peak_kib} KiB, over the 64 MiB given beyond {base_kib} KiB"
    );
}
