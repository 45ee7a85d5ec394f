"""A kafka-python consumer in a group that reads until told to stop, across whatever the
cluster goes through, and reports every value it read with the wall time it read it.

Usage: failover_consumer.py BOOTSTRAP TOPIC GROUP STOP_FILE DEADLINE_SECONDS
Stops once STOP_FILE exists and two seconds pass with nothing new, or at the deadline.
Errors a poll raises while the cluster changes (kafka-python raises UnknownBrokerIdError
when its fetch positions still name a broker the metadata just dropped) are counted and the
loop polls again, as an application's poll loop does.
Prints one JSON object: {"read": [[value, unix_seconds], ...], "poll_errors": {...}}.
"""

import json
import os
import sys
import time

from kafka import KafkaConsumer
from kafka.errors import KafkaError

bootstrap, topic, group, stop_file, deadline = sys.argv[1:6]
deadline = time.time() + float(deadline)

consumer = KafkaConsumer(
    topic,
    bootstrap_servers=bootstrap.split(","),
    group_id=group,
    auto_offset_reset="earliest",
    enable_auto_commit=True,
    auto_commit_interval_ms=500,
    session_timeout_ms=10_000,
    heartbeat_interval_ms=1_000,
    request_timeout_ms=15_000,
    metadata_max_age_ms=1_000,
    reconnect_backoff_max_ms=1_000,
)

read = []
poll_errors = {}
quiet_since = time.time()
while time.time() < deadline:
    try:
        batches = consumer.poll(timeout_ms=500)
    except KafkaError as e:
        name = type(e).__name__
        poll_errors[name] = poll_errors.get(name, 0) + 1
        time.sleep(0.1)
        continue
    now = time.time()
    for records in batches.values():
        for r in records:
            read.append([int(r.value), now])
            quiet_since = now
    if os.path.exists(stop_file) and now - quiet_since > 2:
        break
consumer.close()
print(json.dumps({"read": read, "poll_errors": poll_errors}))
