//! What admin tools do, beside a running simulation: a network group's offsets as they
//! leave them (the sentinels -1 and -2, and an offset past the end) keep the simulation's
//! invariants, and the report and the screen show them as `kafka-consumer-groups` does,
//! with no panic and no wrapped-around numbers; a topic they grow is taken on by the
//! simulated groups that read it.

#[path = "support/buffer_text.rs"]
mod buffer_text;

use buffer_text::text;
use minikafka::broker::TopicPartition;
use minikafka::sim::{Scenario, Simulation};
use minikafka::tui::view::{Limits, fill_from_sim};
use minikafka::tui::{App, Screen, Theme, View};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Quickstart after 10 s, with group `tool` positioned by an admin 5 s in.
fn sim() -> (Simulation, i64) {
    let mut sim = Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(42)).unwrap();
    sim.step(5_000);
    let past_end = {
        let mut b = sim.broker().write();
        let past_end = b.partition("orders", 2).unwrap().high_watermark() + 1_000;
        let offsets = [
            (TopicPartition::new("orders", 0), -2),
            (TopicPartition::new("orders", 1), -1),
            (TopicPartition::new("orders", 2), past_end),
        ];
        b.commit_offsets("tool", "", -1, &offsets, 5_000).unwrap();
        past_end
    };
    // Debug builds check the invariants after every step; check them once more here.
    sim.step(5_000);
    sim.check_invariants().unwrap();
    (sim, past_end)
}

#[test]
fn the_report_shows_no_position_for_a_sentinel_and_negative_lag_past_the_end() {
    let (sim, past_end) = sim();
    let report = sim.report();
    let tool = report.groups.iter().find(|g| g.name == "tool").unwrap();
    let hw = |p: u32| report.topics[0].partitions[p as usize].high_watermark;
    let rows: Vec<(u32, Option<i64>, i64)> = tool
        .offsets
        .iter()
        .map(|o| (o.partition, o.committed, o.lag))
        .collect();
    // A group of network clients without a position counts its lag from the log start.
    assert_eq!(rows[0], (0, None, hw(0)));
    assert_eq!(rows[1], (1, None, hw(1)));
    assert_eq!(rows[2], (2, Some(past_end), hw(2) - past_end));
    assert!(rows[2].2 < 0 && rows[2].2 > -2_000, "{rows:?}");
}

#[test]
fn the_screen_shows_them_without_panicking() {
    let (sim, _) = sim();
    let mut app = App::new(Theme::default(), false);
    let mut view = View::default();
    fill_from_sim(&sim, &mut app, Limits::for_screen(160, 48), &mut view);
    let tool = view.groups.iter().find(|g| g.name == "tool").unwrap();
    let rows: Vec<(Option<i64>, Option<i64>)> =
        tool.offsets.iter().map(|o| (o.committed, o.lag)).collect();
    assert_eq!(&rows[..2], [(None, None), (None, None)]);
    let lag = rows[2].1.unwrap();
    assert!((-2_000..0).contains(&lag), "{rows:?}");
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    term.draw(|f| f.render_widget(&Screen::new(&view, &app), f.area()))
        .unwrap();
    let screen = text(term.backend().buffer());
    assert!(screen.contains("tool"), "{screen}");
    assert!(
        !screen.contains("18446744"),
        "no negative number shown as unsigned: {screen}"
    );
}

#[test]
fn simulated_groups_take_on_the_partitions_an_admin_adds() {
    let mut sim = Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(42)).unwrap();
    sim.step(5_000);
    sim.broker()
        .write()
        .add_partitions("orders", 6, 5_000)
        .unwrap();
    // Debug builds check after every step that a stable group owns every partition.
    sim.step(10_000);
    sim.check_invariants().unwrap();
    let b = sim.broker().read();
    for name in ["billing", "analytics"] {
        let g = b.group(name).unwrap();
        let owned: usize = g.members().map(|m| m.assignment().len()).sum();
        assert_eq!(owned, 6, "{name} owns all six partitions");
    }
}
