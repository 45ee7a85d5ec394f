//! Real Kafka clients (kcat, kafka-python, confluent-kafka) against the real binary on loopback.
//!
//! Under `CI=true` a missing client fails the test; locally it is skipped with a loud message.
//! `.ci/run` installs all three.

#[path = "support/served.rs"]
mod served;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use served::{Served, available, python, run_script, run_script_with};

#[test]
fn kafka_python_admin_partitioning_groups_and_offsets() {
    if !available(
        "kafka-python",
        Command::new(python()).args(["-c", "import kafka"]),
    ) {
        return;
    }
    let served = Served::start(&[]);
    run_script("kafka_python_check.py", &served);
}

#[test]
fn confluent_kafka_group_reads_every_record_exactly_once() {
    if !available(
        "confluent-kafka",
        Command::new(python()).args(["-c", "import confluent_kafka"]),
    ) {
        return;
    }
    let served = Served::start(&[]);
    run_script("confluent_check.py", &served);
}

fn kcat(addr: SocketAddr) -> Command {
    let mut c = Command::new("kcat");
    c.args(["-b", &addr.to_string()]);
    c
}

/// The cluster as `kcat -L -J` lists it.
fn kcat_metadata(addr: SocketAddr) -> serde_json::Value {
    let listing = kcat(addr).args(["-L", "-J"]).output().expect("kcat -L");
    assert!(listing.status.success());
    serde_json::from_slice(&listing.stdout).expect("JSON metadata")
}

/// `topic` in kcat's listing; fails the test if it is not there.
fn listed_topic<'m>(meta: &'m serde_json::Value, topic: &str) -> &'m serde_json::Value {
    meta["topics"]
        .as_array()
        .expect("topics")
        .iter()
        .find(|t| t["topic"] == topic)
        .unwrap_or_else(|| panic!("{topic} is listed: {meta}"))
}

/// The records kcat produces: keyed, with values covering multi-byte UTF-8 and punctuation.
fn produced_records() -> Vec<(String, String)> {
    (0..1000)
        .map(|i| {
            let key = format!("key-{}", i % 37);
            let value = format!("value {i} \u{e9}\u{4e16}\u{1f980} {{\"n\":{i}}} ~!@#$%^&*()");
            (key, value)
        })
        .collect()
}

#[test]
fn kcat_lists_metadata_and_round_trips_keyed_records_with_headers() {
    if !available("kcat", Command::new("kcat").arg("-V")) {
        return;
    }
    let served = Served::start(&["--default-partitions", "3"]);
    let records = produced_records();

    let mut producer = kcat(served.addr)
        .args(["-P", "-t", "roundtrip", "-K", "\t"])
        .args(["-H", "source=kcat", "-H", "kind=test"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("kcat runs");
    {
        let mut stdin = producer.stdin.take().expect("piped stdin");
        for (k, v) in &records {
            writeln!(stdin, "{k}\t{v}").expect("write to kcat");
        }
    }
    assert!(producer.wait().expect("kcat exits").success());

    let meta = kcat_metadata(served.addr);
    let topic = listed_topic(&meta, "roundtrip");
    let partitions: Vec<i64> = topic["partitions"]
        .as_array()
        .expect("partitions")
        .iter()
        .map(|p| p["partition"].as_i64().expect("index"))
        .collect();
    assert_eq!(partitions, [0, 1, 2]);
    assert_eq!(meta["brokers"][0]["id"], 0);

    let consumed = kcat(served.addr)
        .args(["-C", "-t", "roundtrip", "-e", "-J", "-q"])
        .output()
        .expect("kcat -C");
    assert!(consumed.status.success());
    let mut got: BTreeMap<u32, Vec<(String, String)>> = BTreeMap::new();
    let mut count = 0;
    for line in String::from_utf8(consumed.stdout).expect("UTF-8").lines() {
        let m: serde_json::Value = serde_json::from_str(line).expect("a JSON message");
        let headers: Vec<&str> = m["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .map(|h| h.as_str().expect("header string"))
            .collect();
        assert_eq!(headers, ["source", "kcat", "kind", "test"]);
        let partition = m["partition"].as_u64().expect("partition") as u32;
        let offset = m["offset"].as_i64().expect("offset");
        let list = got.entry(partition).or_default();
        assert_eq!(offset, list.len() as i64, "dense offsets from 0, in order");
        list.push((
            m["key"].as_str().expect("key").to_string(),
            m["payload"].as_str().expect("payload").to_string(),
        ));
        count += 1;
    }
    assert_eq!(count, records.len());
    // librdkafka's default partitioner puts a key on crc32(key) % partitions, in send order.
    let mut expected: BTreeMap<u32, Vec<(String, String)>> = BTreeMap::new();
    for (k, v) in &records {
        let p = minikafka::broker::crc32(k.as_bytes()) % 3;
        expected.entry(p).or_default().push((k.clone(), v.clone()));
    }
    assert_eq!(got, expected, "byte for byte, in order per partition");
}

/// `serve --scenario`: the simulation writes into the broker the clients read, at real speed.
#[test]
fn kcat_reads_what_a_served_scenario_produces() {
    if !available("kcat", Command::new("kcat").arg("-V")) {
        return;
    }
    let served = Served::start(&["--scenario", "quickstart", "--seed", "5"]);
    let meta = kcat_metadata(served.addr);
    let orders = listed_topic(&meta, "orders");
    assert_eq!(orders["partitions"].as_array().map(Vec::len), Some(4));
    // The producers run at 40 records/s over four partitions: wait for five on partition 0.
    let out = kcat(served.addr)
        .args([
            "-C",
            "-t",
            "orders",
            "-p",
            "0",
            "-o",
            "beginning",
            "-c",
            "5",
            "-f",
            "%o %k\n",
        ])
        .output()
        .expect("kcat -C");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    for (i, line) in lines.iter().enumerate() {
        assert!(
            line.starts_with(&format!("{i} ")),
            "offsets 0..5 in order: {lines:?}"
        );
        assert!(
            line.contains("key-"),
            "simulated records carry their keys: {lines:?}"
        );
    }
}

const CODECS: [&str; 4] = ["gzip", "snappy", "lz4", "zstd"];

/// What every producer of codecs_check.py sends for `codec`, keys and values.
fn codec_records(codec: &str) -> Vec<(String, String)> {
    (0..2000)
        .map(|i| {
            let value = format!("{codec} value {i} {} \u{e9}\u{4e16}", "x".repeat(i % 50));
            (format!("key-{}", i % 37), value)
        })
        .collect()
}

/// kcat's reading of partition 0 of `topic`: offset, key and value per record.
fn kcat_read(addr: SocketAddr, topic: &str) -> Vec<(i64, String, String)> {
    let out = kcat(addr)
        .args(["-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q"])
        .args(["-f", "%o\t%k\t%s\n"])
        .output()
        .expect("kcat -C");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| {
            let mut parts = l.splitn(3, '\t');
            let offset = parts
                .next()
                .and_then(|o| o.parse().ok())
                .expect("an offset");
            let key = parts.next().expect("a key").to_string();
            (offset, key, parts.next().expect("a value").to_string())
        })
        .collect()
}

/// Batches in every codec a client may send, from kcat, kafka-python and confluent-kafka,
/// are stored compressed and read back unchanged by all three.
#[test]
fn every_codec_round_trips_between_kcat_kafka_python_and_confluent_kafka() {
    let probe = "import kafka, confluent_kafka, lz4, zstandard, cramjam";
    if !available("kcat", Command::new("kcat").arg("-V"))
        || !available(
            "kafka-python and confluent-kafka with lz4, zstandard and cramjam",
            Command::new(python()).args(["-c", probe]),
        )
    {
        return;
    }
    let served = Served::start(&[]);
    let mut kcat_topics = Vec::new();
    for codec in CODECS {
        let topic = format!("kcat-{codec}");
        let mut producer = kcat(served.addr)
            .args(["-P", "-t", &topic, "-p", "0", "-K", "\t", "-z", codec])
            .stdin(Stdio::piped())
            .spawn()
            .expect("kcat runs");
        {
            let mut stdin = producer.stdin.take().expect("piped stdin");
            for (k, v) in codec_records(codec) {
                writeln!(stdin, "{k}\t{v}").expect("write to kcat");
            }
        }
        assert!(
            producer.wait().expect("kcat exits").success(),
            "kcat -z {codec}"
        );
        kcat_topics.push(topic);
    }
    run_script_with("codecs_check.py", &served, &kcat_topics);
    for codec in CODECS {
        let expected: Vec<(i64, String, String)> = codec_records(codec)
            .into_iter()
            .enumerate()
            .map(|(i, (k, v))| (i as i64, k, v))
            .collect();
        for producer in ["kcat", "py-kafka-python", "py-confluent"] {
            let topic = format!("{producer}-{codec}");
            assert_eq!(
                kcat_read(served.addr, &topic),
                expected,
                "kcat reads {topic}"
            );
            let codecs = stored_codecs(served.addr, &topic);
            // kcat's librdkafka (2.0) compresses gzip, snappy and lz4 only for a broker that
            // still speaks Produce v0, which neither we nor Kafka 4 do: it sends those plain.
            let bits = match (producer, codec) {
                ("kcat", "gzip" | "snappy" | "lz4") => 0,
                _ => CODECS.iter().position(|c| *c == codec).unwrap() as i16 + 1,
            };
            // librdkafka sends a batch plain when compressing does not shrink it (a last
            // batch of a few records), so confluent-kafka's topics may hold a few of those.
            let plain_allowed = producer == "py-confluent";
            assert!(
                codecs.contains(&bits)
                    && codecs
                        .iter()
                        .all(|c| *c == bits || (plain_allowed && *c == 0)),
                "{topic} is stored as {producer} sent it: {codecs:?}"
            );
        }
    }
}

/// The compression bits of every batch a raw Fetch returns from partition 0 of `topic`.
fn stored_codecs(addr: SocketAddr, topic: &str) -> Vec<i16> {
    use bytes::{Bytes, BytesMut};
    use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
    use kafka_protocol::messages::{ApiKey, FetchRequest, FetchResponse, RequestHeader, TopicName};
    use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
    use std::io::Read;

    let req = FetchRequest::default()
        .with_max_bytes(1 << 24)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
                .with_partitions(vec![
                    FetchPartition::default().with_partition_max_bytes(1 << 24),
                ]),
        ]);
    let mut frame = BytesMut::new();
    RequestHeader::default()
        .with_request_api_key(ApiKey::Fetch as i16)
        .with_request_api_version(12)
        .with_correlation_id(1)
        .encode(&mut frame, ApiKey::Fetch.request_header_version(12))
        .unwrap();
    req.encode(&mut frame, 12).unwrap();
    let mut stream = std::net::TcpStream::connect(addr).expect("connects");
    stream
        .write_all(&(frame.len() as i32).to_be_bytes())
        .unwrap();
    stream.write_all(&frame).unwrap();
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).unwrap();
    let mut body = vec![0u8; i32::from_be_bytes(len) as usize];
    stream.read_exact(&mut body).unwrap();
    let mut body = Bytes::from(body).split_off(4); // the correlation id
    let _tagged = body.split_to(1); // response header v1: no tagged fields
    let resp = FetchResponse::decode(&mut body, 12).expect("a fetch response");
    let mut data = resp.responses[0].partitions[0]
        .records
        .clone()
        .unwrap_or_default();
    let mut codecs = Vec::new();
    while data.len() >= 23 {
        let len = 12 + i32::from_be_bytes(data[8..12].try_into().unwrap()) as usize;
        if len > data.len() {
            break;
        }
        let batch = data.split_to(len);
        codecs.push(i16::from_be_bytes([batch[21], batch[22]]) & 7);
    }
    codecs
}
