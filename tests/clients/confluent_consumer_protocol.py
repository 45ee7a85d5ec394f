"""confluent-kafka (librdkafka) with Kafka 4's consumer group protocol (KIP-848) against minikafka.

Usage: confluent_consumer_protocol.py HOST:PORT

Two members with `group.protocol=consumer` join one group: the broker computes the
assignment, and they split the partitions. Records are produced, and partway through one
member leaves; the other takes over its partitions from the committed offsets. Each member
commits synchronously after every batch and before giving partitions up, so the check is
that every offset of every partition is read exactly once and the commits end at the log end.
"""

import sys
import threading
import time

import checks
from checks import check

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

BOOTSTRAP = sys.argv[1]
TOPIC = "kip848-events"
GROUP = "kip848-group"
PARTITIONS = 4
RECORDS = 20_000
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
    """A consumer-protocol member on its own thread; commits after every batch."""

    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.assigned = set()
        self.seen = []
        self.errors = []
        self.stop = threading.Event()
        self.consumer = Consumer(
            {
                "bootstrap.servers": BOOTSTRAP,
                "group.id": GROUP,
                "group.protocol": "consumer",
                "client.id": name,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
        self.consumer.subscribe([TOPIC], on_revoke=self.on_revoke)
        self.thread = threading.Thread(target=self.run, daemon=True)
        MEMBERS.append(self)
        self.thread.start()

    def on_revoke(self, consumer, partitions):
        # What was processed is committed before the partitions go to another member.
        try:
            consumer.commit(asynchronous=False)
        except Exception as e:  # noqa: BLE001 - nothing to commit is not a failure
            if "NO_OFFSET" not in str(e):
                self.errors.append(f"commit on revoke: {e!r}")

    def run(self):
        try:
            self.loop()
        except Exception as e:  # noqa: BLE001 - report any failure to the main thread
            self.errors.append(repr(e))

    def loop(self):
        while not self.stop.is_set():
            msgs = self.consumer.consume(num_messages=500, timeout=0.2)
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


a = Member("kip848-a")
b = Member("kip848-b")
wait_for(
    lambda: a.assignment() and b.assignment()
    and a.assignment() | b.assignment() == set(range(PARTITIONS))
    and not a.assignment() & b.assignment(),
    "both members own a share of the partitions",
)
check(True, f"split by the broker: a={sorted(a.assignment())} b={sorted(b.assignment())}")

described = admin.describe_consumer_groups([GROUP])[GROUP].result(timeout=10)
check(
    str(described.type).endswith("CONSUMER") or "CONSUMER" in str(described.type),
    f"described as a consumer-protocol group: type {described.type}",
)
check(len(described.members) == 2, f"two members described: {len(described.members)}")

producer = Producer({"bootstrap.servers": BOOTSTRAP, "client.id": "kip848-producer"})
delivered = {"ok": 0, "failed": 0}


def on_delivery(err, _msg):
    delivered["failed" if err else "ok"] += 1


def produce(first, last):
    for i in range(first, last):
        while True:
            try:
                producer.produce(TOPIC, key=str(i).encode(), value=b"x" * 100, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(30)


half = RECORDS // 2
produce(0, half)
wait_for(lambda: a.count() + b.count() >= half, f"members read the first {half} records")

# b leaves the group (member epoch -1): a takes over all partitions.
b.stop.set()
b.thread.join(30)
check(not b.thread.is_alive(), "b closed, leaving the group")
wait_for(lambda: a.assignment() == set(range(PARTITIONS)), "a owns every partition after b left")

produce(half, RECORDS)
check(delivered == {"ok": RECORDS, "failed": 0}, f"producer delivered {RECORDS} records: {delivered}")
wait_for(lambda: a.count() + b.count() >= RECORDS, f"members read {RECORDS} records")
time.sleep(0.5)  # let any duplicate (there must be none) arrive before counting
seen = a.seen + b.seen
check(len(seen) == RECORDS, f"read {len(seen)} records in total, exactly {RECORDS}")
check(len(set(seen)) == RECORDS, "no record was read twice")
check(not a.errors and not b.errors, f"no consumer errors: {a.errors + b.errors}")

a.stop.set()
a.thread.join(30)
check(not a.thread.is_alive(), "a closed")

probe = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": GROUP, "client.id": "kip848-probe"})
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
print("confluent-kafka consumer protocol: all checks passed", flush=True)
