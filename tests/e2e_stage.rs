//! End-to-end tests of the stage features in a real terminal: the binary in a tmux pane,
//! driven with `send-keys` and read back with `capture-pane`. Zoom makes each pane fill
//! the screen and back, with the presenter's caption still shown; `--record` writes an
//! asciicast v2 file whose output, replayed into a terminal emulator, gives the screen
//! tmux showed. Every wait polls with a deadline.

#[path = "support/tmux.rs"]
mod tmux;

use std::time::{Duration, Instant};

use tmux::BinaryRun;

const BIN: &str = env!("CARGO_BIN_EXE_minikafka-tui");
const DEADLINE: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// The binary in a tmux session; see [`BinaryRun`] for what is kept after it exits.
struct Pane {
    run: BinaryRun,
}

impl Pane {
    fn start(test: &str, width: u16, height: u16, args: &str) -> Pane {
        let command = format!("{BIN} {args}");
        Pane {
            run: BinaryRun::start(&format!("stage-{test}"), width, height, &command),
        }
    }

    fn screen(&self) -> String {
        self.run.session.screen()
    }

    fn send(&self, keys: &[&str]) {
        self.run.session.send(keys)
    }

    fn wait_for<T>(&self, what: &str, pred: impl FnMut(&str) -> Option<T>) -> T {
        self.run.session.wait_for(what, DEADLINE, POLL, pred)
    }

    fn wait_text(&self, text: &str) {
        self.wait_for(text, |s| s.contains(text).then_some(()));
    }

    /// The screen once two captures a moment apart agree.
    fn settled(&self) -> String {
        let mut last = self.screen();
        let start = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(300));
            let now = self.screen();
            if now == last {
                return now;
            }
            assert!(start.elapsed() < DEADLINE, "the screen never settled");
            last = now;
        }
    }

    fn wait_exit(&self) -> i32 {
        self.run.wait_exit(DEADLINE)
    }
}

/// The focused pane's box (marked `┌▶ Title`): its size, and how many cells inside its
/// border are not blank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Focused {
    width: usize,
    height: usize,
    content: usize,
}

fn focused(screen: &str, title: &str) -> Option<Focused> {
    let rows: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let marker: Vec<char> = format!("┌▶ {title}").chars().collect();
    let (top, left) = rows.iter().enumerate().find_map(|(y, row)| {
        row.windows(marker.len())
            .position(|w| w == marker.as_slice())
            .map(|x| (y, x))
    })?;
    let right = (left + 1..rows[top].len()).find(|&x| rows[top][x] == '┐')?;
    let bottom = (top + 1..rows.len()).find(|&y| rows[y].get(left) == Some(&'└'))?;
    let content = rows[top + 1..bottom]
        .iter()
        .flat_map(|row| row.iter().take(right).skip(left + 1))
        .filter(|c| !c.is_whitespace())
        .count();
    Some(Focused {
        width: right - left + 1,
        height: bottom - top + 1,
        content,
    })
}

#[test]
fn zoom_fills_the_screen_with_each_pane_and_back_and_q_still_quits() {
    let pane = Pane::start("zoom", 80, 24, "--scenario quickstart --presenter");
    pane.wait_text("quickstart");
    // At 64× the first beat comes at once; the run then holds there, so nothing moves.
    for _ in 0..6 {
        pane.send(&["+"]);
    }
    pane.wait_text("press n");
    for title in ["Partitions", "Groups", "Producers", "Lag", "Events"] {
        let before = pane.wait_for(&format!("{title} focused"), |s| focused(s, title));
        pane.send(&["z"]);
        let zoomed = pane.wait_for(&format!("{title} zoomed"), |s| {
            focused(s, title).filter(|f| f.width == 80 && f.height > before.height)
        });
        let screen = pane.screen();
        assert!(
            zoomed.content > before.content,
            "{title}: zoomed {zoomed:?}, unzoomed {before:?}\n{screen}"
        );
        assert!(
            screen.contains("next: analytics processes"),
            "the caption stays:\n{screen}"
        );
        assert!(
            screen.contains("z zoom"),
            "the footer offers zoom:\n{screen}"
        );
        pane.send(&["z"]);
        pane.wait_for(&format!("{title} back"), |s| {
            focused(s, title).filter(|f| *f == before)
        });
        pane.send(&["Tab"]);
    }
    pane.send(&["z"]);
    pane.wait_for("partitions zoomed", |s| {
        focused(s, "Partitions").filter(|f| f.width == 80)
    });
    pane.send(&["q"]);
    assert_eq!(pane.wait_exit(), 0);
}

#[test]
fn record_writes_asciicast_that_replays_to_the_final_screen() {
    let cast = std::env::temp_dir().join(format!("mk-stage-{}.cast", std::process::id()));
    let _ = std::fs::remove_file(&cast);
    let pane = Pane::start(
        "record",
        80,
        24,
        &format!("--scenario quickstart --record {}", cast.display()),
    );
    pane.wait_text("quickstart");
    pane.send(&["Space"]);
    pane.wait_text("⏸ paused");
    pane.send(&["Tab"]);
    pane.send(&["z"]);
    pane.wait_for("groups zoomed", |s| {
        focused(s, "Groups").filter(|f| f.width == 80)
    });
    let last = pane.settled();
    pane.send(&["q"]);
    assert_eq!(pane.wait_exit(), 0);

    let text = std::fs::read_to_string(&cast).expect("the recording was written");
    let _ = std::fs::remove_file(&cast);
    let mut lines = text.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["version"], 2);
    assert_eq!(header["width"], 80);
    assert_eq!(header["height"], 24);
    assert!(header["timestamp"].as_u64().unwrap() > 1_600_000_000);
    let size = |n: u16| std::num::NonZeroU16::new(n).unwrap();
    let mut parser = vt100::Parser::new(size(24), size(80), 0);
    let mut previous = 0.0;
    let mut events = 0;
    for line in lines {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        let [time, kind, data] = event.as_array().unwrap().as_slice() else {
            panic!("an event has three parts: {line}");
        };
        let time = time.as_f64().unwrap();
        assert!(time >= previous, "times increase: {previous} then {time}");
        previous = time;
        assert_eq!(kind, "o");
        parser.process(data.as_str().unwrap().as_bytes());
        events += 1;
    }
    assert!(events > 2, "{events} events");
    let replayed: Vec<String> = parser
        .screen()
        .rows(0, 80)
        .map(|r| r.trim_end().to_string())
        .collect();
    let shown: Vec<String> = last.lines().map(|l| l.trim_end().to_string()).collect();
    assert_eq!(replayed.join("\n").trim_end(), shown.join("\n").trim_end());
    assert!(replayed.iter().any(|r| r.contains("⏸ paused")));
    assert!(replayed.iter().any(|r| r.contains("┌▶ Groups")));
}
