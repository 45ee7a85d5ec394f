"""Consumer groups in a known state, for the observer's tests against Apache Kafka.

Produces records with known timestamps to a topic, then starts three groups that each
commit chosen offsets and stay members (paused, still heartbeating):
  kp-classic   kafka-python, classic protocol
  ck-classic   confluent-kafka, classic protocol
  ck-848       confluent-kafka, group.protocol=consumer (KIP-848)

Writes the truth (record timestamps by partition and offset, and each group's commits) as
JSON to the path given, prints READY, and keeps the members alive until stdin closes.

usage: observe_groups.py BOOTSTRAP TOPIC OUT.json
"""

import json
import sys
import threading
import time

from confluent_kafka import Consumer as CkConsumer
from confluent_kafka import TopicPartition as CkTopicPartition
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.structs import OffsetAndMetadata

PARTITIONS = 4
RECORDS = 60
# Each group commits a different point in each partition.
COMMITS = {
    "kp-classic": [20, 25, 30, 35],
    "ck-classic": [10, 40, 59, 5],
    "ck-848": [50, 15, 0, 45],
}
DEADLINE = 90.0


def produce(bootstrap, topic):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    now = int(time.time() * 1000)
    stamps = {}
    for p in range(PARTITIONS):
        for i in range(RECORDS):
            # Spread over the last minute, a second apart, so time lags are large and
            # differ by partition and offset.
            ts = now - (RECORDS - i) * 1000 - p * 137
            meta = producer.send(topic, b"v%d" % i, partition=p, timestamp_ms=ts).get(30)
            stamps.setdefault(str(p), {})[str(meta.offset)] = meta.timestamp
    producer.flush()
    producer.close()
    return stamps


def kafka_python_group(bootstrap, topic, group, ready, stop):
    c = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        client_id=group + "-client",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    deadline = time.time() + DEADLINE
    while len(c.assignment()) < PARTITIONS and time.time() < deadline:
        c.poll(timeout_ms=200)
    offsets = {
        TopicPartition(topic, p): OffsetAndMetadata(o, "", -1)
        for p, o in enumerate(COMMITS[group])
    }
    c.commit(offsets)
    c.pause(*c.assignment())
    ready.set()
    while not stop.is_set():
        c.poll(timeout_ms=200)
    c.close()


def confluent_group(bootstrap, topic, group, protocol, ready, stop):
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": group + "-client",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    }
    if protocol == "consumer":
        conf["group.protocol"] = "consumer"
    c = CkConsumer(conf)
    c.subscribe([topic])
    deadline = time.time() + DEADLINE
    while len(c.assignment()) < PARTITIONS and time.time() < deadline:
        c.poll(0.2)
    offsets = [CkTopicPartition(topic, p, o) for p, o in enumerate(COMMITS[group])]
    c.commit(offsets=offsets, asynchronous=False)
    c.pause(c.assignment())
    ready.set()
    while not stop.is_set():
        c.poll(0.2)
    c.close()


def main():
    bootstrap, topic, out = sys.argv[1], sys.argv[2], sys.argv[3]
    stamps = produce(bootstrap, topic)
    stop = threading.Event()
    threads, readies = [], []
    for group, target, extra in [
        ("kp-classic", kafka_python_group, ()),
        ("ck-classic", confluent_group, ("classic",)),
        ("ck-848", confluent_group, ("consumer",)),
    ]:
        ready = threading.Event()
        args = (bootstrap, topic, group) + extra + (ready, stop)
        t = threading.Thread(target=target, args=args, daemon=True)
        t.start()
        threads.append(t)
        readies.append((group, ready))
    for group, ready in readies:
        if not ready.wait(DEADLINE):
            print("group %s never got its partitions" % group, file=sys.stderr)
            sys.exit(1)
    with open(out, "w") as f:
        json.dump({"timestamps": stamps, "commits": COMMITS}, f)
    print("READY", flush=True)
    sys.stdin.read()
    stop.set()
    for t in threads:
        t.join(10)


if __name__ == "__main__":
    main()
