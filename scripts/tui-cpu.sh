#!/usr/bin/env bash
# Whole-process CPU use of the interactive UI: the release binary runs the quickstart
# scenario at 1x and 30 fps in a tmux pane, and utime+stime from /proc/PID/stat are read
# before and after a measurement window.
#
#   scripts/tui-cpu.sh            # 30 s window, 120x36 terminal
#   SECONDS_TO_MEASURE=10 WIDTH=200 HEIGHT=50 scripts/tui-cpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."

window=${SECONDS_TO_MEASURE:-30}
width=${WIDTH:-120}
height=${HEIGHT:-36}
session="minikafka-cpu-$$"

command -v tmux >/dev/null || { echo "tmux is required" >&2; exit 1; }
cargo build --release --quiet
bin="$PWD/target/release/minikafka-tui"

tmux new-session -d -s "$session" -x "$width" -y "$height" "$bin --scenario quickstart --fps 30"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
pid=$(tmux display-message -p -t "$session" '#{pane_pid}')

ticks() {
    # Fields 14 and 15 are utime and stime in clock ticks; the command name (field 2)
    # has no spaces here, so a plain split is safe.
    awk '{ print $14 + $15 }' "/proc/$pid/stat"
}

# Let start-up settle before measuring.
sleep 2
before=$(ticks)
start_ns=$(date +%s%N)
sleep "$window"
after=$(ticks)
end_ns=$(date +%s%N)
hz=$(getconf CLK_TCK)

awk -v t="$((after - before))" -v hz="$hz" -v ns="$((end_ns - start_ns))" -v w="$width" -v h="$height" 'BEGIN {
    secs = ns / 1e9
    cpu = t / hz
    printf "quickstart at 1x, 30 fps, %dx%d: %.2f s CPU in %.1f s wall = %.2f%% of one core\n", w, h, cpu, secs, 100 * cpu / secs
}'
tmux send-keys -t "$session" q
