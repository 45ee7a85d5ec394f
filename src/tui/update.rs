//! `update`: the only place an [`Action`] changes anything. UI-only actions change the
//! [`App`]; actions on Kafka become an [`Effect`] for the simulation's owner to apply.

use super::action::{Action, Effect};
use super::app::{App, Focus, STEP_MS};
use super::keymap::KeyRow;
use super::view::{RunState, View};
use crate::broker::ResetSpec;
use crate::sim::Command;

/// How much `[` `]` and `{` `}` scale a rate by.
pub const RATE_FACTOR: f64 = 2.0;

/// The records per second `s` leaves a broker's followers: none, so they stall, fall
/// behind and leave the ISRs after `replica_lag_time_max_ms`, the lesson the key is for.
pub const SLOW_BROKER_RATE: f64 = 0.0;

/// Applies `action` to the UI state, reading names and counts from this frame's `view`.
/// Returns what the simulation should do, if anything.
pub fn update(app: &mut App, view: &View, action: Action) -> Option<Effect> {
    let now = view.header.now_ms;
    if app.help_open
        && !matches!(
            action,
            Action::Quit | Action::ToggleHelp | Action::CloseHelp
        )
    {
        return None;
    }
    if !view.header.simulated()
        && let Some(what) = simulation_only(action)
    {
        app.notify(now, format!("read-only: {what} needs a simulation"), true);
        return None;
    }
    match action {
        Action::Quit => app.should_quit = true,
        Action::ToggleHelp => app.help_open = !app.help_open,
        Action::CloseHelp => app.help_open = false,
        Action::TogglePause => app.paused = !app.paused,
        Action::Step if app.paused => return Some(Effect::Step(STEP_MS)),
        Action::Step => app.notify(now, "single step works while paused (Space)", true),
        Action::SpeedUp => {
            app.change_speed(true);
        }
        Action::SlowDown => {
            app.change_speed(false);
        }
        Action::ToggleLagUnit => app.lag_unit = app.lag_unit.toggled(),
        Action::FocusNext => app.focus = app.focus.next(),
        Action::FocusPrev => app.focus = app.focus.prev(),
        Action::SelectPrev => select(app, view, false),
        Action::SelectNext => select(app, view, true),
        Action::NextBeat if view.header.run_state() == Some(RunState::HeldAtBeat) => {
            return Some(Effect::ReleaseBeat);
        }
        Action::NextBeat => app.notify(now, "no timeline beat is waiting", true),
        Action::NextBroker | Action::PrevBroker => {
            select_broker(app, view, action == Action::NextBroker);
        }
        Action::CrashBroker | Action::RestartBroker | Action::SlowBroker | Action::HealBroker => {
            return on_broker(app, view, action).map(Effect::Command);
        }
        _ => return on_kafka(app, view, action).map(Effect::Command),
    }
    None
}

/// What an action that only a simulation can carry out does, for the notice that refuses
/// it where nothing is simulated; `None` for the actions that work on any screen.
fn simulation_only(action: Action) -> Option<&'static str> {
    Some(match action {
        Action::TogglePause => "pausing",
        Action::Step => "stepping",
        Action::SpeedUp | Action::SlowDown => "changing speed",
        Action::AddProducer => "adding a producer",
        Action::RemoveProducer => "removing a producer",
        Action::AddConsumer => "adding a consumer",
        Action::RemoveConsumer => "removing a consumer",
        Action::CrashConsumer => "crashing a consumer",
        Action::AddGroup => "adding a group",
        Action::ResetEarliest | Action::ResetLatest => "resetting offsets",
        Action::ProcessSlower | Action::ProcessFaster => "changing a group's speed",
        Action::ProducerSlower | Action::ProducerFaster => "changing a producer's rate",
        Action::NextBeat => "a timeline beat",
        Action::CrashBroker => "crashing a broker",
        Action::RestartBroker => "restarting a broker",
        Action::SlowBroker => "slowing a broker",
        Action::HealBroker => "healing a broker",
        Action::Quit
        | Action::NextBroker
        | Action::PrevBroker
        | Action::FocusNext
        | Action::FocusPrev
        | Action::SelectPrev
        | Action::SelectNext
        | Action::ToggleLagUnit
        | Action::ToggleHelp
        | Action::CloseHelp => return None,
    })
}

/// Whether `action` works only where something is simulated.
pub fn needs_simulation(action: Action) -> bool {
    simulation_only(action).is_some()
}

/// Whether the footer and the help offer a key map row: where nothing is simulated, a row
/// whose every key needs a simulation is not offered.
pub fn offered(row: &KeyRow, simulated: bool) -> bool {
    simulated || !row.bindings.iter().all(|(_, a)| needs_simulation(*a))
}

/// Moves the selection one step, stopping at either end. The selection already fits
/// `view` (see [`App::clamp_selection`]).
fn select(app: &mut App, view: &View, down: bool) {
    let step = |i: usize, len: usize| -> usize {
        if down {
            (i + 1).min(len.saturating_sub(1))
        } else {
            i.saturating_sub(1)
        }
    };
    match app.focus {
        Focus::Partitions | Focus::Producers => {
            app.selected_topic = step(app.selected_topic, view.topics.len());
        }
        Focus::Groups | Focus::Lag => {
            app.selected_row = step(app.selected_row, view.group_rows().count());
        }
        Focus::Events => {
            // Up looks further back; down returns towards the newest.
            let max = view.events.len().saturating_sub(1);
            app.events_scroll = if down {
                app.events_scroll.saturating_sub(1)
            } else {
                (app.events_scroll + 1).min(max)
            };
        }
    }
}

/// Moves the broker selection one step, wrapping around the cluster.
fn select_broker(app: &mut App, view: &View, next: bool) {
    let n = view.brokers.len();
    if n == 0 {
        app.notify(view.header.now_ms, NO_CLUSTER, true);
        return;
    }
    app.selected_broker = if next {
        (app.selected_broker + 1) % n
    } else {
        (app.selected_broker + n - 1) % n
    };
}

const NO_CLUSTER: &str = "no cluster: this scenario has one broker";

/// The command for a broker key, on the selected broker.
fn on_broker(app: &mut App, view: &View, action: Action) -> Option<Command> {
    let Some(broker) = view.brokers.get(app.selected_broker).map(|b| b.id) else {
        app.notify(view.header.now_ms, NO_CLUSTER, true);
        return None;
    };
    Some(match action {
        Action::CrashBroker => Command::CrashBroker { broker },
        Action::RestartBroker => Command::RestartBroker { broker },
        Action::SlowBroker => Command::SlowBroker {
            broker,
            rate: SLOW_BROKER_RATE,
        },
        _ => Command::HealBroker { broker },
    })
}

fn on_kafka(app: &mut App, view: &View, action: Action) -> Option<Command> {
    let now = view.header.now_ms;
    let topic = view.topics.get(app.selected_topic).map(|t| t.name.clone());
    let group = view
        .group_row(app.selected_row)
        .map(|r| view.groups[r.group].name.clone());
    let request = match action {
        Action::AddProducer => topic.map(|topic| Command::AddProducer { topic }),
        Action::RemoveProducer => topic.map(|topic| Command::RemoveProducer { topic }),
        Action::ProducerSlower | Action::ProducerFaster => topic.map(|topic| {
            let factor = if action == Action::ProducerFaster {
                RATE_FACTOR
            } else {
                1.0 / RATE_FACTOR
            };
            Command::ScaleProducerRate { topic, factor }
        }),
        Action::AddGroup => topic.map(|topic| Command::AddGroup {
            name: None,
            topics: vec![topic],
        }),
        Action::AddConsumer => group.map(|group| Command::AddConsumer { group }),
        Action::RemoveConsumer => group.map(|group| Command::RemoveConsumer { group }),
        Action::CrashConsumer => group.map(|group| Command::CrashConsumer { group }),
        Action::ResetEarliest | Action::ResetLatest => group.map(|group| Command::ResetOffsets {
            group,
            to: if action == Action::ResetEarliest {
                ResetSpec::Earliest
            } else {
                ResetSpec::Latest
            },
        }),
        Action::ProcessSlower | Action::ProcessFaster => group.map(|group| {
            let factor = if action == Action::ProcessFaster {
                RATE_FACTOR
            } else {
                1.0 / RATE_FACTOR
            };
            Command::ScaleProcessRate { group, factor }
        }),
        _ => return None,
    };
    if request.is_none() {
        let what = match action {
            Action::AddProducer
            | Action::RemoveProducer
            | Action::ProducerSlower
            | Action::ProducerFaster
            | Action::AddGroup => "no topic to act on",
            _ => "no group to act on",
        };
        app.notify(now, what, true);
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::Theme;
    use crate::tui::view::{GroupPhase, GroupView, MemberView, SimClock, TopicView};

    fn group(name: &str, slot: usize, members: &[&str]) -> GroupView {
        GroupView {
            generation: Some(1),
            protocol: "classic range".to_string(),
            members: members
                .iter()
                .map(|m| MemberView {
                    id: (*m).into(),
                    state: None,
                    partitions: Vec::new(),
                    client_id: None,
                    host: None,
                })
                .collect(),
            ..GroupView::new(name, slot, "Stable", GroupPhase::Stable)
        }
    }

    /// A simulation's view: keys that command it are carried out.
    fn view() -> View {
        let mut v = View::default();
        v.header.sim = Some(SimClock::default());
        for name in ["orders", "payments"] {
            v.topics.push(TopicView {
                name: name.into(),
                partitions: Vec::new(),
            });
        }
        v.groups = vec![
            group("billing", 0, &["b-1", "b-2"]),
            group("audit", 1, &["a-1"]),
        ];
        v
    }

    fn app() -> App {
        App::new(Theme::default(), false)
    }

    fn command(app: &mut App, view: &View, action: Action) -> Command {
        match update(app, view, action) {
            Some(Effect::Command(c)) => c,
            other => panic!("{action:?} gave {other:?}"),
        }
    }

    #[test]
    fn topic_keys_act_on_the_selected_topic() {
        let (mut a, v) = (app(), view());
        assert_eq!(
            command(&mut a, &v, Action::AddProducer),
            Command::AddProducer {
                topic: "orders".into()
            }
        );
        update(&mut a, &v, Action::SelectNext);
        update(&mut a, &v, Action::SelectNext);
        assert_eq!(a.selected_topic, 1, "selection stops at the last topic");
        assert_eq!(
            command(&mut a, &v, Action::ProducerFaster),
            Command::ScaleProducerRate {
                topic: "payments".into(),
                factor: RATE_FACTOR
            }
        );
        assert_eq!(
            command(&mut a, &v, Action::AddGroup),
            Command::AddGroup {
                name: None,
                topics: vec!["payments".into()]
            }
        );
        assert_eq!(
            command(&mut a, &v, Action::RemoveProducer),
            Command::RemoveProducer {
                topic: "payments".into()
            }
        );
    }

    #[test]
    fn group_keys_act_on_the_group_of_the_selected_row() {
        let (mut a, v) = (app(), view());
        a.focus = Focus::Groups;
        // Rows: billing, b-1, b-2, audit, a-1.
        for _ in 0..3 {
            update(&mut a, &v, Action::SelectNext);
        }
        assert_eq!(
            command(&mut a, &v, Action::AddConsumer),
            Command::AddConsumer {
                group: "audit".into()
            }
        );
        update(&mut a, &v, Action::SelectPrev);
        let g = || "billing".to_string();
        assert_eq!(
            command(&mut a, &v, Action::CrashConsumer),
            Command::CrashConsumer { group: g() }
        );
        assert_eq!(
            command(&mut a, &v, Action::RemoveConsumer),
            Command::RemoveConsumer { group: g() }
        );
        assert_eq!(
            command(&mut a, &v, Action::ResetEarliest),
            Command::ResetOffsets {
                group: g(),
                to: ResetSpec::Earliest
            }
        );
        assert_eq!(
            command(&mut a, &v, Action::ResetLatest),
            Command::ResetOffsets {
                group: g(),
                to: ResetSpec::Latest
            }
        );
        assert_eq!(
            command(&mut a, &v, Action::ProcessSlower),
            Command::ScaleProcessRate {
                group: g(),
                factor: 1.0 / RATE_FACTOR
            }
        );
    }

    #[test]
    fn nothing_to_act_on_is_a_notice_not_a_command() {
        let mut a = app();
        let mut empty = View::default();
        empty.header.sim = Some(SimClock::default());
        assert_eq!(update(&mut a, &empty, Action::AddConsumer), None);
        assert_eq!(update(&mut a, &empty, Action::AddProducer), None);
        let texts: Vec<&str> = a.notices().map(|n| n.text.as_str()).collect();
        assert_eq!(texts, vec!["no group to act on", "no topic to act on"]);
        assert!(a.notices().all(|n| n.is_error));
    }

    fn cluster_view(brokers: i32) -> View {
        let mut v = view();
        v.brokers = (1..=brokers)
            .map(|id| crate::tui::view::BrokerView::new(id, crate::broker::BrokerState::Up))
            .collect();
        v
    }

    #[test]
    fn broker_keys_act_on_the_selected_broker() {
        let (mut a, v) = (app(), cluster_view(3));
        assert_eq!(
            command(&mut a, &v, Action::CrashBroker),
            Command::CrashBroker { broker: 1 }
        );
        update(&mut a, &v, Action::PrevBroker);
        assert_eq!(a.selected_broker, 2, "selection wraps backwards");
        assert_eq!(
            command(&mut a, &v, Action::RestartBroker),
            Command::RestartBroker { broker: 3 }
        );
        update(&mut a, &v, Action::NextBroker);
        update(&mut a, &v, Action::NextBroker);
        assert_eq!(a.selected_broker, 1, "selection wraps forwards");
        assert_eq!(
            command(&mut a, &v, Action::SlowBroker),
            Command::SlowBroker {
                broker: 2,
                rate: SLOW_BROKER_RATE
            }
        );
        assert_eq!(
            command(&mut a, &v, Action::HealBroker),
            Command::HealBroker { broker: 2 }
        );
        assert_eq!(a.notices().count(), 0);
    }

    #[test]
    fn broker_keys_without_a_cluster_are_a_notice() {
        let (mut a, v) = (app(), view());
        assert_eq!(update(&mut a, &v, Action::CrashBroker), None);
        assert_eq!(update(&mut a, &v, Action::NextBroker), None);
        assert_eq!(a.selected_broker, 0);
        let texts: Vec<&str> = a.notices().map(|n| n.text.as_str()).collect();
        assert_eq!(texts, vec![NO_CLUSTER, NO_CLUSTER]);
    }

    #[test]
    fn step_only_while_paused_and_pause_toggles() {
        let (mut a, v) = (app(), view());
        assert_eq!(update(&mut a, &v, Action::Step), None);
        assert_eq!(a.notices().count(), 1);
        update(&mut a, &v, Action::TogglePause);
        assert!(a.paused);
        assert_eq!(
            update(&mut a, &v, Action::Step),
            Some(Effect::Step(STEP_MS))
        );
        update(&mut a, &v, Action::TogglePause);
        assert!(!a.paused);
    }

    #[test]
    fn the_lag_chart_switches_between_records_and_time() {
        let (mut a, v) = (app(), view());
        assert_eq!(a.lag_unit, crate::tui::app::LagUnit::Records);
        assert_eq!(update(&mut a, &v, Action::ToggleLagUnit), None);
        assert_eq!(a.lag_unit, crate::tui::app::LagUnit::Time);
        update(&mut a, &v, Action::ToggleLagUnit);
        assert_eq!(a.lag_unit, crate::tui::app::LagUnit::Records);
    }

    #[test]
    fn next_beat_releases_only_a_held_beat() {
        let (mut a, mut v) = (app(), view());
        assert_eq!(update(&mut a, &v, Action::NextBeat), None);
        v.header.sim = Some(SimClock {
            run_state: RunState::HeldAtBeat,
            ..SimClock::default()
        });
        assert_eq!(
            update(&mut a, &v, Action::NextBeat),
            Some(Effect::ReleaseBeat)
        );
    }

    #[test]
    fn help_swallows_other_keys_until_closed() {
        let (mut a, v) = (app(), view());
        update(&mut a, &v, Action::ToggleHelp);
        assert!(a.help_open);
        assert_eq!(update(&mut a, &v, Action::AddProducer), None);
        update(&mut a, &v, Action::TogglePause);
        assert!(
            !a.paused,
            "keys other than help and quit wait until help closes"
        );
        update(&mut a, &v, Action::CloseHelp);
        assert!(!a.help_open);
        update(&mut a, &v, Action::ToggleHelp);
        update(&mut a, &v, Action::Quit);
        assert!(a.should_quit);
    }

    #[test]
    fn speed_focus_and_event_scrolling() {
        let (mut a, mut v) = (app(), view());
        update(&mut a, &v, Action::SpeedUp);
        assert_eq!(a.speed(), 2.0);
        update(&mut a, &v, Action::SlowDown);
        update(&mut a, &v, Action::SlowDown);
        assert_eq!(a.speed(), 0.5);
        update(&mut a, &v, Action::FocusPrev);
        assert_eq!(a.focus, Focus::Events);
        v.events = (0..3)
            .map(|i| crate::tui::view::EventLine {
                time_ms: i,
                class: crate::tui::view::EventClass::Topic,
                text: String::new(),
            })
            .collect();
        for _ in 0..5 {
            update(&mut a, &v, Action::SelectPrev);
        }
        assert_eq!(
            a.events_scroll, 2,
            "scrolls back no further than the oldest"
        );
        update(&mut a, &v, Action::SelectNext);
        assert_eq!(a.events_scroll, 1);
        update(&mut a, &v, Action::FocusNext);
        assert_eq!(a.focus, Focus::Partitions);
    }

    #[test]
    fn without_a_simulation_its_keys_are_refused_with_a_notice() {
        let mut v = view();
        v.header.sim = None;
        v.header.now_ms = 7_000;
        let mut a = app();
        a.focus = Focus::Groups;
        for action in [
            Action::AddConsumer,
            Action::CrashConsumer,
            Action::ResetEarliest,
            Action::AddProducer,
            Action::TogglePause,
            Action::SpeedUp,
            Action::Step,
            Action::NextBeat,
        ] {
            assert_eq!(update(&mut a, &v, action), None, "{action:?}");
        }
        assert!(!a.paused, "nothing to pause");
        assert_eq!(a.speed(), 1.0, "nothing to speed up");
        let notices: Vec<&str> = a.notices().map(|n| n.text.as_str()).collect();
        assert_eq!(
            notices,
            [
                "read-only: adding a consumer needs a simulation",
                "read-only: crashing a consumer needs a simulation",
                "read-only: resetting offsets needs a simulation",
                "read-only: adding a producer needs a simulation",
                "read-only: pausing needs a simulation",
                "read-only: changing speed needs a simulation",
                "read-only: stepping needs a simulation",
                "read-only: a timeline beat needs a simulation",
            ]
        );
        assert!(a.notices().all(|n| n.is_error && n.time_ms == 7_000));
        // Looking around still works.
        update(&mut a, &v, Action::SelectNext);
        assert_eq!(a.selected_row, 1);
        update(&mut a, &v, Action::ToggleLagUnit);
        assert_eq!(a.lag_unit, crate::tui::app::LagUnit::Time);
        update(&mut a, &v, Action::FocusNext);
        assert_eq!(a.focus, Focus::Producers);
        update(&mut a, &v, Action::ToggleHelp);
        assert!(a.help_open);
        update(&mut a, &v, Action::CloseHelp);
        update(&mut a, &v, Action::Quit);
        assert!(a.should_quit);
        assert_eq!(a.notices().count(), 8, "and says nothing");
    }
}
