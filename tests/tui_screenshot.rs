//! The README's screenshot is the real screen: the seeded quickstart run drawn by the
//! same widgets, rendered to SVG. This test keeps the committed file in step with the
//! code; run it with `UPDATE_SCREENSHOT=1` to rewrite it after changing the look.

use minikafka::sim::{Scenario, Simulation};
use minikafka::tui::to_svg;
use minikafka::tui::view::{Limits, fill_from_sim};
use minikafka::tui::{App, Screen, Theme, View};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/screenshot.svg");

fn render() -> String {
    let (w, h) = (120, 36);
    let mut sim = Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(42)).unwrap();
    sim.step(45_000);
    let mut app = App::new(Theme::default(), false);
    let mut view = View::default();
    fill_from_sim(&sim, &mut app, Limits::for_screen(w, h), &mut view);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| f.render_widget(&Screen::new(&view, &app), f.area()))
        .unwrap();
    to_svg(term.backend().buffer())
}

#[test]
fn screenshot_is_current() {
    let svg = render();
    if std::env::var_os("UPDATE_SCREENSHOT").is_some() {
        std::fs::write(PATH, &svg).unwrap();
    }
    let committed = std::fs::read_to_string(PATH).expect("assets/screenshot.svg exists");
    assert!(
        committed == svg,
        "assets/screenshot.svg is stale; run with UPDATE_SCREENSHOT=1"
    );
}
