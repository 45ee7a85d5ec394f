//! End-to-end tests of the observe screen: `serve` runs a scenario whose consumer group
//! falls behind and then works through its backlog, and the real binary observes it in a
//! tmux pane, read back with `capture-pane`. Every wait polls the screen with a deadline;
//! nothing relies on a fixed sleep to be long enough.

#[path = "support/served.rs"]
mod served;

#[path = "support/tmux.rs"]
mod tmux;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use served::Served;
use tmux::{Session, tmux};

const BIN: &str = env!("CARGO_BIN_EXE_minikafka-tui");
const DEADLINE: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);

/// Records arrive at 40/s on two partitions; the group processes 20/s until 15 s, then
/// 70/s: the lag grows by 20/s (WARN), then drains at 30/s, in about ten seconds.
const DRAIN: &str = r#"
name = "Drain"
description = "A backlog builds, then the group works through it."

[[topics]]
name = "orders"
partitions = 2

[[producers]]
topic = "orders"
rate = 40.0
key_count = 100

[[groups]]
name = "billing"
topics = ["orders"]
consumers = 1
process_rate = 20.0
max_poll_records = 10
commit = "every_poll"

[[timeline]]
at = "15s"
action = "set_process_rate"
group = "billing"
rate = 70.0
"#;

/// One tmux session running the binary; killed when dropped. After the binary exits, the
/// shell records its exit status and the terminal's settings, and keeps the pane open.
struct Pane {
    session: Session,
    status: PathBuf,
    stderr: PathBuf,
    stty: PathBuf,
}

impl Pane {
    fn start(test: &str, args: &str) -> Pane {
        let name = format!("mko-{test}-{}", std::process::id());
        let file = |ext: &str| std::env::temp_dir().join(format!("{name}.{ext}"));
        let (status, stderr, stty) = (file("status"), file("stderr"), file("stty"));
        for f in [&status, &stderr, &stty] {
            let _ = std::fs::remove_file(f);
        }
        // The status is written last, so once it exists the other files are complete.
        let cmd = format!(
            "{BIN} {args} 2>{err}; s=$?; stty -a >{tty}; echo $s >{st}; sleep 60",
            err = stderr.display(),
            tty = stty.display(),
            st = status.display(),
        );
        let session = Session::start(&format!("o-{test}"), 150, 40, &cmd);
        Pane {
            session,
            status,
            stderr,
            stty,
        }
    }

    fn screen(&self) -> String {
        self.session.screen()
    }

    fn send(&self, keys: &[&str]) {
        self.session.send(keys)
    }

    /// Polls until `pred` holds on the screen within `deadline`, and returns what it found.
    fn wait_within<T>(
        &self,
        deadline: Duration,
        what: &str,
        mut pred: impl FnMut(&str) -> Option<T>,
    ) -> T {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if let Some(found) = pred(&screen) {
                return found;
            }
            assert!(
                start.elapsed() < deadline,
                "timed out waiting for {what}; stderr: {}\nscreen:\n{screen}",
                self.stderr()
            );
            std::thread::sleep(POLL);
        }
    }

    fn wait_text(&self, text: &str) {
        self.wait_within(DEADLINE, text, |s| s.contains(text).then_some(()));
    }

    /// The exit status the binary left, once it has exited.
    fn wait_exit(&self) -> i32 {
        let start = Instant::now();
        loop {
            if let Ok(s) = std::fs::read_to_string(&self.status)
                && !s.trim().is_empty()
            {
                return s.trim().parse().expect("status file holds a number");
            }
            assert!(start.elapsed() < DEADLINE, "binary did not exit");
            std::thread::sleep(POLL);
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Checks the terminal is back to normal after the binary exited: cooked mode with
    /// echo, and the main screen rather than the alternate one.
    fn assert_restored(&self) {
        let stty = std::fs::read_to_string(&self.stty).expect("stty ran after exit");
        let flags: Vec<&str> = stty.split_whitespace().collect();
        assert!(
            flags.contains(&"icanon") && flags.contains(&"echo"),
            "{stty}"
        );
        let out = tmux(&[
            "display-message",
            "-p",
            "-t",
            &self.session.name,
            "#{alternate_on}",
        ]);
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        for f in [&self.status, &self.stderr, &self.stty] {
            let _ = std::fs::remove_file(f);
        }
    }
}

/// What the groups pane says about one group: its verdict, lag in records and ETA.
#[derive(Debug, Clone, PartialEq)]
struct GroupLine {
    verdict: String,
    lag: f64,
    /// Seconds, when the lag is draining.
    eta_s: Option<f64>,
    not_draining: bool,
}

/// A compact count as the panes print it: 999, 12.3k, 4.5M.
fn count(text: &str) -> Option<f64> {
    let (num, mul) = match text.chars().last()? {
        'k' => (&text[..text.len() - 1], 1e3),
        'M' => (&text[..text.len() - 1], 1e6),
        _ => (text, 1.0),
    };
    Some(num.parse::<f64>().ok()? * mul)
}

/// A span as the panes print it: `0.4s`, `12s`, `1m02s`.
fn seconds(text: &str) -> Option<f64> {
    let text = text.strip_suffix('s')?;
    match text.split_once('m') {
        Some((m, s)) => Some(m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?),
        None => text.parse().ok(),
    }
}

/// The group's header line (`A billing WARN Stable · classic range`) and the line under
/// it (`  lag 170 (4.4s) · eta 6.2s · 19.9/s`), read from the groups pane.
fn group_line(screen: &str, group: &str) -> Option<GroupLine> {
    let needle = format!(" {group} ");
    let mut lines = screen.lines();
    let header = lines.by_ref().find(|l| l.contains(&needle))?;
    let at = header.find(&needle)?;
    let verdict = header[at + needle.len()..].split_whitespace().next()?;
    // The pane's column, in characters: the strips beside it are not ASCII.
    let col = header[..at].chars().count();
    let stats: String = lines.next()?.chars().skip(col).collect();
    let lag = count(stats.split("lag ").nth(1)?.split_whitespace().next()?)?;
    let eta_s = match stats.split("eta ").nth(1) {
        Some(rest) => Some(seconds(rest.split_whitespace().next()?)?),
        None => None,
    };
    Some(GroupLine {
        verdict: verdict.to_string(),
        lag,
        eta_s,
        not_draining: stats.contains("not draining"),
    })
}

fn scenario_file() -> PathBuf {
    let path = std::env::temp_dir().join(format!("mko-drain-{}.toml", std::process::id()));
    std::fs::write(&path, DRAIN).unwrap();
    path
}

#[test]
fn a_backlog_drains_on_screen_then_the_cluster_goes_away_and_q_quits() {
    let scenario = scenario_file();
    let server = Served::start(&["--scenario", scenario.to_str().unwrap()]);
    let args = format!("observe --bootstrap {} --poll-interval 500ms", server.addr);
    let p = Pane::start("drain", &args);

    let header = p.wait_within(DEADLINE, "the cluster in the header", |s| {
        let first = s.lines().next()?;
        first.contains("id minikafka").then(|| first.to_string())
    });
    assert!(header.contains(&server.addr.to_string()), "{header}");
    assert!(header.contains("1 broker"), "{header}");
    assert!(header.contains("polled "), "{header}");

    // Falling behind: lag grows over the whole window, and nothing drains it.
    let behind = p.wait_within(DEADLINE, "WARN while the lag grows", |s| {
        group_line(s, "billing").filter(|g| g.verdict == "WARN")
    });
    assert!(behind.not_draining, "{behind:?}");
    assert!(behind.lag > 0.0, "{behind:?}");

    // Working through the backlog: the ETA counts down while the lag falls, until the
    // verdict is OK again.
    let mut seen: Vec<GroupLine> = Vec::new();
    let ok = p.wait_within(Duration::from_secs(60), "OK after the drain", |s| {
        let g = group_line(s, "billing")?;
        if seen.last() != Some(&g) {
            seen.push(g.clone());
        }
        let counted_down = seen.iter().filter(|g| g.eta_s.is_some()).count() >= 3;
        (g.verdict == "OK" && counted_down && g.lag < behind.lag).then_some(g)
    });
    let etas: Vec<(f64, f64)> = seen
        .iter()
        .filter_map(|g| Some((g.eta_s?, g.lag)))
        .collect();
    let (first_eta, first_lag) = etas[0];
    let (last_eta, last_lag) = *etas.last().unwrap();
    assert!(last_eta < first_eta, "the ETA counts down: {seen:?}");
    assert!(
        last_lag < first_lag,
        "the lag falls while draining: {seen:?}"
    );
    let peak = seen.iter().map(|g| g.lag).fold(0.0, f64::max);
    assert!(
        ok.lag < peak,
        "the lag fell from {peak} to {}: {seen:?}",
        ok.lag
    );
    let warned_at = seen.iter().position(|g| g.verdict == "WARN");
    let ok_at = seen.iter().rposition(|g| g.verdict == "OK");
    assert!(
        warned_at.is_none_or(|w| ok_at.is_some_and(|o| o > w)),
        "WARN, then OK: {seen:?}"
    );

    // The cluster goes away: the header says so, and the last data stays on screen.
    drop(server);
    let alert = p.wait_within(DEADLINE, "the unreachable notice", |s| {
        let first = s.lines().next()?;
        first.contains("unreachable").then(|| first.to_string())
    });
    assert!(alert.contains("retrying"), "{alert}");
    assert!(
        group_line(&p.screen(), "billing").is_some(),
        "the groups stay"
    );

    p.send(&["q"]);
    assert_eq!(p.wait_exit(), 0, "stderr: {}", p.stderr());
    p.assert_restored();
    let _ = std::fs::remove_file(scenario);
}

#[test]
fn only_the_keys_that_work_on_a_real_cluster_are_offered() {
    let server = Served::start(&["--scenario", "quickstart"]);
    let args = format!("observe --bootstrap {} --interval 500ms", server.addr);
    let p = Pane::start("keys", &args);
    p.wait_text("Brokers");
    let footer = p.screen().lines().last().unwrap_or_default().to_string();
    assert!(
        footer.contains("quit") && footer.contains("help"),
        "{footer}"
    );
    for sim_only in ["pause", "speed", "step"] {
        assert!(!footer.contains(sim_only), "{sim_only} offered: {footer}");
    }

    p.send(&["?"]);
    p.wait_text("close the help");
    let help = p.screen();
    assert!(help.contains("move focus between panes"), "{help}");
    assert!(help.contains("lag chart in records / in time"), "{help}");
    for sim_only in [
        "pause / resume",
        "add a consumer",
        "crash a consumer",
        "speed up",
    ] {
        assert!(!help.contains(sim_only), "{sim_only} in the help:\n{help}");
    }
    p.send(&["Escape"]);

    // A key that acts on a simulation does nothing but say so; the lag unit still toggles.
    p.send(&["c"]);
    p.wait_text("read-only: adding a consumer needs a simulation");
    p.send(&["t"]);
    p.wait_text("Lag in time");

    p.send(&["q"]);
    assert_eq!(p.wait_exit(), 0, "stderr: {}", p.stderr());
    p.assert_restored();
}
