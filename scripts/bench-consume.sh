#!/usr/bin/env bash
# Consume throughput of confluent-kafka against `serve` (release build): 1,000,000 records of
# 100 bytes in one partition, then ten consumers in turn, each in a new group, with
# max.partition.fetch.bytes at its default and at 10 MB (scripts/bench_consume.py).
# Usage: scripts/bench-consume.sh [RECORDS] [CONSUMERS]   (needs python3 + confluent-kafka)
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/start-serve.sh
"${PYTHON:-python3}" scripts/bench_consume.py "$addr" "${1:-1000000}" "${2:-10}" --produce
echo "server CPU time (user+system, clock ticks): $(awk '{print $14 + $15}' "/proc/$server/stat")"
