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
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::{MissedTickBehavior, interval};

use crate::server::{Server, ServerConfig, ServerStats, WakeHandle};
use crate::sim::{Scenario, Simulation};
use crate::tui::control;
use crate::tui::keymap;
use crate::tui::view::{Limits, View, fill_from_server, fill_from_sim};
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
    /// Also serve the Kafka wire protocol, on the simulation's broker.
    pub server: Option<ServerConfig>,
}

/// The running network server, as the event loop sees it.
struct Network {
    stats: ServerStats,
    appended: WakeHandle,
    groups: WakeHandle,
    /// The real-time clock network clients' groups run on (see `Simulation::tick_foreign_groups`).
    clock: Arc<dyn Fn() -> i64 + Send + Sync>,
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
    // With a server, client connections get a worker thread of their own beside the UI's.
    let runtime = match opts.server {
        Some(_) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    }
    .context("cannot start the async runtime")?;
    let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
    let network = match opts.server {
        Some(config) => {
            Some(runtime.block_on(start_server(config, &sim, &mut app, server_stopped))?)
        }
        None => None,
    };
    let mut tui = terminal::enter().context("cannot set up the terminal")?;
    let result = runtime.block_on(event_loop(
        &mut tui,
        &mut sim,
        &mut app,
        &mut diag,
        opts.fps,
        opts.panic_after_first_frame,
        network.as_ref(),
    ));
    terminal::restore();
    let _ = stop_server.send(());
    if let Err(e) = &result {
        diag.line(sim.now_ms(), format_args!("error: {e:#}"));
    }
    diag.line(sim.now_ms(), format_args!("exit"));
    diag.flush();
    result
}

/// Binds the server on the simulation's broker and starts serving in the background.
async fn start_server(
    mut config: ServerConfig,
    sim: &Simulation,
    app: &mut App,
    stop: tokio::sync::oneshot::Receiver<()>,
) -> anyhow::Result<Network> {
    // The event loop ticks network clients' groups itself, on the clock below; the server's
    // own timer would tick the simulated groups too, on the wrong clock.
    config.tick_groups = false;
    config.log_to_stderr = false;
    let started = Instant::now();
    let clock: Arc<dyn Fn() -> i64 + Send + Sync> =
        Arc::new(move || started.elapsed().as_millis() as i64);
    let server = Server::bind(config, sim.broker().clone())
        .await?
        .with_clock(clock.clone());
    let addr = server.local_addr();
    if !addr.ip().is_loopback() {
        app.notify(
            0,
            format!("listening on {addr}, which is not loopback: there is no authentication"),
            true,
        );
    }
    let network = Network {
        stats: server.stats(),
        appended: server.append_notifier(),
        groups: server.group_notifier(),
        clock,
    };
    tokio::spawn(server.run(async {
        let _ = stop.await;
    }));
    Ok(network)
}

async fn event_loop(
    tui: &mut terminal::Tui,
    sim: &mut Simulation,
    app: &mut App,
    diag: &mut Diag,
    fps: u32,
    panic_after_first_frame: bool,
    network: Option<&Network>,
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
    // What the network part of the screen last changed on (see the sim tick below).
    let mut stepped_to = sim.now_ms();
    let mut last_activity = (0, 0);
    let mut last_rates = last;
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
                if let Some(net) = network {
                    let stepped = sim.now_ms() != stepped_to;
                    stepped_to = sim.now_ms();
                    let groups_changed = sim.tick_foreign_groups((net.clock)());
                    // Clients waiting in a fetch or a join see what the simulation changed.
                    if stepped {
                        net.appended.notify();
                    }
                    if stepped || groups_changed {
                        net.groups.notify();
                    }
                    // Client traffic changes the screen even while the simulation is paused;
                    // rates roll once a second with no traffic at all.
                    let activity = net.stats.activity();
                    let rates_due = now.duration_since(last_rates).as_secs() >= 1;
                    if groups_changed || activity != last_activity || rates_due {
                        dirty = true;
                        last_activity = activity;
                        if rates_due {
                            last_rates = now;
                        }
                    }
                }
            },
            _ = render_tick.tick(), if dirty => {
                let size = tui.size()?;
                fill_from_sim(sim, app, Limits::for_screen(size.width, size.height), &mut view);
                if let Some(net) = network {
                    let stats = &net.stats;
                    fill_from_server(stats.listen_addr(), stats.connections(), &stats.clients(), &mut view);
                }
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
