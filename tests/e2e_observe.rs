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
use tmux::BinaryRun;

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

/// The binary in a tmux session; see [`BinaryRun`] for what is kept after it exits.
struct Pane {
    run: BinaryRun,
}

impl Pane {
    fn start(test: &str, args: &str) -> Pane {
        let command = format!("{BIN} {args}");
        Pane {
            run: BinaryRun::start(&format!("o-{test}"), 150, 40, &command),
        }
    }

    fn screen(&self) -> String {
        self.run.session.screen()
    }

    fn send(&self, keys: &[&str]) {
        self.run.session.send(keys)
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
        self.run.wait_exit(DEADLINE)
    }

    fn stderr(&self) -> String {
        self.run.stderr()
    }

    fn assert_restored(&self) {
        self.run.assert_restored()
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

/// The focused pane's top border, when it spans the whole screen: the pane is zoomed.
fn zoomed(screen: &str, title: &str, width: usize) -> bool {
    let marker = format!("┌▶ {title}");
    screen
        .lines()
        .any(|l| l.starts_with(&marker) && l.ends_with('┐') && l.chars().count() == width)
}

#[test]
fn the_observe_screen_zooms_a_pane_and_is_recorded() {
    let cast = std::env::temp_dir().join(format!("mko-record-{}.cast", std::process::id()));
    let _ = std::fs::remove_file(&cast);
    let server = Served::start(&["--scenario", "quickstart"]);
    let args = format!(
        "--record {} observe --bootstrap {} --interval 500ms",
        cast.display(),
        server.addr
    );
    let p = Pane::start("zoom", &args);
    p.wait_text("Brokers");
    let footer = p.screen().lines().last().unwrap_or_default().to_string();
    assert!(footer.contains("z zoom"), "zoom is offered: {footer}");

    p.send(&["z"]);
    let screen = p.wait_within(DEADLINE, "partitions zoomed", |s| {
        zoomed(s, "Partitions", 150).then(|| s.to_string())
    });
    assert!(
        !screen.contains("┌Groups"),
        "the other panes give way:\n{screen}"
    );
    p.send(&["z"]);
    p.wait_text("┌Groups");
    p.send(&["Tab", "z"]);
    p.wait_within(DEADLINE, "groups zoomed", |s| {
        zoomed(s, "Groups", 150).then_some(())
    });
    p.send(&["q"]);
    assert_eq!(p.wait_exit(), 0, "stderr: {}", p.stderr());
    p.assert_restored();

    let text = std::fs::read_to_string(&cast).expect("the recording was written");
    let _ = std::fs::remove_file(&cast);
    let mut lines = text.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["version"], 2);
    assert_eq!(
        (header["width"].as_u64(), header["height"].as_u64()),
        (Some(150), Some(40))
    );
    let size = |n: u16| std::num::NonZeroU16::new(n).unwrap();
    let mut parser = vt100::Parser::new(size(40), size(150), 0);
    for line in lines {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(event[1], "o", "{line}");
        parser.process(event[2].as_str().unwrap().as_bytes());
    }
    let last = parser.screen().contents();
    assert!(
        zoomed(&last, "Groups", 150),
        "the recording ends on the zoomed groups:\n{last}"
    );
}
