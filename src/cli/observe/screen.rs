//! `observe` on a terminal: the simulation's panes over a real cluster. A background task
//! polls and sends each result over a channel; the event loop applies it to the
//! [`Observation`] and redraws, so a frame never waits for the network and a cluster that
//! stops answering only changes the header.
//!
//! The view is rebuilt when a poll arrives, a key is pressed or the terminal is resized;
//! between polls only the header is refreshed, for the data's age and the retry countdown.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::{MissedTickBehavior, interval};

use crate::server::observe::{ClusterSnapshot, Observation, ObserveError, Poller, Reachability};
use crate::server::wall_clock_ms;
use crate::tui::view::{Limits, ObservedScreen, View, fill_from_observation, fill_observed_header};
use crate::tui::{App, Screen, Theme, ThemeKind, keymap, update};

use super::super::interactive::terminal;
use super::super::stop;
use super::RETRY_START;

/// How often the header's age and countdown are redrawn when nothing else changes.
const HEADER_REFRESH: Duration = Duration::from_millis(250);

/// What the terminal screen needs beyond the poller.
#[derive(Debug, Clone)]
pub struct ScreenOptions {
    /// What the header calls the cluster: the bootstrap brokers.
    pub title: String,
    pub interval: Duration,
    pub theme: ThemeKind,
    pub fps: u32,
}

/// One poll's outcome, from the polling task to the screen.
#[derive(Debug)]
enum Polled {
    Snapshot(ClusterSnapshot),
    /// The poll failed; the next one starts after `retry_in`.
    Failed {
        at_ms: i64,
        error: String,
        retry_in: Duration,
    },
    /// Retrying will not help (bad credentials, an untrusted certificate).
    Fatal(ObserveError),
}

/// Opens the screen and polls until the user quits or a signal arrives. The terminal is
/// restored on every way out; an error that retrying cannot heal ends it.
pub fn run(poller: Poller, opts: ScreenOptions) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the terminal screen needs a terminal on stdin and stdout; use --json with --duration D or --once"
        );
    }
    // The poll has a worker thread of its own: decoding a large cluster's answers never
    // holds up a key or a frame.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (tx, rx) = mpsc::channel(2);
    let polling = runtime.spawn(poll_forever(poller, opts.interval, tx));
    let theme = Theme::resolve(opts.theme, Theme::no_color_env());
    let mut ui = Ui::new(&opts.title, App::new(theme, false));
    let mut tui = terminal::enter().context("cannot set up the terminal")?;
    let result = runtime.block_on(event_loop(&mut tui, &mut ui, rx, opts.fps));
    terminal::restore();
    polling.abort();
    runtime.shutdown_background();
    result
}

/// Polls every `interval`, sooner after a failure (doubling from [`RETRY_START`] up to
/// the interval), until the screen goes away or an error retrying cannot heal.
async fn poll_forever(mut poller: Poller, every: Duration, tx: mpsc::Sender<Polled>) {
    let mut retry = RETRY_START;
    loop {
        let started = Instant::now();
        let at_ms = wall_clock_ms();
        let (message, wait) = match poller.poll(at_ms).await {
            Ok(snap) => {
                retry = RETRY_START;
                let wait = every.saturating_sub(started.elapsed());
                (Polled::Snapshot(snap), wait)
            }
            Err(e) if e.is_fatal() => {
                let _ = tx.send(Polled::Fatal(e)).await;
                return;
            }
            Err(e) => {
                let retry_in = retry.min(every);
                retry = retry.saturating_mul(2);
                let error = e.to_string();
                let failed = Polled::Failed {
                    at_ms,
                    error,
                    retry_in,
                };
                (failed, retry_in)
            }
        };
        if tx.send(message).await.is_err() {
            return;
        }
        tokio::time::sleep(wait).await;
    }
}

/// What the event loop routes events to, and draws.
struct Ui {
    observation: Observation,
    screen: ObservedScreen,
    app: App,
    view: View,
    /// The view must be rebuilt before the next frame (a poll, a key, a resize).
    stale: bool,
    /// Something changed since the last frame.
    dirty: bool,
}

impl Ui {
    fn new(title: &str, app: App) -> Ui {
        Ui {
            observation: Observation::default(),
            screen: ObservedScreen::new(title, wall_clock_ms()),
            app,
            view: View::default(),
            stale: true,
            dirty: true,
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Key(key) => {
                if let Some(action) = keymap::lookup(&key) {
                    // Keys that would act on a simulation are refused by `update` with a
                    // notice, so nothing comes back to carry out.
                    let _ = update(&mut self.app, &self.view, action);
                    self.stale = true;
                    self.dirty = true;
                }
            }
            Event::Resize(..) => {
                self.stale = true;
                self.dirty = true;
            }
            _ => {}
        }
    }

    /// Takes in one poll's outcome; a fatal error ends the screen with it.
    fn on_polled(&mut self, polled: Polled) -> Result<(), ObserveError> {
        let now = wall_clock_ms();
        let since_start = self.screen.elapsed_ms(now);
        let retrying = matches!(
            self.observation.reachability(),
            Reachability::Retrying { .. }
        );
        match polled {
            Polled::Snapshot(snap) => {
                if retrying {
                    self.app
                        .notify(since_start, "the cluster answers again", false);
                }
                self.observation.apply(snap);
                self.screen.set_retry_at(None);
            }
            Polled::Failed {
                at_ms,
                error,
                retry_in,
            } => {
                if !retrying {
                    let text = format!("the cluster does not answer: {error}");
                    self.app.notify(since_start, text, true);
                }
                self.observation.failed(at_ms, error);
                let retry_at = now + i64::try_from(retry_in.as_millis()).unwrap_or(i64::MAX);
                self.screen.set_retry_at(Some(retry_at));
            }
            Polled::Fatal(e) => return Err(e),
        }
        self.stale = true;
        self.dirty = true;
        Ok(())
    }

    fn draw(&mut self, tui: &mut terminal::Tui) -> anyhow::Result<()> {
        let size = tui.size()?;
        let now = wall_clock_ms();
        if self.stale {
            let limits = Limits::for_screen(size.width, size.height);
            let (obs, screen) = (&self.observation, &mut self.screen);
            fill_from_observation(obs, screen, &mut self.app, limits, now, &mut self.view);
            self.stale = false;
        } else {
            fill_observed_header(&self.observation, &self.screen, now, &mut self.view);
        }
        tui.draw(|f| f.render_widget(&Screen::new(&self.view, &self.app), f.area()))?;
        self.dirty = false;
        Ok(())
    }
}

async fn event_loop(
    tui: &mut terminal::Tui,
    ui: &mut Ui,
    mut polled: mpsc::Receiver<Polled>,
    fps: u32,
) -> anyhow::Result<()> {
    let mut input = EventStream::new();
    let frame = Duration::from_secs_f64(1.0 / f64::from(fps.max(1)));
    let mut render_tick = interval(frame);
    render_tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut header_tick = interval(HEADER_REFRESH);
    header_tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let stop = stop::signal()?;
    tokio::pin!(stop);
    while !ui.app.should_quit {
        // In this order when several are ready: a key never waits behind a poll.
        tokio::select! {
            biased;
            _ = &mut stop => break,
            event = input.next() => match event {
                Some(Ok(event)) => ui.on_event(event),
                Some(Err(e)) => return Err(e).context("reading terminal input"),
                None => break,
            },
            message = polled.recv() => match message {
                Some(p) => ui.on_polled(p)?,
                None => anyhow::bail!("polling stopped"),
            },
            _ = render_tick.tick(), if ui.dirty => ui.draw(tui)?,
            _ = header_tick.tick() => ui.dirty = true,
        }
    }
    Ok(())
}
