"""kafka-python's group administration against a broker: reset, alter and delete a group's
offsets, and delete groups, on an empty group and on one with a live member.

Usage: kafka_python_admin_check.py HOST:PORT
Exits non-zero with a message on the first failed check.
"""

import sys
import threading
import time

import checks
from checks import check

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic, OffsetSpec
from kafka.errors import (
    GroupIdNotFoundError,
    GroupSubscribedToTopicError,
    NoError,
    NonEmptyGroupError,
    UnknownMemberIdError,
)
from kafka.structs import OffsetAndMetadata

BOOTSTRAP = sys.argv[1]
TOPIC = "kp-admin"
GROUP = "kp-admin-group"
LIVE = "kp-admin-live"
RECORDS = 10
DEADLINE_S = 60
TPS = [TopicPartition(TOPIC, p) for p in range(3)]


def offsets(admin, group):
    """The group's committed offsets on TOPIC, as {partition: offset}."""
    listed = admin.list_group_offsets({group: TPS})[group]
    return {tp.partition: oam.offset for tp, oam in listed.items() if oam.offset is not None}


class Member(threading.Thread):
    """A consumer of LIVE that polls until stopped, so the group keeps a member."""

    def __init__(self):
        super().__init__(daemon=True)
        self.consumer = KafkaConsumer(
            TOPIC, bootstrap_servers=BOOTSTRAP, group_id=LIVE, client_id="kp-live",
            auto_offset_reset="earliest", enable_auto_commit=False)
        self.stop = False
        self.error = None

    def run(self):
        try:
            while not self.stop:
                self.consumer.poll(timeout_ms=100)
        except Exception as e:  # noqa: BLE001 - reported by the waiting check
            self.error = e
        finally:
            self.consumer.close()


def main():
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, client_id="kp-admin")
    admin.create_topics([NewTopic(TOPIC, 3, 1)])
    # Kafka publishes a new topic's leaders a moment later; a consumer that joins before
    # then is assigned nothing.
    admin.wait_for_topics([TOPIC])
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP)
    for p in range(3):
        for i in range(RECORDS):
            producer.send(TOPIC, b"v%d" % i, partition=p)
    producer.flush()
    producer.close()

    # A group reads everything, commits, and leaves.
    reader = KafkaConsumer(TOPIC, bootstrap_servers=BOOTSTRAP, group_id=GROUP,
                           auto_offset_reset="earliest", enable_auto_commit=False)
    seen = [0]

    def read_all():
        seen[0] += sum(len(r) for r in reader.poll(timeout_ms=200).values())
        return seen[0] >= 3 * RECORDS

    checks.wait_for(read_all, "the group reads every record", DEADLINE_S)
    reader.commit()
    reader.close()
    check(offsets(admin, GROUP) == {0: 10, 1: 10, 2: 10}, "the group committed the end")

    # reset_group_offsets resolves specs on the broker and commits them as an admin.
    reset = admin.reset_group_offsets(
        GROUP, {TPS[0]: OffsetSpec.EARLIEST, TPS[1]: OffsetSpec.LATEST, TPS[2]: 4})
    check(all(r["error"] is NoError for r in reset.values()), f"reset_group_offsets: {reset}")
    got = offsets(admin, GROUP)
    check(got == {0: 0, 1: 10, 2: 4}, f"reset to earliest, latest and 4: {got}")

    # alter_group_offsets stores what it is given, as Kafka does: sentinels, past the end.
    altered = admin.alter_group_offsets(GROUP, {
        TPS[0]: OffsetAndMetadata(-1, "", None),
        TPS[1]: OffsetAndMetadata(-2, "", None),
        TPS[2]: OffsetAndMetadata(99, "", None)})
    check(all(e is NoError for e in altered.values()), f"alter_group_offsets: {altered}")
    got = offsets(admin, GROUP)
    check(got == {0: -1, 1: -2, 2: 99}, f"-1, -2 and 99 are stored as given: {got}")

    deleted = admin.delete_group_offsets(GROUP, [TPS[2]])
    check(deleted == {TPS[2]: NoError}, f"delete_group_offsets: {deleted}")
    got = offsets(admin, GROUP)
    # OffsetFetch answers -1 for a partition without a committed offset.
    check(got == {0: -1, 1: -2, 2: -1}, f"only partition 2's offset is gone: {got}")
    everything = admin.list_group_offsets(GROUP)[GROUP]
    check(sorted(tp.partition for tp in everything) == [0, 1],
          f"the group's offsets, listed in full: {everything}")

    # A group with a live member keeps its offsets and stays.
    member = Member()
    member.start()
    checks.wait_for(lambda: admin.describe_groups([LIVE])[LIVE]["group_state"] == "Stable",
                    "the live group is stable", DEADLINE_S, lambda: member.error)
    described = admin.describe_groups([LIVE])[LIVE]
    hosts = [m["client_host"] for m in described["members"]]
    check(hosts == ["/127.0.0.1"], f"describe_groups names the member's host: {hosts}")
    altered = admin.alter_group_offsets(LIVE, {TPS[0]: OffsetAndMetadata(0, "", None)})
    check(altered == {TPS[0]: UnknownMemberIdError},
          f"alter_group_offsets on a live group: {altered}")
    deleted = admin.delete_group_offsets(LIVE, [TPS[0]])
    check(deleted == {TPS[0]: GroupSubscribedToTopicError},
          f"delete_group_offsets of a topic the live group reads: {deleted}")
    refused = admin.delete_groups([LIVE])
    # delete_groups names each outcome: "OK" or the error's class name.
    check(refused == {LIVE: NonEmptyGroupError.__name__},
          f"delete_groups on a live group: {refused}")
    member.stop = True
    member.join(DEADLINE_S)

    result = admin.delete_groups([GROUP, LIVE, "kp-admin-nope"])
    expected = {GROUP: "OK", LIVE: "OK", "kp-admin-nope": GroupIdNotFoundError.__name__}
    check(result == expected, f"delete_groups: {result}")
    left = [g[0] if isinstance(g, tuple) else g for g in admin.list_groups()]
    check(GROUP not in str(left), f"the deleted groups are gone: {left}")
    admin.close()
    print("all checks passed", flush=True)


if __name__ == "__main__":
    main()
