//! Scenario files past a limit: the headless binary exits 2 within a second, naming the
//! file, the line and the field (or the file, for its size and type), and never hangs,
//! spins or runs out of memory. The limits are the README's table.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a refusal may take.
const PROMPT: Duration = Duration::from_secs(1);
/// How long a run is allowed before the test kills it and fails.
const KILL_AFTER: Duration = Duration::from_secs(10);

struct Run {
    code: Option<i32>,
    stderr: String,
    took: Duration,
}

/// Runs the binary headless on `scenario`, killing it if it outlives [`KILL_AFTER`].
fn headless(scenario: &Path) -> Run {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_minikafka-tui"))
        .args(["--headless", "--json", "--duration", "10s", "--scenario"])
        .arg(scenario)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > KILL_AFTER {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{} still running after {KILL_AFTER:?}", scenario.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = started.elapsed();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    Run {
        code: status.code(),
        stderr,
        took,
    }
}

fn dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("minikafka-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn file(name: &str, text: &str) -> PathBuf {
    let path = dir().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The 1-based line of the `n`th (0-based) line of `text` that starts with `prefix`.
fn line_of(text: &str, prefix: &str, n: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with(prefix))
        .nth(n)
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("no line {n} starting with {prefix}"))
}

/// Asserts a prompt exit 2 whose message names `path:line:` and `field`.
fn refused_at(path: &Path, line: usize, field: &str) -> String {
    let run = headless(path);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.took < PROMPT, "took {:?}: {}", run.took, run.stderr);
    let at = format!("{}:{line}:", path.display());
    assert!(run.stderr.contains(&at), "no {at} in: {}", run.stderr);
    assert!(
        run.stderr.contains(&format!("`{field}`")),
        "no {field} in: {}",
        run.stderr
    );
    run.stderr
}

const HEAD: &str = "name = \"limits\"\n[[topics]]\nname = \"t\"\npartitions = 1\n";

#[test]
fn commit_every_beyond_the_limit_is_refused_not_looped_on() {
    let text = format!(
        "{HEAD}[[groups]]\nname = \"g\"\ntopics = [\"t\"]\ncommit = \"every_n\"\n\
         commit_every = 18446744073709551615\n[[producers]]\ntopic = \"t\"\n"
    );
    let path = file("commit-every.toml", &text);
    refused_at(
        &path,
        line_of(&text, "commit_every", 0),
        "groups[0].commit_every",
    );
}

#[test]
fn partitions_past_the_total_are_refused_before_anything_is_built() {
    let mut text = "name = \"wide\"\n".to_string();
    for i in 0..100 {
        text += &format!("[[topics]]\nname = \"t{i}\"\npartitions = 10000\n");
    }
    let path = file("wide.toml", &text);
    let err = refused_at(
        &path,
        line_of(&text, "partitions", 1),
        "topics[1].partitions",
    );
    assert!(err.contains("10000"), "names the limit: {err}");
}

#[test]
fn too_many_partitions_in_one_topic() {
    let text = HEAD.replace("partitions = 1", "partitions = 10001");
    let path = file("one-wide.toml", &text);
    refused_at(&path, 4, "topics[0].partitions");
}

#[test]
fn the_producers_total_rate_is_bounded() {
    let text = format!("{HEAD}[[producers]]\ntopic = \"t\"\ncount = 256\nrate = 10000000.0\n");
    let path = file("flood.toml", &text);
    refused_at(&path, line_of(&text, "rate", 0), "producers[0].rate");

    // Each within the per-producer limit, together past the total.
    let text = format!(
        "{HEAD}[[producers]]\ntopic = \"t\"\nrate = 600000.0\n\
         [[producers]]\ntopic = \"t\"\nrate = 600000.0\n"
    );
    let path = file("flood-total.toml", &text);
    let err = refused_at(&path, line_of(&text, "rate", 1), "producers[1].rate");
    assert!(err.contains("in total"), "{err}");
}

#[test]
fn producer_and_key_counts_are_bounded() {
    let text = format!(
        "{HEAD}[[producers]]\ntopic = \"t\"\ncount = 200\nrate = 1.0\n\
         [[producers]]\ntopic = \"t\"\ncount = 100\nrate = 1.0\n"
    );
    let path = file("crowd.toml", &text);
    refused_at(&path, line_of(&text, "count", 1), "producers[1].count");

    let text =
        format!("{HEAD}[[producers]]\ntopic = \"t\"\nkey_count = 1000000\ncount = 3\nrate = 1.0\n");
    let path = file("keys.toml", &text);
    refused_at(
        &path,
        line_of(&text, "key_count", 0),
        "producers[0].key_count",
    );
}

#[test]
fn members_and_groups_are_bounded() {
    let mut text = HEAD.to_string();
    for i in 0..5 {
        text += &format!("[[groups]]\nname = \"g{i}\"\ntopics = [\"t\"]\nconsumers = 256\n");
    }
    let path = file("members.toml", &text);
    refused_at(&path, line_of(&text, "consumers", 4), "groups[4].consumers");

    let text = format!("{HEAD}[[groups]]\nname = \"g\"\ntopics = [\"t\"]\nconsumers = 257\n");
    let path = file("members-one.toml", &text);
    refused_at(&path, line_of(&text, "consumers", 0), "groups[0].consumers");

    let mut text = HEAD.to_string();
    for i in 0..65 {
        text += &format!("[[groups]]\nname = \"g{i}\"\ntopics = [\"t\"]\n");
    }
    let path = file("groups.toml", &text);
    refused_at(
        &path,
        line_of(&text, "name = \"g64\"", 0),
        "groups[64].name",
    );
}

#[test]
fn integers_and_times_are_bounded() {
    let cases = [
        (
            "retention_ms = 9223372036854775807",
            "topics[0].retention_ms",
        ),
        (
            "retention_records = 18446744073709551615",
            "topics[0].retention_records",
        ),
    ];
    for (line, field) in cases {
        let text = format!("{HEAD}{line}\n");
        let path = file("retention.toml", &text);
        refused_at(&path, 5, field);
    }
    let text = format!("{HEAD}[[producers]]\ntopic = \"t\"\nkeys = \"zipf\"\nzipf_s = 1000.0\n");
    let path = file("zipf.toml", &text);
    refused_at(&path, line_of(&text, "zipf_s", 0), "producers[0].zipf_s");
    let text = format!(
        "{HEAD}[[groups]]\nname = \"g\"\ntopics = [\"t\"]\n\
         [[timeline]]\nat = \"2000h\"\naction = \"crash_consumer\"\ngroup = \"g\"\n"
    );
    let path = file("late.toml", &text);
    refused_at(&path, line_of(&text, "at =", 0), "timeline[0].at");
}

#[test]
fn a_huge_file_is_refused_after_reading_at_most_the_limit() {
    let text = format!("{HEAD}# {}\n", "x".repeat(2 << 20));
    let path = file("huge.toml", &text);
    let run = headless(&path);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.took < PROMPT, "took {:?}", run.took);
    assert!(
        run.stderr.contains(&path.display().to_string()) && run.stderr.contains("1 MiB"),
        "{}",
        run.stderr
    );

    let run = headless(Path::new("/dev/zero"));
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.took < PROMPT, "took {:?}", run.took);
    assert!(run.stderr.contains("/dev/zero"), "{}", run.stderr);
}

#[test]
fn a_fifo_fails_at_once() {
    let path = dir().join("pipe.toml");
    let _ = std::fs::remove_file(&path);
    let made = Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let run = headless(&path);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.took < PROMPT, "took {:?}", run.took);
    assert!(
        run.stderr.contains(&path.display().to_string()) && run.stderr.contains("regular file"),
        "{}",
        run.stderr
    );
}

#[test]
fn beats_past_a_limit_are_refused_and_the_run_goes_on() {
    // Each factor is a valid number; the rates they ask for are past the limit.
    let text = format!(
        "{HEAD}[[producers]]\ntopic = \"t\"\nrate = 20.0\n\
         [[timeline]]\nat = \"1s\"\naction = \"scale_producer_rate\"\ntopic = \"t\"\nfactor = 1e7\n\
         [[timeline]]\nat = \"2s\"\naction = \"scale_producer_rate\"\ntopic = \"t\"\nfactor = 1e7\n"
    );
    let path = file("beats.toml", &text);
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_minikafka-tui"))
        .args(["--headless", "--duration", "10s", "--scenario"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        stdout.contains("produced 200,"),
        "the rate stayed at 20/s: {stdout}"
    );
    assert_eq!(
        stdout.matches("must be between 0 and 1000000").count(),
        2,
        "both beats refused: {stdout}"
    );
}
