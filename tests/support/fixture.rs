//! A small, fixed broker state and the view built from it, for widget tests that must not
//! depend on the simulation's tuning.

use bytes::Bytes;
use minikafka::broker::{
    AssignorKind, Broker, JoinGroupRequest, JoinOutcome, NewRecord, RetentionPolicy,
    SyncAssignment, TopicConfig, TopicPartition,
};
use minikafka::sim::{AutoOffsetReset, GroupLag, MemberState, Status, Verdict};
use minikafka::tui::view::{
    BrokerOptions, Caption, EventClass, EventLine, Header, ProducerView, RunState, SimClock, View,
    fill_from_broker,
};

fn join(b: &mut Broker, group: &str, client: &str, topics: &[String], now: i64) -> String {
    match b
        .join_group(
            JoinGroupRequest::consumer(group, client, topics, "range"),
            now,
        )
        .unwrap()
    {
        JoinOutcome::Joined(j) => j.member_id,
        JoinOutcome::Pending { member_id } => member_id,
    }
}

/// Completes the pending rebalance of `group`: every member collects its join result,
/// then the leader asks the broker for a range assignment.
fn settle(b: &mut Broker, group: &str, members: &[String], now: i64) -> i32 {
    for m in members {
        b.poll_join(group, m);
    }
    let g = b.group(group).unwrap();
    let (generation, leader) = (g.generation(), g.leader().unwrap().to_string());
    b.sync_group(
        group,
        &leader,
        generation,
        SyncAssignment::Compute(AssignorKind::Range),
        now,
    )
    .unwrap();
    generation
}

/// A broker after 40 simulated seconds of a quickstart-like run: `orders` with four
/// partitions, a fast group `billing` with two members, a slow group `audit` with one.
pub fn broker() -> Broker {
    let mut b = Broker::new();
    b.create_topic(
        "orders",
        TopicConfig::new(4).with_retention(RetentionPolicy {
            records: Some(300),
            ..RetentionPolicy::default()
        }),
        0,
    )
    .unwrap();
    for i in 0..1_600i64 {
        let key = Bytes::from(format!("user-{}", i % 11));
        let p = (i % 4) as u32;
        if p == 3 && i >= 800 {
            continue;
        }
        b.append("orders", p, NewRecord::new(i * 25, Some(key), "v"))
            .unwrap();
    }
    // A short log with a small retention, so its strip shows the removed prefix.
    b.create_topic(
        "payments",
        TopicConfig::new(1).with_retention(RetentionPolicy {
            records: Some(10),
            ..RetentionPolicy::default()
        }),
        0,
    )
    .unwrap();
    for i in 0..30 {
        let key = (i % 3 != 0).then(|| Bytes::from(format!("card-{}", i % 5)));
        b.append("payments", 0, NewRecord::new(i * 1000, key, "v"))
            .unwrap();
    }
    b.enforce_retention(40_000);
    let topics = vec!["orders".to_string()];
    let m1 = join(&mut b, "billing", "billing-1", &topics, 0);
    let first = vec![m1.clone()];
    let g1 = settle(&mut b, "billing", &first, 0);
    let m2 = join(&mut b, "billing", "billing-2", &topics, 1_000);
    // The first member rejoins, and then the rebalance completes with both.
    b.join_group(
        JoinGroupRequest {
            member_id: Some(m1.clone()),
            ..JoinGroupRequest::consumer("billing", "billing-1", &topics, "range")
        },
        1_000,
    )
    .unwrap();
    let both = vec![m1.clone(), m2.clone()];
    let g2 = settle(&mut b, "billing", &both, 1_000);
    assert!(g2 > g1);
    let hw = |b: &Broker, p| b.partition("orders", p).unwrap().high_watermark();
    let offsets: Vec<_> = (0..4)
        .map(|p| {
            (
                TopicPartition::new("orders", p),
                hw(&b, p) - 3 - i64::from(p),
            )
        })
        .collect();
    b.commit_offsets("billing", &m1, g2, &offsets, 39_000)
        .unwrap();

    let a1 = join(&mut b, "audit", "audit-1", &topics, 0);
    let ga = settle(&mut b, "audit", std::slice::from_ref(&a1), 0);
    let offsets: Vec<_> = (0..4)
        .map(|p| {
            (
                TopicPartition::new("orders", p),
                hw(&b, p) - 150 + 40 * i64::from(p),
            )
        })
        .collect();
    b.commit_offsets("audit", &a1, ga, &offsets, 38_000)
        .unwrap();
    b
}

/// The view of [`broker`], with the simulation's parts filled in by hand.
pub fn view(tail_cells: usize) -> View {
    let b = broker();
    let mut view = View::default();
    let order = [
        ("billing", AutoOffsetReset::Earliest),
        ("audit", AutoOffsetReset::Earliest),
    ];
    fill_from_broker(
        &b,
        &BrokerOptions {
            tail_cells,
            event_lines: 40,
            group_order: &order,
        },
        &mut view,
    );
    view.header = Header {
        title: "Quickstart".into(),
        now_ms: 40_000,
        sim: Some(SimClock {
            speed: 1.0,
            reached_speed: None,
            run_state: RunState::Running,
            seed: 42,
        }),
        produce_rate: 40.0,
        consume_rate: 52.5,
        ..Header::default()
    };
    for (g, rate) in view.groups.iter_mut().zip([45.0, 7.5]) {
        g.consume_rate = rate;
        g.process_rate = Some(rate / g.members.len().max(1) as f64);
        g.lag_history = (0..40)
            .map(|s| {
                let lag = if g.slot == 0 { 10 + s % 7 } else { 25 * s };
                (f64::from(s), f64::from(lag))
            })
            .collect();
    }
    view.groups[0].set_lag_measures(&GroupLag {
        lag: 18,
        time_lag_ms: Some(600),
        eta_ms: Some(2_400),
        verdict: Verdict::new(Status::Ok, "no rule fired on any of its 4 partitions"),
    });
    view.groups[1].set_lag_measures(&GroupLag {
        lag: 360,
        time_lag_ms: Some(15_100),
        eta_ms: None,
        verdict: Verdict::new(
            Status::Warn,
            "lag on orders/0 grew over its last 5 commits, from 40 to 150, and did not fall at \
             the newest",
        ),
    });
    for g in &mut view.groups {
        let behind = g.time_lag_ms.unwrap_or(0) as f64 / 40.0;
        g.time_lag_history = (0..40)
            .map(|s| (f64::from(s), behind * f64::from(s)))
            .collect();
    }
    // A simulation knows what its consumers processed twice and lost.
    for g in &mut view.groups {
        (g.duplicates, g.lost) = (Some(0), Some(0));
    }
    view.groups[0].duplicates = Some(12);
    view.groups[0].members[1].state = Some(MemberState::Crashed);
    view.producers = vec![
        ProducerView {
            name: "web-1".into(),
            topic: "orders".into(),
            rate: 20.0,
            keys: "uniform/16".into(),
            partitioner: "murmur2".into(),
            produced: 800,
        },
        ProducerView {
            name: "web-2".into(),
            topic: "orders".into(),
            rate: 20.0,
            keys: "zipf/16".into(),
            partitioner: "crc32".into(),
            produced: 800,
        },
    ];
    view.events.push(EventLine {
        time_ms: 39_500,
        class: EventClass::Caption,
        text: "The slow group falls behind: its lag keeps growing.".into(),
    });
    view.sort_events();
    view.caption = Some(Caption {
        text: "The slow group falls behind: its lag keeps growing.".into(),
        held: false,
    });
    view
}
