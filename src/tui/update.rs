//! `update`: the only place an [`Action`] changes anything. UI-only actions change the
//! [`App`]; actions on Kafka become an [`Effect`] for the simulation's owner to apply.

use super::action::{Action, Effect, Request};
use super::app::{App, Focus, STEP_MS};
use super::view::{RunState, View};

/// How much `[` `]` and `{` `}` scale a rate by.
pub const RATE_FACTOR: f64 = 2.0;

/// Applies `action` to the UI state, reading names and counts from this frame's `view`.
/// Returns what the simulation should do, if anything.
pub fn update(app: &mut App, view: &View, action: Action) -> Option<Effect> {
    let now = view.header.sim_time_ms;
    if app.help_open
        && !matches!(
            action,
            Action::Quit | Action::ToggleHelp | Action::CloseHelp
        )
    {
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
        Action::FocusNext => app.focus = app.focus.next(),
        Action::FocusPrev => app.focus = app.focus.prev(),
        Action::SelectPrev => select(app, view, false),
        Action::SelectNext => select(app, view, true),
        Action::NextBeat if view.header.run_state == RunState::HeldAtBeat => {
            return Some(Effect::ReleaseBeat);
        }
        Action::NextBeat => app.notify(now, "no timeline beat is waiting", true),
        _ => return on_kafka(app, view, action).map(Effect::Command),
    }
    None
}

fn select(app: &mut App, view: &View, down: bool) {
    let step = |i: usize, len: usize| -> usize {
        if len == 0 {
            0
        } else if down {
            (i + 1).min(len - 1)
        } else {
            i.min(len - 1).saturating_sub(1)
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

fn on_kafka(app: &mut App, view: &View, action: Action) -> Option<Request> {
    let now = view.header.sim_time_ms;
    let topic = view
        .topics
        .get(app.selected_topic.min(view.topics.len().saturating_sub(1)))
        .map(|t| t.name.clone());
    let group = view
        .group_row(app.selected_row)
        .map(|r| view.groups[r.group].name.clone());
    let request = match action {
        Action::AddProducer => topic.map(|topic| Request::AddProducer { topic }),
        Action::RemoveProducer => topic.map(|topic| Request::RemoveProducer { topic }),
        Action::ProducerSlower | Action::ProducerFaster => topic.map(|topic| {
            let factor = if action == Action::ProducerFaster {
                RATE_FACTOR
            } else {
                1.0 / RATE_FACTOR
            };
            Request::ScaleProducerRate { topic, factor }
        }),
        Action::AddGroup => topic.map(|topic| Request::AddGroup {
            topics: vec![topic],
        }),
        Action::AddConsumer => group.map(|group| Request::AddConsumer { group }),
        Action::RemoveConsumer => group.map(|group| Request::RemoveConsumer { group }),
        Action::CrashConsumer => group.map(|group| Request::CrashConsumer { group }),
        Action::ResetEarliest | Action::ResetLatest => group.map(|group| Request::ResetOffsets {
            group,
            earliest: action == Action::ResetEarliest,
        }),
        Action::ProcessSlower | Action::ProcessFaster => group.map(|group| {
            let factor = if action == Action::ProcessFaster {
                RATE_FACTOR
            } else {
                1.0 / RATE_FACTOR
            };
            Request::ScaleProcessRate { group, factor }
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
