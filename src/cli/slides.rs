//! `--slides DIR`: the scenario run headless, a screen per timeline beat written as SVG,
//! and an index page (see [`crate::tui::slides`]).

use std::path::Path;

use anyhow::Context;

use crate::sim::{Scenario, Simulation};
use crate::tui::Theme;
use crate::tui::slides::{self, file_name, index_html};

use super::Cli;

/// Writes the slides and `index.html` into `dir`, creating it if need be.
pub(super) fn run(cli: &Cli, dir: &Path) -> anyhow::Result<()> {
    let scenario = Scenario::load(&cli.scenario)?;
    let title = format!("{}: {}", scenario.name, scenario.title);
    let mut sim = Simulation::new(scenario, cli.seed)?;
    sim.broker().write().set_max_log_bytes(cli.max_log_memory);
    let (width, height) = cli.size;
    let theme = Theme::resolve(cli.theme.into(), Theme::no_color_env());
    let slides = slides::render(&mut sim, width, height, theme);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (i, slide) in slides.iter().enumerate() {
        let path = dir.join(file_name(i, slides.len()));
        std::fs::write(&path, &slide.svg)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let index = dir.join("index.html");
    std::fs::write(&index, index_html(&title, &slides))
        .with_context(|| format!("cannot write {}", index.display()))?;
    println!(
        "{} slides of {width}×{height} in {}",
        slides.len(),
        dir.display()
    );
    Ok(())
}
