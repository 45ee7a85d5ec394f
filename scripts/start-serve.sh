# Sourced by the bench scripts: builds the release binary, starts `serve` on a free
# loopback port, stops it when the script exits, and sets $server (its pid) and $addr.
cargo build --release --quiet
serve_out="$(mktemp)"
./target/release/minikafka-tui serve --listen 127.0.0.1:0 >"$serve_out" 2>/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null; rm -f "$serve_out"' EXIT
for _ in $(seq 100); do
    [ -s "$serve_out" ] && break
    sleep 0.05
done
addr="$(awk '{print $NF}' "$serve_out")"
echo "server: $addr (release build, pid $server)"
