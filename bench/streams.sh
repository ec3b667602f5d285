#!/usr/bin/env bash
# Parallel streams, TCP against QUIC, LZ4 on and off, on the mixed data set (1 GiB, half compressible text):
#   1. over 127.0.0.1 (CPU-bound on 2 cores), with tar | nc as the reference measured in the same run;
#   2. over a bandwidth-limited link: two network namespaces joined by a veth pair, the sender's side shaped with
#      `tc ... tbf` (RATE, default 400mbit = 50 MB/s), with tar | nc over the same link as the raw link rate.
# Every PeerFlow row is a real transfer through the CLI (default security: TLS over TCP, QUIC's own TLS), checked
# against the source tree afterwards. Needs root (ip netns, tc), nc and the datasets of ../shared/bench/make-data.sh.
#
#   bash bench/streams.sh                     # RUNS=3 per row; RATE=400mbit; DATA=/dev/shm/src
#   NETEM="delay 10ms loss 0.1%" LOOPBACK=0 COMPRESSIONS=none SET=lossy bash bench/streams.sh
#                                             # a lossy, distant link: netem before the tbf (needs the kernel's
#                                             # sch_netem, which the project machine lacks), only the shaped link
# TRANSPORTS (tcp quic), COMPRESSIONS (lz4 none) and STREAMS (1 2 4) choose the rows.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
RATE=${RATE:-400mbit}
DATA=${DATA:-/dev/shm/src}
SET=${SET:-mixed}
NETEM=${NETEM:-}
LOOPBACK=${LOOPBACK:-1}
TRANSPORTS=${TRANSPORTS:-tcp quic}
COMPRESSIONS=${COMPRESSIONS:-lz4 none}
STREAMS=${STREAMS:-1 2 4}
OUT=bench/out/streams-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
[ -f bench/out/peerflow/peerflow.dll ] || bash bench/publish.sh >/dev/null
PF="dotnet $PWD/bench/out/peerflow/peerflow.dll"
export PEERFLOW_HOME=$OUT/home
DEST=/dev/shm/pf-streams-dest
ROWS=$OUT/rows.tsv
: > "$ROWS"

# A = sender side, B = receiver side; "" = no namespace (127.0.0.1).
in_ns() { local ns=$1; shift; if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi; }

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# One PeerFlow transfer: prints its wall seconds.
peerflow_once() {
  local nsA=$1 nsB=$2 host=$3 transport=$4 streams=$5 compression=$6 port=$7
  rm -rf "$DEST"; mkdir -p "$DEST"
  in_ns "$nsB" $PF receive --transport "$transport" --listen "$host:$port" --dest "$DEST" --once > "$OUT/receiver.log" 2>&1 &
  local receiver=$!
  for _ in $(seq 100); do grep -q "listening on" "$OUT/receiver.log" 2>/dev/null && break; sleep 0.05; done
  local start end
  start=$(date +%s.%N)
  in_ns "$nsA" $PF send --transport "$transport" --streams "$streams" --compression "$compression" --to "$host:$port" "$DATA/$SET" > "$OUT/sender.log" 2>&1
  end=$(date +%s.%N)
  wait "$receiver"
  diff -r "$DATA/$SET" "$DEST/$SET" > /dev/null || { echo "tree differs after $transport x$streams $compression" >&2; exit 1; }
  echo "$end - $start" | bc -l
}

# tar | nc: the raw reference.
tarnc_once() {
  local nsA=$1 nsB=$2 host=$3 port=$4
  rm -rf "$DEST"; mkdir -p "$DEST"
  in_ns "$nsB" sh -c "nc -l -p $port | tar -x -C $DEST" &
  local receiver=$!
  sleep 0.3
  local start end
  start=$(date +%s.%N)
  in_ns "$nsA" sh -c "tar -c -C $DATA $SET | nc -q 0 -N $host $port"
  wait "$receiver"
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

row() {
  local link=$1 name=$2; shift 2
  local times=()
  for _ in $(seq "$RUNS"); do times+=("$("$@")"); done
  local med
  med=$(printf '%s\n' "${times[@]}" | median)
  printf '%s\t%s\t%s\t%s\n' "$link" "$name" "$med" "${times[*]}" | tee -a "$ROWS"
}

bytes=$(du -sb "$DATA/$SET" | cut -f1)
port=47500
measure() {
  local link=$1 nsA=$2 nsB=$3 host=$4
  row "$link" "tar | nc" tarnc_once "$nsA" "$nsB" "$host" $((port++))
  for transport in $TRANSPORTS; do
    for compression in $COMPRESSIONS; do
      for streams in $STREAMS; do
        row "$link" "$transport x$streams lz4=$compression" peerflow_once "$nsA" "$nsB" "$host" "$transport" "$streams" "$compression" $((port++))
      done
    done
  done
}

if [ "$LOOPBACK" = 1 ]; then
  echo "== 127.0.0.1 =="
  measure loopback "" "" 127.0.0.1
fi

link="$RATE${NETEM:+ $NETEM}"
echo "== $link link (network namespaces, tbf) =="
cleanup() { ip netns del pf-bench-a 2>/dev/null || true; ip netns del pf-bench-b 2>/dev/null || true; rm -rf "$DEST"; }
trap cleanup EXIT
cleanup
ip netns add pf-bench-a
ip netns add pf-bench-b
ip link add pf-bench-a0 type veth peer name pf-bench-b0
ip link set pf-bench-a0 netns pf-bench-a
ip link set pf-bench-b0 netns pf-bench-b
ip -n pf-bench-a addr add 10.213.0.1/24 dev pf-bench-a0
ip -n pf-bench-b addr add 10.213.0.2/24 dev pf-bench-b0
for ns in pf-bench-a pf-bench-b; do ip -n $ns link set lo up; done
ip -n pf-bench-a link set pf-bench-a0 up
ip -n pf-bench-b link set pf-bench-b0 up
if [ -n "$NETEM" ]; then
  # Delay and loss first, then the rate limit (tbf as netem's child).
  tc -n pf-bench-a qdisc add dev pf-bench-a0 root handle 1: netem $NETEM
  tc -n pf-bench-a qdisc add dev pf-bench-a0 parent 1: handle 2: tbf rate "$RATE" burst 256kb latency 50ms
else
  tc -n pf-bench-a qdisc add dev pf-bench-a0 root tbf rate "$RATE" burst 256kb latency 50ms
fi
measure "$link" pf-bench-a pf-bench-b 10.213.0.2

echo
echo "== effective rates (MB/s of the $SET set, $bytes bytes; ratio to tar | nc on the same link) =="
awk -F'\t' -v bytes="$bytes" '
  $2 == "tar | nc" { ref[$1] = $3 }
  { rate = bytes / $3 / 1e6; printf "%-10s %-22s %7.2f s %8.1f MB/s %6.2fx tar|nc\n", $1, $2, $3, rate, ref[$1] / $3 }' "$ROWS"
