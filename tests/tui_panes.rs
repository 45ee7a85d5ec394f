//! Snapshot tests for each pane and the whole screen, drawn into ratatui's `TestBackend`
//! from a fixed broker state.

#[path = "support/fixture.rs"]
mod fixture;

#[path = "support/buffer_text.rs"]
mod buffer_text;
use buffer_text::text;
use minikafka::tui::{App, DrawContext, Focus, Screen, Theme, ThemeKind};
use minikafka::tui::{
    Banner, Events, Footer, Groups, HeaderBar, Help, LagChart, LagUnit, Partitions, Producers,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

fn app() -> App {
    App::new(Theme::new(ThemeKind::Default), false)
}

/// Draws `f` into a `w`×`h` buffer and returns it.
fn draw(w: u16, h: u16, f: impl FnOnce(Rect, &mut Buffer)) -> Buffer {
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    f(area, &mut buf);
    buf
}

fn screen(w: u16, h: u16, app: &App) -> String {
    let view = fixture::view(usize::from(w));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| f.render_widget(&Screen::new(&view, app), f.area()))
        .unwrap();
    text(term.backend().buffer())
}

#[test]
fn header_pane() {
    let view = fixture::view(80);
    let app = app();
    let buf = draw(100, 1, |a, b| {
        HeaderBar(DrawContext::new(&view, &app)).render(a, b)
    });
    insta::assert_snapshot!(text(&buf));
}

#[test]
fn partitions_pane() {
    let view = fixture::view(80);
    let app = app();
    let buf = draw(60, 7, |a, b| {
        Partitions(DrawContext::new(&view, &app)).render(a, b)
    });
    insta::assert_snapshot!(text(&buf));
}

#[test]
fn groups_pane() {
    let view = fixture::view(80);
    let mut app = app();
    app.focus = Focus::Groups;
    app.selected_row = 1;
    let buf = draw(50, 9, |a, b| {
        Groups(DrawContext::new(&view, &app)).render(a, b)
    });
    insta::assert_snapshot!(text(&buf));
}

#[test]
fn groups_pane_narrow_wraps_the_eta_and_cuts_a_long_reason() {
    let view = fixture::view(80);
    let mut app = app();
    app.focus = Focus::Groups;
    // The audit group's own row: after billing and its two members.
    app.selected_row = 3;
    let buf = draw(30, 16, |a, b| {
        Groups(DrawContext::new(&view, &app)).render(a, b)
    });
    let out = text(&buf);
    // Nothing of the three measures is cut off: the ETA goes on a row of its own.
    assert!(out.contains("lag 360 (15s)"), "{out}");
    assert!(out.contains("│    not draining"), "{out}");
    assert!(out.contains("WARN: lag on"), "{out}");
    assert!(
        out.contains('…'),
        "a reason longer than three rows is cut: {out}"
    );
    // Without the focus, no reason takes the members' rows.
    app.focus = Focus::Partitions;
    let unfocused = text(&draw(30, 16, |a, b| {
        Groups(DrawContext::new(&view, &app)).render(a, b)
    }));
    assert!(!unfocused.contains("WARN: lag on"), "{unfocused}");
    assert!(unfocused.contains("audit-1-1"), "{unfocused}");
    insta::assert_snapshot!(out);
}

#[test]
fn lag_chart_in_time() {
    let view = fixture::view(80);
    let mut app = app();
    app.lag_unit = LagUnit::Time;
    let buf = draw(50, 10, |a, b| {
        LagChart(DrawContext::new(&view, &app)).render(a, b)
    });
    let out = text(&buf);
    assert!(out.contains("Lag in time"), "{out}");
    // The top of the axis is a time: 15.1 s of lag, with headroom.
    assert!(out.contains("16s"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn lag_chart_pane() {
    let view = fixture::view(80);
    let app = app();
    let buf = draw(50, 10, |a, b| {
        LagChart(DrawContext::new(&view, &app)).render(a, b)
    });
    insta::assert_snapshot!(text(&buf));
}

#[test]
fn producers_pane() {
    let view = fixture::view(80);
    let app = app();
    let buf = draw(60, 4, |a, b| {
        Producers(DrawContext::new(&view, &app)).render(a, b)
    });
    insta::assert_snapshot!(text(&buf));
}

#[test]
fn events_pane() {
    let view = fixture::view(80);
    let app = app();
    let buf = draw(70, 8, |a, b| {
        Events(DrawContext::new(&view, &app)).render(a, b)
    });
    insta::assert_snapshot!(text(&buf));
}

#[test]
fn events_pane_scrolls_back() {
    let view = fixture::view(80);
    let mut app = app();
    let newest = draw(70, 5, |a, b| {
        Events(DrawContext::new(&view, &app)).render(a, b)
    });
    app.events_scroll = 3;
    let older = draw(70, 5, |a, b| {
        Events(DrawContext::new(&view, &app)).render(a, b)
    });
    let (newest, older) = (text(&newest), text(&older));
    // Three rows of content; scrolled back by three, none of them are the same.
    let rows = |s: &str| {
        s.lines()
            .skip(1)
            .take(3)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    for row in rows(&older) {
        assert!(!rows(&newest).contains(&row), "{row}");
    }
    insta::assert_snapshot!(older);
}

#[test]
fn footer_follows_focus() {
    let view = fixture::view(80);
    let mut app = app();
    let buf = draw(100, 1, |a, b| {
        Footer(DrawContext::new(&view, &app)).render(a, b)
    });
    insta::assert_snapshot!("footer_partitions", text(&buf));
    app.focus = Focus::Groups;
    let buf = draw(100, 1, |a, b| {
        Footer(DrawContext::new(&view, &app)).render(a, b)
    });
    insta::assert_snapshot!("footer_groups", text(&buf));
    app.focus = Focus::Lag;
    let buf = draw(100, 1, |a, b| {
        Footer(DrawContext::new(&view, &app)).render(a, b)
    });
    assert!(text(&buf).contains("t records / time"), "{}", text(&buf));
    insta::assert_snapshot!("footer_lag", text(&buf));
}

#[test]
fn caption_banner() {
    let mut view = fixture::view(80);
    let app = app();
    let buf = draw(70, 1, |a, b| {
        Banner(DrawContext::new(&view, &app)).render(a, b)
    });
    insta::assert_snapshot!("caption_fired", text(&buf));
    view.caption.as_mut().unwrap().held = true;
    let buf = draw(70, 1, |a, b| {
        Banner(DrawContext::new(&view, &app)).render(a, b)
    });
    insta::assert_snapshot!("caption_held", text(&buf));
}

#[test]
fn help_overlay() {
    let view = fixture::view(80);
    let app = app();
    let buf = draw(80, 24, |a, b| {
        Help(DrawContext::new(&view, &app)).render(a, b)
    });
    insta::assert_snapshot!(text(&buf));
}

#[test]
fn whole_screen_80x24() {
    insta::assert_snapshot!(screen(80, 24, &app()));
}

#[test]
fn whole_screen_160x48() {
    insta::assert_snapshot!(screen(160, 48, &app()));
}

#[test]
fn too_small_notice_at_60x15() {
    let out = screen(60, 15, &app());
    assert!(out.contains("terminal too small"), "{out}");
    insta::assert_snapshot!(out);
}
