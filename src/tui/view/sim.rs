//! The whole frame snapshot from a running [`Simulation`]: the broker part through
//! [`fill_from_broker`], then what only the simulation knows (rates, producers,
//! duplicates, lost records, lag history, lag in time, ETA and verdict, captions) and the
//! UI's own state. The broker's lock is held for the broker part, then briefly per group
//! for its lag measures.

use crate::sim::{Ring, SAMPLE_INTERVAL_MS, Simulation};

use super::super::app::App;
use super::{
    BrokerOptions, Caption, EventClass, EventLine, GroupView, Header, ProducerView, RunState,
    SimClock, View, fill_from_broker,
};

/// How long, in simulated time, a fired caption stays in the banner.
pub const CAPTION_FRESH_MS: i64 = 15_000;

/// How many screens of events the pane can scroll back through.
const EVENT_SCREENS: usize = 4;

/// Screen-derived limits for one snapshot.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// At least the widest partition strip.
    pub tail_cells: usize,
    /// At least the events pane's height; more lets the pane scroll back.
    pub event_lines: usize,
    /// At least the tallest pane: how many partition strips, or rows of groups, can be on
    /// screen at once. A source with more than fit details only the ones that can show.
    pub rows: usize,
}

impl Limits {
    /// Limits for a terminal of `width`×`height`: no strip is wider than the terminal,
    /// and the events pane can scroll back a few screens.
    pub fn for_screen(width: u16, height: u16) -> Self {
        Limits {
            tail_cells: usize::from(width),
            event_lines: usize::from(height) * EVENT_SCREENS,
            rows: usize::from(height),
        }
    }
}

/// Rebuilds `view` from the simulation and the UI state, then fits the UI's selection to
/// it: this is where each frame's view is built, so it is the one place the selection is
/// clamped.
pub fn fill_from_sim(sim: &Simulation, app: &mut App, limits: Limits, view: &mut View) {
    let order: Vec<(&str, _)> = sim
        .groups()
        .iter()
        .map(|g| (g.name(), g.spec().auto_offset_reset))
        .collect();
    fill_from_broker(
        &sim.broker().read(),
        &BrokerOptions {
            tail_cells: limits.tail_cells,
            event_lines: limits.event_lines,
            group_order: &order,
        },
        view,
    );
    for g in &mut view.groups {
        add_group_stats(sim, g);
    }
    onto_virtual_time(sim, view);
    fill_producers(sim, view);
    add_captions_and_notices(sim, app, limits.event_lines, view);
    view.caption = banner(sim);
    fill_header(sim, app, view);
    app.clamp_selection(view.selectable());
}

/// Retention runs on the records' clock, which is ahead of virtual time by the origin
/// real clients need (see [`Simulation::set_time_origin`]): its events are moved back
/// onto virtual time, where every other event of the simulation is.
fn onto_virtual_time(sim: &Simulation, view: &mut View) {
    let origin = sim.time_origin_ms();
    if origin == 0 {
        return;
    }
    for e in &mut view.events {
        if e.class == EventClass::Retention {
            e.time_ms = e.time_ms.saturating_sub(origin);
        }
    }
}

/// What the simulation knows about a group beyond the broker: rates, duplicates, lost
/// records, its members' states and its lag over time.
fn add_group_stats(sim: &Simulation, g: &mut GroupView) {
    let metrics = sim.metrics();
    // Network clients' groups are sampled too: their rate is how fast they commit.
    match sim.group(&g.name) {
        Some(gs) => {
            g.consume_rate = gs.consume_rate();
            g.process_rate = Some(gs.process_rate());
            g.duplicates = Some(gs.duplicates());
            g.lost = Some(gs.lost());
            // The simulation knows what each member is working on, rebalancing or not.
            let held = gs.held_partitions();
            for o in &mut g.offsets {
                o.paused = !held
                    .iter()
                    .any(|tp| tp.partition == o.partition && tp.topic == o.topic);
            }
            for m in &mut g.members {
                m.state = gs
                    .members()
                    .iter()
                    .find(|ms| ms.member_id() == Some(m.id.as_str()))
                    .map(|ms| ms.state());
            }
        }
        None => g.consume_rate = metrics.group_consume_rate(&g.name),
    }
    fill_series(&mut g.lag_history, metrics.group_lag_history(&g.name), sim);
    fill_series(
        &mut g.time_lag_history,
        metrics.group_time_lag_history(&g.name),
        sim,
    );
    add_lag_measures(sim, g);
}

/// A per-second ring as `(simulated seconds, value)` points, oldest first.
fn fill_series(series: &mut Vec<(f64, f64)>, ring: Option<&Ring<i64>>, sim: &Simulation) {
    series.clear();
    let Some(ring) = ring else {
        return;
    };
    // Samples are taken every SAMPLE_INTERVAL_MS; the newest at the last multiple.
    let now = sim.now_ms();
    let newest = now - now % SAMPLE_INTERVAL_MS;
    let n = ring.len() as i64;
    series.extend(ring.iter().enumerate().map(|(i, v)| {
        let t = newest - (n - 1 - i as i64) * SAMPLE_INTERVAL_MS;
        (t as f64 / 1000.0, v as f64)
    }));
}

/// Lag in time, ETA and verdict, per group and per partition, as the simulation measures
/// them; an observer fills the same fields from its polls.
fn add_lag_measures(sim: &Simulation, g: &mut GroupView) {
    let Some(measured) = sim.group_lag(&g.name) else {
        return;
    };
    g.set_lag_measures(&measured.group);
    for p in &measured.partitions {
        g.set_partition_time_lag(&p.tp.topic, p.tp.partition, p.time_lag_ms);
    }
}

fn fill_producers(sim: &Simulation, view: &mut View) {
    view.producers.clear();
    view.producers.extend(
        sim.producers()
            .iter()
            .filter(|p| p.active)
            .map(|p| ProducerView {
                name: p.name.clone(),
                topic: p.topic.clone(),
                rate: p.rate,
                keys: p.keys_label(),
                partitioner: p.partitioner.name().to_string(),
                produced: p.produced,
            }),
    );
}

/// Adds fired timeline beats and the user's command results to the broker's events, in
/// time order, keeping the newest `take`.
fn add_captions_and_notices(sim: &Simulation, app: &App, take: usize, view: &mut View) {
    for beat in sim.captions().rev().take(take) {
        if !beat.caption.is_empty() {
            view.events.push(EventLine {
                time_ms: beat.at_ms,
                class: EventClass::Caption,
                text: beat.caption.clone(),
            });
        }
        view.events.push(EventLine {
            time_ms: beat.at_ms,
            class: if beat.ok {
                EventClass::Command
            } else {
                EventClass::Error
            },
            text: format!("timeline {}: {}", beat.action, beat.outcome),
        });
    }
    add_notices(app, take, view);
}

/// Adds the user's command results to the events already in `view`, in time order,
/// keeping the newest `take`.
pub(super) fn add_notices(app: &App, take: usize, view: &mut View) {
    for n in app.notices().rev().take(take) {
        view.events.push(EventLine {
            time_ms: n.time_ms,
            class: if n.is_error {
                EventClass::Error
            } else {
                EventClass::Command
            },
            text: n.text.clone(),
        });
    }
    view.sort_events();
    let excess = view.events.len().saturating_sub(take);
    view.events.drain(..excess);
}

/// The beat presenter mode holds at, or else the newest caption while it is fresh.
fn banner(sim: &Simulation) -> Option<Caption> {
    if sim.held_at_beat() {
        return sim.next_beat().map(|b| Caption {
            text: if b.caption.is_empty() {
                b.command.action_name().to_string()
            } else {
                b.caption.clone()
            },
            held: true,
        });
    }
    sim.captions()
        .rev()
        .find(|b| !b.caption.is_empty())
        .filter(|b| sim.now_ms() - b.at_ms < CAPTION_FRESH_MS)
        .map(|b| Caption {
            text: b.caption.clone(),
            held: false,
        })
}

/// The header, from the topics and groups already in `view`. The server part, if any,
/// is left for [`super::fill_from_server`].
fn fill_header(sim: &Simulation, app: &App, view: &mut View) {
    let metrics = sim.metrics();
    view.header = Header {
        title: sim.scenario().name.clone(),
        now_ms: sim.now_ms(),
        sim: Some(SimClock {
            speed: app.speed(),
            // Measured by whoever steps the simulation, which fills it in after this.
            reached_speed: None,
            run_state: if sim.held_at_beat() {
                RunState::HeldAtBeat
            } else if app.paused {
                RunState::Paused
            } else {
                RunState::Running
            },
            seed: sim.seed(),
        }),
        cluster_id: None,
        data_age_ms: None,
        alert: None,
        produce_rate: view
            .topics
            .iter()
            .map(|t| metrics.topic_produce_rate(&t.name))
            .sum(),
        // Every group on the broker, network clients' included.
        consume_rate: view.groups.iter().map(|g| g.consume_rate).sum(),
        server: view.header.server.take(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Scenario;
    use crate::tui::theme::Theme;

    #[test]
    fn building_the_view_fits_the_selection_to_it() {
        let mut sim = Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(1)).unwrap();
        sim.step(5_000);
        let mut app = App::new(Theme::default(), false);
        (app.selected_topic, app.selected_row, app.events_scroll) = (99, 99, 9_999);
        let mut view = View::default();
        fill_from_sim(&sim, &mut app, Limits::for_screen(80, 24), &mut view);
        assert!(!view.topics.is_empty() && !view.events.is_empty());
        assert_eq!(app.selected_topic, view.topics.len() - 1);
        assert_eq!(app.selected_row, view.group_rows().count() - 1);
        assert_eq!(app.events_scroll, view.events.len() - 1);
    }
}
