//! Live commands (keys and timeline beats) past a limit are refused with a message and
//! change nothing; the run goes on. The limits are the README's table.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use minikafka::sim::{Command, Scenario, Simulation};
use minikafka::tui::view::{Limits, fill_from_sim};
use minikafka::tui::{App, Focus, Theme, View, execute, lookup, update};

const MAX_PRODUCER_RATE: f64 = 1_000_000.0;
const MAX_PRODUCERS: usize = 256;
const MAX_PRODUCERS_STARTED: usize = 1024;
const MAX_GROUPS: usize = 64;
const MAX_MEMBERS_PER_GROUP: usize = 256;
const MAX_MEMBERS: usize = 1024;

fn quickstart() -> Simulation {
    Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(1)).unwrap()
}

fn active_rates(sim: &Simulation) -> Vec<f64> {
    sim.producers()
        .iter()
        .filter(|p| p.active)
        .map(|p| p.rate)
        .collect()
}

fn members(sim: &Simulation) -> usize {
    sim.groups().iter().map(|g| g.members().len()).sum()
}

/// Applies `cmd` until it is refused (at most `tries` times); returns how many succeeded
/// and the refusal.
fn until_refused(sim: &mut Simulation, cmd: &Command, tries: usize) -> (usize, String) {
    for ok in 0..tries {
        if let Err(e) = sim.apply(cmd.clone()) {
            return (ok, e.to_string());
        }
    }
    panic!("{cmd:?} was accepted {tries} times");
}

#[test]
fn doubling_a_rate_stops_at_the_total_and_a_refusal_changes_nothing() {
    let mut sim = quickstart();
    let faster = Command::ScaleProducerRate {
        topic: "orders".into(),
        factor: 2.0,
    };
    let mut before = active_rates(&sim);
    let mut refusal = None;
    for _ in 0..60 {
        match sim.apply(faster.clone()) {
            Ok(_) => before = active_rates(&sim),
            Err(e) => {
                refusal = Some(e.to_string());
                break;
            }
        }
    }
    let refusal = refusal.expect("doubling is refused before 60 presses");
    assert!(refusal.contains("1000000"), "names the limit: {refusal}");
    assert_eq!(
        active_rates(&sim),
        before,
        "a refused command changes nothing"
    );
    assert!(active_rates(&sim).iter().sum::<f64>() <= MAX_PRODUCER_RATE);

    // A set rate is held to the same rule as a file's.
    let set = |rate| Command::SetProducerRate {
        topic: "orders".into(),
        rate,
    };
    assert!(sim.apply(set(MAX_PRODUCER_RATE * 1.5)).is_err());
    assert!(sim.apply(set(f64::INFINITY)).is_err());
    assert_eq!(active_rates(&sim), before);

    let produced = sim.produced();
    let started = Instant::now();
    sim.step(1_000);
    assert!(sim.produced() - produced <= MAX_PRODUCER_RATE as u64);
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn process_rates_are_bounded_like_producer_rates() {
    let mut sim = quickstart();
    let faster = Command::ScaleProcessRate {
        group: "billing".into(),
        factor: 10.0,
    };
    let (_, refusal) = until_refused(&mut sim, &faster, 60);
    assert!(refusal.contains("1000000"), "{refusal}");
    assert!(sim.group("billing").unwrap().process_rate() <= MAX_PRODUCER_RATE);
}

#[test]
fn producers_are_capped_at_once_and_over_the_run() {
    let mut sim = quickstart();
    let add = Command::AddProducer {
        topic: "orders".into(),
    };
    let (added, refusal) = until_refused(&mut sim, &add, 1_000);
    assert_eq!(added + 2, MAX_PRODUCERS, "{refusal}");
    assert!(refusal.contains("256"), "{refusal}");

    let remove = Command::RemoveProducer {
        topic: "orders".into(),
    };
    let mut refused = None;
    for _ in 0..2 * MAX_PRODUCERS_STARTED {
        sim.apply(remove.clone()).unwrap();
        if let Err(e) = sim.apply(add.clone()) {
            refused = Some(e.to_string());
            break;
        }
    }
    let refusal = refused.expect("starting producers forever is refused");
    assert!(refusal.contains("1024"), "{refusal}");
    assert_eq!(sim.producers().len(), MAX_PRODUCERS_STARTED);
}

#[test]
fn groups_and_members_are_capped() {
    let mut sim = quickstart();
    let add_group = Command::AddGroup {
        name: None,
        topics: vec!["orders".into()],
    };
    let (added, refusal) = until_refused(&mut sim, &add_group, 1_000);
    assert_eq!(added + 2, MAX_GROUPS, "{refusal}");
    assert!(refusal.contains("64"), "{refusal}");

    let mut sim = quickstart();
    let add = |group: &str| Command::AddConsumer {
        group: group.into(),
    };
    let (_, refusal) = until_refused(&mut sim, &add("billing"), 1_000);
    assert_eq!(
        sim.group("billing").unwrap().members().len(),
        MAX_MEMBERS_PER_GROUP
    );
    assert!(refusal.contains("256"), "{refusal}");
    until_refused(&mut sim, &add("analytics"), 1_000);
    for name in ["third", "fourth"] {
        sim.apply(Command::AddGroup {
            name: Some(name.into()),
            topics: vec!["orders".into()],
        })
        .unwrap();
        until_refused(&mut sim, &add(name), 1_000);
    }
    assert_eq!(members(&sim), MAX_MEMBERS);
    let refusal = sim.apply(add_group).unwrap_err().to_string();
    assert!(refusal.contains("1024"), "{refusal}");
    assert_eq!(members(&sim), MAX_MEMBERS, "a refused group adds no member");
    sim.step(2_000);
    sim.check_invariants().unwrap();
}

/// Each beat's factor is a valid number, but the rates they ask for are not.
const BEATS: &str = r#"
name = "beats"
[[topics]]
name = "t"
partitions = 2
[[producers]]
topic = "t"
rate = 20.0
[[timeline]]
at = "1s"
action = "scale_producer_rate"
topic = "t"
factor = 1e7
[[timeline]]
at = "2s"
action = "scale_producer_rate"
topic = "t"
factor = 1e7
"#;

#[test]
fn timeline_beats_past_a_limit_are_refused_and_the_run_goes_on() {
    let mut sim = Simulation::new(Scenario::parse(BEATS, "beats.toml").unwrap(), None).unwrap();
    sim.step(5_000);
    let fired: Vec<_> = sim.captions().collect();
    assert_eq!(fired.len(), 2);
    for beat in fired {
        assert!(!beat.ok, "{}", beat.outcome);
        assert!(beat.outcome.contains("1000000"), "{}", beat.outcome);
    }
    assert_eq!(active_rates(&sim), [20.0]);
    assert_eq!(sim.produced(), 100);
}

fn press(sim: &mut Simulation, app: &mut App, code: KeyCode) {
    let action = lookup(&KeyEvent::new(code, KeyModifiers::NONE)).expect("a bound key");
    let mut view = View::default();
    fill_from_sim(sim, app, Limits::for_screen(120, 40), &mut view);
    if let Some(effect) = update(app, &view, action) {
        execute(sim, app, effect);
    }
}

fn last_notice(app: &App) -> (String, bool) {
    let n = app.notices().next_back().expect("a notice");
    (n.text.clone(), n.is_error)
}

#[test]
fn keys_past_a_limit_become_error_notices() {
    let mut sim = quickstart();
    let mut app = App::new(Theme::default(), false);
    for _ in 0..40 {
        press(&mut sim, &mut app, KeyCode::Char('}'));
    }
    let (text, is_error) = last_notice(&app);
    assert!(is_error && text.contains("1000000"), "{text}");
    assert!(active_rates(&sim).iter().sum::<f64>() <= MAX_PRODUCER_RATE);
    let started = Instant::now();
    sim.step(100);
    assert!(started.elapsed() < Duration::from_secs(10));

    for _ in 0..MAX_PRODUCERS + 10 {
        press(&mut sim, &mut app, KeyCode::Char('p'));
    }
    let (text, is_error) = last_notice(&app);
    assert!(is_error && text.contains("256"), "{text}");
    assert_eq!(active_rates(&sim).len(), MAX_PRODUCERS);

    for _ in 0..MAX_GROUPS + 10 {
        press(&mut sim, &mut app, KeyCode::Char('g'));
    }
    let (text, is_error) = last_notice(&app);
    assert!(is_error && text.contains("64"), "{text}");
    assert_eq!(sim.groups().len(), MAX_GROUPS);

    app.focus = Focus::Groups;
    for _ in 0..MAX_MEMBERS_PER_GROUP + 10 {
        press(&mut sim, &mut app, KeyCode::Char('c'));
    }
    let (text, is_error) = last_notice(&app);
    assert!(is_error && text.contains("256"), "{text}");
    assert_eq!(sim.groups()[0].members().len(), MAX_MEMBERS_PER_GROUP);
}
