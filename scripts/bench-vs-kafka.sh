#!/usr/bin/env bash
# Side by side on this machine: `serve` (release build) and Apache Kafka 4.1 (one KRaft node
# from the jars of tests/apache-kafka/pom.xml), each fresh, with the same clients and
# settings:
#   - produce: confluent-kafka writing 1,000,000 records of 100 bytes (scripts/bench_consume.py
#     --produce), and Kafka's own ProducerPerformance (1,000,000 records of 100 bytes, acks=1);
#   - consume: confluent-kafka reading them back, CONSUMERS consumers in turn, each in a new
#     group, with max.partition.fetch.bytes at its default and at 10 MB, each with
#     librdkafka's default fetch.queue.backoff.ms and with 10 ms (see bench_consume.py).
# Prints every figure, minikafka's ratio to Kafka's, and how often librdkafka paused each
# consumer because its local queue was full.
# Usage: scripts/bench-vs-kafka.sh [RECORDS] [CONSUMERS]   (needs java 17, mvn, python3 +
# confluent-kafka)
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
consumers=${2:-3}
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
pids+=($!)
kafka="127.0.0.1:$port"

# ---- minikafka
./target/release/minikafka-tui serve --listen 127.0.0.1:0 >"$work/serve.out" 2>/dev/null &
pids+=($!)
for _ in $(seq 200); do [ -s "$work/serve.out" ] && break; sleep 0.05; done
mini="$(awk '{print $NF}' "$work/serve.out")"

for _ in $(seq 600); do
    "$python" -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break
    sleep 0.1
done
sleep 3
echo "minikafka: $mini   Apache Kafka 4.1.1: $kafka   ($records records, $consumers consumers per setting)"

run() { # NAME ADDR
    echo "== $1"
    "$python" scripts/bench_consume.py "$2" "$records" "$consumers" --produce --topic bench-"$1" \
        --label "$1: " | tee "$work/$1.txt"
    java -Xmx512m -cp "$jars/*" org.apache.kafka.tools.ProducerPerformance --topic perf-"$1" \
        --num-records "$records" --record-size 100 --throughput -1 \
        --producer-props bootstrap.servers="$2" acks=1 2>/dev/null | tail -1 | tee "$work/$1.perf"
}
run minikafka "$mini"
run kafka "$kafka"

ratio() { "$python" -c "print(f'{float(\"$1\")/float(\"$2\"):.2f}')"; }
pauses() { grep "fetch.bytes $2: consumer" "$1" | grep -o 'paused [0-9]*' | cut -d' ' -f2 | paste -sd' '; }
num() { grep -o "$2" "$1" | head -1 | tr -d ', ' | grep -o '[0-9.]*' | head -1; }
echo
echo "== minikafka / Apache Kafka"
p_m=$(num "$work/minikafka.txt" '= [0-9,]* records/s'); p_k=$(num "$work/kafka.txt" '= [0-9,]* records/s')
echo "produce, confluent-kafka:        $p_m vs $p_k records/s: $(ratio "$p_m" "$p_k")"
q_m=$(grep -o '[0-9.]* records/sec' "$work/minikafka.perf" | cut -d' ' -f1); q_k=$(grep -o '[0-9.]* records/sec' "$work/kafka.perf" | cut -d' ' -f1)
echo "produce, ProducerPerformance:    $q_m vs $q_k records/s: $(ratio "$q_m" "$q_k")"
for setting in "default (1 MiB)" "10 MB" "default (1 MiB), fetch.queue.backoff.ms 10" "10 MB, fetch.queue.backoff.ms 10"; do
    c_m=$(grep "fetch.bytes $setting: first" "$work/minikafka.txt" | grep -o 'slowest [0-9,]*' | tr -d ', ' | cut -c8-)
    c_k=$(grep "fetch.bytes $setting: first" "$work/kafka.txt" | grep -o 'slowest [0-9,]*' | tr -d ', ' | cut -c8-)
    echo "consume, max.partition.fetch.bytes $setting, slowest consumer: $c_m vs $c_k records/s: $(ratio "$c_m" "$c_k")"
    z_m=$(pauses "$work/minikafka.txt" "$setting"); z_k=$(pauses "$work/kafka.txt" "$setting")
    [ -z "$z_m$z_k" ] || echo "    librdkafka's 1 s queue-full pauses, consumer by consumer: $z_m vs $z_k"
done
