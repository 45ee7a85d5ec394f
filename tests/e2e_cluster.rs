//! End-to-end: the real binary on a three-broker cluster in a tmux pane. A broker is
//! crashed and restarted with its keys, and the partition strips are read back with
//! `capture-pane`: the leader changes, the ISR shrinks, then grows back. Every wait polls
//! the screen with a deadline, as in `e2e_tui.rs`.

#[path = "support/tmux.rs"]
mod tmux;

use std::path::PathBuf;
use std::time::Duration;

use tmux::Session;

const BIN: &str = env!("CARGO_BIN_EXE_minikafka-tui");
const DEADLINE: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// Three brokers, every partition on all three, and no timeline: only the keys act on
/// the brokers.
const SCENARIO: &str = r#"
name = "Cluster keys"
seed = 42

[cluster]
brokers = 3
replica_lag_time_max_ms = 10000

[[topics]]
name = "orders"
partitions = 3
replication_factor = 3
min_insync_replicas = 2

[[producers]]
topic = "orders"
rate = 30.0
acks = "all"

[[groups]]
name = "billing"
topics = ["orders"]
consumers = 1
process_rate = 60.0
"#;

/// The binary on [`SCENARIO`] in a tmux session; the scenario file goes with it.
struct Pane {
    session: Session,
    scenario: PathBuf,
}

impl Pane {
    fn start(test: &str, width: u16, height: u16) -> Pane {
        let scenario = std::env::temp_dir().join(format!("mk-{test}-{}.toml", std::process::id()));
        std::fs::write(&scenario, SCENARIO).unwrap();
        let cmd = format!("{BIN} --scenario {}; sleep 60", scenario.display());
        let session = Session::start(test, width, height, &cmd);
        Pane { session, scenario }
    }

    fn send(&self, keys: &[&str]) {
        self.session.send(keys)
    }

    fn wait_for<T>(&self, what: &str, pred: impl FnMut(&str) -> Option<T>) -> T {
        self.session.wait_for(what, DEADLINE, POLL, pred)
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.scenario);
    }
}

/// What a partition strip says about replication.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Strip {
    partition: u32,
    /// `None` when the strip says OFFLINE.
    leader: Option<u32>,
    isr: Vec<u32>,
}

/// The strips of the partitions pane: the first box on each row, ` p<N> ... L<id> ISR
/// <ids>`.
fn strips(screen: &str) -> Vec<Strip> {
    screen
        .lines()
        .filter_map(|line| {
            let cell = line.split('│').nth(1)?;
            let rest = cell.strip_prefix(" p")?;
            let partition = rest.split_whitespace().next()?.parse().ok()?;
            let words: Vec<&str> = cell.split_whitespace().collect();
            let i = words.iter().position(|w| *w == "ISR")?;
            let leader = words[i - 1].strip_prefix('L').and_then(|l| l.parse().ok());
            let isr = words
                .get(i + 1)?
                .split(',')
                .map(|b| b.parse().ok())
                .collect::<Option<Vec<u32>>>()?;
            Some(Strip {
                partition,
                leader,
                isr,
            })
        })
        .collect()
}

/// The brokers pane's row for broker `id`.
fn broker_row(screen: &str, id: u32) -> Option<String> {
    let needle = format!("{id:>2} ");
    screen
        .lines()
        .filter_map(|l| l.split('│').nth(3))
        .find(|cell| {
            let mut chars = cell.chars();
            chars.next();
            chars.as_str().starts_with(&needle) && cell.contains("behind")
        })
        .map(str::to_string)
}

#[test]
fn crash_and_restart_a_broker_with_its_keys() {
    let p = Pane::start("cluster-keys", 160, 48);
    let before = p.wait_for("three strips, all in sync", |s| {
        let strips = strips(s);
        (strips.len() == 3 && strips.iter().all(|st| st.isr.len() == 3)).then_some(strips)
    });
    let led = before
        .iter()
        .find(|st| st.leader == Some(1))
        .unwrap_or_else(|| panic!("broker 1 leads a partition: {before:?}"))
        .partition;

    // `b` moves the selection down the brokers, `B` back up to broker 1.
    p.wait_for("broker 1 selected", |s| {
        broker_row(s, 1).filter(|r| r.starts_with('▸'))
    });
    p.send(&["b"]);
    p.wait_for("broker 2 selected", |s| {
        broker_row(s, 2).filter(|r| r.starts_with('▸'))
    });
    p.send(&["B"]);
    p.wait_for("broker 1 selected again", |s| {
        broker_row(s, 1).filter(|r| r.starts_with('▸'))
    });

    p.send(&["X"]);
    p.wait_for("broker 1 down in the brokers pane", |s| {
        broker_row(s, 1).filter(|r| r.contains("DOWN"))
    });
    let after = p.wait_for("a new leader and the ISR without broker 1", |s| {
        let strips = strips(s);
        let moved = strips.iter().find(|st| st.partition == led)?;
        let shrunk = strips.len() == 3 && strips.iter().all(|st| !st.isr.contains(&1));
        (shrunk && moved.leader.is_some_and(|l| l != 1)).then_some(strips)
    });
    assert!(after.iter().all(|st| st.isr.len() == 2), "{after:?}");
    p.wait_for("the shrink and the election in the events", |s| {
        (s.contains("ISR shrinks, 1 out") && s.contains("clean election")).then_some(())
    });

    p.send(&["U"]);
    p.wait_for("broker 1 up again", |s| {
        broker_row(s, 1).filter(|r| r.contains(" up "))
    });
    p.wait_for("broker 1 back in every ISR", |s| {
        let strips = strips(s);
        (strips.len() == 3
            && strips
                .iter()
                .all(|st| st.isr.len() == 3 && st.isr.contains(&1)))
        .then_some(())
    });
    p.wait_for("the expansion in the events", |s| {
        s.contains("ISR expands, 1 back in sync").then_some(())
    });
    // Back in sync, the preferred leader takes its partition back.
    p.wait_for("broker 1 leading again", |s| {
        strips(s)
            .iter()
            .any(|st| st.partition == led && st.leader == Some(1))
            .then_some(())
    });
}
