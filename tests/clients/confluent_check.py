"""confluent-kafka (librdkafka) against minikafka: 100,000 records through a two-member group.

Usage: confluent_check.py HOST:PORT
Both consumers join (and the group settles) before anything is produced, so no record can
be processed twice across a rebalance; each consumer commits synchronously after every
batch. The check is that every offset of every partition is read exactly once and the
committed offsets end at the log end.
"""

import sys
import time

from checks import check
from confluent_group import (
    Member,
    check_read_once_and_committed,
    create_topic,
    produce_keyed,
    split_between,
    wait_for_members,
)

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

BOOTSTRAP = sys.argv[1]
TOPIC = "ck-events"
GROUP = "ck-group"
PARTITIONS = 4
RECORDS = 100_000
DEADLINE_S = 90


MEMBERS = []


def wait_for(cond, what):
    wait_for_members(MEMBERS, cond, what, DEADLINE_S)


admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
create_topic(admin, TOPIC, PARTITIONS)


def member(name):
    config = {"session.timeout.ms": 6000, "heartbeat.interval.ms": 300}
    m = Member(BOOTSTRAP, TOPIC, GROUP, name, config, batch=1000)
    MEMBERS.append(m)
    return m


a = member("ck-consumer-a")
b = member("ck-consumer-b")
wait_for(
    lambda: split_between(a, b, PARTITIONS),
    "both consumers own a share of the partitions",
)
check(True, f"split: a={sorted(a.assignment())} b={sorted(b.assignment())}")

producer = Producer({"bootstrap.servers": BOOTSTRAP, "client.id": "ck-producer"})
delivered = {"ok": 0, "failed": 0}


def on_delivery(err, _msg):
    delivered["failed" if err else "ok"] += 1


produce_keyed(producer, TOPIC, 0, RECORDS, on_delivery)
check(delivered == {"ok": RECORDS, "failed": 0}, f"producer delivered {RECORDS} records: {delivered}")

wait_for(lambda: a.count() + b.count() >= RECORDS, f"consumers read {RECORDS} records")
time.sleep(0.5)  # let any duplicate (there must be none) arrive before counting
seen = a.seen + b.seen
check(len(seen) == RECORDS, f"read {len(seen)} records in total, exactly {RECORDS}")
check(len(set(seen)) == RECORDS, "no record was read twice")
check(not a.errors and not b.errors, f"no consumer errors: {a.errors + b.errors}")

check(a.close() and b.close(), "both consumers closed")

check_read_once_and_committed(BOOTSTRAP, TOPIC, GROUP, PARTITIONS, RECORDS, seen)
print("confluent-kafka: all checks passed", flush=True)
