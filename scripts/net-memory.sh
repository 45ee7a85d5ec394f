#!/usr/bin/env bash
# What records from network clients cost in memory: `serve` (release build) receives RECORDS
# records of 100 bytes from confluent-kafka (uncompressed, default batching) and holds them;
# the server's resident memory grows by about the bytes it received. The bytes are counted by
# the producer as librdkafka's statistics report them (`txbytes`, summed over its broker
# connections: every request's bytes, framing included), which is what the server read from
# its sockets; /proc's rchar counts read(2), not the recv(2) the server's sockets use.
# Usage: scripts/net-memory.sh [RECORDS]   (default 2,000,000; needs python3 + confluent-kafka)
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-2000000}

cargo build --release --quiet
out="$(mktemp)"
./target/release/minikafka-tui serve --listen 127.0.0.1:0 >"$out" 2>/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.05; done
addr="$(awk '{print $NF}' "$out")"
kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$server/status"; }
"${PYTHON:-python3}" - "$addr" 1 >/dev/null <<'PY'
import sys
from confluent_kafka.admin import AdminClient, NewTopic
a = AdminClient({"bootstrap.servers": sys.argv[1]})
for f in a.create_topics([NewTopic("net-memory", num_partitions=4, replication_factor=1)]).values():
    f.result(timeout=30)
PY
rss0=$(kib VmRSS)
received=$("${PYTHON:-python3}" - "$addr" "$records" <<'PY'
import json, sys, time
from confluent_kafka import Producer
stats = {}
def on_stats(s):
    stats["last"] = json.loads(s)
p = Producer({"bootstrap.servers": sys.argv[1], "linger.ms": 5,
              "statistics.interval.ms": 100, "stats_cb": on_stats})
value = b"m" * 100
for i in range(int(sys.argv[2])):
    while True:
        try:
            p.produce("net-memory", value, key=str(i % 1000).encode())
            break
        except BufferError:
            p.poll(0.001)
if p.flush(120) != 0:
    sys.exit("records left undelivered")
# Statistics after the last request went out, so they count every byte sent.
stats.clear()
deadline = time.time() + 10
while "last" not in stats and time.time() < deadline:
    p.poll(0.05)
stats.clear()
while "last" not in stats and time.time() < deadline:
    p.poll(0.05)
print(sum(b["txbytes"] for b in stats["last"]["brokers"].values()))
PY
)
sleep 1
rss1=$(kib VmRSS); hwm=$(kib VmHWM)
held=$(( (rss1 - rss0) * 1024 ))
echo "records: $records of 100 bytes, keyed"
echo "received: $received bytes (the producer's txbytes); resident memory grew by $held bytes (peak $(( hwm * 1024 )) bytes in all)"
"${PYTHON:-python3}" -c "print(f'memory held / bytes received: {$held / $received:.3f}')"
