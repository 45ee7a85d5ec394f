"""Produce throughput and end-to-end latency of confluent-kafka against a running server.

Usage: bench_produce.py HOST:PORT [RECORDS]

1. Throughput: RECORDS records with 100-byte values, default producer batching, no delivery
   callbacks (they would cost more than the server); every record must be in the log at the
   end. Prints records/s from the first produce() to the end of flush().
2. Latency: 20,000 records at about 10,000/s, each carrying its send time, read back by a
   consumer in the same process. Prints end-to-end (produce() to consumer receipt) and
   produce-acknowledgement latency percentiles, in milliseconds.
"""

import struct
import sys
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

BOOTSTRAP = sys.argv[1]
RECORDS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
PARTITIONS = 4
LATENCY_RECORDS = 20_000
LATENCY_RATE = 10_000


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p / 100))]


admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
for f in admin.create_topics(
    [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in ("bench-throughput", "bench-latency")]
).values():
    f.result(timeout=10)

# ---- throughput ----
producer = Producer({"bootstrap.servers": BOOTSTRAP, "client.id": "bench-producer"})
value = b"v" * 100
produce = producer.produce
start = time.perf_counter()
full = 0
for i in range(RECORDS):
    while True:
        try:
            produce("bench-throughput", value)
            break
        except BufferError:
            # The client's queue (100,000 records by default) is full until delivery
            # reports are served; serve them without sleeping a whole poll interval.
            full += 1
            producer.poll(0.001)
producer.flush(60)
elapsed = time.perf_counter() - start

probe = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "bench-probe"})
stored = sum(
    probe.get_watermark_offsets(TopicPartition("bench-throughput", p), timeout=10)[1]
    for p in range(PARTITIONS)
)
probe.close()
if stored != RECORDS:
    print(f"FAIL: the log holds {stored} records, expected {RECORDS}")
    sys.exit(1)
print(
    f"throughput: {RECORDS} records of 100 bytes in {elapsed:.2f} s = {RECORDS / elapsed:,.0f} records/s"
    f" (client queue full {full} times)"
)

# ---- latency ----
consumer = Consumer(
    {
        "bootstrap.servers": BOOTSTRAP,
        "group.id": "bench-latency",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    }
)
consumer.assign([TopicPartition("bench-latency", p, 0) for p in range(PARTITIONS)])
e2e = []
done = threading.Event()


def consume():
    # poll() hands over each record as soon as it arrives; consume(n) would wait for n.
    while len(e2e) < LATENCY_RECORDS:
        m = consumer.poll(0.5)
        if m is None or m.error():
            continue
        (sent,) = struct.unpack(">q", m.value()[:8])
        e2e.append((time.time_ns() - sent) / 1e6)
    done.set()


reader = threading.Thread(target=consume, daemon=True)
reader.start()
time.sleep(0.5)  # let the consumer's first fetches go out

acks = []


def on_delivery(err, msg, sent):
    if err is None:
        acks.append((time.time_ns() - sent) / 1e6)


latency_producer = Producer({"bootstrap.servers": BOOTSTRAP, "client.id": "bench-latency"})
interval = 1.0 / LATENCY_RATE
next_at = time.perf_counter()
pad = b"p" * 92
for i in range(LATENCY_RECORDS):
    now_ns = time.time_ns()
    latency_producer.produce(
        "bench-latency",
        struct.pack(">q", now_ns) + pad,
        on_delivery=lambda err, msg, sent=now_ns: on_delivery(err, msg, sent),
    )
    latency_producer.poll(0)
    next_at += interval
    pause = next_at - time.perf_counter()
    if pause > 0:
        time.sleep(pause)
latency_producer.flush(30)
if not done.wait(60):
    print(f"FAIL: the consumer saw {len(e2e)} of {LATENCY_RECORDS} records")
    sys.exit(1)
consumer.close()
e2e.sort()
acks.sort()
print(
    f"end-to-end latency at {LATENCY_RATE}/s over {len(e2e)} records: "
    f"p50 {percentile(e2e, 50):.2f} ms, p99 {percentile(e2e, 99):.2f} ms"
)
print(
    f"produce ack latency: p50 {percentile(acks, 50):.2f} ms, p99 {percentile(acks, 99):.2f} ms"
)
