//! Slides from a scenario: at each timeline beat, the screen exactly as the program draws
//! it, rendered to SVG by the same [`super::svg`] renderer as the README's screenshot,
//! with the beat's caption in the banner; and an HTML page that shows them in order with
//! the captions as text, for a talk or a blog post.
//!
//! The run is the scenario's own, held at each beat as presenter mode holds it: the beat
//! fires, time runs on for [`DWELL_MS`] (or until the next beat, if that comes first) so
//! its effect shows, and the screen is taken.

use std::fmt::Write;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::svg::to_svg;
use super::text::fmt_time;
use super::view::{Caption, Limits, RunState, View, fill_from_sim};
use super::{App, Screen, Theme};
use crate::sim::{FiredBeat, Simulation};

/// How long after its beat a slide is taken, in simulated milliseconds.
pub const DWELL_MS: u64 = 5_000;

/// Simulated time stepped at once while running towards the next beat.
const STRIDE_MS: u64 = 1_000;

/// One beat's screen.
#[derive(Debug, Clone)]
pub struct Slide {
    /// When the beat fired, in simulated milliseconds.
    pub at_ms: i64,
    /// The timeline action, as `crash_consumer`.
    pub action: &'static str,
    /// The beat's caption, or what its action did when it has none.
    pub caption: String,
    /// The screen as a standalone SVG document.
    pub svg: String,
}

/// Runs `sim` through its whole timeline, taking a `width`×`height` screen per beat in
/// `theme`'s colours. Beats are taken in order; a run with no timeline gives no slides.
pub fn render(sim: &mut Simulation, width: u16, height: u16, theme: Theme) -> Vec<Slide> {
    sim.set_hold_at_beats(true);
    let mut app = App::new(theme, false);
    let mut slides = Vec::new();
    while run_to_next_beat(sim) {
        sim.release_beat();
        let Some(beat) = sim.captions().next_back().cloned() else {
            break;
        };
        // Held again early if the next beat comes within the dwell.
        sim.step(DWELL_MS);
        slides.push(Slide {
            at_ms: beat.at_ms,
            action: beat.action,
            svg: to_svg(&draw(sim, &mut app, &beat, width, height)),
            caption: caption_of(&beat),
        });
    }
    slides
}

/// Steps until the simulation holds at a beat; false when no beat is left.
fn run_to_next_beat(sim: &mut Simulation) -> bool {
    while !sim.held_at_beat() {
        if sim.next_beat().is_none() {
            return false;
        }
        sim.step(STRIDE_MS);
    }
    true
}

fn caption_of(beat: &FiredBeat) -> String {
    if beat.caption.is_empty() {
        format!("{}: {}", beat.action, beat.outcome)
    } else {
        beat.caption.clone()
    }
}

/// The screen after `beat`, its caption in the banner whatever beat comes next.
fn draw(sim: &Simulation, app: &mut App, beat: &FiredBeat, width: u16, height: u16) -> Buffer {
    let mut view = View::default();
    fill_from_sim(sim, app, Limits::for_screen(width, height), &mut view);
    view.caption = Some(Caption {
        text: caption_of(beat),
        held: false,
    });
    // A slide shows the run, not the hold that paced it.
    if let Some(clock) = &mut view.header.sim {
        clock.run_state = RunState::Running;
    }
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    (&Screen::new(&view, app)).render(area, &mut buf);
    buf
}

/// The file name of slide `index` (from 0) of `count`, numbered so they sort in order.
pub fn file_name(index: usize, count: usize) -> String {
    let digits = count.max(1).ilog10() as usize + 1;
    format!("slide-{:0width$}.svg", index + 1, width = digits.max(2))
}

/// A page showing the slides in order, each with its time, action and caption as text.
pub fn index_html(title: &str, slides: &[Slide]) -> String {
    let mut out = String::new();
    let title = escape(title);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>\n\
         body {{ background: #111; color: #eee; font-family: sans-serif; max-width: 1100px; margin: 2em auto; }}\n\
         figure {{ margin: 0 0 3em; }}\n\
         img {{ width: 100%; }}\n\
         figcaption {{ font-size: 1.3em; margin-top: 0.5em; }}\n\
         .when {{ color: #999; font-family: monospace; margin-right: 0.5em; }}\n\
         </style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    for (i, s) in slides.iter().enumerate() {
        let file = file_name(i, slides.len());
        let caption = escape(&s.caption);
        let _ = write!(
            out,
            "<figure id=\"slide-{n}\">\n<img src=\"{file}\" alt=\"{caption}\">\n\
             <figcaption><span class=\"when\">{time} {action}</span> {caption}</figcaption>\n\
             </figure>\n",
            n = i + 1,
            time = fmt_time(s.at_ms),
            action = s.action,
        );
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// `text` safe inside HTML text and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Scenario;

    #[test]
    fn a_slide_per_beat_with_its_caption_in_the_banner() {
        let scenario = Scenario::bundled("quickstart").unwrap();
        let beats = scenario.timeline.len();
        let mut sim = Simulation::new(scenario, Some(42)).unwrap();
        let slides = render(&mut sim, 100, 30, Theme::default());
        assert_eq!(slides.len(), beats);
        for s in &slides {
            let first_words: String = s.caption.split(' ').take(3).collect::<Vec<_>>().join(" ");
            assert!(s.svg.contains(&escape(&first_words)), "{}", s.caption);
            assert!(!s.svg.contains("press n"), "a slide is not held");
        }
        let html = index_html("Quick <start>", &slides);
        assert!(html.contains("<title>Quick &lt;start&gt;</title>"));
        assert!(html.contains("src=\"slide-01.svg\""));
    }

    #[test]
    fn file_names_sort_in_order() {
        assert_eq!(file_name(0, 5), "slide-01.svg");
        assert_eq!(file_name(99, 120), "slide-100.svg");
        assert_eq!(file_name(4, 120), "slide-005.svg");
    }
}
