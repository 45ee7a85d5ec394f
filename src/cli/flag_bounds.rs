//! Bounds on the numbers flags carry, checked as clap parses them, so a value out of range
//! is a usage error (exit 2) naming the flag, never a run that hangs or grows without end.
//! Quantities the simulation or the broker also meet elsewhere take their bound from
//! there: `--duration` from [`crate::sim::limits`], `--default-partitions` from the broker.

use std::ops::RangeInclusive;
use std::time::Duration;

use crate::sim::limits::MAX_SIM_TIME_MS;

use super::{parse_duration, parse_duration_or_zero};

/// The longest `--duration`: the simulation's limit on simulated time (1,000 hours).
pub const MAX_RUN_DURATION: Duration = Duration::from_millis(MAX_SIM_TIME_MS as u64);

/// `--max-request-bytes`: from 512 bytes, still room for a client's metadata and small
/// produce requests (0 would refuse every request), to 1 GiB.
pub const MAX_REQUEST_BYTES: RangeInclusive<usize> = 512..=1 << 30;

/// `--brokers`: from one (the lone broker) to the broker's limit on a cluster.
pub const BROKERS: RangeInclusive<u32> = 1..=crate::broker::MAX_BROKERS;

/// `--max-connections`.
pub const MAX_CONNECTIONS: RangeInclusive<u64> = 1..=65_536;

/// `--idle-timeout`: from 100 ms to a week.
pub const IDLE_TIMEOUT: RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(7 * 86_400);

/// `--initial-rebalance-delay`: off (0s) up to five minutes, Kafka's default rebalance
/// timeout; a longer wait would only look like a stuck group.
pub const INITIAL_REBALANCE_DELAY: RangeInclusive<Duration> =
    Duration::ZERO..=Duration::from_secs(300);

/// `--request-timeout`: from 100 ms (a request on loopback still arrives) to an hour.
pub const REQUEST_TIMEOUT: RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(3_600);

/// `--max-fetch-wait`: 0 (answer at once) to five minutes; clients ask for 500 ms.
pub const MAX_FETCH_WAIT: RangeInclusive<Duration> = Duration::ZERO..=Duration::from_secs(300);

/// `--max-group-wait`: a second to an hour; clients' rebalance timeouts are minutes.
pub const MAX_GROUP_WAIT: RangeInclusive<Duration> =
    Duration::from_secs(1)..=Duration::from_secs(3_600);

/// `--max-inflight-request-bytes` and `--max-decoded-bytes`: from 1 KiB to 16 GiB, the
/// most this program should ever hold for requests on a machine it shares.
pub const BUDGET_BYTES: RangeInclusive<usize> = 1 << 10..=16 << 30;

/// `--max-log-memory`: from 1 MiB (a few thousand records) to 256 GiB.
pub const MAX_LOG_MEMORY: RangeInclusive<u64> = 1 << 20..=256 << 30;

fn within(d: Duration, range: &RangeInclusive<Duration>, s: &str) -> Result<Duration, String> {
    if range.contains(&d) {
        Ok(d)
    } else {
        Err(format!(
            "`{s}` is outside {}..={}",
            humantime::format_duration(*range.start()),
            humantime::format_duration(*range.end())
        ))
    }
}

/// `--duration`: more than zero, at most [`MAX_RUN_DURATION`] of simulated time.
pub fn run_duration(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d > MAX_RUN_DURATION {
        return Err(format!(
            "`{s}` is longer than {}h, the longest simulated run",
            MAX_RUN_DURATION.as_secs() / 3_600
        ));
    }
    Ok(d)
}

/// `--idle-timeout`, within [`IDLE_TIMEOUT`].
pub fn idle_timeout(s: &str) -> Result<Duration, String> {
    within(parse_duration(s)?, &IDLE_TIMEOUT, s)
}

/// `--initial-rebalance-delay`, within [`INITIAL_REBALANCE_DELAY`].
pub fn initial_rebalance_delay(s: &str) -> Result<Duration, String> {
    within(parse_duration_or_zero(s)?, &INITIAL_REBALANCE_DELAY, s)
}

/// `--request-timeout`, within [`REQUEST_TIMEOUT`].
pub fn request_timeout(s: &str) -> Result<Duration, String> {
    within(parse_duration(s)?, &REQUEST_TIMEOUT, s)
}

/// `--max-fetch-wait`, within [`MAX_FETCH_WAIT`].
pub fn max_fetch_wait(s: &str) -> Result<Duration, String> {
    within(parse_duration_or_zero(s)?, &MAX_FETCH_WAIT, s)
}

/// `--max-group-wait`, within [`MAX_GROUP_WAIT`].
pub fn max_group_wait(s: &str) -> Result<Duration, String> {
    within(parse_duration(s)?, &MAX_GROUP_WAIT, s)
}

fn bytes_within(s: &str, range: &RangeInclusive<usize>) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of bytes"))?;
    if !range.contains(&n) {
        return Err(format!(
            "`{s}` is outside {}..={} bytes",
            range.start(),
            range.end()
        ));
    }
    Ok(n)
}

/// `--max-inflight-request-bytes`, within [`BUDGET_BYTES`].
pub fn max_inflight_request_bytes(s: &str) -> Result<usize, String> {
    bytes_within(s, &BUDGET_BYTES)
}

/// `--max-decoded-bytes`, within [`BUDGET_BYTES`].
pub fn max_decoded_bytes(s: &str) -> Result<usize, String> {
    bytes_within(s, &BUDGET_BYTES)
}

/// `--max-log-memory`: a size such as `512MiB`, `2GiB` or `100MB`, within
/// [`MAX_LOG_MEMORY`].
pub fn max_log_memory(s: &str) -> Result<u64, String> {
    let size: bytesize::ByteSize = s
        .trim()
        .parse()
        .map_err(|e| format!("`{s}` is not a size ({e}); write it like 512MiB or 2GiB"))?;
    if !MAX_LOG_MEMORY.contains(&size.as_u64()) {
        return Err(format!("`{s}` is outside 1MiB..=256GiB"));
    }
    Ok(size.as_u64())
}

/// `--brokers`, within [`BROKERS`].
pub fn brokers(s: &str) -> Result<u32, String> {
    let n: u32 = (s.trim().parse()).map_err(|_| format!("`{s}` is not a number of brokers"))?;
    if !BROKERS.contains(&n) {
        return Err(format!(
            "`{s}` is outside {}..={} brokers",
            BROKERS.start(),
            BROKERS.end()
        ));
    }
    Ok(n)
}

/// `--max-request-bytes`, within [`MAX_REQUEST_BYTES`].
pub fn max_request_bytes(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of bytes"))?;
    if !MAX_REQUEST_BYTES.contains(&n) {
        return Err(format!(
            "`{s}` is outside {}..={} bytes (512 B to 1 GiB)",
            MAX_REQUEST_BYTES.start(),
            MAX_REQUEST_BYTES.end()
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parses(args: &[&str]) -> bool {
        Cli::try_parse_from(std::iter::once("minikafka-tui").chain(args.iter().copied())).is_ok()
    }

    #[test]
    fn run_durations_are_bounded() {
        assert!(parses(&["--headless", "--duration", "1000h"]));
        assert!(!parses(&["--headless", "--duration", "1001h"]));
        assert!(!parses(&["--headless", "--duration", "1000y"]));
        assert!(!parses(&["--headless", "--duration", "0s"]));
        let e = run_duration("1000y").unwrap_err();
        assert!(e.contains("1000h"), "{e}");
    }

    #[test]
    fn rebalance_delays_are_bounded() {
        assert!(parses(&[
            "--listen",
            "127.0.0.1:0",
            "--initial-rebalance-delay",
            "5m"
        ]));
        assert!(!parses(&[
            "--listen",
            "127.0.0.1:0",
            "--initial-rebalance-delay",
            "6m"
        ]));
        assert!(parses(&["serve", "--initial-rebalance-delay", "0s"]));
        assert!(!parses(&["serve", "--initial-rebalance-delay", "1000y"]));
    }

    #[test]
    fn serve_numbers_are_bounded() {
        for (flag, good, bad) in [
            ("--default-partitions", "10000", "10001"),
            ("--default-partitions", "1", "4294967295"),
            ("--max-request-bytes", "512", "511"),
            ("--max-request-bytes", "1073741824", "1073741825"),
            ("--max-request-bytes", "104857600", "0"),
            ("--max-connections", "65536", "65537"),
            ("--idle-timeout", "100ms", "99ms"),
            ("--idle-timeout", "7days", "8days"),
            ("--request-timeout", "100ms", "0s"),
            ("--request-timeout", "1h", "2h"),
            ("--max-fetch-wait", "0s", "6m"),
            ("--max-group-wait", "1h", "0s"),
            ("--max-inflight-request-bytes", "104857600", "1023"),
            ("--max-decoded-bytes", "17179869184", "17179869185"),
            ("--max-log-memory", "1MiB", "1023KiB"),
            ("--max-log-memory", "256GiB", "257GiB"),
            ("--max-log-memory", "512MB", "lots"),
            ("--brokers", "1", "0"),
            ("--brokers", "32", "33"),
        ] {
            assert!(parses(&["serve", flag, good]), "{flag} {good}");
            assert!(!parses(&["serve", flag, bad]), "{flag} {bad}");
        }
        let cli = Cli::try_parse_from(["minikafka-tui", "serve"]).unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve parses")
        };
        assert!(MAX_REQUEST_BYTES.contains(&args.config().max_request_bytes));
    }
}
