//! Nothing on screen is cut in two: every bundled scenario, at a point of its timeline
//! where every pane has content, drawn from the minimum size up and with each pane zoomed,
//! shows only whole words and numbers, or words that end in an ellipsis. A word counts as
//! whole when the program prints it somewhere given room: in the strings the view holds,
//! or on the same view drawn on a screen too large to cut anything.

#[path = "support/buffer_text.rs"]
mod buffer_text;
use std::collections::BTreeSet;

use buffer_text::text;
use minikafka::sim::{Scenario, Simulation};
use minikafka::tui::group_letter;
use minikafka::tui::view::{Limits, fill_from_sim};
use minikafka::tui::{App, Focus, Screen, Theme, View};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

/// Sizes from the minimum the layout accepts up to a large terminal.
const SIZES: [(u16, u16); 6] = [
    (70, 20),
    (80, 24),
    (90, 26),
    (100, 30),
    (120, 36),
    (160, 48),
];

/// Short forms a narrow pane uses in place of a longer word.
const SHORT_FORMS: [&str; 3] = ["Preparing", "Completing", "leads/follows"];

/// Characters that are drawing, not words: borders, chart dots, strip cells and glyphs.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || ('\u{2500}'..='\u{257f}').contains(&c)
        || ('\u{2580}'..='\u{25ff}').contains(&c)
        || ('\u{2800}'..='\u{28ff}').contains(&c)
        || "·⟳±✂↺»›✗⏸‖".contains(c)
}

fn tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_separator).filter(|t| !t.is_empty())
}

fn draw(view: &View, app: &App, w: u16, h: u16) -> Buffer {
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    (&Screen::new(view, app)).render(area, &mut buf);
    buf
}

/// Every string the view holds, as the panes would print it given room.
fn view_strings(view: &View) -> Vec<String> {
    let mut out = vec![view.header.title.clone()];
    for t in &view.topics {
        out.push(t.name.clone());
    }
    for g in &view.groups {
        out.extend([g.name.clone(), g.protocol.clone()]);
        out.extend(g.members.iter().map(|m| m.id.clone()));
        out.extend(g.verdict.iter().map(|v| v.reason.clone()));
    }
    for p in &view.producers {
        out.extend([
            p.name.clone(),
            p.topic.clone(),
            p.keys.clone(),
            p.partitioner.clone(),
        ]);
    }
    // A narrow brokers pane counts as `leads/follows`, the short form of the wide words.
    out.extend(
        view.brokers
            .iter()
            .map(|b| format!("{}/{}", b.leads, b.follows)),
    );
    out.extend(view.events.iter().map(|e| e.text.clone()));
    out.extend(view.caption.iter().map(|c| c.text.clone()));
    out
}

fn vocabulary(view: &View, app: &App) -> BTreeSet<String> {
    let big = text(&draw(view, app, 400, 150));
    let strings = view_strings(view);
    let mut words: BTreeSet<String> = tokens(&big).map(str::to_string).collect();
    for s in &strings {
        words.extend(tokens(s).map(str::to_string));
    }
    words.extend(SHORT_FORMS.iter().map(|s| s.to_string()));
    words
}

/// The tokens on `screen` that are neither whole words nor end in an ellipsis after the
/// start of a word. Group letters side by side are markers in a strip, not a word.
fn cut_words(screen: &str, words: &BTreeSet<String>) -> Vec<String> {
    let letters: Vec<char> = (0..26).map(group_letter).collect();
    tokens(screen)
        .filter(|t| {
            let markers = t.chars().all(|c| letters.contains(&c) || c == '+');
            if markers || words.contains(*t) || t.chars().all(|c| c.is_ascii_punctuation()) {
                return false;
            }
            match t.strip_suffix('…') {
                Some(start) => {
                    let number = !start.is_empty() && start.chars().all(|c| c.is_ascii_digit());
                    number || !words.iter().any(|w| w.starts_with(start))
                }
                None => true,
            }
        })
        .map(str::to_string)
        .collect()
}

/// The run at its last beat, a little after it fired, if every pane has content then;
/// else at the latest beat where they all do. A scenario without a timeline runs 30 s.
fn sim_with_every_pane_full(name: &str) -> Simulation {
    let scenario = Scenario::bundled(name).unwrap();
    let mut points: Vec<u64> = scenario
        .timeline
        .iter()
        .map(|b| b.at_ms as u64 + 3_000)
        .collect();
    points.push(30_000);
    points.sort_unstable();
    points.dedup();
    let mut best = None;
    for at in points.into_iter().rev() {
        let mut sim = Simulation::new(Scenario::bundled(name).unwrap(), None).unwrap();
        sim.step(at);
        if every_pane_has_content(&sim) {
            best = Some(sim);
            break;
        }
    }
    best.unwrap_or_else(|| panic!("{name}: no beat where every pane has content"))
}

fn every_pane_has_content(sim: &Simulation) -> bool {
    let mut app = App::new(Theme::default(), false);
    let mut view = View::default();
    fill_from_sim(sim, &mut app, Limits::for_screen(80, 24), &mut view);
    !view.topics.is_empty()
        && !view.groups.is_empty()
        && !view.producers.is_empty()
        && !view.events.is_empty()
        && view.groups.iter().any(|g| !g.lag_history.is_empty())
}

#[test]
fn the_bundled_list_is_every_scenario_file() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/scenarios");
    let files: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".toml").map(str::to_string))
        .collect();
    let bundled: BTreeSet<String> = Scenario::bundled_names().map(str::to_string).collect();
    assert_eq!(files, bundled);
}

#[test]
fn no_word_is_cut_at_any_size_in_any_scenario() {
    for name in Scenario::bundled_names() {
        let sim = sim_with_every_pane_full(name);
        for (w, h) in SIZES {
            for zoom in [None].into_iter().chain(Focus::ORDER.map(Some)) {
                let mut app = App::new(Theme::default(), false);
                let mut view = View::default();
                fill_from_sim(&sim, &mut app, Limits::for_screen(w, h), &mut view);
                if let Some(pane) = zoom {
                    (app.focus, app.zoomed) = (pane, true);
                }
                let screen = text(&draw(&view, &app, w, h));
                let cut = cut_words(&screen, &vocabulary(&view, &app));
                assert!(
                    cut.is_empty(),
                    "{name} at {w}×{h}, zoomed {zoom:?}: cut {cut:?}\n{screen}"
                );
            }
        }
    }
}

#[test]
fn every_scenario_at_80x24() {
    for name in Scenario::bundled_names() {
        let sim = sim_with_every_pane_full(name);
        let mut app = App::new(Theme::default(), false);
        let mut view = View::default();
        fill_from_sim(&sim, &mut app, Limits::for_screen(80, 24), &mut view);
        let screen = text(&draw(&view, &app, 80, 24));
        insta::assert_snapshot!(format!("{name}_at_80x24"), screen);
    }
}

#[test]
fn the_checker_finds_a_cut_word() {
    let words: BTreeSet<String> = [
        "rebalance",
        "started",
        "(worker-1",
        "joined)",
        "lost",
        "40.0/s",
    ]
    .map(str::to_string)
    .into();
    assert!(cut_words("rebalance started (worker-1 joined)", &words).is_empty());
    assert!(cut_words("rebalance started…", &words).is_empty());
    assert_eq!(cut_words("rebalance started (work", &words), ["(work"]);
    assert_eq!(cut_words("│ dup 0 · lo│", &words), ["dup", "0", "lo"]);
    assert_eq!(cut_words("max 40.", &words), ["max", "40."]);
    assert!(cut_words("◀AB▮▮+▮", &words).is_empty(), "strip markers");
    assert_eq!(cut_words("lag 12…", &words), ["lag", "12…"]);
}

#[test]
fn zoomed_partitions_and_lag_show_more() {
    let mut sim = Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(42)).unwrap();
    sim.step(200_000);
    let mut app = App::new(Theme::default(), false);
    let mut view = View::default();
    fill_from_sim(&sim, &mut app, Limits::for_screen(100, 30), &mut view);
    let count = |s: &str, c: char| s.chars().filter(|x| *x == c).count();
    let plain = text(&draw(&view, &app, 100, 30));
    app.zoomed = true;
    let zoomed = text(&draw(&view, &app, 100, 30));
    assert!(count(&zoomed, '▮') > count(&plain, '▮'), "{zoomed}");
    let letters = |s: &str| count(s, 'A') + count(s, 'B');
    assert!(
        letters(&zoomed) > letters(&plain),
        "markers two rows tall:\n{zoomed}"
    );
    insta::assert_snapshot!("quickstart_partitions_zoomed_at_100x30", zoomed);
    app.focus = Focus::Lag;
    app.zoomed = false;
    let plain = text(&draw(&view, &app, 100, 30));
    assert!(
        plain.contains("01:20.0") && !plain.contains("00:01.0"),
        "{plain}"
    );
    app.zoomed = true;
    let zoomed = text(&draw(&view, &app, 100, 30));
    assert!(zoomed.contains("00:01.0"), "all the history:\n{zoomed}");
    insta::assert_snapshot!("quickstart_lag_zoomed_at_100x30", zoomed);
}

/// The screen the issue started from: `rebalance` with `--presenter` at 80×24, held at
/// each beat with the next caption in the banner.
#[test]
fn presenter_mode_at_80x24_cuts_no_word_at_any_beat() {
    let mut sim = Simulation::new(Scenario::bundled("rebalance").unwrap(), None).unwrap();
    sim.set_hold_at_beats(true);
    let mut held = 0;
    while sim.next_beat().is_some() {
        sim.step(1_000);
        if !sim.held_at_beat() {
            continue;
        }
        held += 1;
        let mut app = App::new(Theme::default(), true);
        let mut view = View::default();
        fill_from_sim(&sim, &mut app, Limits::for_screen(80, 24), &mut view);
        let screen = text(&draw(&view, &app, 80, 24));
        let cut = cut_words(&screen, &vocabulary(&view, &app));
        assert!(cut.is_empty(), "beat {held}: cut {cut:?}\n{screen}");
        sim.release_beat();
    }
    assert!(held > 1, "held at {held} beats");
}
