#!/usr/bin/env bash
# What a crash costs: kill -9 the receiver at about half of a transfer, run the same send again, and report what
# the second run sent against what was missing. Uses the published build (bench/publish.sh) and 127.0.0.1.
#
#   bash bench/resume.sh                 # 1 GiB file in $WORK (default /dev/shm/peerflow-resume), killed at 50 %
#   SIZE_MB=4096 AT=0.3 bash bench/resume.sh
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${SIZE_MB:-1024}
at=${AT:-0.5}
work=${WORK:-/dev/shm/peerflow-resume}
dll=$(bash bench/publish.sh)
rm -rf "$work"; mkdir -p "$work/src/data" "$work/dst"
head -c $((size_mb << 20)) /dev/urandom > "$work/src/data/big.bin"
total=$((size_mb << 20))
threshold=$(python3 -c "print(int($total * $at))")

partial() { find "$work/dst/.peerflow" -name '*.part' -printf '%s\n' 2>/dev/null | awk '{s+=$1} END {print s+0}'; }
address() { for _ in $(seq 500); do grep -o 'listening on [0-9.:]*' "$work/recv.out" 2>/dev/null | awk '{print $3}' && return; sleep 0.01; done; exit 1; }

dotnet "$dll" receive --listen 127.0.0.1:0 --dest "$work/dst" --once > "$work/recv.out" 2>&1 &
rpid=$!; addr=$(address)
dotnet "$dll" send "$work/src/data" --to "$addr" --reconnects 0 --output json > "$work/send1.json" 2>&1 &
spid=$!
while (( $(partial) < threshold )); do
  kill -0 $spid 2>/dev/null || { echo "resume: the transfer ended before it reached the threshold; use a bigger SIZE_MB" >&2; exit 1; }
  sleep 0.002
done
# Freeze the receiver, read what its kernel had acknowledged on the connection (ss -i bytes_acked: everything the
# sender will never send again on its own), then kill it. The difference to what is on disk was in flight.
kill -STOP $rpid; sleep 0.1
port=${addr##*:}
sent1=$(ss -tinH "dport = :$port" | grep -o 'bytes_acked:[0-9]*' | head -1 | cut -d: -f2)
sent1=${sent1:-0}
kill -9 $rpid; wait $rpid 2>/dev/null || true
wait $spid 2>/dev/null || true
kept=$(partial)

dotnet "$dll" receive --listen 127.0.0.1:0 --dest "$work/dst" --once > "$work/recv.out" 2>&1 &
rpid=$!; addr=$(address)
start=$EPOCHREALTIME
dotnet "$dll" send "$work/src/data" --to "$addr" --output json > "$work/send2.json"
end=$EPOCHREALTIME
wait $rpid
cmp "$work/src/data/big.bin" "$work/dst/data/big.bin"
python3 - "$work/send2.json" "$total" "$kept" "$sent1" "$start" "$end" <<'PY'
import json, sys
path, total, kept, sent1, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
done = [json.loads(l) for l in open(path) if '"completed"' in l][-1]
already = done["bytesAlreadyThere"]
second = done["bytes"] - already
remainder = total - kept
mib = lambda b: f"{b / 2**20:,.1f} MiB"
print(f"file {mib(total)}; receiver killed with SIGKILL when its kernel had acknowledged {mib(sent1)} of the connection")
print(f"kept by the receiver: {mib(kept)} (partial file, verified by prefix hash on resume)")
print(f"second run: sent {mib(second)} = {second / remainder:.4f} x the remainder ({mib(remainder)}); "
      f"{mib(already)} not sent again; {end - start:.2f} s")
print(f"in flight when it died (acknowledged, not yet in the partial file): {mib(max(0, sent1 - kept))}")
PY
echo "verified: identical ($work)"
