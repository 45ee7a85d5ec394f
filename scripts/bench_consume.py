"""Consume throughput of confluent-kafka against a running server, consumer after consumer.

Usage: bench_consume.py HOST:PORT [RECORDS] [CONSUMERS] [--topic T] [--produce]

With --produce, first writes RECORDS records with 100-byte values into partition 0 of a new
one-partition topic (default producer batching). Then, for max.partition.fetch.bytes at its
default (1 MiB) and at 10 MB, CONSUMERS consumers run one after another, each in a group of
its own (the previous one closed), each reading the whole partition from the beginning.
Prints records/s for each, measured from its first record to its last (joining the group
is reported apart: the broker's initial rebalance delay is not the consumer's speed).
Exits non-zero if a consumer misses a record.

Each setting runs twice: with librdkafka's defaults, and with fetch.queue.backoff.ms = 10.
By default, once a partition's local queue holds queued.min.messages (100,000) records,
librdkafka stops fetching it for fetch.queue.backoff.ms (1 s) whatever the application
does meanwhile, so an application that reads slower than the broker serves sits idle most
of every second, against any broker. The second run shows the rate without that pause.
With the defaults, each consumer's line also says how many times librdkafka paused it that
way, counted from its own "fetch" debug log. That log is left off in the second run, where
it would be written every few milliseconds and slow the consumer it measures. With
--server-pid, each line also gives the CPU time the server spent from the consumer's
subscribe to its last record: on a machine the client shares, what the server costs it.
"""

import argparse
import logging
import os
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

ap = argparse.ArgumentParser()
ap.add_argument("bootstrap")
ap.add_argument("records", type=int, nargs="?", default=1_000_000)
ap.add_argument("consumers", type=int, nargs="?", default=10)
ap.add_argument("--topic", default="bench-consume")
ap.add_argument("--produce", action="store_true")
ap.add_argument("--label", default="")
ap.add_argument("--server-pid", type=int,
                help="also report the CPU time this process (the server) spent per consumer")
args = ap.parse_args()


def produce():
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    for f in admin.create_topics([NewTopic(args.topic, num_partitions=1, replication_factor=1)]).values():
        f.result(timeout=30)
    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5})
    value = b"v" * 100
    start = time.perf_counter()
    for _ in range(args.records):
        while True:
            try:
                producer.produce(args.topic, value, partition=0)
                break
            except BufferError:
                producer.poll(0.001)
    producer.flush(120)
    elapsed = time.perf_counter() - start
    print(f"{args.label}produced {args.records} records of 100 bytes in {elapsed:.2f} s "
          f"= {args.records / elapsed:,.0f} records/s", flush=True)


class QueueFullPauses(logging.Handler):
    """Counts librdkafka's "Fetch backoff for ...ms: Local: Queue full" debug lines."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def emit(self, record):
        message = record.getMessage()
        if "Fetch backoff" in message and "Queue full" in message:
            self.count += 1


def server_cpu_s():
    """User plus system CPU seconds of --server-pid so far (0 without it)."""
    if args.server_pid is None:
        return 0.0
    with open(f"/proc/{args.server_pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def consume_once(group, fetch_bytes, backoff_ms):
    pauses = QueueFullPauses()
    logger = logging.getLogger(group)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(pauses)
    config = {
        "bootstrap.servers": args.bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    }
    if backoff_ms is None:
        config["debug"] = "fetch"
    if fetch_bytes:
        config["max.partition.fetch.bytes"] = fetch_bytes
    if backoff_ms is not None:
        config["fetch.queue.backoff.ms"] = backoff_ms
    consumer = Consumer(config, logger=logger)
    subscribed = time.perf_counter()
    consumer.subscribe([args.topic])
    cpu_at_start = server_cpu_s()
    seen = 0
    first = last = None
    expected = 0
    gaps = 0
    deadline = time.perf_counter() + 300
    while seen < args.records and time.perf_counter() < deadline:
        msgs = consumer.consume(num_messages=10_000, timeout=1.0)
        if not msgs:
            continue
        if first is None:
            first = time.perf_counter()
        # Checked per batch: dense offsets from where the last batch ended. Anything else
        # (an error in the batch, a gap) is looked at message by message.
        head, tail = msgs[0], msgs[-1]
        if head.error() is None and tail.error() is None and head.offset() == expected \
                and tail.offset() == expected + len(msgs) - 1:
            expected += len(msgs)
            seen += len(msgs)
        else:
            for m in msgs:
                if m.error():
                    continue
                if m.offset() != expected:
                    gaps += 1
                expected = m.offset() + 1
                seen += 1
        last = time.perf_counter()
    server_cpu = server_cpu_s() - cpu_at_start
    consumer.close()
    if seen < args.records or gaps:
        raise SystemExit(f"FAIL: {group} read {seen} of {args.records} records, {gaps} gaps")
    rate = (seen - 1) / (last - first) if last > first else float("inf")
    return rate, first - subscribed, pauses.count, server_cpu


if args.produce:
    produce()
SETTINGS = [
    (None, None, "default (1 MiB)"),
    (10_000_000, None, "10 MB"),
    (None, 10, "default (1 MiB), fetch.queue.backoff.ms 10"),
    (10_000_000, 10, "10 MB, fetch.queue.backoff.ms 10"),
]
for fetch_bytes, backoff_ms, name in SETTINGS:
    if args.consumers == 0:
        break
    rates = []
    for i in range(args.consumers):
        group = f"bench-consume-{int(time.time() * 1000)}-{i}"
        rate, join, paused, server_cpu = consume_once(group, fetch_bytes, backoff_ms)
        rates.append(rate)
        pauses = "" if backoff_ms else f", paused {paused} times with its queue full"
        cpu = "" if args.server_pid is None else f", server CPU {server_cpu:.2f} s"
        print(f"{args.label}max.partition.fetch.bytes {name}: consumer {i + 1}: "
              f"{rate:,.0f} records/s (joined in {join:.2f} s{pauses}{cpu})", flush=True)
    print(f"{args.label}max.partition.fetch.bytes {name}: first {rates[0]:,.0f}, "
          f"last {rates[-1]:,.0f}, slowest {min(rates):,.0f} records/s", flush=True)
