//! Headless mode: run a scenario as fast as possible and print what happened.

use std::io::Write;
use std::time::Instant;

use crate::sim::{Report, Scenario, Simulation};

use super::Cli;

/// Simulated milliseconds per `step` call: large steps keep the loop overhead negligible.
const STEP_MS: u64 = 1_000;

/// Runs the scenario for the requested simulated time and prints the report or summary.
pub(super) fn run(cli: &Cli) -> anyhow::Result<()> {
    let scenario = Scenario::load(&cli.scenario)?;
    let mut sim = Simulation::new(scenario, cli.seed)?;
    sim.broker().write().set_max_log_bytes(cli.max_log_memory);
    let total_ms = u64::try_from(cli.duration.as_millis()).unwrap_or(u64::MAX);
    let started = Instant::now();
    let mut left = total_ms;
    while left > 0 {
        let dt = left.min(STEP_MS);
        sim.step(dt);
        left -= dt;
    }
    let wall = started.elapsed();
    let report = sim.report();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if cli.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write_summary(&mut out, &sim, &report, wall.as_secs_f64())?;
    }
    out.flush()?;
    Ok(())
}

fn write_summary(
    out: &mut impl Write,
    sim: &Simulation,
    r: &Report,
    wall_s: f64,
) -> std::io::Result<()> {
    let records = r.produced + r.consumed;
    writeln!(
        out,
        "scenario {} ({}), seed {}, {:.1} simulated seconds in {:.3} s of wall time ({:.0} records/s)",
        r.scenario,
        sim.scenario().title,
        r.seed,
        r.sim_time_ms as f64 / 1000.0,
        wall_s,
        records as f64 / wall_s.max(1e-9),
    )?;
    writeln!(out, "produced {}, consumed {}\n", r.produced, r.consumed)?;
    writeln!(
        out,
        "{:<20} {:>9} {:>10} {:>15}",
        "TOPIC", "PARTITION", "LOG START", "HIGH WATERMARK"
    )?;
    for t in &r.topics {
        for p in &t.partitions {
            writeln!(
                out,
                "{:<20} {:>9} {:>10} {:>15}",
                t.name, p.partition, p.log_start_offset, p.high_watermark
            )?;
        }
    }
    writeln!(
        out,
        "\n{:<20} {:<20} {:>4} {:>8} {:>9} {:>10} {:>11} {:>8}",
        "GROUP", "STATE", "GEN", "MEMBERS", "LAG", "CONSUMED", "DUPLICATES", "LOST"
    )?;
    for g in &r.groups {
        writeln!(
            out,
            "{:<20} {:<20} {:>4} {:>8} {:>9} {:>10} {:>11} {:>8}",
            g.name,
            g.state,
            g.generation,
            g.members.len(),
            g.total_lag,
            g.consumed,
            g.duplicates,
            g.lost
        )?;
    }
    let captions: Vec<_> = sim.captions().collect();
    if !captions.is_empty() {
        writeln!(out, "\nTIMELINE")?;
        for c in captions {
            writeln!(
                out,
                "{:>8.1}s  {}: {}\n           {}",
                c.at_ms as f64 / 1000.0,
                c.action,
                c.outcome,
                c.caption
            )?;
        }
    }
    Ok(())
}
