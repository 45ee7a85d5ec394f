//! The cluster on screen: the brokers pane, and partition strips with leaders, lagging
//! followers, the ISR, offline partitions and records cut by an unclean election, at the
//! two sizes the UI promises and without colour. Whole screens come from real runs of the
//! bundled cluster scenarios; the panes alone from a view built by hand, so every marker
//! shows at once.

#[path = "support/buffer_text.rs"]
mod buffer_text;
use buffer_text::text;
use minikafka::broker::BrokerState;
use minikafka::sim::{Scenario, Simulation};
use minikafka::tui::view::{
    BrokerView, GroupMark, Header, Limits, PartitionView, ReplicaView, ReplicationView, SimClock,
    TopicView, fill_from_sim,
};
use minikafka::tui::{App, Brokers, DrawContext, Help, Partitions, Screen, Theme, ThemeKind, View};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::Widget;

fn sim(name: &str, ms: u64) -> Simulation {
    let mut sim = Simulation::new(Scenario::bundled(name).unwrap(), Some(42)).unwrap();
    sim.step(ms);
    sim
}

fn screen(sim: &Simulation, app: &mut App, w: u16, h: u16) -> Buffer {
    let mut view = View::default();
    fill_from_sim(sim, app, Limits::for_screen(w, h), &mut view);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| f.render_widget(&Screen::new(&view, app), f.area()))
        .unwrap();
    term.backend().buffer().clone()
}

fn app(kind: ThemeKind) -> App {
    App::new(Theme::new(kind), false)
}

/// The strips' `L<leader> ISR <ids>` for each partition shown, in order: the first box
/// of each row that starts with ` p<N>`.
fn leaders_and_isrs(screen: &str) -> Vec<(String, String)> {
    screen
        .lines()
        .filter_map(|l| {
            let cell = l.split('│').nth(1)?;
            cell.strip_prefix(" p")?;
            let words: Vec<&str> = cell.split_whitespace().collect();
            let i = words.iter().position(|w| *w == "ISR")?;
            Some((words[i - 1].to_string(), words.get(i + 1)?.to_string()))
        })
        .collect()
}

#[test]
fn replication_after_the_crash_at_80x24() {
    // Broker 1 crashed at 20 s: no strip names it as leader or in its ISR.
    let out = text(&screen(
        &sim("replication", 30_000),
        &mut app(ThemeKind::Default),
        80,
        24,
    ));
    assert!(out.contains("Brokers"), "{out}");
    assert!(out.contains("DOWN"), "{out}");
    let strips = leaders_and_isrs(&out);
    assert!(!strips.is_empty(), "{out}");
    for (leader, isr) in &strips {
        assert_ne!(leader, "L1", "{out}");
        assert!(!isr.split(',').any(|b| b == "1"), "{out}");
    }
    insta::assert_snapshot!(out);
}

#[test]
fn replication_after_the_crash_at_160x48() {
    let out = text(&screen(
        &sim("replication", 30_000),
        &mut app(ThemeKind::Default),
        160,
        48,
    ));
    assert!(out.contains("clean election"), "{out}");
    assert!(out.contains("ISR shrinks"), "{out}");
    assert!(out.contains("leads 0  follows 6"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn replication_back_in_sync_after_the_restart() {
    // Restarted at 50 s, broker 1 caught up and is in every ISR again.
    let out = text(&screen(
        &sim("replication", 70_000),
        &mut app(ThemeKind::Default),
        160,
        48,
    ));
    let strips = leaders_and_isrs(&out);
    assert_eq!(strips.len(), 6, "{out}");
    for (_, isr) in &strips {
        assert_eq!(isr.split(',').count(), 3, "{out}");
    }
    assert!(out.contains("ISR expands"), "{out}");
    assert!(!out.contains("DOWN"), "{out}");
}

#[test]
fn unclean_election_at_80x24_and_160x48() {
    // Broker 1 crashed at 30 s with its followers out of sync: the stalled broker 2 took
    // over, and the records it never copied were cut.
    let sim = sim("unclean-election", 31_000);
    let small = text(&screen(&sim, &mut app(ThemeKind::Default), 80, 24));
    assert!(small.contains("cut "), "{small}");
    insta::assert_snapshot!("unclean_election_at_80x24", small);
    let big = text(&screen(&sim, &mut app(ThemeKind::Default), 160, 48));
    assert!(big.contains("UNCLEAN election"), "{big}");
    assert!(big.contains("records gone"), "{big}");
    insta::assert_snapshot!("unclean_election_at_160x48", big);
}

#[test]
fn a_cluster_screen_without_colour_keeps_every_marker() {
    let sim = sim("unclean-election", 27_000);
    let buf = screen(&sim, &mut app(ThemeKind::Mono), 100, 30);
    for cell in &buf.content {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "coloured cell {cell:?}"
        );
    }
    let out = text(&buf);
    // Broker 3 is down and broker 2 stalls: both out of sync, both said in words.
    assert!(out.contains("DOWN"), "{out}");
    assert!(out.contains("slow"), "{out}");
}

fn replica(broker: i32, leo: i64, in_sync: bool) -> ReplicaView {
    ReplicaView {
        broker,
        leo,
        in_sync,
    }
}

/// Three partitions that show every marker: a follower behind while in sync (the high
/// watermark waits for it) and one out of sync far behind; an offline partition; a
/// partition whose log an unclean election cut.
fn cluster_view() -> View {
    let strip = |partition: u32, hw: i64, end: i64, r: ReplicationView| PartitionView {
        partition,
        log_start: 0,
        high_watermark: hw,
        tail: (0..end.min(200)).map(|i| Some((i % 8) as u8)).collect(),
        marks: vec![GroupMark {
            slot: 0,
            committed: Some(hw - 4),
            lag: Some(4),
        }],
        replication: Some(ReplicationView { log_end: end, ..r }),
    };
    let lagging = ReplicationView {
        leader: Some(2),
        epoch: 3,
        replicas: vec![
            replica(2, 1_240, true),
            replica(3, 1_236, true),
            replica(1, 1_100, false),
        ],
        isr: vec![2, 3],
        ..ReplicationView::default()
    };
    let offline = ReplicationView {
        leader: None,
        epoch: 4,
        replicas: vec![
            replica(1, 980, true),
            replica(2, 950, false),
            replica(3, 900, false),
        ],
        isr: vec![1],
        ..ReplicationView::default()
    };
    let cut = ReplicationView {
        leader: Some(3),
        epoch: 5,
        replicas: vec![
            replica(3, 1_010, true),
            replica(1, 1_010, true),
            replica(2, 1_010, true),
        ],
        isr: vec![3, 1, 2],
        truncated: 1_234,
        cut: Some((1_010, 1_016)),
        ..ReplicationView::default()
    };
    let brokers = [
        (1, "a", BrokerState::Down, None, 0, 3, 300),
        (2, "b", BrokerState::Up, Some(0.0), 1, 2, 40),
        (3, "c", BrokerState::Stopped, None, 1, 2, 0),
    ];
    View {
        // A simulated cluster: its keys all apply.
        header: Header {
            sim: Some(SimClock::default()),
            ..Header::default()
        },
        topics: vec![TopicView {
            name: "orders".into(),
            partitions: vec![
                strip(0, 1_236, 1_240, lagging),
                strip(1, 980, 980, offline),
                strip(2, 1_010, 1_010, cut),
            ],
        }],
        brokers: brokers
            .iter()
            .map(
                |&(id, rack, state, slow, leads, follows, behind)| BrokerView {
                    rack: Some(rack.into()),
                    slow,
                    leads,
                    follows,
                    behind: Some(behind),
                    ..BrokerView::new(id, state)
                },
            )
            .collect(),
        ..View::default()
    }
}

fn draw(w: u16, h: u16, f: impl FnOnce(Rect, &mut Buffer)) -> Buffer {
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    f(area, &mut buf);
    buf
}

fn strips(kind: ThemeKind, width: u16) -> Buffer {
    let (view, app) = (cluster_view(), app(kind));
    draw(width, 6, |a, b| {
        Partitions(DrawContext::new(&view, &app)).render(a, b)
    })
}

#[test]
fn strips_with_followers_isr_offline_and_cut() {
    // 48 columns: the partitions pane of an 80×24 screen; 96: of a 160×48 one.
    let narrow = text(&strips(ThemeKind::Default, 48));
    let wide = text(&strips(ThemeKind::Default, 96));
    for out in [&narrow, &wide] {
        assert!(out.contains("L2 ISR 2,3"), "{out}");
        assert!(out.contains("OFFLINE ISR 1"), "{out}");
        assert!(out.contains("L3 ISR 3,1,2 cut 1234"), "{out}");
        assert!(out.contains('▯'), "records past the high watermark: {out}");
        assert!(out.contains('✕'), "offsets the election cut: {out}");
    }
    // The in-sync follower 3 sits at the high watermark, four records short of the end.
    assert!(wide.contains("3▯▯▯"), "{wide}");
    insta::assert_snapshot!("strips_at_48_columns", narrow);
    insta::assert_snapshot!("strips_at_96_columns", wide);
}

#[test]
fn strips_without_colour_differ_by_glyph() {
    let buf = strips(ThemeKind::Mono, 96);
    for cell in &buf.content {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "coloured cell {cell:?}"
        );
    }
    let out = text(&buf);
    // Records are key letters, unreplicated ones hollow, the cut crossed out, followers
    // their broker digits, the group its capital letter.
    for glyph in ['a', '▯', '✕', '3', 'A', '◀'] {
        assert!(out.contains(glyph), "{glyph} missing: {out}");
    }
    insta::assert_snapshot!(out);
}

#[test]
fn brokers_pane_narrow_and_wide() {
    let view = cluster_view();
    let mut app = app(ThemeKind::Default);
    app.selected_broker = 1;
    let narrow = text(&draw(32, 5, |a, b| {
        Brokers(DrawContext::new(&view, &app)).render(a, b)
    }));
    let wide = text(&draw(64, 5, |a, b| {
        Brokers(DrawContext::new(&view, &app)).render(a, b)
    }));
    assert!(narrow.contains("▸ 2 b slow    1/2  behind 40"), "{narrow}");
    assert!(narrow.contains("DOWN"), "{narrow}");
    assert!(narrow.contains("stopped"), "{narrow}");
    assert!(wide.contains("follows 3"), "{wide}");
    assert!(wide.contains("behind 300"), "{wide}");
    insta::assert_snapshot!("brokers_pane_32_columns", narrow);
    insta::assert_snapshot!("brokers_pane_64_columns", wide);
}

#[test]
fn help_on_a_cluster_lists_every_key_at_80x24() {
    let view = cluster_view();
    let app = app(ThemeKind::Default);
    let out = text(&draw(80, 24, |a, b| {
        Help(DrawContext::new(&view, &app)).render(a, b)
    }));
    for keys in [
        "b / B",
        "X / U",
        "s / S",
        "q, Ctrl-C",
        "Esc  ",
        "Esc closes",
    ] {
        assert!(out.contains(keys), "{keys} missing: {out}");
    }
    // Squeezed to fit, long descriptions end in an ellipsis.
    assert!(out.contains("remove one…"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn help_without_a_cluster_leaves_the_broker_keys_out() {
    let mut view = View::default();
    view.header.sim = Some(SimClock::default());
    let app = app(ThemeKind::Default);
    let out = text(&draw(80, 24, |a, b| {
        Help(DrawContext::new(&view, &app)).render(a, b)
    }));
    assert!(out.contains("Esc  "), "{out}");
    assert!(!out.contains("broker"), "{out}");
    // Nothing squeezed: wrapped descriptions keep their second lines.
    assert!(out.contains("gracefully"), "{out}");
}
