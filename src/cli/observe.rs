//! `observe`: poll a real Kafka cluster, read-only, and show what it holds: topics,
//! groups, committed offsets, lag in records and in time, an ETA and a verdict per group;
//! on the terminal's panes (see [`screen`]) or, with `--json`, as a report.

mod screen;

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;

use crate::server::observe::report::ObserveReport;
use crate::server::observe::{
    ClientConfig, Cluster, ConnectSettings, Filter, Observation, ObserveError, Poller,
};
use crate::server::wall_clock_ms;

/// How long `--once` keeps trying to reach the cluster when no `--duration` bounds it.
const ONCE_DEFAULT_PATIENCE: Duration = Duration::from_secs(30);
/// The first wait after a failed poll; it doubles up to the interval.
pub(super) const RETRY_START: Duration = Duration::from_millis(250);

/// Options of the `observe` subcommand.
#[derive(Debug, Clone, Args)]
pub struct ObserveArgs {
    /// Brokers to start from, HOST:PORT[,HOST:PORT...]; overrides bootstrap.servers of --config.
    #[arg(long, value_name = "HOST:PORT[,...]")]
    pub bootstrap: Option<String>,
    /// A Kafka client properties file: bootstrap.servers, security.protocol, sasl.*, ssl.*.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Time between polls, such as 2s or 500ms.
    #[arg(long, visible_alias = "poll-interval", value_name = "DURATION", default_value = "2s", value_parser = super::parse_duration)]
    pub interval: Duration,
    /// Watch only topics whose whole name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub topic: Option<String>,
    /// Watch only groups whose whole name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub group: Option<String>,
    /// Also watch Kafka's internal topics (__consumer_offsets and other names starting `__`).
    #[arg(long)]
    pub include_internal: bool,
    /// Print a JSON report on stdout instead of opening the terminal UI.
    #[arg(long)]
    pub json: bool,
    /// With --json: poll for this long, then print the report.
    #[arg(long, value_name = "DURATION", value_parser = super::parse_duration)]
    pub duration: Option<Duration>,
    /// With --json: print the report after the first successful poll.
    #[arg(long)]
    pub once: bool,
    /// How long a broker may take to connect or to answer one request.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = super::parse_duration)]
    pub request_timeout: Duration,
}

impl ObserveArgs {
    /// The connection settings: the properties file if any, the bootstrap flag over it.
    pub fn client_config(&self) -> Result<ClientConfig, ObserveError> {
        let mut config = match &self.config {
            Some(path) => ClientConfig::load(path)?,
            None => ClientConfig::plaintext(""),
        };
        if let Some(b) = &self.bootstrap {
            config.bootstrap = ClientConfig::plaintext(b).bootstrap;
        }
        if config.bootstrap.is_empty() {
            return Err(ObserveError::BadArgument(
                "give the brokers with --bootstrap HOST:PORT or bootstrap.servers in --config"
                    .to_string(),
            ));
        }
        Ok(config)
    }

    fn filter(&self) -> Result<Filter, ObserveError> {
        Filter::new(
            self.topic.as_deref(),
            self.group.as_deref(),
            self.include_internal,
        )
        .map_err(|e| ObserveError::BadArgument(format!("--topic or --group: {e}")))
    }
}

/// How the terminal screen looks, from the flags before the subcommand.
#[derive(Debug, Clone, Copy)]
pub struct Looks {
    pub theme: crate::tui::ThemeKind,
    pub fps: u32,
}

/// Runs `observe`: the terminal screen until the user quits, or with `--json` until its
/// duration ends (or its first poll, with `--once`).
pub fn run(args: ObserveArgs, looks: Looks) -> anyhow::Result<()> {
    if !args.json {
        if args.once || args.duration.is_some() {
            return Err(ObserveError::BadArgument(
                "--once and --duration go with --json".to_string(),
            )
            .into());
        }
        let config = args.client_config()?;
        let title = config.bootstrap.join(",");
        let settings = ConnectSettings::new(config, args.request_timeout)?;
        let poller = Poller::new(Cluster::new(settings), args.filter()?);
        let opts = screen::ScreenOptions {
            title,
            interval: args.interval,
            theme: looks.theme,
            fps: looks.fps,
        };
        return screen::run(poller, opts);
    }
    if args.duration.is_none() && !args.once {
        return Err(ObserveError::BadArgument(
            "--json needs --duration D (poll for D, then report) or --once".to_string(),
        )
        .into());
    }
    let settings = ConnectSettings::new(args.client_config()?, args.request_timeout)?;
    let poller = Poller::new(Cluster::new(settings), args.filter()?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let observation = runtime.block_on(observe(poller, &args))?;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &ObserveReport::build(&observation))?;
    writeln!(out)?;
    Ok(())
}

/// Polls every `interval` until the duration is over, retrying sooner after a failure.
async fn observe(mut poller: Poller, args: &ObserveArgs) -> Result<Observation, ObserveError> {
    let patience = args.duration.unwrap_or(ONCE_DEFAULT_PATIENCE);
    let deadline = Instant::now() + patience;
    let mut observation = Observation::default();
    let mut retry = RETRY_START;
    loop {
        let started = Instant::now();
        let at_ms = wall_clock_ms();
        let wait = match poller.poll(at_ms).await {
            Ok(snap) => {
                observation.apply(snap);
                if args.once {
                    return Ok(observation);
                }
                retry = RETRY_START;
                args.interval.saturating_sub(started.elapsed())
            }
            Err(e) if e.is_fatal() => return Err(e),
            Err(e) => {
                observation.failed(at_ms, e.to_string());
                let wait = retry.min(args.interval);
                retry = retry.saturating_mul(2);
                wait
            }
        };
        if Instant::now() + wait >= deadline {
            break;
        }
        tokio::time::sleep(wait).await;
    }
    if args.once {
        let why = match observation.reachability() {
            crate::server::observe::Reachability::Retrying { error, .. } => error.clone(),
            _ => "no answer".to_string(),
        };
        return Err(ObserveError::Unreachable(format!(
            "{why} (gave up after {patience:?})"
        )));
    }
    Ok(observation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(args: &[&str]) -> ObserveArgs {
        let mut all = vec!["minikafka-tui", "observe"];
        all.extend_from_slice(args);
        match crate::cli::Cli::try_parse_from(all).unwrap().command {
            Some(crate::cli::Command::Observe(a)) => a,
            other => panic!("observe parses, got {other:?}"),
        }
    }

    #[test]
    fn flags_and_defaults() {
        let a = parse(&[
            "--bootstrap",
            "a:1,b:2",
            "--json",
            "--once",
            "--group",
            "bill.*",
        ]);
        assert_eq!(a.interval, Duration::from_secs(2));
        assert_eq!(a.client_config().unwrap().bootstrap, ["a:1", "b:2"]);
        assert!(a.filter().unwrap().group("billing"));
        let none = parse(&["--json", "--once"]);
        assert!(matches!(
            none.client_config(),
            Err(ObserveError::BadArgument(_))
        ));
        let bad = parse(&["--bootstrap", "a:1", "--topic", "("]);
        assert!(bad.filter().unwrap_err().is_fatal());
    }
}
