#!/usr/bin/env bash
# Produce throughput and end-to-end latency of confluent-kafka against `serve` (release build).
# Usage: scripts/bench-produce.sh [RECORDS]   (default 1,000,000; needs python3 + confluent-kafka)
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
out="$(mktemp)"
./target/release/minikafka-tui serve --listen 127.0.0.1:0 >"$out" 2>/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do
    [ -s "$out" ] && break
    sleep 0.05
done
addr="$(awk '{print $NF}' "$out")"
echo "server: $addr (release build, pid $server)"
"${PYTHON:-python3}" scripts/bench_produce.py "$addr" "${1:-1000000}"
