//! The whole frame snapshot from a running [`Simulation`]: the broker part through
//! [`fill_from_broker`], then what only the simulation knows (rates, producers,
//! duplicates, lost records, lag history, captions) and the UI's own state.

use crate::sim::{SAMPLE_INTERVAL_MS, Simulation};

use super::super::app::App;
use super::{
    BrokerOptions, Caption, EventClass, EventLine, Header, ProducerView, RunState, View,
    fill_from_broker,
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
}

impl Limits {
    /// Limits for a terminal of `width`×`height`: no strip is wider than the terminal,
    /// and the events pane can scroll back a few screens.
    pub fn for_screen(width: u16, height: u16) -> Self {
        Limits {
            tail_cells: usize::from(width),
            event_lines: usize::from(height) * EVENT_SCREENS,
        }
    }
}

/// Rebuilds `view` from the simulation and the UI state.
pub fn fill_from_sim(sim: &Simulation, app: &App, limits: Limits, view: &mut View) {
    let order: Vec<(&str, _)> = sim
        .groups()
        .iter()
        .map(|g| (g.name(), g.spec().auto_offset_reset))
        .collect();
    {
        let broker = sim.broker().read();
        fill_from_broker(
            &broker,
            &BrokerOptions {
                tail_cells: limits.tail_cells,
                event_lines: limits.event_lines,
                group_order: &order,
            },
            view,
        );
    }
    let metrics = sim.metrics();
    let now = sim.now_ms();

    for g in &mut view.groups {
        // Network clients' groups are sampled too: their rate is how fast they commit.
        match sim.group(&g.name) {
            Some(gs) => {
                g.consume_rate = gs.consume_rate();
                g.process_rate = Some(gs.process_rate());
                g.duplicates = gs.duplicates();
                g.lost = gs.lost();
                for m in &mut g.members {
                    m.state = gs
                        .members()
                        .iter()
                        .find(|ms| ms.member_id() == Some(m.id.as_str()))
                        .map(|ms| ms.state().label());
                }
            }
            None => g.consume_rate = metrics.group_consume_rate(&g.name),
        }
        g.lag_history.clear();
        if let Some(ring) = metrics.group_lag_history(&g.name) {
            // Samples are taken every SAMPLE_INTERVAL_MS; the newest at the last multiple.
            let newest = now - now % SAMPLE_INTERVAL_MS;
            let n = ring.len() as i64;
            g.lag_history
                .extend(ring.iter().enumerate().map(|(i, lag)| {
                    let t = newest - (n - 1 - i as i64) * SAMPLE_INTERVAL_MS;
                    (t as f64 / 1000.0, lag as f64)
                }));
        }
    }

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

    let take = limits.event_lines;
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

    let held = sim.held_at_beat();
    view.caption = if held {
        sim.next_beat().map(|b| Caption {
            text: if b.caption.is_empty() {
                b.command.action_name().to_string()
            } else {
                b.caption.clone()
            },
            held: true,
        })
    } else {
        sim.captions()
            .rev()
            .find(|b| !b.caption.is_empty())
            .filter(|b| now - b.at_ms < CAPTION_FRESH_MS)
            .map(|b| Caption {
                text: b.caption.clone(),
                held: false,
            })
    };

    let produce_rate = sim
        .broker()
        .read()
        .topics()
        .map(|t| metrics.topic_produce_rate(t.name()))
        .sum();
    view.header = Header {
        scenario: sim.scenario().name.clone(),
        sim_time_ms: now,
        speed: app.speed(),
        // Measured by whoever steps the simulation, which fills it in after this.
        reached_speed: None,
        run_state: if held {
            RunState::HeldAtBeat
        } else if app.paused {
            RunState::Paused
        } else {
            RunState::Running
        },
        seed: sim.seed(),
        produce_rate,
        // Every group on the broker, network clients' included.
        consume_rate: view.groups.iter().map(|g| g.consume_rate).sum(),
        server: view.header.server.take(),
    };
}
