#!/usr/bin/env bash
# Peak memory (max RSS) and speed of a headless run, for several simulated durations.
# Memory should stay flat as the duration grows: logs are bounded by retention, metrics
# by ring buffers, and nothing grows per record.
#
# Usage: scripts/sim-memory.sh [SCENARIO] [DURATION...]   (default: bench 1h 10h)
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-bench}
shift || true
durations=("$@")
[ ${#durations[@]} -eq 0 ] && durations=(1h 10h)

cargo build --release --quiet
bin=target/release/minikafka-tui
printf '%-10s %12s %10s %16s\n' duration max_rss_kib wall_s records_per_s
for d in "${durations[@]}"; do
  out=$(mktemp)
  /usr/bin/time -v "$bin" --headless --scenario "$scenario" --duration "$d" >"$out.stdout" 2>"$out"
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out")
  wall=$(awk -F'in | s of wall' '/simulated seconds in/ {print $2}' "$out.stdout")
  rate=$(sed -n 's/.*(\([0-9]*\) records\/s).*/\1/p' "$out.stdout")
  printf '%-10s %12s %10s %16s\n' "$d" "$rss" "$wall" "$rate"
  rm -f "$out" "$out.stdout"
done
