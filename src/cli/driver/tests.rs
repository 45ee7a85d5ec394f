use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::watch;

use super::*;
use crate::broker::{
    AssignorKind, JoinGroupRequest, JoinOutcome, NewRecord, RetentionPolicy, SyncAssignment,
    TopicConfig,
};
use crate::server::{ServerStats, Signal, WakeHandle};
use crate::sim::Scenario;

/// One topic, one producer at `rate` records per second, no groups.
fn producing(rate: f64) -> Simulation {
    let toml = format!(
        "name = \"load\"\n\
         [[topics]]\nname = \"t\"\npartitions = 1\n\
         [[producers]]\ntopic = \"t\"\nrate = {rate}\n"
    );
    Simulation::new(Scenario::parse(&toml, "test").unwrap(), Some(1)).unwrap()
}

fn quickstart() -> Simulation {
    Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(1)).unwrap()
}

fn driver_for(sim: &Simulation, start: Instant) -> Driver {
    Driver::new(sim.broker().clone(), RealTime::starting_at(start, 0), start)
}

/// A wall clock that moves `cost` each time it is read: every piece of stepping seems to
/// take that long, whatever the machine does.
fn costly_timer(start: Instant, cost: Duration) -> impl FnMut() -> Instant + Send + 'static {
    let reads = Arc::new(AtomicU64::new(0));
    move || {
        let n = reads.fetch_add(1, Ordering::Relaxed);
        start + cost * u32::try_from(n).unwrap()
    }
}

const MS: Duration = Duration::from_millis(1);

#[test]
fn a_tick_stops_stepping_when_its_budget_is_used_and_drops_the_rest() {
    // 500 k records/s is 5 000 a tick: more than a piece holds, so pieces are single ticks.
    let mut sim = producing(500_000.0);
    assert_eq!(sim.step_size_for(RECORDS_PER_PIECE), crate::sim::TICK_MS);
    let start = Instant::now();
    let mut d = driver_for(&sim, start).with_budget(8 * MS, costly_timer(start, 3 * MS));
    // 64× for 10 ms asks for 640 ms; reads at 3, 6 and 9 ms end it after three pieces.
    d.tick(start + 10 * MS, Some(&mut sim), 64.0);
    assert_eq!(sim.now_ms(), 30);
    // What was not done is not owed: the next tick asks for its own 640 ms only, and gets
    // three more pieces.
    d.tick(start + 20 * MS, Some(&mut sim), 64.0);
    assert_eq!(sim.now_ms(), 60);
}

#[test]
fn a_tick_in_real_time_returns_within_its_budget_not_with_the_work_done() {
    // A million records a simulated second, and 100 s asked in one tick: 100 M records,
    // minutes of work. The budget brings the tick back in milliseconds.
    let mut sim = producing(1_000_000.0);
    let start = Instant::now();
    let mut d = driver_for(&sim, start);
    let began = Instant::now();
    d.tick(start + Duration::from_secs(100), Some(&mut sim), 1.0);
    let took = began.elapsed();
    assert!(took < Duration::from_secs(1), "the tick took {took:?}");
    assert!(sim.now_ms() > 0, "it did step");
    assert!(
        sim.now_ms() < 100_000,
        "it stopped early at {}",
        sim.now_ms()
    );
}

#[test]
fn the_speed_reached_is_measured_and_shown_only_when_clearly_below() {
    let mut sim = producing(500_000.0);
    let start = Instant::now();
    // Three pieces of 10 ms in each 10 ms tick: 3× reached of the 64× asked.
    let mut d = driver_for(&sim, start).with_budget(8 * MS, costly_timer(start, 3 * MS));
    for i in 1..=100 {
        d.tick(start + 10 * MS * i, Some(&mut sim), 64.0);
    }
    assert_eq!(d.reached_speed(), Some(3.0));
    // Pausing ends the measure, and the header losing it is a change to redraw.
    assert!(d.tick(start + 10 * MS * 101, Some(&mut sim), 0.0));
    assert_eq!(d.reached_speed(), None);
}

#[test]
fn keeping_up_steps_exactly_what_was_asked_and_shows_no_reached_speed() {
    let mut sim = quickstart();
    let start = Instant::now();
    // A clock that never moves: no budget is ever used up.
    let mut d = driver_for(&sim, start).with_budget(8 * MS, move || start);
    // 0.25× in 3 ms ticks: fractions of a millisecond carry over.
    for i in 1..=400 {
        d.tick(start + 3 * MS * i, Some(&mut sim), 0.25);
    }
    assert_eq!(sim.now_ms(), 300);
    for i in 1..=100 {
        d.tick(start + 1_200 * MS + 10 * MS * i, Some(&mut sim), 64.0);
    }
    assert_eq!(sim.now_ms(), 300 + 64_000);
    assert_eq!(d.reached_speed(), None);
}

/// A listener's handles with nothing behind them, and receivers that see their bumps.
fn network() -> (Network, watch::Receiver<u64>, watch::Receiver<u64>) {
    let (appended, groups) = (Signal::new(), Signal::new());
    let (a, g) = (appended.subscribe(), groups.subscribe());
    let net = Network {
        appended: WakeHandle::new(appended),
        groups: WakeHandle::new(groups),
        stats: ServerStats::new("127.0.0.1:9092".parse().unwrap(), false),
    };
    (net, a, g)
}

/// A network client's member of group `ext`, joined at `now` on the real-time clock, with a
/// one-second session and no heartbeats.
fn join_external(broker: &SharedBroker, now: i64) {
    let topics = vec!["orders".to_string()];
    let mut req = JoinGroupRequest::consumer("ext", "kcat", &topics, "range");
    req.session_timeout_ms = 1_000;
    let mut b = broker.write();
    let JoinOutcome::Joined(r) = b.join_group(req, now).unwrap() else {
        panic!("a lone member joins at once")
    };
    let sync = SyncAssignment::Compute(AssignorKind::Range);
    b.sync_group("ext", &r.member_id, r.generation, sync, now)
        .unwrap();
}

#[test]
fn waiting_clients_are_woken_only_when_something_changed() {
    let mut sim = quickstart();
    let start = Instant::now();
    let (net, mut appended, mut groups) = network();
    let mut d = driver_for(&sim, start).with_network(net);
    join_external(sim.broker(), 0);
    // Paused, with the client's session still alive: nothing to wake anyone for.
    d.tick(start + 100 * MS, Some(&mut sim), 0.0);
    assert!(!appended.has_changed().unwrap());
    assert!(!groups.has_changed().unwrap());
    // Simulated time moves: new records and simulated members' moves.
    d.tick(start + 200 * MS, Some(&mut sim), 1.0);
    assert!(appended.has_changed().unwrap());
    assert!(groups.has_changed().unwrap());
    appended.mark_unchanged();
    groups.mark_unchanged();
    // Paused again, and the client's session lapses on real time: its group changed, the
    // logs did not.
    d.tick(start + 1_500 * MS, Some(&mut sim), 0.0);
    assert!(!appended.has_changed().unwrap());
    assert!(groups.has_changed().unwrap());
    assert_eq!(sim.broker().read().group("ext").unwrap().members().len(), 0);
    groups.mark_unchanged();
    // A single step taken by a key while paused wakes fetches on the next tick.
    sim.step(100);
    d.tick(start + 1_600 * MS, Some(&mut sim), 0.0);
    assert!(appended.has_changed().unwrap());
}

/// A broker with one topic whose records are deleted a second after their timestamp, and
/// three records stamped at 0.
fn retained_broker() -> SharedBroker {
    let broker = SharedBroker::default();
    let config = TopicConfig::new(1).with_retention(RetentionPolicy {
        ms: Some(1_000),
        ..Default::default()
    });
    let mut b = broker.write();
    b.create_topic("t", config, 0).unwrap();
    for _ in 0..3 {
        b.append("t", 0, NewRecord::new(0, None, vec![1])).unwrap();
    }
    drop(b);
    broker
}

fn log_start(broker: &SharedBroker) -> i64 {
    broker.read().partition("t", 0).unwrap().log_start_offset()
}

#[test]
fn a_broker_without_a_simulation_gets_retention_about_once_a_second() {
    let broker = retained_broker();
    let start = Instant::now();
    let mut d = Driver::new(broker.clone(), RealTime::starting_at(start, 0), start);
    d.tick(start + 500 * MS, None, 1.0);
    assert_eq!(log_start(&broker), 0, "not due yet");
    assert!(
        d.tick(start + 1_500 * MS, None, 1.0),
        "deleting is a change"
    );
    assert_eq!(log_start(&broker), 3);
}

#[test]
fn with_a_simulation_retention_stays_on_virtual_time() {
    let broker = retained_broker();
    let scenario = Scenario::bundled("quickstart").unwrap();
    let mut sim = Simulation::with_broker(scenario, Some(1), broker.clone()).unwrap();
    let start = Instant::now();
    let mut d = Driver::new(broker.clone(), RealTime::starting_at(start, 0), start);
    // Paused: virtual time stays at 0, so the records are not a second old there.
    d.tick(start + 5_000 * MS, Some(&mut sim), 0.0);
    assert_eq!(log_start(&broker), 0);
}

#[test]
fn client_rates_are_redrawn_once_a_second_with_nothing_else_changing() {
    let mut sim = quickstart();
    let start = Instant::now();
    let (net, _, _) = network();
    let mut d = driver_for(&sim, start).with_network(net);
    assert!(!d.tick(start + 500 * MS, Some(&mut sim), 0.0));
    assert!(d.tick(start + 1_000 * MS, Some(&mut sim), 0.0));
    assert!(!d.tick(start + 1_500 * MS, Some(&mut sim), 0.0));
}
