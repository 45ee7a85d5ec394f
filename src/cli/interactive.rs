//! The interactive UI's event loop: one `tokio::select!` over terminal input, a
//! simulation tick, a render tick and termination signals.
//!
//! The loop only routes: keys become actions through the key map, [`update`] decides,
//! [`control::execute`] applies effects to the simulation. The simulation advances by
//! `speed ×` the real time elapsed, and the screen redraws at most `fps` times a second
//! and only when something changed.

mod diag;
mod terminal;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::{MissedTickBehavior, interval};

use crate::sim::{Scenario, Simulation};
use crate::tui::control;
use crate::tui::keymap;
use crate::tui::view::{Limits, View, fill_from_sim};
use crate::tui::{App, Screen, Theme, ThemeKind, update};

use diag::Diag;

/// How often the simulation is advanced, in real time. Short enough that a key's effect
/// shows in the next frame at any frame rate we allow.
const SIM_TICK: Duration = Duration::from_millis(10);

/// Everything the interactive UI needs to start.
#[derive(Debug)]
pub struct Options {
    pub scenario: Scenario,
    pub seed: Option<u64>,
    pub fps: u32,
    pub presenter: bool,
    pub theme: ThemeKind,
    pub log: Option<PathBuf>,
    /// See the hidden `--panic-after-first-frame` flag.
    pub panic_after_first_frame: bool,
}

/// Runs the UI until the user quits or a signal arrives. The terminal is restored on
/// every way out.
pub fn run(opts: Options) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the terminal UI needs a terminal on stdin and stdout; use --headless to run without one"
        );
    }
    let mut diag = Diag::open(opts.log.as_deref())
        .with_context(|| format!("cannot open log file {:?}", opts.log))?;
    let mut sim = Simulation::new(opts.scenario, opts.seed)?;
    sim.set_hold_at_beats(opts.presenter);
    let theme = Theme::resolve(opts.theme, Theme::no_color_env());
    let mut app = App::new(theme, opts.presenter);
    diag.line(
        0,
        format_args!(
            "start: scenario {} seed {} fps {} presenter {}",
            sim.scenario().name,
            sim.seed(),
            opts.fps,
            opts.presenter
        ),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut tui = terminal::enter().context("cannot set up the terminal")?;
    let result = runtime.block_on(event_loop(
        &mut tui,
        &mut sim,
        &mut app,
        &mut diag,
        opts.fps,
        opts.panic_after_first_frame,
    ));
    terminal::restore();
    if let Err(e) = &result {
        diag.line(sim.now_ms(), format_args!("error: {e:#}"));
    }
    diag.line(sim.now_ms(), format_args!("exit"));
    diag.flush();
    result
}

async fn event_loop(
    tui: &mut terminal::Tui,
    sim: &mut Simulation,
    app: &mut App,
    diag: &mut Diag,
    fps: u32,
    panic_after_first_frame: bool,
) -> anyhow::Result<()> {
    let mut input = EventStream::new();
    let mut sim_tick = interval(SIM_TICK);
    sim_tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let frame = Duration::from_secs_f64(1.0 / f64::from(fps.max(1)));
    let mut render_tick = interval(frame);
    render_tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;

    let mut view = View::default();
    let mut dirty = true;
    let mut last = Instant::now();
    while !app.should_quit {
        tokio::select! {
            event = input.next() => match event {
                Some(Ok(Event::Key(key))) => {
                    if let Some(action) = keymap::lookup(&key) {
                        diag.line(sim.now_ms(), format_args!("key {:?} -> {action:?}", key.code));
                        if let Some(effect) = update(app, &view, action) {
                            control::execute(sim, app, effect);
                        }
                        dirty = true;
                    }
                }
                Some(Ok(Event::Resize(w, h))) => {
                    diag.line(sim.now_ms(), format_args!("resize {w}x{h}"));
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e).context("reading terminal input"),
                None => break,
            },
            _ = sim_tick.tick() => {
                let now = Instant::now();
                let real_ms = now.duration_since(last).as_secs_f64() * 1000.0;
                last = now;
                let dt = app.sim_advance(real_ms);
                if dt > 0 {
                    let before = sim.now_ms();
                    sim.step(dt);
                    dirty |= sim.now_ms() != before;
                }
            },
            _ = render_tick.tick(), if dirty => {
                let size = tui.size()?;
                fill_from_sim(sim, app, Limits::for_screen(size.width, size.height), &mut view);
                tui.draw(|f| f.render_widget(&Screen::new(&view, app), f.area()))?;
                dirty = false;
                if panic_after_first_frame {
                    diag.flush();
                    panic!("panic requested by --panic-after-first-frame");
                }
            },
            _ = sigterm.recv() => {
                diag.line(sim.now_ms(), format_args!("SIGTERM"));
                break;
            },
            _ = sigint.recv() => {
                diag.line(sim.now_ms(), format_args!("SIGINT"));
                break;
            },
            _ = sighup.recv() => {
                diag.line(sim.now_ms(), format_args!("SIGHUP"));
                break;
            },
        }
    }
    Ok(())
}
