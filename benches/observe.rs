//! One poll of a large cluster by the observer: `serve` runs a generated scenario of 10
//! topics × 1,000 partitions and 500 groups (50 per topic, one member each), and the
//! benchmark measures the observer's own CPU time per poll (the server is another process).
//!
//! `cargo bench --bench observe -- --warm-up-time 1 --measurement-time 20`
//!
//! Then the screen's costs on the same observation: rebuilding the view after a poll (or
//! a key) and drawing a 200×60 frame, and the frame drawn between polls, where only the
//! header is refreshed.
//!
//! The poll runs on this thread (a current-thread runtime), so the thread's CPU clock
//! (`/proc/thread-self/schedstat`) is exactly the observer's work: decoding, building the
//! snapshot and the requests, TCP system calls. Wall time, which includes the server's
//! answers, is printed beside it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use minikafka::server::observe::{
    ClientConfig, Cluster, ConnectSettings, Filter, Observation, Poller,
};
use minikafka::server::wall_clock_ms;
use minikafka::tui::view::{
    Limits, ObservedScreen, View, fill_from_observation, fill_observed_header,
};
use minikafka::tui::{App, Screen, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

const TOPICS: usize = 10;
const PARTITIONS: usize = 1_000;
const GROUPS: usize = 500;

fn scenario() -> String {
    let mut s = String::from("name = \"observe-bench\"\nseed = 1\n");
    for t in 0..TOPICS {
        s += &format!("[[topics]]\nname = \"topic-{t}\"\npartitions = {PARTITIONS}\n");
        s += &format!("[[producers]]\ntopic = \"topic-{t}\"\nrate = 2000.0\n");
    }
    for g in 0..GROUPS {
        s += &format!(
            "[[groups]]\nname = \"group-{g}\"\ntopics = [\"topic-{}\"]\nconsumers = 1\nprocess_rate = 1000.0\ncommit = \"every_poll\"\n",
            g % TOPICS
        );
    }
    s
}

struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve() -> (Served, String) {
    let path = std::env::temp_dir().join(format!("observe-bench-{}.toml", std::process::id()));
    std::fs::write(&path, scenario()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_minikafka-tui"))
        .args(["serve", "--listen", "127.0.0.1:0", "--scenario"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.split_whitespace().last().unwrap().to_string();
    (Served(child), addr)
}

/// This thread's CPU time so far.
fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    Duration::from_nanos(text.split_whitespace().next().unwrap().parse().unwrap())
}

fn bench(c: &mut Criterion) {
    let (_served, addr) = serve();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let settings =
        ConnectSettings::new(ClientConfig::plaintext(&addr), Duration::from_secs(30)).unwrap();
    let mut poller = Poller::new(Cluster::new(settings), Filter::default());
    let mut observation = Observation::default();
    // Wait until every group has committed somewhere, so the poll reads a full cluster.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let snap = runtime.block_on(poller.poll(0)).unwrap();
        let committed = snap
            .groups
            .values()
            .filter(|g| !g.committed.is_empty())
            .count();
        let partitions: usize = snap.topics.values().map(|t| t.partitions.len()).sum();
        if committed == GROUPS || Instant::now() > deadline {
            let offsets: usize = snap.groups.values().map(|g| g.commit_count()).sum();
            println!(
                "cluster: {partitions} partitions, {} groups ({committed} committed), {offsets} committed offsets",
                snap.groups.len()
            );
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let (mut cpu, mut wall, mut polls) = (Duration::ZERO, Duration::ZERO, 0u32);
    c.bench_function(
        "observe: one poll, 10,000 partitions, 500 groups (observer CPU)",
        |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let (c0, w0) = (thread_cpu(), Instant::now());
                    let snap = runtime
                        .block_on(poller.poll(minikafka::server::wall_clock_ms()))
                        .unwrap();
                    observation.apply(snap);
                    let used = thread_cpu() - c0;
                    spent += used;
                    cpu += used;
                    wall += w0.elapsed();
                    polls += 1;
                }
                spent
            })
        },
    );
    if polls > 0 {
        println!(
            "per poll (with the histories and events updated): {:.1} ms CPU, {:.1} ms wall, over {polls} polls",
            cpu.as_secs_f64() * 1e3 / f64::from(polls),
            wall.as_secs_f64() * 1e3 / f64::from(polls)
        );
    }
    bench_screen(c, &observation, &addr);
}

/// The screen's work on `observation`: the view rebuilt and drawn, and a frame between
/// polls.
fn bench_screen(c: &mut Criterion, observation: &Observation, title: &str) {
    let mut screen = ObservedScreen::new(title, wall_clock_ms());
    let mut app = App::new(Theme::default(), false);
    let mut view = View::default();
    let area = Rect::new(0, 0, 200, 60);
    let limits = Limits::for_screen(area.width, area.height);
    let mut buf = Buffer::empty(area);
    c.bench_function(
        "observe screen: view rebuilt and drawn, 10,000 partitions, 500 groups",
        |b| {
            b.iter(|| {
                let now = wall_clock_ms();
                fill_from_observation(observation, &mut screen, &mut app, limits, now, &mut view);
                (&Screen::new(&view, &app)).render(area, &mut buf);
            })
        },
    );
    c.bench_function(
        "observe screen: a frame between polls (header refreshed)",
        |b| {
            b.iter(|| {
                fill_observed_header(observation, &screen, wall_clock_ms(), &mut view);
                (&Screen::new(&view, &app)).render(area, &mut buf);
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
