//! The whole screen drawn from a real simulation run (bundled `quickstart`, seed 42),
//! at the two sizes the UI promises, in presenter mode, and without colour.

#[path = "support/buffer_text.rs"]
mod buffer_text;
use buffer_text::text;
use minikafka::sim::{Scenario, Simulation};
use minikafka::tui::view::{Limits, fill_from_sim};
use minikafka::tui::{App, Screen, Theme, ThemeKind, View};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

fn sim(presenter: bool) -> Simulation {
    let mut sim = Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(42)).unwrap();
    sim.set_hold_at_beats(presenter);
    sim.step(40_000);
    sim
}

fn draw(sim: &Simulation, app: &mut App, w: u16, h: u16) -> Buffer {
    let mut view = View::default();
    fill_from_sim(sim, app, Limits::for_screen(w, h), &mut view);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| f.render_widget(&Screen::new(&view, app), f.area()))
        .unwrap();
    term.backend().buffer().clone()
}

#[test]
fn quickstart_at_80x24() {
    let mut app = App::new(Theme::default(), false);
    insta::assert_snapshot!(text(&draw(&sim(false), &mut app, 80, 24)));
}

#[test]
fn quickstart_at_160x48() {
    let mut app = App::new(Theme::default(), false);
    insta::assert_snapshot!(text(&draw(&sim(false), &mut app, 160, 48)));
}

#[test]
fn presenter_mode_holds_at_the_beat_with_its_caption() {
    let sim = sim(true);
    assert!(sim.held_at_beat());
    let mut app = App::new(Theme::default(), true);
    let screen = text(&draw(&sim, &mut app, 100, 30));
    assert!(screen.contains("press n"), "{screen}");
    assert!(
        screen.contains("00:30.0"),
        "held at the 30 s beat: {screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn no_color_draws_without_any_colour() {
    let mut app = App::new(Theme::resolve(ThemeKind::Default, true), false);
    let buf = draw(&sim(false), &mut app, 100, 30);
    for cell in &buf.content {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "coloured cell {cell:?}"
        );
    }
    // Records are told apart by letters instead of colours, groups by their letters.
    let screen = text(&buf);
    assert!(!screen.contains('▮'));
    assert!(screen.contains("A billing"));
    assert!(screen.contains("B analytics"));
}

#[test]
fn high_contrast_uses_bright_colours() {
    let mut app = App::new(Theme::new(ThemeKind::HighContrast), false);
    let buf = draw(&sim(false), &mut app, 100, 30);
    let dim_greys = buf
        .content
        .iter()
        .filter(|c| c.fg == Color::DarkGray)
        .count();
    assert_eq!(dim_greys, 0, "high contrast avoids dark grey text");
    assert!(buf.content.iter().any(|c| c.fg == Color::LightCyan));
}

#[test]
fn a_crashed_member_is_marked_until_its_session_expires() {
    use minikafka::sim::Command;
    let mut sim = sim(false);
    sim.apply(Command::CrashConsumer {
        group: "billing".into(),
    })
    .unwrap();
    sim.step(100);
    let mut app = App::new(Theme::default(), false);
    let screen = text(&draw(&sim, &mut app, 160, 48));
    assert!(screen.contains(" crashed "), "{screen}");
    // Quickstart's session timeout is the default 10 s.
    sim.step(15_000);
    let screen = text(&draw(&sim, &mut app, 160, 48));
    assert!(!screen.contains(" crashed "), "{screen}");
    assert!(screen.contains("expired (session timeout)"), "{screen}");
}
