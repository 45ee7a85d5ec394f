//! Random and mutated frames through the decoder and the dispatcher, without sockets.
//!
//! Whatever arrives, decoding either fails cleanly or yields a request that is answered
//! (waits are polled and then expired) and whose response encodes, all without a panic.
//! Seeds include versions newer than we implement, which are answered UNSUPPORTED_VERSION.

#[path = "support/mutate.rs"]
mod mutate;
#[path = "support/seed_frames.rs"]
mod seed_frames;

use bytes::{Bytes, BytesMut};
use minikafka::broker::{Broker, NewRecord, SharedBroker, TopicConfig};
use minikafka::server::{
    Effects, Outcome, RequestContext, Settings, answer, decode_request, encode_response,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use mutate::mutated;

fn template() -> Broker {
    let mut b = Broker::new();
    b.create_topic("t", TopicConfig::new(2), 0).unwrap();
    for i in 0..5 {
        b.append("t", 0, NewRecord::new(i, None, "v")).unwrap();
    }
    b
}

fn exercise(bytes: Vec<u8>, template: &Broker, settings: &Settings) {
    let Ok(frame) = decode_request(Bytes::from(bytes)) else {
        return;
    };
    let broker = SharedBroker::new(template.clone());
    let mut ctx = RequestContext {
        broker: &broker,
        settings,
        now_ms: 1_000,
        client_id: "fuzz",
        client_host: "/127.0.0.1",
        broker_id: 1,
        version: frame.version,
        effects: Effects::default(),
    };
    let (api, version) = (frame.api_key, frame.response_version());
    let response = match answer(&mut ctx, frame) {
        Outcome::Reply(r) => Some(r),
        Outcome::NoReply => None,
        Outcome::Wait(mut w) => {
            ctx.now_ms = w.deadline_ms();
            match w.poll(&mut ctx) {
                Some(r) => Some(r),
                None => Some(w.expire(&mut ctx)),
            }
        }
    };
    if let Some(r) = response {
        let mut out = BytesMut::new();
        // Encoding may refuse (a field a version cannot carry); it must not panic.
        let _ = encode_response(api, version, 1, &r, &mut out);
    }
}

#[test]
fn random_and_mutated_frames_never_panic() {
    let cases: u32 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seeds = seed_frames::seeds();
    assert!(seeds.len() >= 45, "a seed per API and version bound");
    let template = template();
    let settings = Settings {
        auto_create_topics: true,
        default_partitions: 2,
        host: "127.0.0.1".to_string(),
        port: 9092,
        initial_rebalance_delay_ms: 3_000,
        max_decoded_bytes: 1 << 20,
        ports: vec![(1, 9092)],
    };
    // Every seed itself must decode and be answered.
    for s in &seeds {
        assert!(decode_request(Bytes::from(s.clone())).is_ok(), "seed {s:?}");
        exercise(s.clone(), &template, &settings);
    }
    let strategy = prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..96),
        4 => mutated(seeds.into_iter().map(|s| ((), s)).collect()).prop_map(|((), f)| f),
    ];
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |bytes| {
            exercise(bytes, &template, &settings);
            Ok(())
        })
        .expect("no input panics");
}
