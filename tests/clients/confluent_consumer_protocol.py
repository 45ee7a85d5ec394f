"""confluent-kafka (librdkafka) with Kafka 4's consumer group protocol (KIP-848) against minikafka.

Usage: confluent_consumer_protocol.py HOST:PORT

Two members with `group.protocol=consumer` join one group: the broker computes the
assignment, and they split the partitions. Records are produced, and partway through one
member leaves; the other takes over its partitions from the committed offsets. Each member
commits synchronously after every batch and before giving partitions up, so the check is
that every offset of every partition is read exactly once and the commits end at the log end.
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
TOPIC = "kip848-events"
GROUP = "kip848-group"
PARTITIONS = 4
RECORDS = 20_000
DEADLINE_S = 90

MEMBERS = []


def wait_for(cond, what):
    wait_for_members(MEMBERS, cond, what, DEADLINE_S)


admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
create_topic(admin, TOPIC, PARTITIONS)


def member(name):
    # What was processed is committed before the partitions go to another member.
    m = Member(BOOTSTRAP, TOPIC, GROUP, name, {"group.protocol": "consumer"}, batch=500,
               commit_on_revoke=True)
    MEMBERS.append(m)
    return m


a = member("kip848-a")
b = member("kip848-b")
wait_for(
    lambda: split_between(a, b, PARTITIONS),
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
    produce_keyed(producer, TOPIC, first, last, on_delivery)


half = RECORDS // 2
produce(0, half)
wait_for(lambda: a.count() + b.count() >= half, f"members read the first {half} records")

# b leaves the group (member epoch -1): a takes over all partitions.
check(b.close(), "b closed, leaving the group")
wait_for(lambda: a.assignment() == set(range(PARTITIONS)), "a owns every partition after b left")

produce(half, RECORDS)
check(delivered == {"ok": RECORDS, "failed": 0}, f"producer delivered {RECORDS} records: {delivered}")
wait_for(lambda: a.count() + b.count() >= RECORDS, f"members read {RECORDS} records")
time.sleep(0.5)  # let any duplicate (there must be none) arrive before counting
seen = a.seen + b.seen
check(len(seen) == RECORDS, f"read {len(seen)} records in total, exactly {RECORDS}")
check(len(set(seen)) == RECORDS, "no record was read twice")
check(not a.errors and not b.errors, f"no consumer errors: {a.errors + b.errors}")

check(a.close(), "a closed")

check_read_once_and_committed(BOOTSTRAP, TOPIC, GROUP, PARTITIONS, RECORDS, seen)
print("confluent-kafka consumer protocol: all checks passed", flush=True)
