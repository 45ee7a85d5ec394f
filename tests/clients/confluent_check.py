"""confluent-kafka (librdkafka) against minikafka: 100,000 records through a two-member group.

Usage: confluent_check.py HOST:PORT
Both consumers join (and the group settles) before anything is produced, so no record can
be processed twice across a rebalance; each consumer commits synchronously after every
batch. The check is that every offset of every partition is read exactly once and the
committed offsets end at the log end.
"""

import sys
import threading
import time

import checks
from checks import check

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

BOOTSTRAP = sys.argv[1]
TOPIC = "ck-events"
GROUP = "ck-group"
PARTITIONS = 4
RECORDS = 100_000
DEADLINE_S = 90


MEMBERS = []


def wait_for(cond, what):
    checks.wait_for(
        cond, what, DEADLINE_S, lambda: next((m.errors for m in MEMBERS if m.errors), None)
    )


admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
for f in admin.create_topics([NewTopic(TOPIC, num_partitions=PARTITIONS, replication_factor=1)]).values():
    f.result(timeout=10)
check(True, f"created {TOPIC} with {PARTITIONS} partitions")


class Member:
    """A consumer on its own thread that commits synchronously after every batch."""

    def __init__(self, name):
        self.consumer = Consumer(
            {
                "bootstrap.servers": BOOTSTRAP,
                "group.id": GROUP,
                "client.id": name,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 6000,
                "heartbeat.interval.ms": 300,
            }
        )
        self.consumer.subscribe([TOPIC])
        self.lock = threading.Lock()
        self.assigned = set()
        self.seen = []
        self.errors = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        MEMBERS.append(self)
        self.thread.start()

    def run(self):
        try:
            self.loop()
        except Exception as e:  # noqa: BLE001 - report any failure to the main thread
            self.errors.append(repr(e))

    def loop(self):
        while not self.stop.is_set():
            msgs = self.consumer.consume(num_messages=1000, timeout=0.2)
            batch = []
            for m in msgs:
                if m.error():
                    self.errors.append(str(m.error()))
                    continue
                batch.append((m.partition(), m.offset()))
            if batch:
                self.consumer.commit(asynchronous=False)
            with self.lock:
                self.seen.extend(batch)
                self.assigned = {tp.partition for tp in self.consumer.assignment()}
        self.consumer.close()

    def assignment(self):
        with self.lock:
            return set(self.assigned)

    def count(self):
        with self.lock:
            return len(self.seen)


a = Member("ck-consumer-a")
b = Member("ck-consumer-b")
wait_for(
    lambda: a.assignment() and b.assignment()
    and a.assignment() | b.assignment() == set(range(PARTITIONS))
    and not a.assignment() & b.assignment(),
    "both consumers own a share of the partitions",
)
check(True, f"split: a={sorted(a.assignment())} b={sorted(b.assignment())}")

producer = Producer({"bootstrap.servers": BOOTSTRAP, "client.id": "ck-producer"})
delivered = {"ok": 0, "failed": 0}


def on_delivery(err, _msg):
    delivered["failed" if err else "ok"] += 1


value = b"x" * 100
for i in range(RECORDS):
    while True:
        try:
            producer.produce(TOPIC, key=str(i).encode(), value=value, on_delivery=on_delivery)
            break
        except BufferError:
            producer.poll(0.05)
    if i % 10_000 == 0:
        producer.poll(0)
producer.flush(30)
check(delivered == {"ok": RECORDS, "failed": 0}, f"producer delivered {RECORDS} records: {delivered}")

wait_for(lambda: a.count() + b.count() >= RECORDS, f"consumers read {RECORDS} records")
time.sleep(0.5)  # let any duplicate (there must be none) arrive before counting
seen = a.seen + b.seen
check(len(seen) == RECORDS, f"read {len(seen)} records in total, exactly {RECORDS}")
check(len(set(seen)) == RECORDS, "no record was read twice")
check(not a.errors and not b.errors, f"no consumer errors: {a.errors + b.errors}")

a.stop.set()
b.stop.set()
a.thread.join(30)
b.thread.join(30)
check(not a.thread.is_alive() and not b.thread.is_alive(), "both consumers closed")

# A fresh, unsubscribed client in the same group reads the log ends and the commits.
probe = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": GROUP, "client.id": "ck-probe"})
ends = {}
for p in range(PARTITIONS):
    _, high = probe.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=10)
    ends[p] = high
check(sum(ends.values()) == RECORDS, f"the log holds {RECORDS} records: ends {ends}")
per_partition = {p: sorted(o for q, o in seen if q == p) for p in range(PARTITIONS)}
check(
    all(per_partition[p] == list(range(ends[p])) for p in range(PARTITIONS)),
    "every offset of every partition read once",
)
committed = probe.committed([TopicPartition(TOPIC, p) for p in range(PARTITIONS)], timeout=10)
check(
    {tp.partition: tp.offset for tp in committed} == ends,
    "committed offsets end at the log end",
)
probe.close()
print("confluent-kafka: all checks passed", flush=True)
