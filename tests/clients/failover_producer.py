"""An acks=all confluent-kafka producer that sends numbered values for a while, across
whatever the cluster goes through, and reports which values were acknowledged.

Usage: failover_producer.py BOOTSTRAP TOPIC SECONDS
Prints one JSON object: {"sent": N, "acked": [...], "failed": {error: count}}.
"""

import json
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])

producer = Producer(
    {
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "enable.idempotence": False,
        "linger.ms": 5,
        "retries": 1_000_000,
        "retry.backoff.ms": 100,
        "request.timeout.ms": 5_000,
        "message.timeout.ms": 60_000,
        "topic.metadata.refresh.interval.ms": 1_000,
    }
)

acked = []
failed = {}


def delivered(err, msg):
    if err is None:
        acked.append(int(msg.value()))
    else:
        failed[err.name()] = failed.get(err.name(), 0) + 1


sent = 0
end = time.time() + seconds
while time.time() < end:
    producer.produce(topic, value=str(sent).encode(), on_delivery=delivered)
    sent += 1
    producer.poll(0)
    time.sleep(0.02)
left = producer.flush(90)
print(json.dumps({"sent": sent, "acked": acked, "failed": failed, "unflushed": left}))
