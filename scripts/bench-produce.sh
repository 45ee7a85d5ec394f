#!/usr/bin/env bash
# Produce throughput and end-to-end latency of confluent-kafka against `serve` (release build).
# Usage: scripts/bench-produce.sh [RECORDS]   (default 1,000,000; needs python3 + confluent-kafka)
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/start-serve.sh
"${PYTHON:-python3}" scripts/bench_produce.py "$addr" "${1:-1000000}"
