"""kafka-python against minikafka: admin, keyed partitioning, a two-member group, offsets.

Usage: kafka_python_check.py HOST:PORT
Exits non-zero with a message on the first failed check.
"""

import sys
import threading
import time

import checks
from checks import check

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import CommitFailedError, TopicAlreadyExistsError

BOOTSTRAP = sys.argv[1]
TOPIC = "kp-orders"
GROUP = "kp-group"
PARTITIONS = 3
RECORDS = 300
DEADLINE_S = 60


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (seed 0x9747b28c), written out here so the check does not trust the client."""
    m, r = 0x5BD1E995, 24
    length = len(data)
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    tail = length % 4
    base = length - tail
    if tail == 3:
        h ^= data[base + 2] << 16
    if tail >= 2:
        h ^= data[base + 1] << 8
    if tail >= 1:
        h ^= data[base]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


MEMBERS = []


def wait_for(cond, what):
    checks.wait_for(
        cond, what, DEADLINE_S, lambda: next((m.error for m in MEMBERS if m.error), None)
    )


# The test vectors from the design notes: our murmur2 is Kafka's.
check(
    [murmur2(b"kafka"), murmur2(b"giberish123456789"), murmur2(b"1234"), murmur2(b"")]
    == [0xD067CF64, 0x8F552B0C, 0x9FC97B14, 0x106E08D9],
    "murmur2 test vectors",
)

admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, client_id="kp-admin")
admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])
check(True, "admin created a 3-partition topic")
try:
    admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])
    check(False, "duplicate create raised TopicAlreadyExistsError")
except TopicAlreadyExistsError:
    check(True, "duplicate create raised TopicAlreadyExistsError")

producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, client_id="kp-producer", acks="all")
futures = []
for i in range(RECORDS):
    key = f"key-{i}".encode()
    futures.append((key, producer.send(TOPIC, key=key, value=f"value-{i}".encode())))
producer.flush()
placed = [(key, f.get(timeout=10).partition) for key, f in futures]
check(
    all(p == (murmur2(k) & 0x7FFFFFFF) % PARTITIONS for k, p in placed),
    "keyed records landed on murmur2 partitions",
)
producer.close()


class Member:
    """A consumer polled on its own thread, committing after every poll."""

    def __init__(self, name):
        self.consumer = KafkaConsumer(
            TOPIC,
            bootstrap_servers=BOOTSTRAP,
            group_id=GROUP,
            client_id=name,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            session_timeout_ms=6000,
            heartbeat_interval_ms=300,
        )
        self.lock = threading.Lock()
        self.assigned = set()
        self.seen = []
        self.stop = threading.Event()
        self.closed = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self.run, daemon=True)
        MEMBERS.append(self)
        self.thread.start()

    def run(self):
        try:
            while not self.stop.is_set():
                batches = self.consumer.poll(timeout_ms=100)
                with self.lock:
                    self.assigned = {tp.partition for tp in self.consumer.assignment()}
                    for tp, records in batches.items():
                        for r in records:
                            self.seen.append((tp.partition, r.offset, r.key))
                if batches:
                    try:
                        self.consumer.commit()
                    except CommitFailedError:
                        # A rebalance began after this poll, as Kafka allows: the records
                        # are read again by their next owner, which the checks tolerate.
                        pass
            self.consumer.close()
        except Exception as e:  # noqa: BLE001 - report any failure to the main thread
            self.error = repr(e)
        finally:
            self.closed.set()

    def assignment(self):
        with self.lock:
            return set(self.assigned)

    def close(self):
        self.stop.set()
        self.closed.wait(30)


# Started together, the two share the group's first rebalance: the broker holds an empty
# group's first rebalance for 3 s, as Kafka does. Without that wait the first member's
# rebalance completes before its client has the topic's metadata, it assigns nothing, and its
# leader rejoins for the metadata; kafka-python 3.0 can lose track of that rejoin when a
# poll times out in the middle of it, and then never heartbeats again.
a = Member("kp-consumer-a")
b = Member("kp-consumer-b")
wait_for(
    lambda: a.assignment() and b.assignment()
    and a.assignment() | b.assignment() == set(range(PARTITIONS))
    and not a.assignment() & b.assignment(),
    "two consumers split the partitions",
)
check(True, f"split: a={sorted(a.assignment())} b={sorted(b.assignment())}")

b.close()
wait_for(lambda: a.assignment() == set(range(PARTITIONS)), "after one closes the other owns all partitions")
check(True, "after one closes the other owns all partitions")


def total_seen():
    with a.lock, b.lock:
        return {(p, o) for p, o, _ in a.seen + b.seen}


wait_for(lambda: len(total_seen()) == RECORDS, "every record consumed")
check(True, "every record consumed")
for p, _, key in a.seen + b.seen:
    if key is not None and p != (murmur2(key) & 0x7FFFFFFF) % PARTITIONS:
        check(False, f"record with key {key!r} on partition {p}")


def committed():
    # kafka-python 3 renamed list_consumer_group_offsets to list_group_offsets.
    if hasattr(admin, "list_consumer_group_offsets"):
        offsets = admin.list_consumer_group_offsets(GROUP)
    else:
        offsets = admin.list_group_offsets({GROUP: None})[GROUP]
    return {tp.partition: om.offset for tp, om in offsets.items() if tp.topic == TOPIC}


expected = {p: sum(1 for _, q in placed if q == p) for p in range(PARTITIONS)}
wait_for(lambda: committed() == expected, "committed offsets read back through the admin client")
check(True, f"committed offsets read back: {committed()}")



def listed_groups():
    """Group ids from list_groups (kafka-python 3) or list_consumer_groups (2.x)."""
    if hasattr(admin, "list_groups"):
        return [g["group_id"] for g in admin.list_groups()]
    return [g[0] for g in admin.list_consumer_groups()]


def described_group():
    """(state, [(client_id, {partitions of TOPIC})]) from either client generation."""
    if hasattr(admin, "describe_groups"):
        g = admin.describe_groups([GROUP])[GROUP]
        members = [
            (
                m["client_id"],
                {
                    p
                    for t in m["member_assignment"]["assigned_partitions"]
                    if t["topic"] == TOPIC
                    for p in t["partitions"]
                },
            )
            for m in g["members"]
        ]
        return g["group_state"], members
    g = admin.describe_consumer_groups([GROUP])[0]
    members = [
        (m.client_id, {p for t, ps in m.member_assignment.assignment if t == TOPIC for p in ps})
        for m in g.members
    ]
    return g.state, members


groups = listed_groups()
check(GROUP in groups, f"listing groups shows {GROUP}: {groups}")
state, members = described_group()
check(state == "Stable", f"describing the group gives state {state}")
check(
    members == [("kp-consumer-a", set(range(PARTITIONS)))],
    f"describing the group shows the remaining member and its assignment: {members}",
)

a.close()
admin.close()
print("kafka-python: all checks passed", flush=True)
