//! One poll of a large cluster by the observer: minikafka serves a generated scenario of
//! 10 topics × 1,000 partitions with a producer on each topic and 20 simulated groups,
//! plus 480 more groups that join and commit as network clients do (one member each,
//! committed on every partition of its topic), 500 groups in all. The simulation's own
//! limits stop at 64 groups and 20,000 subscribed partitions, since each simulated pair
//! carries a lag history; an observed cluster has no such bound, so the rest come in the
//! way a real cluster's groups do. The benchmark measures the observer's own CPU time per
//! poll; the server answers from its own threads.
//!
//! `cargo bench --bench observe -- --warm-up-time 1 --measurement-time 20`
//!
//! Then the screen's costs on the same observation, each drawing a 200×60 frame: the view
//! rebuilt after a poll, a key press (which refills only the events and the selection),
//! and a frame between polls, where only the header is refreshed.
//!
//! The poll runs on this thread (a current-thread runtime), so the thread's CPU clock
//! (`/proc/thread-self/schedstat`) is exactly the observer's work: decoding, building the
//! snapshot and the requests, TCP system calls. Wall time, which includes the server's
//! answers, is printed beside it.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use minikafka::broker::{
    AssignorKind, Broker, JoinGroupRequest, JoinOutcome, SyncAssignment, TopicPartition,
};
use minikafka::server::observe::{
    ClientConfig, Cluster, ConnectSettings, Filter, Observation, Poller,
};
use minikafka::server::{Server, ServerConfig, wall_clock_ms};
use minikafka::sim::{Scenario, Simulation};
use minikafka::tui::view::{
    Limits, ObservedScreen, View, fill_from_observation, fill_observed_events, fill_observed_header,
};
use minikafka::tui::{App, Screen, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

const TOPICS: usize = 10;
const PARTITIONS: usize = 1_000;
const GROUPS: usize = 500;
/// As many simulated groups as the scenario limits allow over 1,000-partition topics.
const SIMULATED_GROUPS: usize = 20;

fn scenario() -> String {
    let mut s = String::from("name = \"observe-bench\"\nseed = 1\n");
    for t in 0..TOPICS {
        s += &format!("[[topics]]\nname = \"topic-{t}\"\npartitions = {PARTITIONS}\n");
        s += &format!("[[producers]]\ntopic = \"topic-{t}\"\nrate = 20000.0\n");
    }
    for g in 0..SIMULATED_GROUPS {
        s += &format!(
            "[[groups]]\nname = \"group-{g}\"\ntopics = [\"topic-{}\"]\nconsumers = 1\nprocess_rate = 10000.0\ncommit = \"every_poll\"\n",
            g % TOPICS
        );
    }
    s
}

/// Joins `group` with one member on `topic` and commits, as a client that has read some
/// of each partition would, a little behind the high watermark.
fn join_and_commit(broker: &mut Broker, group: &str, topic: &str, now: i64) {
    let mut join = JoinGroupRequest::consumer(group, "bench-client", &[topic.to_string()], "range");
    join.client_host = "/127.0.0.1".to_string();
    let member = match broker.join_group(join, now).unwrap() {
        JoinOutcome::Joined(j) => j.member_id,
        JoinOutcome::Pending { member_id } => member_id,
    };
    broker.poll_join(group, &member);
    let generation = broker.group(group).unwrap().generation();
    broker
        .sync_group(
            group,
            &member,
            generation,
            SyncAssignment::Compute(AssignorKind::Range),
            now,
        )
        .unwrap();
    let offsets: Vec<(TopicPartition, i64)> = (0..PARTITIONS as u32)
        .map(|p| {
            let hw = broker.partition(topic, p).unwrap().high_watermark();
            (TopicPartition::new(topic, p), hw - hw / 4)
        })
        .collect();
    broker
        .commit_offsets(group, &member, generation, &offsets, now)
        .unwrap();
}

/// The cluster served: the scenario run for a few simulated seconds, then the network
/// groups added. Nothing ticks afterwards, so every poll reads the same cluster.
fn serve(runtime: &tokio::runtime::Runtime) -> (Simulation, String) {
    let scenario = Scenario::parse(&scenario(), "observe-bench.toml").unwrap();
    let mut sim = Simulation::new(scenario, Some(1)).unwrap();
    sim.step(10_000);
    {
        let mut broker = sim.broker().write();
        let now = sim.now_ms();
        for g in SIMULATED_GROUPS..GROUPS {
            join_and_commit(
                &mut broker,
                &format!("group-{g}"),
                &format!("topic-{}", g % TOPICS),
                now,
            );
        }
    }
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        tick_groups: false,
        ..ServerConfig::default()
    };
    let server = runtime
        .block_on(Server::bind(config, sim.broker().clone()))
        .unwrap();
    let addr = server.local_addr().to_string();
    runtime.spawn(server.run(std::future::pending()));
    (sim, addr)
}

/// This thread's CPU time so far.
fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    Duration::from_nanos(text.split_whitespace().next().unwrap().parse().unwrap())
}

fn bench(c: &mut Criterion) {
    let server_runtime = tokio::runtime::Runtime::new().unwrap();
    let (_sim, addr) = serve(&server_runtime);
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
        "observe screen: a key pressed (events and notices refilled, drawn)",
        |b| {
            b.iter(|| {
                let now = wall_clock_ms();
                fill_observed_events(observation, &screen, &mut app, limits, now, &mut view);
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
