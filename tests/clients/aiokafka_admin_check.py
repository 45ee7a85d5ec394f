"""aiokafka's admin client against a broker: describe_configs (a topic and the broker) and
create_partitions.

Usage: aiokafka_admin_check.py HOST:PORT
Exits non-zero with a message on the first failed check.
"""

import asyncio
import sys

from checks import check

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import InvalidPartitionsError

BOOTSTRAP = sys.argv[1]
TOPIC = "aio-admin"


def configs(response):
    """{resource name: {config name: (value, source, read only)}} from DescribeConfigs."""
    out = {}
    for r in response.resources:
        error_code, _message, _kind, name, entries = r[:5]
        check(error_code == 0, f"describe_configs of {name!r}: error {error_code}")
        # From v1 an entry is (name, value, read_only, source, sensitive, synonyms).
        out[name] = {e[0]: (e[1], e[3], e[2]) for e in entries}
    return out


async def main():
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP, client_id="aio-admin")
    await admin.start()
    try:
        await admin.create_topics([NewTopic(TOPIC, 1, 1, topic_configs={"retention.ms": "3600000"})])
        described = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, TOPIC)], include_synonyms=True)
        topic = {}
        for response in described:
            topic.update(configs(response))
        entries = topic[TOPIC]
        for name in ["cleanup.policy", "min.insync.replicas", "retention.bytes", "retention.ms"]:
            check(name in entries, f"the topic's {name} is described")
        check(entries["retention.ms"][0] == "3600000", f"retention.ms as created: {entries['retention.ms']}")
        check(entries["cleanup.policy"][0] == "delete", f"cleanup.policy: {entries['cleanup.policy']}")

        only = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, TOPIC, {"retention.bytes": None})])
        names = [e[0] for r in only for res in r.resources for e in res[4]]
        check(names == ["retention.bytes"], f"only the config asked for: {names}")

        cluster = await admin.describe_cluster()
        broker_id = cluster["brokers"][0]["node_id"]
        described = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.BROKER, str(broker_id))])
        broker = {}
        for response in described:
            broker.update(configs(response))
        entries = broker[str(broker_id)]
        for name in ["num.partitions", "auto.create.topics.enable", "log.retention.ms"]:
            check(name in entries, f"the broker's {name} is described")

        await admin.create_partitions({TOPIC: NewPartitions(3)})
        described = await admin.describe_topics([TOPIC])
        count = len(described[0]["partitions"])
        check(count == 3, f"create_partitions grew the topic to 3: {count}")
        try:
            await admin.create_partitions({TOPIC: NewPartitions(2)})
            check(False, "shrinking a topic is refused")
        except InvalidPartitionsError as e:
            check(True, f"shrinking a topic is refused: {e}")
        await admin.create_partitions({TOPIC: NewPartitions(5)}, validate_only=True)
        described = await admin.describe_topics([TOPIC])
        count = len(described[0]["partitions"])
        check(count == 3, f"validate_only changes nothing: {count}")
    finally:
        await admin.close()
    print("all checks passed", flush=True)


asyncio.run(main())
