//! End-to-end tests: the real binary in a tmux pane, driven with `send-keys` and read
//! back with `capture-pane`. Every wait polls the screen with a deadline; nothing relies
//! on a fixed sleep to be long enough.

#[path = "support/tmux.rs"]
mod tmux;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tmux::{BinaryRun, tmux};

const BIN: &str = env!("CARGO_BIN_EXE_minikafka-tui");
const DEADLINE: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// The binary in a tmux session; see [`BinaryRun`] for what is kept after it exits.
struct Pane {
    run: BinaryRun,
}

impl Pane {
    fn start(test: &str, width: u16, height: u16, args: &str) -> Pane {
        Pane::start_with_env(test, width, height, "", args)
    }

    /// Like [`Pane::start`], with `env` arguments (`NAME=value`, `-u NAME`) for the binary.
    fn start_with_env(test: &str, width: u16, height: u16, env: &str, args: &str) -> Pane {
        let command = format!("env {env} {BIN} {args}");
        Pane {
            run: BinaryRun::start(test, width, height, &command),
        }
    }

    fn screen(&self) -> String {
        self.run.session.screen()
    }

    /// The screen with its colours and attributes as escape sequences.
    fn screen_with_attributes(&self) -> String {
        let out = tmux(&["capture-pane", "-p", "-e", "-t", &self.run.session.name]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn send(&self, keys: &[&str]) {
        self.run.session.send(keys)
    }

    /// Polls until `pred` holds on the screen, and returns what it found.
    fn wait_for<T>(&self, what: &str, pred: impl FnMut(&str) -> Option<T>) -> T {
        self.run.session.wait_for(what, DEADLINE, POLL, pred)
    }

    fn wait_text(&self, text: &str) {
        self.wait_for(text, |s| s.contains(text).then_some(()));
    }

    /// The exit status the binary left, once it has exited.
    fn wait_exit(&self) -> i32 {
        self.run.wait_exit(DEADLINE)
    }

    /// What the binary wrote to stderr (complete once it has exited).
    fn stderr(&self) -> String {
        self.run.stderr()
    }

    fn assert_restored(&self) {
        self.run.assert_restored()
    }

    /// The binary's process id: the one child of the pane's shell.
    fn binary_pid(&self) -> String {
        let out = tmux(&[
            "display-message",
            "-p",
            "-t",
            &self.run.session.name,
            "#{pane_pid}",
        ]);
        let shell = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let out = Command::new("pgrep")
            .args(["-P", &shell])
            .output()
            .expect("pgrep");
        let pid = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(!pid.is_empty() && !pid.contains('\n'), "one child: {pid:?}");
        pid
    }
}

/// Simulated seconds from the header's `mm:ss.t` field.
fn sim_time(screen: &str) -> Option<f64> {
    let field = screen.lines().next()?.split('│').nth(1)?.trim();
    let (m, s) = field.split_once(':')?;
    Some(m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?)
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

/// The pane row after `needle`'s first occurrence, from `needle`'s column on.
fn row_after<'a>(screen: &'a str, needle: &str) -> Option<&'a str> {
    let mut lines = screen.lines();
    let line = lines.by_ref().find(|l| l.contains(needle))?;
    let col = line.find(needle)?;
    let next = lines.next()?;
    next.get(col..).or(Some(next))
}

/// A group's total lag, from the groups pane line under its header.
fn group_lag(screen: &str, group: &str) -> Option<f64> {
    let header = format!(" {group} ");
    let stats = row_after(screen, &header)?;
    let rest = stats.split("lag ").nth(1)?;
    count(rest.split_whitespace().next()?)
}

/// A group's generation, from its header line.
fn group_generation(screen: &str, group: &str) -> Option<u32> {
    let header = format!(" {group} ");
    let line = screen.lines().find(|l| l.contains(&header))?;
    let after = &line[line.find(&header)?..];
    after
        .split("gen ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[test]
fn names_appear_and_time_advances() {
    let p = Pane::start("names", 120, 36, "");
    p.wait_text("orders");
    p.wait_text("billing");
    p.wait_text("analytics");
    let t0 = p.wait_for("a sim time", sim_time);
    p.wait_for("time to advance", |s| sim_time(s).filter(|t| *t > t0 + 0.5));
}

#[test]
fn space_freezes_time_and_resumes_it() {
    let p = Pane::start("pause", 120, 36, "");
    p.wait_for("time to pass 1s", |s| sim_time(s).filter(|t| *t >= 1.0));
    p.send(&["Space"]);
    p.wait_text("paused");
    let frozen = p.wait_for("a sim time", sim_time);
    // Several frames later the time is still the same.
    for _ in 0..10 {
        std::thread::sleep(POLL);
        assert_eq!(
            sim_time(&p.screen()),
            Some(frozen),
            "time moved while paused"
        );
    }
    p.send(&["Space"]);
    p.wait_text("running");
    p.wait_for("time to resume", |s| sim_time(s).filter(|t| *t > frozen));
}

#[test]
fn c_adds_a_member_and_the_rebalance_shows() {
    let p = Pane::start("add", 160, 48, "");
    p.wait_text("billing-2");
    let generation = p.wait_for("billing's generation", |s| group_generation(s, "billing"));
    p.send(&["c"]);
    // The new member appears in the groups pane and the events pane shows its join and
    // the new generation's assignment.
    p.wait_text("billing-3-");
    p.wait_for("a joined event", |s| {
        s.lines()
            .any(|l| l.contains("billing: billing-3") && l.contains("joined"))
            .then_some(())
    });
    p.wait_for("a new generation", |s| {
        group_generation(s, "billing").filter(|g| *g > generation)
    });
    p.wait_for("the assignment event", |s| {
        s.lines()
            .any(|l| l.contains("billing: generation") && l.contains("billing-3"))
            .then_some(())
    });
}

#[test]
fn x_crashes_a_member_and_its_partitions_move_after_the_timeout() {
    let p = Pane::start("crash", 160, 48, "");
    p.wait_text("billing-2");
    let generation = p.wait_for("billing's generation", |s| group_generation(s, "billing"));
    // Faster simulated time makes the session timeout pass sooner.
    p.send(&["+", "+", "+"]);
    p.wait_text("8×");
    p.send(&["x"]);
    // The member is marked at once; the broker notices only when its session expires.
    p.wait_text("crashed");
    p.wait_text("expired (session timeout)");
    p.wait_for("a rebalance after the expiry", |s| {
        group_generation(s, "billing").filter(|g| *g > generation)
    });
    // The surviving member now owns every partition.
    p.wait_for("all partitions on one member", |s| {
        s.lines()
            .any(|l| {
                l.contains("billing-") && ["p0 ", "p1 ", "p2 ", "p3 "].iter().all(|p| l.contains(p))
            })
            .then_some(())
    });
}

#[test]
fn r_replays_so_the_lag_jumps() {
    let p = Pane::start("replay", 160, 48, "");
    p.wait_for("time to pass 6s", |s| sim_time(s).filter(|t| *t >= 6.0));
    // Paused, the replayed lag cannot drain again before the screen is read, however
    // slowly a loaded machine draws.
    p.send(&["Space"]);
    p.wait_text("paused");
    let before = p.wait_for("billing's lag", |s| group_lag(s, "billing"));
    p.send(&["r"]);
    p.wait_text("offsets reset to earliest");
    p.wait_for("the lag to jump", |s| {
        group_lag(s, "billing").filter(|lag| *lag >= before + 100.0)
    });
}

#[test]
fn question_mark_opens_help_and_esc_closes_it() {
    let p = Pane::start("help", 100, 30, "");
    p.wait_text("orders");
    p.send(&["?"]);
    p.wait_text("Esc closes");
    p.wait_text("crash a consumer");
    p.send(&["Escape"]);
    p.wait_for("help to close", |s| {
        (!s.contains("Esc closes")).then_some(())
    });
}

#[test]
fn a_small_terminal_shows_the_notice() {
    let p = Pane::start("small", 60, 15, "");
    p.wait_text("terminal too small");
}

#[test]
fn q_exits_with_status_zero_and_restores_the_terminal() {
    let log = std::env::temp_dir().join(format!("mk-quit-{}.log", std::process::id()));
    let p = Pane::start("quit", 100, 30, &format!("--log {}", log.display()));
    p.wait_text("orders");
    p.send(&["Space", "+", "c"]);
    p.wait_text("paused");
    p.send(&["q"]);
    assert_eq!(p.wait_exit(), 0);
    p.assert_restored();
    assert_eq!(
        p.stderr(),
        "",
        "nothing may be written to stderr while the UI is up"
    );
    let diagnostics = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    assert!(diagnostics.contains("-> AddConsumer"), "{diagnostics}");
}

#[test]
fn ctrl_c_exits_with_status_zero() {
    let p = Pane::start("ctrlc", 100, 30, "");
    p.wait_text("orders");
    p.send(&["C-c"]);
    assert_eq!(p.wait_exit(), 0);
    p.assert_restored();
}

#[test]
fn sigterm_restores_the_terminal() {
    let p = Pane::start("term", 100, 30, "");
    p.wait_text("orders");
    let pid = p.binary_pid();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    assert_eq!(p.wait_exit(), 0);
    p.assert_restored();
    assert_eq!(p.stderr(), "");
}

#[test]
fn a_panic_restores_the_terminal_then_prints_the_message() {
    let p = Pane::start("panic", 100, 30, "--panic-after-first-frame");
    assert_eq!(p.wait_exit(), 101);
    p.assert_restored();
    assert!(
        p.stderr()
            .contains("panic requested by --panic-after-first-frame"),
        "{}",
        p.stderr()
    );
}

#[test]
fn resizing_redraws_at_the_new_size() {
    let p = Pane::start("resize", 100, 30, "");
    p.wait_text("orders");
    assert!(
        tmux(&[
            "resize-window",
            "-t",
            &p.run.session.name,
            "-x",
            "60",
            "-y",
            "15"
        ])
        .status
        .success()
    );
    p.wait_text("terminal too small");
    assert!(
        tmux(&[
            "resize-window",
            "-t",
            &p.run.session.name,
            "-x",
            "120",
            "-y",
            "40"
        ])
        .status
        .success()
    );
    p.wait_for("the panes again", |s| {
        (s.contains("orders") && !s.contains("too small")).then_some(())
    });
}

#[test]
fn presenter_mode_waits_at_a_beat_until_n() {
    let p = Pane::start("presenter", 120, 36, "--presenter");
    p.wait_text("orders");
    // Speed up so the 30 s beat comes soon; the simulation then holds there.
    p.send(&["+", "+", "+", "+", "+"]);
    p.wait_text("press n");
    let held = p.wait_for("a sim time", sim_time);
    assert_eq!(held, 30.0, "held at the beat's time");
    assert!(
        !p.screen().contains("analytics-2"),
        "the beat has not fired yet"
    );
    p.send(&["n"]);
    p.wait_text("analytics-2");
    p.wait_for("time to move past the beat", |s| {
        sim_time(s).filter(|t| *t > held)
    });
}

#[test]
fn p_adds_a_producer_and_g_adds_a_group() {
    let p = Pane::start("grow", 160, 48, "");
    p.wait_text("web-2");
    p.send(&["p"]);
    p.wait_text("producer web-3 started on orders");
    p.wait_for("the producer in its pane", |s| {
        s.lines()
            .any(|l| l.contains("web-3") && l.contains("orders") && l.contains("/s"))
            .then_some(())
    });
    p.send(&["g"]);
    p.wait_text("group group-3 created on orders");
    p.wait_for("the new group in the groups pane", |s| {
        group_generation(s, "group-3").filter(|g| *g >= 1)
    });
}

/// The colour parameters (30–38, 40–48, 90–97, 100–107) in a screen's SGR sequences.
fn colour_codes(screen: &str) -> Vec<String> {
    let mut found = Vec::new();
    for seq in screen.split("\x1b[").skip(1) {
        let Some(end) = seq.find('m') else { continue };
        for param in seq[..end].split(';') {
            if let Ok(n) = param.parse::<u32>()
                && matches!(n, 30..=38 | 40..=48 | 90..=97 | 100..=107)
            {
                found.push(seq[..end].to_string());
            }
        }
    }
    found
}

#[test]
fn no_color_is_honoured_and_colour_is_used_otherwise() {
    let plain = Pane::start_with_env("nocolor", 120, 36, "-u NO_COLOR", "");
    let mono = Pane::start_with_env("nocolor-set", 120, 36, "NO_COLOR=1", "");
    plain.wait_text("orders");
    mono.wait_text("orders");
    assert!(!colour_codes(&plain.screen_with_attributes()).is_empty());
    let codes = colour_codes(&mono.screen_with_attributes());
    assert!(codes.is_empty(), "colours under NO_COLOR: {codes:?}");
}

/// `--listen`: a real client produces and consumes, and appears on screen beside the
/// simulated ones: by client.id in the producers pane, and its group in the groups pane.
#[test]
fn listen_shows_network_clients_and_their_group() {
    let kcat_ok = Command::new("kcat")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !kcat_ok {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "kcat is not installed, and CI=true requires it (.ci/run installs it)"
        );
        eprintln!("SKIPPING: kcat is not installed");
        return;
    }
    let p = Pane::start("listen", 160, 48, "--listen 127.0.0.1:0");
    // Port 0 picks a free port; the header shows the real one.
    let addr = p.wait_for("the listener in the header", |s| {
        let after = s.split("kafka ").nth(1)?;
        let addr = after.split_whitespace().next()?;
        addr.parse::<std::net::SocketAddr>().ok()
    });
    let broker = addr.to_string();
    let mut producer = Command::new("kcat")
        .args([
            "-b",
            &broker,
            "-P",
            "-t",
            "clicks",
            "-X",
            "client.id=e2e-producer",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("kcat runs");
    {
        use std::io::Write;
        let mut stdin = producer.stdin.take().unwrap();
        for i in 0..50 {
            writeln!(stdin, "click-{i}").unwrap();
        }
    }
    assert!(producer.wait().unwrap().success());
    p.wait_text("e2e-producer");
    p.wait_text("clicks");
    let mut consumer = Command::new("kcat")
        .args([
            "-b",
            &broker,
            "-G",
            "e2e-dashboard",
            "-X",
            "client.id=e2e-reader",
            "clicks",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("kcat runs");
    let seen = std::panic::catch_unwind(|| {
        p.wait_text("e2e-dashboard");
        // The consumer's connections are counted in the header while it runs.
        p.wait_for("the consumer's connections", |s| {
            let before = s.split(" conn").next()?;
            let n: usize = before.rsplit(' ').next()?.parse().ok()?;
            (n >= 1).then_some(())
        });
    });
    let _ = consumer.kill();
    let _ = consumer.wait();
    if let Err(e) = seen {
        std::panic::resume_unwind(e);
    }
}

/// Simulated seconds from the header's clock, `mm:ss.t` or, past an hour, `h:mm:ss`.
fn header_clock(screen: &str) -> Option<f64> {
    let field = screen.lines().next()?.split('│').nth(1)?.trim();
    field.split(':').try_fold(0.0, |acc, part| {
        Some(acc * 60.0 + part.parse::<f64>().ok()?)
    })
}

/// Resident memory of process `pid` in MB, from /proc.
fn rss_mb(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Most memory the burst test lets the binary hold.
const MAX_RSS_MB: f64 = 500.0;

/// How long the burst test watches the binary work after the burst.
const OBSERVE: Duration = Duration::from_secs(8);

/// Samples the binary's resident memory every few milliseconds in the background, keeping
/// the highest. Past [`MAX_RSS_MB`] it kills the binary at once: the test fails either way,
/// and a runaway process must not take the machine down with it.
struct RssWatch {
    peak_kb: Arc<AtomicU64>,
    killed: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssWatch {
    fn start(pid: String) -> RssWatch {
        let peak_kb = Arc::new(AtomicU64::new(0));
        let killed = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let (peak, kill, stop) = (peak_kb.clone(), killed.clone(), done.clone());
        let thread = std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let Some(mb) = rss_mb(&pid) else { break };
                peak.fetch_max((mb * 1024.0) as u64, Ordering::Relaxed);
                if mb > MAX_RSS_MB {
                    let _ = Command::new("kill").args(["-KILL", &pid]).status();
                    kill.store(true, Ordering::Relaxed);
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        RssWatch {
            peak_kb,
            killed,
            done,
            thread: Some(thread),
        }
    }

    fn peak_mb(&self) -> f64 {
        self.peak_kb.load(Ordering::Relaxed) as f64 / 1024.0
    }

    fn killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }
}

impl Drop for RssWatch {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Polls the screen until `pred` holds, for at most `limit`; `None` if it never did.
fn within<T>(p: &Pane, limit: Duration, mut pred: impl FnMut(&str) -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(found) = pred(&p.screen()) {
            return Some(found);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(POLL);
    }
}

/// At full speed, a burst of keys asking for ever more work (rates doubled 200 times, a
/// hundred producers and consumers, thirty groups) must not freeze the screen: the
/// simulated clock keeps moving, the header admits the speed it really reaches, memory
/// stays bounded by the log memory limit and `q` still quits at once.
#[test]
fn a_burst_of_work_at_full_speed_slows_the_simulation_but_never_freezes_the_screen() {
    // Default flags (a 1 GiB log limit): simulated records kept in compact batches, a few
    // bytes each, keep what the burst produces in these seconds well within the bound.
    let p = Pane::start("burst", 160, 48, "");
    p.wait_text("orders");
    let pid = p.binary_pid();
    let watch = RssWatch::start(pid);
    // Six presses take 1× to 64×, the top speed; more change nothing.
    p.send(&["+"; 8]);
    p.wait_for("64× in the header", |s| {
        s.lines().next()?.contains(" 64× ").then_some(())
    });
    for (key, times) in [("}", 200), ("p", 100), ("c", 100), ("g", 30)] {
        let keys = vec![key; times];
        for chunk in keys.chunks(50) {
            p.send(chunk);
        }
    }
    let burst = Instant::now();
    let first = within(&p, Duration::from_secs(5), header_clock);
    let later = first.and_then(|t0| {
        std::thread::sleep(Duration::from_secs(2));
        within(&p, Duration::from_secs(5), |s| {
            header_clock(s).filter(|t| *t > t0)
        })
    });
    let reached = within(&p, Duration::from_secs(10), |s| {
        let header = s.lines().next()?;
        header.contains("reached").then(|| header.to_string())
    });
    // Memory is watched for a while under the load, not just through the burst.
    if let Some(rest) = OBSERVE.checked_sub(burst.elapsed()) {
        std::thread::sleep(rest);
    }
    let killed_before_quit = watch.killed();
    let asked_to_quit = Instant::now();
    p.send(&["q"]);
    // A binary killed for its memory has nothing left to quit.
    let quit = within(&p, Duration::from_secs(10), |_| {
        p.run.exited().then(|| asked_to_quit.elapsed())
    })
    .filter(|_| !killed_before_quit);
    let peak = watch.peak_mb();
    eprintln!(
        "burst: clock {first:?} then {later:?} s; header {reached:?}; peak RSS {peak:.0} MB \
         (killed for it: {killed_before_quit}); quit after {quit:?}"
    );
    assert!(
        !killed_before_quit && peak < MAX_RSS_MB,
        "peak RSS {peak:.0} MB (killed past {MAX_RSS_MB} MB: {killed_before_quit})"
    );
    assert!(
        first.is_some() && later.is_some(),
        "the simulated clock stopped: {first:?} then {later:?}; screen:\n{}",
        p.screen()
    );
    assert!(reached.is_some(), "no reached speed in the header");
    let quit = quit.expect("q did not quit within 10 s");
    assert!(quit < Duration::from_secs(2), "q took {quit:?} to quit");
    assert_eq!(p.wait_exit(), 0);
}
