"""Batches in every codec, produced by kafka-python and confluent-kafka, read back by both.

Usage: codecs_check.py HOST:PORT [TOPIC...]

For each codec (gzip, snappy, lz4, zstd) each Python client produces RECORDS keyed records to
a topic of its own, `py-<client>-<codec>`. Then every one of those topics, and any TOPIC
given (kcat's, produced the same way), is read from the beginning by both clients, which
must see exactly the records produced, in order, at offsets 0, 1, 2, ... The records are
`expected(codec)` below; the Rust test gives kcat the same lines.
"""

import sys

from checks import check

from confluent_kafka import Consumer, Producer, TopicPartition
from kafka import KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KpTopicPartition

BOOTSTRAP = sys.argv[1]
EXTRA_TOPICS = sys.argv[2:]
CODECS = ["gzip", "snappy", "lz4", "zstd"]
RECORDS = 2_000


def expected(codec):
    """The records every producer sends for `codec`: (key, value) pairs."""
    return [
        (f"key-{i % 37}".encode(), f"{codec} value {i} {'x' * (i % 50)} \u00e9\u4e16".encode())
        for i in range(RECORDS)
    ]


def codec_of(topic):
    return next(c for c in CODECS if topic.endswith(c))


def produce_kafka_python(topic, codec):
    p = KafkaProducer(bootstrap_servers=BOOTSTRAP, compression_type=codec, linger_ms=20)
    for k, v in expected(codec):
        p.send(topic, key=k, value=v, partition=0)
    p.flush(30)
    p.close()


def produce_confluent(topic, codec):
    p = Producer({"bootstrap.servers": BOOTSTRAP, "compression.type": codec, "linger.ms": 20})
    failed = []
    for k, v in expected(codec):
        p.produce(topic, key=k, value=v, partition=0, on_delivery=lambda e, m: e and failed.append(e))
    left = p.flush(30)
    check(left == 0 and not failed, f"confluent-kafka delivered {topic}: {left} left, {failed[:3]}")


def read_kafka_python(topic):
    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP, enable_auto_commit=False, consumer_timeout_ms=10_000)
    tp = KpTopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    got = []
    while len(got) < RECORDS:
        batch = c.poll(timeout_ms=5_000, max_records=5_000)
        if not batch:
            break
        for msgs in batch.values():
            got.extend((m.offset, m.key, m.value) for m in msgs)
    c.close()
    return got


def read_confluent(topic):
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"codecs-{topic}", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    got = []
    errors = []
    empty = 0
    while len(got) < RECORDS and empty < 10:
        msgs = c.consume(num_messages=5_000, timeout=1.0)
        if not msgs:
            empty += 1
        for m in msgs:
            if m.error():
                errors.append(str(m.error()))
            else:
                got.append((m.offset(), m.key(), m.value()))
    c.close()
    check(not errors, f"confluent-kafka reads {topic} without errors: {errors[:3]}")
    return got


produced = []
for codec in CODECS:
    for name, produce in (("kafka-python", produce_kafka_python), ("confluent", produce_confluent)):
        topic = f"py-{name}-{codec}"
        produce(topic, codec)
        produced.append(topic)
check(True, f"produced {len(produced)} topics, {RECORDS} records each")

for topic in produced + EXTRA_TOPICS:
    want = [(i, k, v) for i, (k, v) in enumerate(expected(codec_of(topic)))]
    for reader, read in (("kafka-python", read_kafka_python), ("confluent-kafka", read_confluent)):
        got = read(topic)
        check(got == want, f"{reader} reads {topic} unchanged ({len(got)} of {len(want)} records)")

print("codecs: all checks passed", flush=True)
