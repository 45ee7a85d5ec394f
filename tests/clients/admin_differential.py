"""One sequence of admin calls (kafka-python) whose answers are printed as JSON, to run
against Apache Kafka and against minikafka and compare (tests/admin_differential.rs).

Usage: admin_differential.py HOST:PORT

Creates a topic and produces to it; a group reads, commits and leaves; an admin commits
-1, -2 and an offset past the end, describes configs, deletes one offset and the group;
then the same on a group with a live member; then partitions are added. Every answer is
printed as the client reports it: offsets, error names, config fields. Nothing is judged
here: the comparison, and what differs by design, is the test's.
"""

import json
import sys
import threading
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import KafkaError, for_code
from kafka.structs import OffsetAndMetadata

BOOTSTRAP = sys.argv[1]
TOPIC = "diff-t"
GROUP = "diff-group"
BUSY = "diff-busy"
DEADLINE_S = 60
TPS = [TopicPartition(TOPIC, p) for p in range(3)]
TOPIC_KEYS = ["cleanup.policy", "min.insync.replicas", "retention.bytes", "retention.ms"]


def name(error):
    """An error class, instance or name as its class name; None for success."""
    if error is None or error == "OK":
        return None
    if isinstance(error, str):
        return error
    if isinstance(error, type):
        return None if error.errno == 0 else error.__name__
    return type(error).__name__


def by_partition(mapping):
    return {str(tp.partition): value for tp, value in sorted(mapping.items())}


def stored(admin, group):
    """Every offset the group has stored, as OffsetFetch with no partitions lists them."""
    listed = admin.list_group_offsets(group)[group]
    return by_partition({tp: oam.offset for tp, oam in listed.items()})


def attempt(call):
    """The call's result, or the name of the error it raised."""
    try:
        return {"ok": call()}
    except KafkaError as e:
        return {"error": name(e)}


def wait_for(cond, what):
    end = time.time() + DEADLINE_S
    while time.time() < end:
        if cond():
            return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def configs(admin):
    """The topic's configs (all of them, by name, and the four we compare in detail), and
    the broker's names."""
    resource = ConfigResource(ConfigResourceType.TOPIC, TOPIC)
    topic = admin.describe_configs([resource], include_synonyms=True, config_filter="all")
    entries = topic["topic"][TOPIC]
    detail = {}
    for key in TOPIC_KEYS:
        e = entries[key]
        detail[key] = {
            "value": e["value"],
            "source": e["config_source"],
            "read_only": e["read_only"],
            "sensitive": e["is_sensitive"],
            "type": e.get("config_type"),
            "synonyms": [[s["name"], s["value"], s["source"]] for s in e.get("synonyms", [])],
        }
    cluster = admin.describe_cluster()
    broker_id = str(cluster["brokers"][0]["broker_id"])
    broker = admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, broker_id)],
                                    config_filter="all")["broker"][broker_id]
    return {"names": sorted(entries), "detail": detail, "broker_names": sorted(broker)}


class Member(threading.Thread):
    """A consumer of BUSY that polls until stopped, so the group keeps a member."""

    def __init__(self):
        super().__init__(daemon=True)
        self.consumer = KafkaConsumer(
            TOPIC, bootstrap_servers=BOOTSTRAP, group_id=BUSY, client_id="diff-busy-client",
            auto_offset_reset="earliest", enable_auto_commit=False)
        self.stop = False

    def run(self):
        while not self.stop:
            self.consumer.poll(timeout_ms=100)
        self.consumer.close()


def empty_group(admin, out):
    reader = KafkaConsumer(TOPIC, bootstrap_servers=BOOTSTRAP, group_id=GROUP,
                           client_id="diff-reader", auto_offset_reset="earliest",
                           enable_auto_commit=False)
    seen = [0]

    def read_all():
        seen[0] += sum(len(r) for r in reader.poll(timeout_ms=200).values())
        return seen[0] >= 15

    wait_for(read_all, "the group to read every record")
    reader.commit()
    reader.close()
    out["committed"] = stored(admin, GROUP)
    commits = {TPS[0]: -1, TPS[1]: -2, TPS[2]: 99}
    altered = admin.alter_group_offsets(
        GROUP, {tp: OffsetAndMetadata(o, "", None) for tp, o in commits.items()})
    out["admin_commit"] = {p: name(e) for p, e in by_partition(altered).items()}
    out["stored"] = stored(admin, GROUP)
    out["configs"] = configs(admin)
    deleted = admin.delete_group_offsets(GROUP, [TPS[2], TopicPartition(TOPIC, 9)])
    out["delete_offsets"] = {p: name(e) for p, e in by_partition(deleted).items()}
    out["stored_after_delete"] = stored(admin, GROUP)
    out["described_empty"] = admin.describe_groups([GROUP])[GROUP]["group_state"]
    out["delete_group"] = {g: name(r) for g, r in admin.delete_groups([GROUP]).items()}
    out["described_deleted"] = admin.describe_groups([GROUP])[GROUP]["group_state"]


def busy_group(admin, out):
    member = Member()
    member.start()
    wait_for(lambda: admin.describe_groups([BUSY])[BUSY]["group_state"] == "Stable",
             "the busy group to be stable")
    described = admin.describe_groups([BUSY])[BUSY]
    out["busy_described"] = {
        "state": described["group_state"],
        "protocol_type": described["protocol_type"],
        "protocol": described["protocol_data"],
        "members": [{"client_id": m["client_id"], "client_host": m["client_host"]}
                    for m in described["members"]],
    }
    altered = admin.alter_group_offsets(BUSY, {TPS[0]: OffsetAndMetadata(0, "", None)})
    out["busy_admin_commit"] = {p: name(e) for p, e in by_partition(altered).items()}
    deleted = admin.delete_group_offsets(BUSY, [TPS[0]])
    out["busy_delete_offsets"] = {p: name(e) for p, e in by_partition(deleted).items()}
    out["busy_delete_group"] = {g: name(r) for g, r in admin.delete_groups([BUSY]).items()}
    groups = admin.list_groups()
    out["listed"] = sorted([g["group_id"], g["group_state"], g.get("group_type")]
                           for g in groups if g["group_id"] == BUSY)
    member.stop = True
    member.join(DEADLINE_S)


def unknown_group(admin, out):
    out["unknown_delete_offsets"] = attempt(
        lambda: by_partition(admin.delete_group_offsets("diff-nope", [TPS[0]])))
    out["unknown_delete_group"] = {
        g: name(r) for g, r in admin.delete_groups(["diff-nope"]).items()}
    out["unknown_described"] = attempt(
        lambda: admin.describe_groups(["diff-nope"])["diff-nope"]["group_state"])


def partitions(admin, out):
    def grow(count, validate_only=False, topic=TOPIC):
        r = admin.create_partitions({topic: count}, validate_only=validate_only,
                                    raise_errors=False)
        return [name(for_code(t.error_code)) for t in r.results]

    out["partitions"] = {
        "validate_only": grow(5, validate_only=True),
        "grow": grow(4),
        "same": grow(4),
        "shrink": grow(2),
        "unknown": grow(3, topic="diff-nope"),
        "count": len(admin.describe_topics([TOPIC])[0]["partitions"]),
    }
    cluster = admin.describe_cluster()
    out["cluster"] = {
        "brokers": len(cluster["brokers"]),
        "controller_is_a_broker": cluster["controller_id"] in
        [b["broker_id"] for b in cluster["brokers"]],
        "has_cluster_id": bool(cluster["cluster_id"]),
    }


def main():
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, client_id="diff-admin")
    out = {}
    admin.create_topics([NewTopic(TOPIC, 3, 1, topic_configs={"retention.ms": "3600000"})])
    admin.wait_for_topics([TOPIC])
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP)
    for p in range(3):
        for i in range(5):
            producer.send(TOPIC, b"v%d" % i, partition=p)
    producer.flush()
    producer.close()
    empty_group(admin, out)
    busy_group(admin, out)
    unknown_group(admin, out)
    partitions(admin, out)
    admin.close()
    print(json.dumps(out, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
