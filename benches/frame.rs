//! Drawing one full frame: the `bench` scenario (12 partitions) with a third group added,
//! a minute into the run, drawn at 200×50 into ratatui's `TestBackend`. Frames alternate
//! between two moments of the run so every draw has real changes to diff.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use minikafka::sim::{Command, Scenario, Simulation};
use minikafka::tui::view::{Limits, fill_from_sim};
use minikafka::tui::{App, DrawContext, Screen, Theme, View};
use minikafka::tui::{Events, Groups, LagChart, Partitions};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::widgets::Widget;

const W: u16 = 200;
const H: u16 = 50;

fn mid_run() -> Simulation {
    let mut sim = Simulation::new(Scenario::bundled("bench").unwrap(), Some(42)).unwrap();
    sim.apply(Command::AddGroup {
        name: Some("audit".into()),
        topics: vec!["bench".into()],
    })
    .unwrap();
    sim.step(60_000);
    sim
}

fn frame(c: &mut Criterion) {
    let mut sim = mid_run();
    let mut app = App::new(Theme::default(), false);
    let limits = Limits::for_screen(W, H);
    let mut views = [View::default(), View::default()];
    fill_from_sim(&sim, &mut app, limits, &mut views[0]);
    sim.step(200);
    fill_from_sim(&sim, &mut app, limits, &mut views[1]);
    assert_eq!(views[0].topics[0].partitions.len(), 12);
    assert_eq!(views[0].groups.len(), 3);

    let mut term = Terminal::new(TestBackend::new(W, H)).unwrap();
    let mut i = 0;
    c.bench_function("draw_full_screen_200x50", |b| {
        b.iter(|| {
            i += 1;
            let view = &views[i % 2];
            term.draw(|f| f.render_widget(&Screen::new(view, &app), f.area()))
                .unwrap();
        })
    });

    // The same frame again: what a redraw costs when little on screen moved.
    c.bench_function("draw_full_screen_200x50_unchanged", |b| {
        b.iter(|| {
            term.draw(|f| f.render_widget(&Screen::new(&views[0], &app), f.area()))
                .unwrap();
        })
    });

    // Each pane alone, into a plain buffer, to see where a frame's time goes.
    let area = ratatui::layout::Rect::new(0, 0, W, H);
    let ctx = DrawContext::new(&views[0], &app);
    let mut buf = Buffer::empty(area);
    let mut group = c.benchmark_group("pane_200x50");
    group.bench_function("partitions", |b| {
        b.iter(|| Partitions(ctx).render(area, &mut buf))
    });
    group.bench_function("groups", |b| b.iter(|| Groups(ctx).render(area, &mut buf)));
    group.bench_function("lag_chart", |b| {
        b.iter(|| LagChart(ctx).render(area, &mut buf))
    });
    group.bench_function("events", |b| b.iter(|| Events(ctx).render(area, &mut buf)));
    group.bench_function("whole_screen_widgets_only", |b| {
        b.iter(|| (&Screen::new(&views[0], &app)).render(area, &mut buf))
    });
    group.bench_function("empty_terminal_draw", |b| {
        b.iter(|| {
            term.draw(|_| {}).unwrap();
        })
    });
    group.finish();

    let mut view = View::default();
    c.bench_function("snapshot_from_sim_200x50", |b| {
        b.iter(|| {
            fill_from_sim(black_box(&sim), &mut app, limits, &mut view);
        })
    });
}

criterion_group!(benches, frame);
criterion_main!(benches);
