#!/usr/bin/env bash
# Peak memory (max RSS) and speed of headless runs, for several simulated durations, and
# what each retained record costs: (peak RSS - the peak of a one-second run) divided by the
# records the logs hold at the end. With retention, memory stays flat as the duration
# grows; without it (quickstart), it grows by that cost per record.
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
peak_kib() { # DURATION OUT_JSON
    local out
    out=$(mktemp)
    /usr/bin/time -v "$bin" --headless --json --scenario "$scenario" --duration "$1" >"$2" 2>"$out"
    awk -F': ' '/Maximum resident set size/ {print $2}' "$out"
    rm -f "$out"
}
held() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(sum(p['high_watermark']-p['log_start_offset'] for t in r['topics'] for p in t['partitions']))" "$1"; }
json=$(mktemp)
trap 'rm -f "$json"' EXIT
base=$(peak_kib 1s "$json")
printf '%-10s %12s %10s %14s %14s %16s\n' duration max_rss_kib wall_s records_per_s records_held bytes_per_record
for d in "${durations[@]}"; do
  start=$(date +%s.%N)
  rss=$(peak_kib "$d" "$json")
  wall=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
  n=$(held "$json")
  produced=$(python3 -c "import json; r=json.load(open('$json')); print(r['produced'] + r['consumed'])")
  rate=$(python3 -c "print(int($produced / max($wall, 0.001)))")
  per=$(python3 -c "print(f'{($rss - $base) * 1024 / max($n, 1):.1f}')")
  printf '%-10s %12s %10s %14s %14s %16s\n' "$d" "$rss" "$wall" "$rate" "$n" "$per"
done
