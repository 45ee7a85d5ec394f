#!/usr/bin/env bash
# Side by side on this machine: `serve` (release build) and Apache Kafka 4.1 (one KRaft node
# from the jars of tests/apache-kafka/pom.xml), each fresh, with the same clients and
# settings:
#   - produce: confluent-kafka writing RECORDS records of 100 bytes (scripts/bench_consume.py
#     --produce), and Kafka's own ProducerPerformance (RECORDS records of 100 bytes, acks=1);
#   - consume: confluent-kafka reading the first round's records back, CONSUMERS consumers
#     in turn, each in a new group, with max.partition.fetch.bytes at its default and at
#     10 MB, each with librdkafka's default fetch.queue.backoff.ms and with 10 ms (see
#     bench_consume.py), with the CPU time each server spent serving each consumer.
# A client on this 2-core machine shares it with the server, so one run's figures swing by
# a quarter either way. The servers therefore take turns, ROUNDS rounds of everything, and
# the summary compares medians over every run of a setting: minikafka's ratio to Kafka's,
# the slowest of each, and how often librdkafka paused a consumer for a second because its
# local queue was full.
# Usage: scripts/bench-vs-kafka.sh [RECORDS] [CONSUMERS] [ROUNDS]   (needs java 17, mvn,
# python3 + confluent-kafka)
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
consumers=${2:-3}
rounds=${3:-3}
python=${PYTHON:-python3}

cargo build --release --quiet
jars=target/tmp/apache-kafka/jars
if [ ! -e target/tmp/apache-kafka/jars.complete ]; then
    mkdir -p target/tmp/apache-kafka
    rm -rf "$jars"
    mvn -q -B -f tests/apache-kafka/pom.xml dependency:copy-dependencies -DoutputDirectory="$PWD/$jars"
    touch target/tmp/apache-kafka/jars.complete
fi
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# ---- Apache Kafka
port=$(free_port); controller=$(free_port)
cat >"$work/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.listener.names=CONTROLLER
controller.quorum.bootstrap.servers=127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$work/kafka-data
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
num.partitions=1
PROPS
java -cp "$jars/*" kafka.tools.StorageTool format --standalone -t bench-cluster-00000000 -c "$work/server.properties" >/dev/null
java -Xmx1g -Xms1g -cp "$jars/*" kafka.Kafka "$work/server.properties" >"$work/kafka.log" 2>&1 &
kafka_pid=$!
pids+=($!)
kafka="127.0.0.1:$port"

# ---- minikafka
./target/release/minikafka-tui serve --listen 127.0.0.1:0 >"$work/serve.out" 2>/dev/null &
mini_pid=$!
pids+=($!)
for _ in $(seq 200); do [ -s "$work/serve.out" ] && break; sleep 0.05; done
mini="$(awk '{print $NF}' "$work/serve.out")"

for _ in $(seq 600); do
    "$python" -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break
    sleep 0.1
done
sleep 3
echo "minikafka: $mini   Apache Kafka 4.1.1: $kafka   ($records records, $consumers consumers per setting, $rounds rounds)"

produce() { # NAME ADDR ROUND
    "$python" scripts/bench_consume.py "$2" "$records" 0 --produce --topic bench-"$1"-"$3" \
        --label "$1: " | tee -a "$work/$1.txt"
    java -Xmx512m -cp "$jars/*" org.apache.kafka.tools.ProducerPerformance --topic perf-"$1"-"$3" \
        --num-records "$records" --record-size 100 --throughput -1 \
        --producer-props bootstrap.servers="$2" acks=1 2>/dev/null | tail -1 |
        sed "s/^/$1: ProducerPerformance: /" | tee -a "$work/$1.txt"
}
consume() { # NAME ADDR PID
    "$python" scripts/bench_consume.py "$2" "$records" "$consumers" --topic bench-"$1"-1 \
        --server-pid "$3" --label "$1: " | grep 'consumer [0-9]' | tee -a "$work/$1.txt"
}
for round in $(seq "$rounds"); do
    echo "== round $round of $rounds: produce"
    produce minikafka "$mini" "$round"
    produce kafka "$kafka" "$round"
done
for round in $(seq "$rounds"); do
    echo "== round $round of $rounds: consume"
    consume minikafka "$mini" "$mini_pid"
    consume kafka "$kafka" "$kafka_pid"
done

echo
echo "== minikafka / Apache Kafka, medians of $rounds rounds"
"$python" - "$work/minikafka.txt" "$work/kafka.txt" <<'SUMMARY'
import re, statistics, sys
def parse(path):
    runs = {}
    for line in open(path):
        m = re.search(r"produced .* = ([0-9,]+) records/s", line)
        if m:
            runs.setdefault("produce, confluent-kafka", []).append((float(m[1].replace(",", "")), None))
        m = re.search(r"ProducerPerformance: .*?([0-9.]+) records/sec", line)
        if m:
            runs.setdefault("produce, ProducerPerformance", []).append((float(m[1]), None))
        m = re.search(r"fetch.bytes (.*): consumer \d+: ([0-9,]+) records/s(?:.*paused (\d+) times)?", line)
        if m:
            paused = int(m[3]) if m[3] is not None else None
            runs.setdefault(f"consume, max.partition.fetch.bytes {m[1]}", []).append(
                (float(m[2].replace(",", "")), paused))
            cpu = re.search(r"server CPU ([0-9.]+) s", line)
            if cpu:
                runs.setdefault("server CPU per consumer, s", []).append((float(cpu[1]), None))
    return runs
mini, kafka = parse(sys.argv[1]), parse(sys.argv[2])
for name, m_runs in mini.items():
    k_runs = kafka.get(name, [])
    if not k_runs:
        continue
    m_rates, k_rates = [r for r, _ in m_runs], [r for r, _ in k_runs]
    m_med, k_med = statistics.median(m_rates), statistics.median(k_rates)
    if name.startswith("server CPU"):
        print(f"{name}: median {m_med:.2f} vs {k_med:.2f} = {m_med / k_med:.2f}; "
              f"most {max(m_rates):.2f} vs {max(k_rates):.2f} ({len(m_rates)} vs {len(k_rates)} runs)")
        continue
    print(f"{name}: median {m_med:,.0f} vs {k_med:,.0f} records/s = {m_med / k_med:.2f}; "
          f"slowest {min(m_rates):,.0f} vs {min(k_rates):,.0f} ({len(m_rates)} vs {len(k_rates)} runs)")
    m_paused = [p for _, p in m_runs if p is not None]
    k_paused = [p for _, p in k_runs if p is not None]
    if m_paused or k_paused:
        print(f"    1 s queue-full pauses per consumer: median {statistics.median(m_paused):g} "
              f"vs {statistics.median(k_paused):g} (each {m_paused} vs {k_paused})")
SUMMARY
