//! The interactive UI's event loop: one `tokio::select!` over termination signals,
//! terminal input, a render tick and the driver's tick.
//!
//! The loop only routes: keys become actions through the key map, [`update`] decides,
//! [`control::execute`] applies effects to the simulation, and the [`Driver`] moves
//! everything that moves on its own (the simulation at `speed ×` real time, network
//! clients' groups, waiting clients). The screen redraws at most `fps` times a second and
//! only when something changed.

mod diag;
pub(super) mod terminal;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::sync::oneshot;
use tokio::time::{MissedTickBehavior, interval};

use crate::server::{ServerConfig, ServerStats};
use crate::sim::{Scenario, Simulation};
use crate::tui::control;
use crate::tui::keymap;
use crate::tui::view::{Limits, View, fill_from_server, fill_from_sim};
use crate::tui::{App, Screen, Theme, ThemeKind, update};

use super::driver::{self, Driver, RealTime};
use super::{network, stop};
use diag::Diag;

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
    /// What the partition logs may hold before the oldest records go (`--max-log-memory`).
    pub max_log_memory: u64,
    /// Also serve the Kafka wire protocol, on the simulation's broker.
    pub server: Option<ServerConfig>,
}

/// What the event loop routes events to, and draws.
struct Ui {
    sim: Simulation,
    app: App,
    diag: Diag,
    driver: Driver,
    /// The listener's connections and clients, when there is one.
    stats: Option<ServerStats>,
    view: View,
    /// Something changed since the last frame.
    dirty: bool,
    panic_after_first_frame: bool,
}

/// Runs the UI until the user quits or a signal arrives. The terminal is restored on
/// every way out.
pub fn run(opts: Options) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the terminal UI needs a terminal on stdin and stdout; use --headless to run without one"
        );
    }
    let fps = opts.fps;
    let runtime = runtime(opts.server.is_some())?;
    let (stop_server, server_stopped) = oneshot::channel::<()>();
    let mut ui = runtime.block_on(Ui::start(opts, server_stopped))?;
    let mut tui = terminal::enter().context("cannot set up the terminal")?;
    let result = runtime.block_on(event_loop(&mut tui, &mut ui, fps));
    terminal::restore();
    let _ = stop_server.send(());
    ui.finish(&result);
    result
}

/// With a listener, client connections get a worker thread of their own beside the UI's.
fn runtime(listening: bool) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut builder = if listening {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn event_loop(tui: &mut terminal::Tui, ui: &mut Ui, fps: u32) -> anyhow::Result<()> {
    let mut input = EventStream::new();
    let mut driver_tick = driver::ticker();
    let frame = Duration::from_secs_f64(1.0 / f64::from(fps.max(1)));
    let mut render_tick = interval(frame);
    render_tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let stop = stop::signal()?;
    tokio::pin!(stop);
    while !ui.app.should_quit {
        // In this order when several are ready: a key never waits behind the driver.
        tokio::select! {
            biased;
            signal = &mut stop => {
                ui.diag.line(ui.sim.now_ms(), format_args!("{signal}"));
                break;
            }
            event = input.next() => match event {
                Some(Ok(event)) => ui.on_event(event),
                Some(Err(e)) => return Err(e).context("reading terminal input"),
                None => break,
            },
            _ = render_tick.tick(), if ui.dirty => ui.draw(tui)?,
            _ = driver_tick.tick() => ui.on_tick(),
        }
    }
    Ok(())
}

impl Ui {
    /// Loads the simulation and starts the listener, if asked for, serving until
    /// `server_stopped` fires.
    async fn start(opts: Options, server_stopped: oneshot::Receiver<()>) -> anyhow::Result<Ui> {
        let mut diag = Diag::open(opts.log.as_deref())
            .with_context(|| format!("cannot open log file {:?}", opts.log))?;
        let mut sim = Simulation::new(opts.scenario, opts.seed)?;
        sim.broker().write().set_max_log_bytes(opts.max_log_memory);
        if opts.server.is_some() {
            // Real clients age records by the wall clock: stamp the simulated ones on it.
            sim.set_time_origin(crate::server::wall_clock_ms());
        }
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
        let start = Instant::now();
        let clock = RealTime::starting_at(start, 0);
        let mut driver = Driver::new(sim.broker().clone(), clock, start);
        let mut stats = None;
        if let Some(mut config) = opts.server {
            config.log_to_stderr = false;
            let (server, net) = network::bind(config, sim.broker().clone(), clock).await?;
            for line in network::address_lines(&server) {
                diag.line(0, format_args!("{line}"));
            }
            if let Some(warning) = network::exposure_warning(server.local_addr()) {
                app.notify(0, warning, true);
            }
            stats = Some(net.stats.clone());
            driver = driver.with_network(net);
            tokio::spawn(server.run(async {
                let _ = server_stopped.await;
            }));
        }
        Ok(Ui {
            sim,
            app,
            diag,
            driver,
            stats,
            view: View::default(),
            dirty: true,
            panic_after_first_frame: opts.panic_after_first_frame,
        })
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Key(key) => {
                if let Some(action) = keymap::lookup(&key) {
                    let now = self.sim.now_ms();
                    self.diag
                        .line(now, format_args!("key {:?} -> {action:?}", key.code));
                    if let Some(effect) = update(&mut self.app, &self.view, action) {
                        control::execute(&mut self.sim, &mut self.app, effect);
                    }
                    self.dirty = true;
                }
            }
            Event::Resize(w, h) => {
                self.diag
                    .line(self.sim.now_ms(), format_args!("resize {w}x{h}"));
                self.dirty = true;
            }
            _ => {}
        }
    }

    fn on_tick(&mut self) {
        let speed = if self.app.paused {
            0.0
        } else {
            self.app.speed()
        };
        self.dirty |= self.driver.tick(Instant::now(), Some(&mut self.sim), speed);
    }

    fn draw(&mut self, tui: &mut terminal::Tui) -> anyhow::Result<()> {
        let size = tui.size()?;
        let limits = Limits::for_screen(size.width, size.height);
        fill_from_sim(&self.sim, &mut self.app, limits, &mut self.view);
        if let Some(clock) = &mut self.view.header.sim {
            clock.reached_speed = self.driver.reached_speed();
        }
        if let Some(stats) = &self.stats {
            let clients = stats.clients();
            fill_from_server(
                stats.listen_addr(),
                stats.connections(),
                &clients,
                &mut self.view,
            );
        }
        tui.draw(|f| f.render_widget(&Screen::new(&self.view, &self.app), f.area()))?;
        self.dirty = false;
        if self.panic_after_first_frame {
            self.diag.flush();
            panic!("panic requested by --panic-after-first-frame");
        }
        Ok(())
    }

    /// Logs how the UI ended. Call it last: the state is not freed.
    fn finish(mut self, result: &anyhow::Result<()>) {
        let now = self.sim.now_ms();
        if let Err(e) = result {
            self.diag.line(now, format_args!("error: {e:#}"));
        }
        self.diag.line(now, format_args!("exit"));
        self.diag.flush();
        // The process exits next, and the system takes the memory back at once: freeing
        // logs of millions of records one by one would only hold up the quit (seconds, in
        // a debug build).
        std::mem::forget(self);
    }
}
