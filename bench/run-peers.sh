#!/usr/bin/env bash
# PeerFlow against the classic tools on the same data over 127.0.0.1, measured in one run by the shared harness
# (../shared/bench/peers.sh: idle waits, busy-run retries, prefaulted tmpfs, diff -r verification).
#
#   bash bench/run-peers.sh                       # tar|nc, tar|mbuffer, rsync daemon and PeerFlow on big, small, mixed
#   RUNS=5 SETS=big bash bench/run-peers.sh       # any peers.sh setting passes through
#   PEERFLOW_INSECURE=1 bash bench/run-peers.sh   # PeerFlow without TLS (--insecure on both sides), like the
#                                                 # plaintext references; the default is PeerFlow's default, TLS 1.3
#
# Needs the tools listed in ../shared/bench/README.md (apt-get install rsync mbuffer netcat-openbsd ...).
set -euo pipefail
cd "$(dirname "$0")/.."
harness=${HARNESS:-../shared/bench/peers.sh}
[[ -x $harness ]] || { echo "run-peers: $harness not found (the shared bench harness)" >&2; exit 2; }
dll=$(bash bench/publish.sh)
export OUTDIR=${OUTDIR:-$PWD/bench/out/$(date -u +%Y%m%d-%H%M%S)}
mode=""; security="TLS 1.3"
if [[ ${PEERFLOW_INSECURE:-0} == 1 ]]; then mode="--insecure"; security="plaintext (--insecure)"; fi
export PEERFLOW_RECV="dotnet $dll receive --listen {HOST}:{PORT} --dest {DST} --once $mode"
export PEERFLOW_SEND="dotnet $dll send {SRC} --to {HOST}:{PORT} $mode ${PEERFLOW_SEND_OPTIONS:-}"
export PEERFLOW_NOTE=${PEERFLOW_NOTE:-"TCP, $security, LZ4 auto, R2R publish"}
export ONLY=${ONLY:-'^(tarnc|tarmbuf|rsyncd)/|^peerflow/'}
exec "$harness"
