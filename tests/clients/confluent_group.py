"""What the confluent-kafka group checks share: members that consume on their own threads
and commit after every batch, keyed produce, and the closing check that every offset was
read once and the commits end at the log end."""

import threading

import checks
from checks import check

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import NewTopic


def create_topic(admin, topic, partitions):
    for f in admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)]).values():
        f.result(timeout=10)
    check(True, f"created {topic} with {partitions} partitions")


def wait_for_members(members, cond, what, deadline_s):
    """Waits for `cond`, failing at once when a member's thread has failed."""
    checks.wait_for(cond, what, deadline_s, lambda: next((m.errors for m in members if m.errors), None))


class Member:
    """A consumer on its own thread that commits synchronously after every batch of up to
    `batch` records. With `commit_on_revoke`, what it processed is also committed before
    its partitions go to another member."""

    def __init__(self, bootstrap, topic, group, name, config, batch, commit_on_revoke=False):
        self.name = name
        self.batch = batch
        self.lock = threading.Lock()
        self.assigned = set()
        self.seen = []
        self.errors = []
        self.stop = threading.Event()
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": group,
                "client.id": name,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                **config,
            }
        )
        if commit_on_revoke:
            self.consumer.subscribe([topic], on_revoke=self.on_revoke)
        else:
            self.consumer.subscribe([topic])
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def on_revoke(self, consumer, partitions):
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
            msgs = self.consumer.consume(num_messages=self.batch, timeout=0.2)
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

    def close(self):
        self.stop.set()
        self.thread.join(30)
        return not self.thread.is_alive()


def split_between(a, b, partitions):
    """Whether `a` and `b` together own every partition, each some, none both."""
    return (
        a.assignment() and b.assignment()
        and a.assignment() | b.assignment() == set(range(partitions))
        and not a.assignment() & b.assignment()
    )


def produce_keyed(producer, topic, first, last, on_delivery):
    """Produces records keyed `first`..`last` with 100-byte values, then flushes."""
    value = b"x" * 100
    for i in range(first, last):
        while True:
            try:
                producer.produce(topic, key=str(i).encode(), value=value, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 10_000 == 0:
            producer.poll(0)
    producer.flush(30)


def check_read_once_and_committed(bootstrap, topic, group, partitions, records, seen):
    """A fresh, unsubscribed client in the group reads the log ends and the commits: every
    offset of every partition was read once, and the commits end at the log end."""
    probe = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": f"{group}-probe"})
    ends = {}
    for p in range(partitions):
        _, high = probe.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        ends[p] = high
    check(sum(ends.values()) == records, f"the log holds {records} records: ends {ends}")
    per_partition = {p: sorted(o for q, o in seen if q == p) for p in range(partitions)}
    check(
        all(per_partition[p] == list(range(ends[p])) for p in range(partitions)),
        "every offset of every partition read once",
    )
    committed = probe.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
    check(
        {tp.partition: tp.offset for tp in committed} == ends,
        "committed offsets end at the log end",
    )
    probe.close()
