#!/usr/bin/env bash
# Where one sync's time goes: runs a receiver and a sender on 127.0.0.1 with PEERFLOW_TRACE_PHASES=1 (see
# PeerFlow.Diagnostics.PhaseTrace) and prints both sides' marks as one timeline, in milliseconds since the sender's
# command started, with each thread's CPU time so far. The target is primed by one untimed sync first, so the traced
# run is a no-op unless SRC changes in between (CHANGE=1 rewrites 1 % of its files first, as bench/sync.sh does).
#
#   bash bench/phases.sh                 # SRC=/dev/shm/src/small, plaintext
#   TLS=1 bash bench/phases.sh           # TLS with this machine's identity (PEERFLOW_HOME), as the default is
#   SRC=/dev/shm/src/mixed CHANGE=1 bash bench/phases.sh
#   PFDIR=/tmp/other-build bash bench/phases.sh   # another published build (default: bench/out/peerflow)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${SRC:-/dev/shm/src/small}
[ -n "${PFDIR:-}" ] || [ -f bench/out/peerflow/peerflow.dll ] || bash bench/publish.sh >/dev/null
PF="dotnet ${PFDIR:-$PWD/bench/out/peerflow}/peerflow.dll"
OUT=$(mktemp -d)
export PEERFLOW_HOME=${PEERFLOW_HOME:-$OUT/home}
SECURITY=--insecure
[ "${TLS:-0}" = 1 ] && SECURITY=
PORT=$((30000 + RANDOM % 9000))
mkdir -p "$OUT/dest"
: > "$OUT/receiver.log"
# Appending, so that the log can be emptied before the traced run.
PEERFLOW_TRACE_PHASES=1 $PF receive --listen 127.0.0.1:$PORT --dest "$OUT/dest" $SECURITY >> "$OUT/receiver.log" 2>&1 &
RECEIVER=$!
trap 'kill $RECEIVER 2>/dev/null || true; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$OUT/receiver.log" && break; sleep 0.1; done
$PF sync "$SRC" --to 127.0.0.1:$PORT $SECURITY > /dev/null 2>&1
if [ "${CHANGE:-0}" = 1 ]; then
  python3 - "$SRC" <<'PY'
import os, random, sys
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(sys.argv[1]) for f in fs)
for path in random.Random().sample(files, max(1, len(files) // 100)):
    size = os.path.getsize(path)
    with open(path, "wb") as f:
        f.write(os.urandom(size))
PY
fi
: > "$OUT/receiver.log"
start=$(date +%s%6N)
PEERFLOW_TRACE_PHASES=1 $PF sync "$SRC" --to 127.0.0.1:$PORT $SECURITY 2> "$OUT/sender.log" > /dev/null
end=$(date +%s%6N)
sleep 0.3
{
  grep -a "^peerflow-trace: " "$OUT/sender.log" | sed 's/^peerflow-trace:/sender  /'
  grep -a "^peerflow-trace: " "$OUT/receiver.log" | sed 's/^peerflow-trace:/receiver/'
} | sort -k2,2n | awk -v s="$start" '{ name = ""; for (i = 5; i <= NF; i++) name = name " " $i;
    printf "%8.1f ms  %-8s thread %-3s cpu %7.1f ms %s\n", ($2 - s) / 1000, $1, $3, $4 / 1000, name }'
echo "sender exited after $(( (end - start) / 1000 )) ms"
