//! The command line: flags, and the dispatch to a mode. The modes live in submodules; this
//! file only decides which one runs and turns errors into exit codes.

mod driver;
mod flag_bounds;
mod headless;
mod interactive;
mod network;
mod observe;
mod serve;
mod slides;
mod stop;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::server::observe::ObserveError;
use crate::server::{ServerConfig, ServerError};
use crate::sim::{DEFAULT_SCENARIO, Scenario, SimError};
use crate::tui::ThemeKind;

/// Exit code for bad input: an unknown scenario, a malformed file, a bad flag (clap's own
/// usage errors use the same code).
pub const EXIT_BAD_INPUT: u8 = 2;

/// minikafka-tui: a small Kafka-like broker with simulated producers and consumer groups.
#[derive(Debug, Parser)]
#[command(name = "minikafka-tui", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    /// A mode other than the simulation; none runs the simulation.
    pub command: Option<Command>,

    /// Run without the terminal UI, as fast as the machine allows, then print a report.
    #[arg(long)]
    pub headless: bool,

    /// A bundled scenario name (see --list-scenarios) or the path of a scenario TOML file.
    #[arg(long, value_name = "NAME|PATH", default_value = DEFAULT_SCENARIO)]
    pub scenario: String,

    /// Simulated time to run, such as 60s, 10m or 1h30m; at most 1000h.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = flag_bounds::run_duration)]
    pub duration: Duration,

    /// Seed for the run's randomness; overrides the scenario's own seed.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Print only the JSON report on stdout, instead of the summary table.
    #[arg(long)]
    pub json: bool,

    /// List the bundled scenarios with their descriptions, then exit.
    #[arg(long)]
    pub list_scenarios: bool,

    /// The most frames per second the terminal UI draws; it draws only when something changed.
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=120))]
    pub fps: u32,

    /// Presenter mode: pause at each timeline beat until `n` is pressed.
    #[arg(long)]
    pub presenter: bool,

    /// Colours of the terminal UI. NO_COLOR, when set, turns colour off whatever this says.
    #[arg(long, value_enum, default_value_t = ThemeArg::Default)]
    pub theme: ThemeArg,

    /// Write diagnostics to FILE while the terminal UI is up (it never writes to the terminal).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// Also serve the Kafka wire protocol on ADDR (such as 127.0.0.1:9092), so real clients
    /// share the simulation's broker and show up on screen. Port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,

    /// With --listen: how long an empty consumer group waits for more members before its
    /// first rebalance completes, as Kafka's group.initial.rebalance.delay.ms; 0s turns it off.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = flag_bounds::initial_rebalance_delay, requires = "listen")]
    pub initial_rebalance_delay: Duration,

    /// The most memory the partition logs may hold, such as 512MiB or 2GiB; past it the
    /// oldest records go, reported like retention. 1MiB to 256GiB.
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = flag_bounds::max_log_memory)]
    pub max_log_memory: u64,

    /// Run the scenario headless and write, at each timeline beat, the screen as an SVG
    /// with the beat's caption, plus an index.html showing them in order, into DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "headless")]
    pub slides: Option<PathBuf>,

    /// With --slides: the terminal size the slides are drawn at, as COLUMNSxROWS.
    #[arg(long, value_name = "WxH", default_value = "120x36", value_parser = flag_bounds::screen_size, requires = "slides")]
    pub size: (u16, u16),

    /// Record the terminal screen, the simulation's or observe's, to FILE as an asciicast
    /// v2 file (asciinema's format).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["headless", "slides"])]
    pub record: Option<PathBuf>,

    /// Testing aid: panic right after the first frame, so the end-to-end tests can check
    /// that a panic restores the terminal and then prints its message.
    #[arg(long, hide = true)]
    pub panic_after_first_frame: bool,
}

/// Modes other than the terminal UI and the headless run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the broker with the Kafka wire protocol, without a terminal UI.
    Serve(serve::ServeArgs),
    /// Watch a real Kafka cluster, read-only: topics, groups, committed offsets, lag in
    /// records and time, an ETA and a verdict per group.
    Observe(observe::ObserveArgs),
}

/// The `--theme` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ThemeArg {
    /// The default palette.
    Default,
    /// Bright colours and bold text, for projectors.
    HighContrast,
}

impl From<ThemeArg> for ThemeKind {
    fn from(t: ThemeArg) -> Self {
        match t {
            ThemeArg::Default => ThemeKind::Default,
            ThemeArg::HighContrast => ThemeKind::HighContrast,
        }
    }
}

pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = parse_duration_or_zero(s)?;
    if d.is_zero() {
        return Err("the duration must be more than zero".to_string());
    }
    Ok(d)
}

/// A duration that may be zero, such as a delay that can be switched off with `0s`.
pub(crate) fn parse_duration_or_zero(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("`{s}` is not a duration ({e}); write it like 60s, 10m or 1h"))
}

/// Parses the process's arguments and runs; the binary's `main` is this.
pub fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    if let Err(e) = refuse_flags_the_subcommand_ignores(&matches) {
        e.exit();
    }
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => run(cli),
        Err(e) => e.exit(),
    }
}

/// The flags before a subcommand belong to the simulation's screen; `observe` draws with a
/// few of them and `serve` with none. One the subcommand would drop is refused as a usage
/// error rather than ignored, so `--record x.cast serve` never leaves an expected file
/// unwritten.
fn refuse_flags_the_subcommand_ignores(matches: &ArgMatches) -> Result<(), clap::Error> {
    let Some((name, _)) = matches.subcommand() else {
        return Ok(());
    };
    let applies: &[&str] = match name {
        "observe" => &["theme", "fps", "record"],
        _ => &[],
    };
    let cli = Cli::command();
    let sub = cli.find_subcommand(name);
    for arg in cli.get_arguments() {
        let id = arg.get_id().as_str();
        if applies.contains(&id) || matches.value_source(id) != Some(ValueSource::CommandLine) {
            continue;
        }
        let Some(long) = arg.get_long() else { continue };
        let own = sub.is_some_and(|s| s.get_arguments().any(|a| a.get_long() == Some(long)));
        let hint = if own {
            format!("; `{name}` has its own --{long}, given after `{name}`")
        } else {
            String::new()
        };
        return Err(Cli::command().error(
            clap::error::ErrorKind::ArgumentConflict,
            format!("--{long} does not apply to `{name}`{hint}"),
        ));
    }
    Ok(())
}

/// Runs one parsed command line, printing errors to stderr.
pub fn run(cli: Cli) -> ExitCode {
    let result = if let Some(command) = cli.command {
        match command {
            Command::Serve(args) => serve::run(args),
            Command::Observe(args) => observe::run(
                args,
                observe::Looks {
                    theme: cli.theme.into(),
                    fps: cli.fps,
                    record: cli.record.clone(),
                },
            ),
        }
    } else if cli.list_scenarios {
        list_scenarios()
    } else if let Some(dir) = &cli.slides {
        slides::run(&cli, dir)
    } else if cli.headless {
        headless::run(&cli)
    } else {
        run_interactive(&cli)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let bad_input = e
                .downcast_ref::<SimError>()
                .is_some_and(SimError::is_bad_input)
                || matches!(e.downcast_ref(), Some(ServerError::Config(_)))
                || e.downcast_ref::<ObserveError>()
                    .is_some_and(ObserveError::is_fatal);
            ExitCode::from(if bad_input { EXIT_BAD_INPUT } else { 1 })
        }
    }
}

fn run_interactive(cli: &Cli) -> anyhow::Result<()> {
    interactive::run(interactive::Options {
        scenario: Scenario::load(&cli.scenario)?,
        seed: cli.seed,
        fps: cli.fps,
        presenter: cli.presenter,
        theme: cli.theme.into(),
        log: cli.log.clone(),
        panic_after_first_frame: cli.panic_after_first_frame,
        record: cli.record.clone(),
        max_log_memory: cli.max_log_memory,
        server: cli.listen.map(|listen| ServerConfig {
            listen,
            initial_rebalance_delay: cli.initial_rebalance_delay,
            ..ServerConfig::default()
        }),
    })
}

fn list_scenarios() -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for s in Scenario::bundled_all() {
        let marker = if s.name == DEFAULT_SCENARIO {
            " (default)"
        } else {
            ""
        };
        writeln!(
            out,
            "{}{marker}\n    {}\n",
            s.name,
            s.description.replace('\n', " ")
        )?;
    }
    Ok(())
}
