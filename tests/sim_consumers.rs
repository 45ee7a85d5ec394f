//! Consumer group behaviour with hand-computed expectations.
//!
//! The producers here write 10 records per simulated second to one partition, one record
//! every 100 ms (offset k is appended at (k + 1) × 100 ms), and members process at
//! 1000/s, so a record is processed in the tick that appends it unless a test says otherwise.

use minikafka::broker::{EventKind, GroupState, LeaveReason, ResetSpec, TopicPartition};
use minikafka::sim::{Command, MemberState, Scenario, Simulation};

fn sim(toml: &str) -> Simulation {
    Simulation::new(Scenario::parse(toml, "test.toml").unwrap(), Some(1)).unwrap()
}

fn run_to(sim: &mut Simulation, ms: i64) {
    while sim.now_ms() < ms {
        sim.step(10);
    }
}

fn committed(sim: &Simulation, group: &str, p: u32) -> Option<i64> {
    sim.broker()
        .read()
        .committed_offset(group, &TopicPartition::new("t", p))
}

const ONE_PARTITION: &str = r#"
name = "test"
[[topics]]
name = "t"
partitions = 1
[[producers]]
topic = "t"
rate = 10.0
keys = "none"
"#;

fn with_group(group: &str) -> String {
    format!(
        "{ONE_PARTITION}\n[[groups]]\nname = \"g\"\ntopics = [\"t\"]\nprocess_rate = 1000.0\n{group}"
    )
}

#[test]
fn crash_before_commit_gives_exact_duplicates() {
    // One member commits every 30 records: at 10 s it has processed 100 and committed 90.
    // It crashes; a new member joins, the crashed one is expelled after its 1 s session,
    // and the newcomer starts from 90: offsets 90..99 are processed twice.
    let mut s = sim(&with_group(
        r#"commit = "every_n"
commit_every = 30
session_timeout_ms = 1000
[[timeline]]
at = "10s"
action = "crash_consumer"
group = "g"
[[timeline]]
at = "10s"
action = "add_consumer"
group = "g"
"#,
    ));
    run_to(&mut s, 10_000);
    assert_eq!(committed(&s, "g", 0), Some(90));
    assert_eq!(s.group("g").unwrap().consumed(), 100);
    run_to(&mut s, 20_000);
    let g = s.group("g").unwrap();
    assert_eq!(g.duplicates(), 10);
    assert_eq!(g.consumed(), 210);
    assert_eq!(g.lost(), 0);
    // The newcomer has processed 110 since it started at 90: commits at 120, 150, 180.
    assert_eq!(committed(&s, "g", 0), Some(180));
    let r = s.report();
    assert_eq!((r.groups[0].duplicates, r.groups[0].total_lag), (10, 20));
    let b = s.broker().read();
    let expelled = b.events().iter().any(|e| {
        matches!(
            &e.kind,
            EventKind::MemberRemoved {
                reason: LeaveReason::SessionExpired,
                ..
            }
        )
    });
    assert!(
        expelled,
        "the crashed member is expelled by session timeout"
    );
}

#[test]
fn crashed_member_stays_until_its_session_times_out() {
    let mut s = sim(&with_group(
        "consumers = 2\nsession_timeout_ms = 3000\n[[timeline]]\nat = \"10s\"\naction = \"crash_consumer\"\ngroup = \"g\"\n",
    ));
    run_to(&mut s, 10_000);
    assert_eq!(s.broker().read().group("g").unwrap().members().len(), 2);
    run_to(&mut s, 12_000);
    // No heartbeat for at most 12 s − 9.67 s: still within the 3 s session.
    assert_eq!(s.broker().read().group("g").unwrap().members().len(), 2);
    assert_eq!(s.group("g").unwrap().consumers(), 1);
    run_to(&mut s, 16_000);
    let b = s.broker().read();
    let g = b.group("g").unwrap();
    assert_eq!(g.members().len(), 1);
    assert_eq!(g.state(), GroupState::Stable);
    assert_eq!(g.members().next().unwrap().assignment().len(), 1);
}

#[test]
fn retention_before_fetch_counts_exact_losses() {
    // Paused from the start, the group fetches nothing. Retention keeps 50 records and
    // runs every second, so at 20 s the log starts at 150: all 150 deleted records are lost.
    // Resumed, the member is out of range, restarts at the log start and reads 150..249.
    let mut s = sim(r#"
name = "test"
[[topics]]
name = "t"
partitions = 1
retention_records = 50
[[producers]]
topic = "t"
rate = 10.0
keys = "none"
[[groups]]
name = "g"
topics = ["t"]
process_rate = 1000.0
[[timeline]]
at = "0s"
action = "pause_group"
group = "g"
[[timeline]]
at = "20s"
action = "resume_group"
group = "g"
"#);
    run_to(&mut s, 20_000);
    let g = s.group("g").unwrap();
    assert_eq!((g.consumed(), g.lost()), (0, 150));
    run_to(&mut s, 25_000);
    let g = s.group("g").unwrap();
    assert_eq!((g.consumed(), g.lost(), g.duplicates()), (100, 150, 0));
    let r = s.report();
    assert_eq!(r.topics[0].partitions[0].log_start_offset, 200);
}

#[test]
fn auto_offset_reset_latest_skips_history_and_earliest_reads_it() {
    let toml = |reset: &str| {
        with_group(&format!(
            "consumers = 0\nauto_offset_reset = \"{reset}\"\n[[timeline]]\nat = \"10s\"\naction = \"add_consumer\"\ngroup = \"g\"\n"
        ))
    };
    let mut latest = sim(&toml("latest"));
    let mut earliest = sim(&toml("earliest"));
    run_to(&mut latest, 5_000);
    run_to(&mut earliest, 5_000);
    // No member and no commit yet: lag counts from where the group would start.
    let r = latest.report();
    assert_eq!(
        (r.groups[0].offsets[0].committed, r.groups[0].total_lag),
        (None, 0)
    );
    let r = earliest.report();
    assert_eq!(
        (r.groups[0].offsets[0].committed, r.groups[0].total_lag),
        (None, 50)
    );
    run_to(&mut latest, 20_000);
    run_to(&mut earliest, 20_000);
    assert_eq!(latest.group("g").unwrap().consumed(), 100);
    assert_eq!(earliest.group("g").unwrap().consumed(), 200);
    assert_eq!(latest.group("g").unwrap().lost(), 0);
}

#[test]
fn commit_policies_commit_when_they_say() {
    let at_7500 = |policy: &str| {
        let mut s = sim(&with_group(policy));
        run_to(&mut s, 7_500);
        assert_eq!(s.group("g").unwrap().consumed(), 75);
        committed(&s, "g", 0)
    };
    // Auto: every 5 s, so the commit at 5 s (50 processed) is the latest.
    assert_eq!(
        at_7500("commit = \"auto\"\ncommit_interval_ms = 5000\n"),
        Some(50)
    );
    // Every poll: each record is its own poll here, committed at the next poll.
    assert_eq!(at_7500("commit = \"every_poll\"\n"), Some(75));
    // Every 7 records: 70 is the last multiple of 7 at or below 75.
    assert_eq!(
        at_7500("commit = \"every_n\"\ncommit_every = 7\n"),
        Some(70)
    );
}

#[test]
fn max_poll_records_bounds_each_poll() {
    // Paused for 10 s, 100 records wait. Resumed at 100/s with polls of at most 8 records
    // and a commit after each poll, every commit lands on a multiple of 8 until caught up.
    let mut s = sim(&with_group(
        "commit = \"every_poll\"\nmax_poll_records = 8\n[[timeline]]\nat = \"0s\"\naction = \"pause_group\"\ngroup = \"g\"\n[[timeline]]\nat = \"10s\"\naction = \"resume_group\"\ngroup = \"g\"\n",
    ));
    s.apply(Command::SetProcessRate {
        group: "g".into(),
        rate: 100.0,
    })
    .unwrap();
    run_to(&mut s, 10_000);
    assert_eq!(committed(&s, "g", 0), None);
    let mut seen = 0;
    for t in (10_100..=10_500).step_by(100) {
        run_to(&mut s, t);
        let c = committed(&s, "g", 0).unwrap_or(0);
        assert_eq!(c % 8, 0, "committed {c} at {t}");
        seen = seen.max(c);
    }
    assert!(seen >= 32, "{seen}");
}

#[test]
fn process_rate_limits_throughput() {
    let mut s = sim(&with_group(""));
    s.apply(Command::SetProcessRate {
        group: "g".into(),
        rate: 4.0,
    })
    .unwrap();
    run_to(&mut s, 10_000);
    // 4/s for 10 s, the first record arriving at 100 ms: 39 or 40 processed.
    let c = s.group("g").unwrap().consumed();
    assert!((39..=40).contains(&c), "{c}");
    s.apply(Command::ScaleProcessRate {
        group: "g".into(),
        factor: 100.0,
    })
    .unwrap();
    run_to(&mut s, 12_000);
    assert_eq!(s.group("g").unwrap().consumed(), 120, "caught up at 400/s");
}

#[test]
fn paused_group_heartbeats_and_consumes_nothing() {
    let mut s = sim(&with_group("session_timeout_ms = 1000\n"));
    run_to(&mut s, 2_000);
    s.apply(Command::PauseGroup { group: "g".into() }).unwrap();
    let before = s.group("g").unwrap().consumed();
    run_to(&mut s, 12_000);
    assert_eq!(s.group("g").unwrap().consumed(), before);
    assert!(s.group("g").unwrap().paused());
    // Ten session timeouts later the member is still in the group: it kept heartbeating.
    assert_eq!(s.broker().read().group("g").unwrap().members().len(), 1);
    s.apply(Command::ResumeGroup { group: "g".into() }).unwrap();
    run_to(&mut s, 13_000);
    assert_eq!(s.group("g").unwrap().consumed(), 130);
}

#[test]
fn graceful_leave_rebalances_at_once() {
    let mut s = sim(&with_group("consumers = 2\n"));
    run_to(&mut s, 5_000);
    assert_eq!(s.broker().read().group("g").unwrap().members().len(), 2);
    let msg = s
        .apply(Command::RemoveConsumer { group: "g".into() })
        .unwrap();
    assert!(msg.contains("g-2"), "{msg}");
    let b = s.broker().read();
    assert_eq!(b.group("g").unwrap().members().len(), 1);
    let last = b.events().iter().last().unwrap();
    assert!(
        matches!(last.kind, EventKind::RebalanceStarted { .. })
            || matches!(last.kind, EventKind::RebalanceCompleted { .. })
    );
}

#[test]
fn rebalance_with_auto_commit_causes_no_duplicates_but_every_n_does() {
    for assignor in ["range", "cooperative-sticky"] {
        let toml = format!(
            "name = \"x\"\n[[topics]]\nname = \"t\"\npartitions = 4\n[[producers]]\ntopic = \"t\"\nrate = 40.0\n\
             [[groups]]\nname = \"g\"\ntopics = [\"t\"]\nconsumers = 2\nprocess_rate = 1000.0\nassignor = \"{assignor}\"\n\
             [[timeline]]\nat = \"10s\"\naction = \"add_consumer\"\ngroup = \"g\"\n"
        );
        let mut s = sim(&toml);
        run_to(&mut s, 30_000);
        let g = s.group("g").unwrap();
        assert_eq!(g.duplicates(), 0, "{assignor}");
        assert_eq!(g.consumed(), s.produced(), "{assignor}");
        let r = s.report();
        assert_eq!(r.groups[0].members.len(), 3);
        assert_eq!(r.groups[0].state, "Stable");
        let owned: usize = r.groups[0].members.iter().map(|m| m.assignment.len()).sum();
        assert_eq!(
            owned, 4,
            "{assignor}: every partition owned after the follow-up"
        );
    }
    // Eager, committing every 1000 records: the rebalance at 10 s throws away work.
    let toml = "name = \"x\"\n[[topics]]\nname = \"t\"\npartitions = 4\n[[producers]]\ntopic = \"t\"\nrate = 40.0\n\
        [[groups]]\nname = \"g\"\ntopics = [\"t\"]\nconsumers = 2\nprocess_rate = 1000.0\ncommit = \"every_n\"\ncommit_every = 1000\n\
        [[timeline]]\nat = \"10s\"\naction = \"add_consumer\"\ngroup = \"g\"\n";
    let mut s = sim(toml);
    run_to(&mut s, 30_000);
    assert!(s.group("g").unwrap().duplicates() > 0);
}

#[test]
fn cooperative_members_keep_working_through_a_rebalance() {
    let toml = "name = \"x\"\n[[topics]]\nname = \"t\"\npartitions = 4\n[[producers]]\ntopic = \"t\"\nrate = 400.0\n\
        [[groups]]\nname = \"g\"\ntopics = [\"t\"]\nconsumers = 2\nprocess_rate = 1000.0\nassignor = \"cooperative-sticky\"\n";
    let mut s = sim(toml);
    run_to(&mut s, 10_000);
    s.apply(Command::AddConsumer { group: "g".into() }).unwrap();
    // While the group rebalances, the two old members go on processing what they keep.
    let mut during = 0;
    let mut rebalancing_ticks = 0;
    while s.now_ms() < 14_000 {
        let before = s.group("g").unwrap().consumed();
        s.step(10);
        let state = s.broker().read().group("g").unwrap().state();
        if state != GroupState::Stable {
            rebalancing_ticks += 1;
            during += s.group("g").unwrap().consumed() - before;
        }
    }
    assert!(rebalancing_ticks > 0);
    assert!(during > 0, "no progress during the rebalance");
    let b = s.broker().read();
    let counts: Vec<usize> = b
        .group("g")
        .unwrap()
        .members()
        .map(|m| m.assignment().len())
        .collect();
    let mut counts = counts;
    counts.sort();
    assert_eq!(counts, vec![1, 1, 2]);
}

#[test]
fn reset_offsets_leaves_resets_and_rejoins_visibly() {
    let mut s = sim(&with_group("consumers = 2\n"));
    run_to(&mut s, 10_000);
    let seq = s.broker().read().events().next_seq();
    let msg = s
        .apply(Command::ResetOffsets {
            group: "g".into(),
            to: ResetSpec::Earliest,
        })
        .unwrap();
    assert!(msg.contains("reset"), "{msg}");
    {
        let b = s.broker().read();
        let kinds: Vec<&EventKind> = b.events().since(seq).map(|e| &e.kind).collect();
        let left = kinds
            .iter()
            .filter(|k| {
                matches!(
                    k,
                    EventKind::MemberRemoved {
                        reason: LeaveReason::Left,
                        ..
                    }
                )
            })
            .count();
        let joined = kinds
            .iter()
            .filter(|k| matches!(k, EventKind::MemberJoined { .. }))
            .count();
        let reset_at = kinds
            .iter()
            .position(|k| matches!(k, EventKind::OffsetsReset { .. }))
            .unwrap();
        let first_join = kinds
            .iter()
            .position(|k| matches!(k, EventKind::MemberJoined { .. }))
            .unwrap();
        assert_eq!((left, joined), (2, 2));
        assert!(reset_at < first_join);
        assert_eq!(
            b.committed_offset("g", &TopicPartition::new("t", 0)),
            Some(0)
        );
    }
    run_to(&mut s, 15_000);
    let g = s.group("g").unwrap();
    assert_eq!(
        g.consumed(),
        100 + 150,
        "history replayed, then new records"
    );
    assert_eq!(g.duplicates(), 0);
    assert_eq!(g.consumers(), 2);
}

#[test]
fn reset_offsets_refuses_while_a_crashed_member_lingers() {
    let mut s = sim(&with_group("consumers = 2\n"));
    run_to(&mut s, 1_000);
    s.apply(Command::CrashConsumer { group: "g".into() })
        .unwrap();
    let before = s.report();
    let err = s
        .apply(Command::ResetOffsets {
            group: "g".into(),
            to: ResetSpec::Earliest,
        })
        .unwrap_err();
    assert!(err.to_string().contains("g"), "{err}");
    assert_eq!(s.report(), before, "a refused command changes nothing");
}

#[test]
fn idle_members_own_nothing() {
    let mut s = sim(&with_group("consumers = 3\n"));
    run_to(&mut s, 10_000);
    let r = s.report();
    let owners = r.groups[0]
        .members
        .iter()
        .filter(|m| !m.assignment.is_empty())
        .count();
    assert_eq!((r.groups[0].members.len(), owners), (3, 1));
}

#[test]
fn eager_members_drop_everything_while_rebalancing_and_cooperative_ones_keep_theirs() {
    for (assignor, cooperative) in [("range", false), ("cooperative-sticky", true)] {
        let toml = format!(
            "name = \"x\"\n[[topics]]\nname = \"t\"\npartitions = 4\n[[producers]]\ntopic = \"t\"\nrate = 400.0\n\
             [[groups]]\nname = \"g\"\ntopics = [\"t\"]\nconsumers = 2\nprocess_rate = 1000.0\nassignor = \"{assignor}\"\n"
        );
        let mut s = sim(&toml);
        run_to(&mut s, 10_000);
        s.apply(Command::AddConsumer { group: "g".into() }).unwrap();
        let mut kept_while_rejoining = false;
        while s.now_ms() < 14_000 {
            s.step(10);
            for m in s.group("g").unwrap().members() {
                if m.state() != MemberState::Active && m.owned_count() > 0 {
                    assert!(
                        cooperative,
                        "{assignor}: {} kept partitions while rejoining",
                        m.client_id()
                    );
                    kept_while_rejoining = true;
                }
            }
        }
        assert_eq!(kept_while_rejoining, cooperative, "{assignor}");
    }
}

#[test]
fn a_simulation_can_share_a_broker() {
    use minikafka::broker::{Broker, SharedBroker, TopicConfig};
    let broker = SharedBroker::new(Broker::new());
    broker
        .write()
        .create_topic("t", TopicConfig::new(1), 0)
        .unwrap();
    let scenario = Scenario::parse(&with_group(""), "x.toml").unwrap();
    let mut s = Simulation::with_broker(scenario.clone(), Some(1), broker.clone()).unwrap();
    run_to(&mut s, 1_000);
    assert_eq!(
        broker.read().partition("t", 0).unwrap().high_watermark(),
        10
    );
    // A topic that exists with another configuration is a conflict, not a silent reuse.
    let other = SharedBroker::new(Broker::new());
    other
        .write()
        .create_topic("t", TopicConfig::new(3), 0)
        .unwrap();
    assert!(Simulation::with_broker(scenario, Some(1), other).is_err());
}
