//! Carries out the [`Effect`]s `update` returns, on the simulation, and records what
//! happened for the events pane.

use crate::sim::Simulation;

use super::action::Effect;
use super::app::App;

/// Applies `effect` to `sim`. Command results (and refusals) become notices in `app`.
pub fn execute(sim: &mut Simulation, app: &mut App, effect: Effect) {
    match effect {
        Effect::Command(cmd) => {
            let now = sim.now_ms();
            match sim.apply(cmd) {
                Ok(text) => app.notify(now, text, false),
                Err(e) => app.notify(now, e.to_string(), true),
            }
        }
        Effect::Step(ms) => sim.step(ms),
        Effect::ReleaseBeat => sim.release_beat(),
    }
}
